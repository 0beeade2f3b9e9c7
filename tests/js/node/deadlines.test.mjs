// Every deadline holds at every wait (issue 16, item 2): a call's
// totalTimeoutMs, waitForPayment's timeoutMs and the caller's signal end the
// call on time while it waits for the token another call is fetching (here
// from a token endpoint the sandbox delays by 3 s), and while it is queued in
// the rate limiter, whose slot it then gives back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, AbortError, TimeoutError } from "payreq";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const sandbox = await startSandbox(["--rate-limit", "0"]);
const make = (options = {}) =>
  new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0, ...options });
const order = (ref) => ({ amount: 1250, currency: "EUR", redirectUrl: "https://shop.example/r", referenceId: ref });
const since = (t0) => performance.now() - t0;
const seed = await make().createPaymentRequest(order("seed"));

/**
 * A fresh client whose first call fetches the token from an endpoint that
 * answers after 3 s; `waiter(client)` is started once that fetch is under way.
 * Resolves to what the waiter settled with and after how long.
 */
async function whileAnotherCallFetchesTheToken(waiter) {
  await sandbox.fault({ path: "/oauth/token", count: 1, kind: "delay", delay_ms: 3000 });
  const client = make();
  const fetcher = client.getPaymentRequest(seed.id);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  const settled = await waiter(client).then((value) => ({ value }), (error) => ({ error }));
  const ms = since(t0);
  // The fetch itself is not cut short by the waiter's deadline.
  assert.equal((await fetcher).id, seed.id);
  return { ...settled, ms };
}

// Upper bounds sit below what the bug took (the 3 s token delay, the 1 s
// slot, a hang), not at the expected time, so a loaded machine does not fail them.
test("totalTimeoutMs holds while the call waits for another call's token", async () => {
  const { error, ms } = await whileAnotherCallFetchesTheToken((client) =>
    client.createPaymentRequest(order("total"), { totalTimeoutMs: 500 }));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(error.message, /within 500 ms/);
  assert.ok(ms >= 450 && ms < 2_000, `rejected after ${ms.toFixed(0)} ms`);
});

test("waitForPayment's timeoutMs holds while it waits for another call's token", async () => {
  const { error, ms } = await whileAnotherCallFetchesTheToken((client) =>
    client.waitForPayment(seed.id, { timeoutMs: 1000 }));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(error.message, /within 1000 ms/);
  assert.ok(ms >= 950 && ms < 2_000, `rejected after ${ms.toFixed(0)} ms`);
});

test("an AbortSignal fired while waiting for another call's token rejects at once", async () => {
  const { error, ms } = await whileAnotherCallFetchesTheToken((client) =>
    client.getPaymentRequest(seed.id, { signal: AbortSignal.timeout(200) }));
  assert.ok(error instanceof AbortError, String(error));
  assert.ok(ms < 2_000, `rejected after ${ms.toFixed(0)} ms`);
});

test("a waiter without a deadline of its own goes on with the token once it arrives", async () => {
  const { value, ms } = await whileAnotherCallFetchesTheToken((client) => client.getPaymentRequest(seed.id));
  assert.equal(value?.id, seed.id);
  assert.ok(ms >= 2500 && ms < 4000, `resolved after ${ms.toFixed(0)} ms`);
});

test("a call queued in the rate limiter rejects at its deadline and gives its slot back", async () => {
  const paced = make({ rateLimit: 1 });
  const t0 = performance.now();
  // The token (at 0 s) and one call (at 1 s): the next slot is a second later.
  await paced.getPaymentRequest(seed.id);
  const t1 = performance.now();
  const err = await paced.getPaymentRequest(seed.id, { totalTimeoutMs: 300 }).catch((e) => e);
  assert.ok(err instanceof TimeoutError, String(err));
  assert.ok(since(t1) < 800, `rejected after ${since(t1).toFixed(0)} ms`);
  // The next call takes the slot the timed-out one gave back (at 2 s), not
  // the one after it (3 s).
  await paced.getPaymentRequest(seed.id);
  const ms = since(t0);
  assert.ok(ms > 1900 && ms < 2_900, `the next call was served after ${ms.toFixed(0)} ms`);
  paced.free(); // its 1/s would stay the limit of this clientId and sandbox
});

test("a shared rateLimiter that never answers: the deadline, the attempt's limit and the signal hold, and a late slot is given back", async () => {
  let answer; // resolves the pending reserve, late
  const released = [];
  const store = {
    reserve: () => new Promise((resolve) => (answer = resolve)),
    release: (key, at) => released.push([key, at]),
  };
  // totalTimeoutMs: a TimeoutError at it.
  let t0 = performance.now();
  let err = await make({ rateLimiter: store }).getPaymentRequest(seed.id, { totalTimeoutMs: 300 }).catch((e) => e);
  assert.ok(err instanceof TimeoutError, String(err));
  assert.ok(since(t0) < 2_000, `rejected after ${since(t0).toFixed(0)} ms`);
  // The store answers after all: that slot is given back, not kept.
  answer(Date.now());
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(released.map(([key]) => key), [CLIENT_ID]);
  // Without a total deadline, the attempt's timeoutMs bounds the wait: a NetworkError that says so.
  t0 = performance.now();
  err = await make({ rateLimiter: store, timeoutMs: 300 }).getPaymentRequest(seed.id).catch((e) => e);
  assert.equal(err.code, "network_error");
  assert.match(err.message, /rateLimiter\.reserve did not answer within 300 ms/);
  assert.ok(since(t0) < 2_000, `rejected after ${since(t0).toFixed(0)} ms`);
  // The signal: an AbortError with its reason, at once.
  const reason = new Error("changed my mind");
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 100);
  t0 = performance.now();
  err = await make({ rateLimiter: store }).getPaymentRequest(seed.id, { signal: controller.signal }).catch((e) => e);
  assert.ok(err instanceof AbortError, String(err));
  assert.equal(err.cause, reason);
  assert.ok(since(t0) < 2_000, `rejected after ${since(t0).toFixed(0)} ms`);
});

test("a shared rateLimiter whose release rejects never causes an unhandled rejection", async () => {
  let answer;
  const store = {
    reserve: () => new Promise((resolve) => (answer = resolve)),
    release: () => {
      releases++;
      return Promise.reject(new Error("store down"));
    },
  };
  let releases = 0;
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    await make({ rateLimiter: store }).getPaymentRequest(seed.id, { totalTimeoutMs: 100 }).catch(() => {});
    answer(Date.now());
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  assert.equal(releases, 1, "the late slot was given back (and that release rejected)");
  assert.deepEqual(unhandled, []);
});
