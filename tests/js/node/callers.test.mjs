// Careless and hostile callers (issue 16, items 1 and 7): options and inputs
// are read as own properties only (never what another library planted on
// Object.prototype), a string that UTF-8 cannot carry is refused instead of
// being sent as U+FFFD, oversized strings and BigInts are refused before they
// are copied into the wasm, and revoked Proxies are validation errors. All of
// it before any network call, which the sandbox's counters check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, ValidationError, validatePaymentRequest } from "payreq";
import { catchPayreqMemory } from "../../support/payreq-memory.mjs";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const memory = catchPayreqMemory();
const sandbox = await startSandbox(["--rate-limit", "0"]);
const make = (options = {}) =>
  new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0, ...options });
const order = { amount: 1999, currency: "EUR", redirectUrl: "https://shop.example/return" };
const requests = async () => Object.values((await sandbox.counters()).requests).reduce((a, b) => a + b, 0);

/** Runs `fn` with `props` planted on Object.prototype (as a polluting library would), then removes them. */
async function polluted(props, fn) {
  for (const [k, v] of Object.entries(props)) Object.defineProperty(Object.prototype, k, { value: v, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(props)) delete Object.prototype[k];
  }
}

/** The same for a synchronous `fn` (removed as soon as it returns). */
function pollutedWhile(props, fn) {
  for (const [k, v] of Object.entries(props)) Object.defineProperty(Object.prototype, k, { value: v, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    for (const k of Object.keys(props)) delete Object.prototype[k];
  }
}

test("options planted on Object.prototype (rateLimiter, hooks, referenceId, idempotencyKey) are never read", async () => {
  let limiterCalls = 0;
  let hookCalls = 0;
  const planted = {
    rateLimiter: { reserve: () => (limiterCalls++, Date.now()), release() {} },
    onRequest: () => hookCalls++,
    onResponse: () => hookCalls++,
    referenceId: "planted-ref",
    idempotencyKey: "planted-key-0001",
  };
  // Planted for the whole of the calls (hooks and the limiter are read when a client is made, used all along).
  await polluted(planted, async () => {
    const client = make();
    const created = await client.createPaymentRequest({ ...order });
    assert.equal(created.referenceId, null, "a planted referenceId is not sent");
    const read = await client.getPaymentRequest(created.id);
    assert.equal(read.id, created.id, "a planted, aborted signal does not abort the call");
    const second = await client.createPaymentRequest({ ...order }, {});
    assert.notEqual(second.id, created.id, "a planted idempotencyKey is not used");
    assert.equal(validatePaymentRequest({ ...order }).value.referenceId, null);
  });
  assert.equal(limiterCalls, 0, "the planted rateLimiter was never asked");
  assert.equal(hookCalls, 0, "the planted hooks never heard an event");
});

test("a signal planted on Object.prototype is not the call's signal", async () => {
  const client = make();
  const created = await client.createPaymentRequest(order);
  // payreq reads a call's signal when the call starts, synchronously; Node's own
  // fetch would trip over a planted signal later, so it is removed right after.
  for (const signal of [AbortSignal.abort(new Error("planted")), "not a signal"]) {
    const pending = pollutedWhile({ signal }, () => client.getPaymentRequest(created.id, {}));
    assert.equal((await pending).id, created.id);
  }
});

test("own options are still read: an own hook hears its events", async () => {
  const heard = [];
  const client = make({ onRequest: (e) => heard.push(e.path) });
  await client.createPaymentRequest(order);
  assert.deepEqual(heard, ["/oauth/token", "/payment/request"]);
});

test("a lone surrogate in referenceId or redirectUrl is refused, not sent as U+FFFD", async () => {
  for (const [field, value, code] of [
    ["referenceId", "order-\ud800", "reference_id_invalid_unicode"],
    ["referenceId", "\udc00x", "reference_id_invalid_unicode"],
    ["redirectUrl", "https://shop.example/r\ud83d", "redirect_url_invalid_unicode"],
  ]) {
    const r = validatePaymentRequest({ ...order, [field]: value });
    assert.equal(r.ok, false, `${field}: ${JSON.stringify(r)}`);
    assert.deepEqual(r.errors.map((e) => `${e.field}:${e.code}`), [`${field}:${code}`]);
    assert.match(r.errors[0].message, /lone surrogate/);
  }
  // A well-formed astral character is fine.
  assert.equal(validatePaymentRequest({ ...order, referenceId: "order-😀" }).value.referenceId, "order-😀");
  const before = await requests();
  const err = await make().createPaymentRequest({ ...order, referenceId: "a\ud800b" }).catch((e) => e);
  assert.ok(err instanceof ValidationError, String(err));
  assert.equal(err.errors[0].code, "reference_id_invalid_unicode");
  assert.equal(await requests(), before, "nothing was sent");
});

test("a client secret with a lone surrogate is a ValidationError naming clientSecret, without the secret", () => {
  const secret = "tripwire-\ud800-secret";
  assert.throws(
    () => make({ clientSecret: secret }),
    (e) => e instanceof ValidationError && e.errors[0].field === "clientSecret" && e.errors[0].code === "client_secret_invalid" && !e.message.includes("tripwire"),
  );
});

test("oversized strings and BigInts are refused by their field's rule without entering the wasm", () => {
  validatePaymentRequest(order); // instantiated
  const before = memory().buffer.byteLength;
  const huge = "x".repeat(400_000_000); // a rope: cheap to make, 400 MB once flattened
  const r = validatePaymentRequest({ ...order, referenceId: huge });
  assert.deepEqual(r.errors.map((e) => e.code), ["reference_id_too_long"]);
  assert.deepEqual(validatePaymentRequest({ ...order, redirectUrl: huge }).errors.map((e) => e.code), ["redirect_url_too_long"]);
  assert.deepEqual(validatePaymentRequest({ ...order, currency: huge }).errors.map((e) => e.field), ["currency"]);
  assert.throws(() => make({ clientSecret: huge }), (e) => e instanceof ValidationError && e.errors[0].code === "client_secret_invalid");
  // A key of 100 M characters names an unknown field, cut short in the message.
  const key = "k".repeat(100_000_000);
  const byKey = validatePaymentRequest({ ...order, [key]: 1 });
  assert.equal(byKey.errors[0].code, "unknown_field");
  assert.ok(byKey.errors[0].message.length < 1_000, `${byKey.errors[0].message.length} characters`);
  // A BigInt of a million digits is too large, not a million digits copied.
  const big = validatePaymentRequest({ ...order, amount: 10n ** 1_000_000n });
  assert.deepEqual(big.errors.map((e) => e.code), ["amount_too_large"]);
  assert.deepEqual(validatePaymentRequest({ ...order, amount: -(10n ** 1_000_000n) }).errors.map((e) => e.code), ["amount_negative"]);
  const grown = memory().buffer.byteLength - before;
  assert.ok(grown < 4 << 20, `the wasm memory grew by ${grown} bytes`);
  assert.equal(validatePaymentRequest(order).ok, true, "the instance still works");
});

test("a revoked Proxy as the input, as options or as call options is a ValidationError, never a TypeError", async () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  assert.deepEqual(validatePaymentRequest(revoked()).errors.map((e) => e.code), ["input_not_object"]);
  assert.throws(() => new PaymentClient(revoked()), ValidationError);
  const client = make();
  await assert.rejects(client.createPaymentRequest(revoked()), ValidationError);
  await assert.rejects(client.createPaymentRequest(order, revoked()), ValidationError);
  await assert.rejects(client.getPaymentRequest("3f2504e0-4f89-41d3-9a0c-0305e82c3301", revoked()), ValidationError);
  // Options whose getters throw are validation errors too.
  const throwing = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, get baseUrl() { throw new Error("boom"); } };
  assert.throws(() => new PaymentClient(throwing), (e) => e instanceof ValidationError && e.errors.some((x) => x.field === "baseUrl"));
});

test("two clients of one clientId with different rateLimit values share one limiter, at the smaller rate: zero 429s", { timeout: 60_000 }, async () => {
  const limited = await startSandbox(["--rate-limit", "5"]);
  const options = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: limited.url, maxRetries: 0 };
  const strict = new PaymentClient({ ...options, rateLimit: 5 });
  const loose = new PaymentClient({ ...options, rateLimit: 10 });
  const calls = Array.from({ length: 30 }, (_, i) => (i % 2 ? strict : loose).createPaymentRequest({ ...order, referenceId: `shared-${i}` }));
  const settled = await Promise.allSettled(calls);
  const failed = settled.filter((s) => s.status === "rejected").map((s) => `${s.reason.code}: ${s.reason.message}`);
  assert.deepEqual(failed, []);
  const c = await limited.counters();
  assert.equal(c.rate_limited, 0, JSON.stringify(c));
  limited.stop();
});

/** Records the referenceId of every create as it is handed to fetch, in order. */
function recordSends() {
  const real = globalThis.fetch;
  const sent = [];
  globalThis.fetch = (url, init) => {
    if (init?.body?.startsWith?.("{")) sent.push(JSON.parse(init.body).reference_id);
    return real(url, init);
  };
  return { sent, restore: () => (globalThis.fetch = real) };
}

test("queued creates leave in call order", { timeout: 60_000 }, async () => {
  const client = make({ rateLimit: 10 });
  await client.createPaymentRequest(order); // the token is cached
  const rec = recordSends();
  try {
    const refs = Array.from({ length: 60 }, (_, i) => `order-${i}`);
    // Started a few at a time, as requests arrive at a server: the slots' timers have different durations.
    const calls = [];
    for (let i = 0; i < refs.length; i++) {
      calls.push(client.createPaymentRequest({ ...order, referenceId: refs[i] }));
      if (i % 7 === 6) await new Promise((r) => setTimeout(r, 3));
    }
    await Promise.all(calls);
    assert.deepEqual(rec.sent, refs);
  } finally {
    rec.restore();
  }
});

test("a slot given back by an aborted create goes to the next in line", { timeout: 60_000 }, async () => {
  const client = make({ rateLimit: 2 });
  await client.createPaymentRequest(order);
  await new Promise((r) => setTimeout(r, 1_100)); // the window is empty again
  const t0 = performance.now();
  const controllers = Array.from({ length: 12 }, () => new AbortController());
  const calls = controllers.map((c, i) => client.createPaymentRequest({ ...order, referenceId: `q-${i}` }, { signal: c.signal }));
  // The first two go at once. Once the others are queued, every other one of them gives up:
  // five queued creates are left, three windows' worth at 2/s.
  const gaveUp = (i) => i > 2 && i % 2 === 1;
  await new Promise((r) => setTimeout(r, 100));
  controllers.forEach((c, i) => gaveUp(i) && c.abort(new Error("gave up")));
  const settled = await Promise.allSettled(calls);
  const elapsed = performance.now() - t0;
  assert.deepEqual(settled.map((s) => s.status), controllers.map((_, i) => (gaveUp(i) ? "rejected" : "fulfilled")));
  // Without moving up, the last one kept its slot five windows on (~5 s); with it, ~3 s.
  assert.ok(elapsed < 4_000, `${Math.round(elapsed)} ms for seven creates at 2/s`);
});
