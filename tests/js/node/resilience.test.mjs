// Resilience against payreq-sandbox's fault injection, in Node: retries
// without duplicates, single-flight tokens, the 5 req/s limiter, Retry-After,
// timeouts, aborts at each stage, waitForPayment and hooks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, PayreqError, AbortError, TimeoutError, RateLimitError, ServerError, validatePaymentRequest } from "payreq";
import { startSandbox, payThroughCheckout, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

// Limits off on both sides, except where a test turns them on.
const sandbox = await startSandbox(["--rate-limit", "0"]);
const make = (options = {}) =>
  new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0, ...options });
const order = (ref) => ({ amount: 1250, currency: "EUR", redirectUrl: "https://shop.example/r", referenceId: ref });
const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));
const since = (t0) => performance.now() - t0;

test("200 creates through 500s, resets after the body was read and 429s: no duplicate is ever created", async () => {
  await sandbox.reset();
  const client = make();
  const faults = [];
  for (let i = 0; i < 20; i++) {
    faults.push({ kind: "status", status: 500 }, { kind: "reset_after" }, { kind: "status", status: 429, retry_after: "0" });
  }
  for (const f of faults) await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, ...f });
  const refs = Array.from({ length: 200 }, (_, i) => `order-${i}`);
  const results = [];
  for (let i = 0; i < refs.length; i += 20) {
    results.push(...(await Promise.all(refs.slice(i, i + 20).map((ref) => settle(client.createPaymentRequest(order(ref)))))));
  }
  const later = [];
  results.forEach(({ value, error }, i) => {
    if (value) return assert.equal(value.referenceId, refs[i]);
    assert.ok(error instanceof PayreqError, String(error));
    if (error.outcomeUnknown) {
      assert.match(error.idempotencyKey, /^[0-9a-f-]{36}$/);
    } else {
      // Only a 429 to the end leaves the outcome known: nothing was created.
      assert.ok(error instanceof RateLimitError, `${error.code}: ${error.message}`);
    }
    later.push([refs[i], error.outcomeUnknown ? error.idempotencyKey : undefined]);
  });
  // Resolve the rest: an unknown outcome with its key, so never a second resource.
  for (const [ref, idempotencyKey] of later) {
    const pr = await client.createPaymentRequest(order(ref), { idempotencyKey });
    assert.equal(pr.referenceId, ref);
  }
  const c = await sandbox.counters();
  assert.equal(c.payment_requests_created, 200, JSON.stringify(c));
  assert.ok(c.idempotent_replays >= 20, "every reset-after-create was replayed, not re-created");
});

test("1,000 concurrent calls on a cold cache make exactly one token request", async () => {
  const seed = await make().createPaymentRequest(order("seed"));
  const before = await sandbox.counters();
  const client = make();
  const all = await Promise.all(Array.from({ length: 1000 }, () => client.getPaymentRequest(seed.id)));
  assert.ok(all.every((pr) => pr.id === seed.id));
  const after = await sandbox.counters();
  assert.equal(after.requests["POST /oauth/token"] - before.requests["POST /oauth/token"], 1);
  assert.equal(after.tokens_issued - before.tokens_issued, 1);
});

test("live: 100 creates against a sandbox enforcing 5/s draw zero 429s", { timeout: 60_000 }, async () => {
  const limited = await startSandbox(["--rate-limit", "5"]);
  const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: limited.url });
  const t0 = performance.now();
  const created = await Promise.all(Array.from({ length: 100 }, (_, i) => client.createPaymentRequest(order(`paced-${i}`))));
  const seconds = since(t0) / 1000;
  assert.equal(new Set(created.map((p) => p.id)).size, 100);
  const c = await limited.counters();
  assert.equal(c.rate_limited, 0, JSON.stringify(c));
  // 101 requests (one token) at 5 per second cannot take less than 20 s.
  assert.ok(seconds >= 19.5, `${seconds} s`);
  console.log(`# limiter: 101 requests in ${seconds.toFixed(2)} s = ${(101 / seconds / 5).toFixed(3)} of the 5/s limit, 0 429s`);
  limited.stop();
});

test("Retry-After is honoured as seconds and as an HTTP-date; malformed values are ignored", async () => {
  const client = make();
  const pr = await client.getPaymentRequest((await client.createPaymentRequest(order("ra"))).id);
  const timed = async (retry_after) => {
    await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "status", status: 429, retry_after });
    const t0 = performance.now();
    await client.getPaymentRequest(pr.id);
    return since(t0);
  };
  assert.ok((await timed("1")) >= 950);
  assert.ok((await timed(new Date(Date.now() + 2000).toUTCString())) >= 950);
  assert.ok((await timed("-3")) < 900, "a malformed value falls back to the short back-off");
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "status", status: 429, retry_after: "3600" });
  const err = await client.getPaymentRequest(pr.id).catch((e) => e);
  assert.ok(err instanceof RateLimitError);
  assert.equal(err.retryAfter, 3600, "a wait above the cap ends retrying and is reported");
});

test("a 401 mid-run is replayed with a new token; tokens are refreshed before they expire", async () => {
  const short = await startSandbox(["--rate-limit", "0", "--token-ttl", "2"]);
  const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: short.url, rateLimit: 0 });
  const pr = await client.createPaymentRequest(order("ttl"));
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await client.getPaymentRequest(pr.id)).id, pr.id);
  }
  const c = await short.counters();
  assert.ok(c.tokens_issued >= 2, "a 2 s token was replaced while calls went on");
  await short.control("POST", "/_sandbox/tokens/expire");
  assert.equal((await client.getPaymentRequest(pr.id)).id, pr.id);
  short.stop();
});

test("timeouts: per attempt, and across retries", async () => {
  const client = make({ timeoutMs: 300 });
  const pr = await client.createPaymentRequest(order("slow"));
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "delay", delay_ms: 2000 });
  let t0 = performance.now();
  const one = await client.getPaymentRequest(pr.id, { maxRetries: 0 }).catch((e) => e);
  assert.ok(one instanceof TimeoutError, String(one));
  assert.equal(one.code, "timeout");
  assert.ok(since(t0) < 1500, `${since(t0)} ms`);
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 5, kind: "delay", delay_ms: 2000 });
  t0 = performance.now();
  const total = await client.getPaymentRequest(pr.id, { totalTimeoutMs: 500, maxRetries: 5 }).catch((e) => e);
  assert.ok(total instanceof TimeoutError, String(total));
  assert.ok(since(t0) < 1500, `${since(t0)} ms`);
  await sandbox.control("DELETE", "/_sandbox/faults");
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "delay", delay_ms: 400 });
  assert.equal((await client.getPaymentRequest(pr.id)).id, pr.id, "a slow first attempt is retried");
});

test("aborts at each stage stop at once and nothing is sent after them", async () => {
  const client = make();
  const pr = await client.createPaymentRequest(order("abort"));
  // API requests the sandbox saw (its control endpoints left out).
  const requests = async () =>
    Object.entries((await sandbox.counters()).requests).filter(([k]) => !k.includes("_sandbox")).reduce((a, [, n]) => a + n, 0);

  // Already aborted: nothing is sent.
  let before = await requests();
  let err = await client.getPaymentRequest(pr.id, { signal: AbortSignal.abort("stop") }).catch((e) => e);
  assert.ok(err instanceof AbortError && err.code === "aborted" && err.cause === "stop");
  assert.equal((await requests()) - before, 0, "nothing was sent");

  // Sleeping between retries.
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "status", status: 503, retry_after: "5" });
  before = await requests();
  let t0 = performance.now();
  err = await client.getPaymentRequest(pr.id, { signal: AbortSignal.timeout(300) }).catch((e) => e);
  assert.ok(err instanceof AbortError && since(t0) < 1500);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await requests()) - before, 1, "one attempt, no retry after the abort");

  // Queued in the rate limiter.
  const paced = make({ rateLimit: 1, clientId: CLIENT_ID });
  await paced.getPaymentRequest(pr.id); // token + one call: the window is full for a second
  before = await requests();
  const controller = new AbortController();
  const queued = paced.getPaymentRequest(pr.id, { signal: controller.signal }).catch((e) => e);
  setTimeout(() => controller.abort(), 100);
  assert.ok((await queued) instanceof AbortError);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await requests()) - before, 0, "the queued call never went out");
  // Its 1/s would otherwise be the limit of every client of this clientId and sandbox from here on.
  paced.free();

  // In flight (last: the server finishes the delayed request after we stop counting).
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "delay", delay_ms: 3000 });
  t0 = performance.now();
  err = await client.getPaymentRequest(pr.id, { signal: AbortSignal.timeout(200) }).catch((e) => e);
  assert.ok(err instanceof AbortError, String(err));
  assert.ok(since(t0) < 1500);

  // Waiting for the token.
  await sandbox.fault({ path: "/oauth/token", count: 1, kind: "delay", delay_ms: 3000 });
  err = await make().createPaymentRequest(order("abort-token"), { signal: AbortSignal.timeout(200) }).catch((e) => e);
  assert.ok(err instanceof AbortError);
});

test("waitForPayment resolves at a terminal status, or times out", async () => {
  const client = make();
  const pr = await client.createPaymentRequest(order("wait"));
  setTimeout(() => payThroughCheckout(pr.checkoutUrl), 1200);
  const t0 = performance.now();
  const paid = await client.waitForPayment(pr.id, { timeoutMs: 20_000 });
  assert.equal(paid.status, "paid");
  assert.ok(since(t0) >= 1000);
  const other = await client.createPaymentRequest(order("wait-2"));
  const err = await client.waitForPayment(other.id, { timeoutMs: 1500 }).catch((e) => e);
  assert.ok(err instanceof TimeoutError, String(err));
  const aborted = await client.waitForPayment(other.id, { signal: AbortSignal.timeout(300) }).catch((e) => e);
  assert.ok(aborted instanceof AbortError, String(aborted));
});

test("hooks see method, path, attempt, status, duration and request id, never credentials", async () => {
  const events = [];
  const client = make({ onRequest: (e) => events.push(["request", e]), onResponse: (e) => events.push(["response", e]) });
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "status", status: 500 });
  await client.createPaymentRequest(order("hooks"));
  const responses = events.filter(([k]) => k === "response").map(([, e]) => e);
  assert.deepEqual(responses.map((e) => [e.method, e.path, e.attempt, e.status]), [
    ["POST", "/oauth/token", 1, 200],
    ["POST", "/payment/request", 1, 500],
    ["POST", "/payment/request", 2, 201],
  ]);
  assert.ok(responses.every((e) => typeof e.durationMs === "number" && e.durationMs >= 0 && /^req_/.test(e.requestId)));
  // Exactly these keys, in this order.
  assert.deepEqual(
    events.map(([k, e]) => [k, Object.keys(e).join()]),
    events.map(([k]) => [k, k === "request" ? "method,path,attempt" : "method,path,attempt,status,durationMs,requestId"]),
  );
  assert.deepEqual(
    events.filter(([k]) => k === "request").map(([, e]) => e),
    [
      { method: "POST", path: "/oauth/token", attempt: 1 },
      { method: "POST", path: "/payment/request", attempt: 1 },
      { method: "POST", path: "/payment/request", attempt: 2 },
    ],
  );
  const text = JSON.stringify(events);
  assert.ok(!text.includes(CLIENT_SECRET) && !/Bearer|Basic|amount/.test(text), text);
  // No response: status and requestId are null.
  events.length = 0;
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "reset_before" });
  await client.createPaymentRequest(order("hooks-reset"));
  const [lost, retried] = events.filter(([k]) => k === "response").map(([, e]) => e);
  assert.deepEqual({ ...lost, durationMs: 0 }, { method: "POST", path: "/payment/request", attempt: 1, status: null, durationMs: 0, requestId: null });
  assert.equal(retried.status, 201);
  // A throwing hook does not fail the payment.
  const noisy = make({ onRequest: () => { throw new Error("logger down"); } });
  assert.equal((await noisy.createPaymentRequest(order("noisy"))).status, "pending");
});

test("hooks run after the call has returned, and a hook may start calls of the same client", async () => {
  const nested = [];
  let returned = true;
  let sawReturned = true;
  const client = make({
    onRequest(e) {
      sawReturned &&= returned;
      // Calls from inside a hook: they run too, after this one, without recursing into it.
      if (e.path === "/payment/request" && nested.length < 3) nested.push(client.createPaymentRequest(order(`nested-${nested.length}`)));
    },
  });
  await client.getPaymentRequest((await make().createPaymentRequest(order("warm"))).id); // the token is cached
  returned = false;
  const call = client.createPaymentRequest(order("outer"));
  returned = true;
  assert.equal((await call).referenceId, "outer");
  const done = await Promise.all(nested);
  assert.deepEqual(done.map((pr) => pr.referenceId).sort(), ["nested-0", "nested-1", "nested-2"]);
  assert.ok(sawReturned, "no hook ran before createPaymentRequest returned its promise");
});

test("the instance still works after 10,000 bad inputs", async () => {
  const client = make();
  const bad = [NaN, -0, 1.5, "x", null, {}, [], () => 1, Symbol("s"), 2n ** 64n, -1n, Infinity, { toString() { throw 1; } }];
  for (let i = 0; i < 10_000; i++) {
    const value = bad[i % bad.length];
    const input = i % 3 === 0 ? value : { amount: value, currency: value, redirectUrl: value, referenceId: value, [String(i)]: value };
    const r = validatePaymentRequest(input);
    assert.equal(r.ok, false);
    if (i % 500 === 0) assert.ok((await client.getPaymentRequest(value).catch((e) => e)) instanceof PayreqError);
  }
  assert.equal((await client.createPaymentRequest(order("after-bad"))).status, "pending");
});

test("a 5xx that persists ends as ServerError with the key to retry with", async () => {
  const client = make();
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 3, kind: "status", status: 503 });
  const err = await client.createPaymentRequest(order("persist"), { idempotencyKey: "persist-1" }).catch((e) => e);
  assert.ok(err instanceof ServerError && err.outcomeUnknown && err.idempotencyKey === "persist-1", err.message);
  assert.match(err.message, /Retry later with idempotencyKey "persist-1"/);
  const pr = await client.createPaymentRequest(order("persist"), { idempotencyKey: "persist-1" });
  assert.equal(pr.referenceId, "persist");
});

test("a shared rate limiter (e.g. a Durable Object) replaces the in-isolate one", async () => {
  const calls = [];
  const store = {
    // Async, like a store a fetch away; every send waits 300 ms for its slot.
    async reserve(key, nowMs) {
      calls.push(["reserve", key]);
      return nowMs + 300;
    },
    release(key, atMs) {
      calls.push(["release", key]);
    },
  };
  const client = make({ rateLimiter: store });
  const t0 = performance.now();
  const pr = await client.createPaymentRequest(order("shared-limiter"));
  assert.ok(since(t0) >= 550, "token and create each waited for their slot");
  assert.deepEqual(calls, [["reserve", CLIENT_ID], ["reserve", CLIENT_ID]]);
  // Aborted while waiting: the slot goes back to the store.
  const err = await client.getPaymentRequest(pr.id, { signal: AbortSignal.timeout(100) }).catch((e) => e);
  assert.ok(err instanceof AbortError);
  assert.deepEqual(calls.slice(2), [["reserve", CLIENT_ID], ["release", CLIENT_ID]]);
  // A broken store fails the call with a typed error, not a crash.
  const broken = make({ rateLimiter: { reserve: () => "soon", release() {} } });
  const bad = await broken.getPaymentRequest(pr.id).catch((e) => e);
  assert.ok(bad instanceof PayreqError && /rateLimiter\.reserve/.test(bad.message), bad.message);
  // A store that throws: its message (longer than the first buffer, not ASCII) and its cause's code.
  const why = `the Durable Object is unreachable: ${"é".repeat(40)} (retry later)`;
  const down = make({ rateLimiter: { reserve: async () => Promise.reject(new Error(why, { cause: { code: "E_DOWN" } })) } });
  const failed = await down.getPaymentRequest(pr.id).catch((e) => e);
  assert.ok(failed instanceof PayreqError && failed.code === "network_error", String(failed));
  assert.ok(failed.message.includes(`the rate limiter failed: ${why} (E_DOWN)`), failed.message);
  const quiet = make({ rateLimiter: { reserve: () => Promise.reject(42) } });
  assert.match((await quiet.getPaymentRequest(pr.id).catch((e) => e)).message, /the rate limiter failed: rateLimiter.reserve threw/);
  assert.throws(() => make({ rateLimiter: 5 }), /rateLimiter must be an object/);
});

test("without a working crypto.getRandomValues, idempotency keys still differ", async () => {
  const real = Object.getOwnPropertyDescriptor(globalThis.crypto, "getRandomValues");
  let calls = 0;
  const client = make();
  const ids = new Set();
  Object.defineProperty(globalThis.crypto, "getRandomValues", {
    value: () => {
      calls++;
      throw new Error("no Web Crypto here");
    },
    configurable: true,
  });
  try {
    // 16 bytes a key from a pool of 256: at least one refill.
    for (let i = 0; i < 20; i++) ids.add((await client.createPaymentRequest(order(`no-crypto-${i}`))).id);
  } finally {
    if (real) Object.defineProperty(globalThis.crypto, "getRandomValues", real);
    else delete globalThis.crypto.getRandomValues;
  }
  assert.ok(calls >= 1, "the refill asked crypto first");
  assert.equal(ids.size, 20, "twenty keys, twenty payment requests");
});

test("a wall clock stepped back an hour (a fake clock undone) does not hold the next calls back", async () => {
  // rateLimit 4: the window of this clientId and sandbox, which the clients with a rate before it shared and freed.
  const client = make({ rateLimit: 4, totalTimeoutMs: 10_000 });
  const realNow = Date.now;
  Date.now = () => realNow() + 3_600_000;
  try {
    for (let i = 0; i < 5; i++) await client.createPaymentRequest(order(`clock-ahead-${i}`));
  } finally {
    Date.now = realNow;
  }
  // Six sends (the token and five creates) an hour "ahead": without the limiter's own clock
  // the next sends would wait for that hour (here: a TimeoutError after 10 s).
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await client.createPaymentRequest(order(`clock-back-${i}`));
  assert.ok(since(t0) < 3_000, `five creates after the step took ${Math.round(since(t0))} ms`);
});
