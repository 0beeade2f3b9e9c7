// The client against payreq-sandbox over real HTTP: the happy path, every
// documented error status, and unreadable or missing responses.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PaymentClient, PayreqError, ApiError, AuthenticationError, InvalidRequestError, NotFoundError,
  RateLimitError, ServerError, DecodeError, NetworkError,
} from "payreq";
import { startSandbox, payThroughCheckout, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const sandbox = await startSandbox(["--rate-limit", "1000"]);
const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
const order = { amount: 1999, currency: "usd", redirectUrl: "https://shop.example/return?cart=7", referenceId: "order-42" };
const rejection = (promise) => promise.then((v) => assert.fail(`resolved with ${JSON.stringify(v)}`), (e) => e);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("create, read back, pay through the checkout page, see paid", async () => {
  const pr = await client.createPaymentRequest(order);
  assert.match(pr.id, UUID);
  assert.equal(pr.status, "pending");
  assert.equal(pr.amount, 1999);
  assert.equal(pr.currency, "USD");
  assert.equal(pr.redirectUrl, "https://shop.example/return?cart=7");
  assert.equal(pr.referenceId, "order-42");
  assert.equal(pr.checkoutUrl, `${sandbox.url}/checkout/${pr.id}`);
  assert.ok(Date.parse(pr.expiresAt) > Date.parse(pr.createdAt));
  assert.equal(pr.raw.redirect_url, pr.redirectUrl, "raw keeps the wire body");

  const same = await client.getPaymentRequest(pr.id.toUpperCase());
  assert.deepEqual(same, pr);

  const { status, location } = await payThroughCheckout(pr.checkoutUrl);
  assert.equal(status, 303);
  const back = new URL(location);
  assert.equal(back.origin + back.pathname, "https://shop.example/return");
  assert.equal(back.searchParams.get("cart"), "7");
  assert.equal(back.searchParams.get("payment_request_id"), pr.id);
  assert.equal((await client.getPaymentRequest(pr.id)).status, "paid");
});

test("one token serves many calls; an expired token is replaced transparently", async () => {
  const before = await sandbox.counters();
  const pr = await client.createPaymentRequest(order);
  await client.getPaymentRequest(pr.id);
  await client.getPaymentRequest(pr.id);
  const mid = await sandbox.counters();
  assert.equal(mid.tokens_issued, before.tokens_issued, "the cached token was reused");
  await sandbox.control("POST", "/_sandbox/tokens/expire");
  assert.equal((await client.getPaymentRequest(pr.id)).id, pr.id);
  const after = await sandbox.counters();
  assert.equal(after.tokens_issued, mid.tokens_issued + 1, "exactly one new token after the 401");
});

test("the token cache reads Date.now at each call, so fake timers can expire a token", async () => {
  // Its own client without a limiter: the limiter's log would hold a send two hours ahead of
  // the restored clock (a backward step of the clock delays the next sends by the step).
  const own = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0 });
  const pr = await own.createPaymentRequest(order);
  const before = await sandbox.counters();
  const realNow = Date.now;
  Date.now = () => realNow() + 2 * 3600 * 1000; // two hours on: past any token's expires_in
  try {
    assert.equal((await own.getPaymentRequest(pr.id)).id, pr.id);
  } finally {
    Date.now = realNow;
  }
  const after = await sandbox.counters();
  assert.equal(after.tokens_issued, before.tokens_issued + 1, "a new token, asked for before any 401");
});

test("the amount is sent as given, in the smallest unit, including bigints", async () => {
  const big = await client.createPaymentRequest({ ...order, amount: 2n ** 62n, referenceId: undefined });
  assert.equal(big.amount, 2n ** 62n);
  assert.equal(big.referenceId, null);
  const yen = await client.createPaymentRequest({ ...order, amount: 500, currency: "JPY" });
  assert.equal(yen.amount, 500);
});

function assertTyped(err, Class, { code, status, retryable }) {
  assert.ok(err instanceof Class, `${err?.name}: ${err?.message}`);
  assert.ok(err instanceof PayreqError && err instanceof Error);
  assert.equal(err.name, Class.name);
  assert.equal(err.code, code);
  assert.equal(err.status, status);
  assert.equal(err.retryable, retryable);
  assert.equal(typeof err.hint, "string");
  assert.ok(err.hint.length > 10);
  assert.ok(typeof err.stack === "string");
}

test("403: wrong credentials are an AuthenticationError, not retried", async () => {
  const before = await sandbox.counters();
  const wrong = new PaymentClient({ clientId: CLIENT_ID, clientSecret: "not-the-secret", baseUrl: sandbox.url });
  const err = await rejection(wrong.createPaymentRequest(order));
  assertTyped(err, AuthenticationError, { code: "forbidden", status: 403, retryable: false });
  assert.match(err.requestId, /^req_/);
  assert.match(err.hint, /clientId\/clientSecret/);
  const after = await sandbox.counters();
  assert.equal(after.requests["POST /oauth/token"] - before.requests["POST /oauth/token"], 1);
  assert.equal(after.requests["POST /payment/request"] ?? 0, before.requests["POST /payment/request"] ?? 0);
});

test("404: an unknown id is a NotFoundError with the environment hint", async () => {
  const err = await rejection(client.getPaymentRequest("3F2504E0-4F89-41D3-9A0C-0305E82C3301"));
  assertTyped(err, NotFoundError, { code: "not_found", status: 404, retryable: false });
  assert.match(err.hint, /baseUrl is the environment/);
  assert.match(err.message, /GET \/payment\/request\/\{id\} failed with HTTP 404/);
});

test("422: a valid ISO code the server does not support is an InvalidRequestError", async () => {
  const err = await rejection(client.createPaymentRequest({ ...order, currency: "XCG" }));
  assertTyped(err, InvalidRequestError, { code: "unprocessable", status: 422, retryable: false });
  assert.equal(err.field, "currency");
  assert.equal(err.serverCode, "unsupported_currency");
});

const injected = [
  [400, InvalidRequestError, "bad_request", false],
  [429, RateLimitError, "rate_limited", true],
  [500, ServerError, "server_error", true],
];
for (const [status, Class, code, retryable] of injected) {
  test(`${status} from the API maps to ${Class.name}`, async () => {
    await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "status", status, retry_after: "7" });
    const err = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
    assertTyped(err, Class, { code, status, retryable });
    assert.match(err.requestId, /^req_/);
    assert.ok(err instanceof ApiError);
    if (status === 429) assert.equal(err.retryAfter, 7);
    // Only a 5xx leaves the outcome of a create unknown; it carries the key to retry with.
    assert.equal(err.outcomeUnknown, status === 500);
    if (status === 500) assert.match(err.idempotencyKey, UUID);
  });
}

test("401 twice in a row is an AuthenticationError, not a loop", async () => {
  const pr = await client.createPaymentRequest(order);
  await sandbox.fault({ path: `/payment/request/*`, method: "GET", count: 2, kind: "status", status: 401 });
  const err = await rejection(client.getPaymentRequest(pr.id));
  assertTyped(err, AuthenticationError, { code: "unauthorized", status: 401, retryable: false });
  assert.equal(err.outcomeUnknown, false);
  assert.equal((await client.getPaymentRequest(pr.id)).id, pr.id, "the next call works");
});

test("a non-JSON or truncated response is a DecodeError", async () => {
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "non_json" });
  const html = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  // A create that got no readable answer may have happened: retryable with its key.
  assertTyped(html, DecodeError, { code: "decode_error", status: 200, retryable: true });
  assert.equal(html.outcomeUnknown, true);
  assert.match(html.message, /not JSON/);
  const pr = await client.createPaymentRequest(order);
  await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "non_json" });
  const read = await rejection(client.getPaymentRequest(pr.id));
  assertTyped(read, DecodeError, { code: "decode_error", status: 200, retryable: false });
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "truncated" });
  const cut = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  assert.ok(cut instanceof DecodeError, cut.message);
  assert.equal(cut.status, 201);
});

test("a reset connection or a closed port is a NetworkError with its cause", async () => {
  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "reset_before" });
  const reset = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  assertTyped(reset, NetworkError, { code: "network_error", status: null, retryable: true });
  assert.ok(reset.cause instanceof Error, "the platform's error is the cause");

  const closed = await startClosedPort();
  const nowhere = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: `http://127.0.0.1:${closed}` });
  const refused = await rejection(nowhere.createPaymentRequest(order, { maxRetries: 0 }));
  assertTyped(refused, NetworkError, { code: "network_error", status: null, retryable: true });
  assert.match(refused.message, /ECONNREFUSED/);
});

/** A loopback port with nothing listening: bind a free one, then close it. */
async function startClosedPort() {
  const net = await import("node:net");
  const server = net.createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

test("each kind of error has exactly its own properties, in a fixed order", async () => {
  const own = (e) => Object.fromEntries(Object.keys(e).map((k) => [k, e[k]]));
  const keys = (e) => Object.keys(e).join();
  const base = "code,status,requestId,retryable,hint,outcomeUnknown";

  let invalid;
  try {
    new PaymentClient({ clientId: "", clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, bogus: 1 });
  } catch (e) {
    invalid = e;
  }
  assert.equal(keys(invalid), `${base},errors,field`);
  assert.deepEqual(own(invalid), {
    code: "validation_failed", status: null, requestId: null, retryable: false, hint: invalid.hint,
    outcomeUnknown: false, errors: invalid.errors, field: "bogus",
  });
  assert.deepEqual(invalid.errors.map((e) => [e.field, e.code]), [["bogus", "unknown_field"], ["clientId", "client_id_invalid"]]);
  assert.equal("cause" in invalid, false);

  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "status", status: 429, retry_after: "7" });
  const limited = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  assert.equal(keys(limited), `${base},field,serverCode,retryAfter`);
  assert.deepEqual(own(limited), {
    code: "rate_limited", status: 429, requestId: limited.requestId, retryable: true, hint: limited.hint,
    outcomeUnknown: false, field: null, serverCode: limited.serverCode, retryAfter: 7,
  });
  assert.match(limited.requestId, /^req_/);

  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "status", status: 500 });
  const unknown = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  assert.equal(keys(unknown), `${base},idempotencyKey,field,serverCode`);
  assert.equal(unknown.outcomeUnknown, true);
  assert.match(unknown.idempotencyKey, UUID);
  assert.equal(unknown.status, 500);

  await sandbox.fault({ path: "/payment/request", method: "POST", count: 1, kind: "reset_before" });
  const reset = await rejection(client.createPaymentRequest(order, { maxRetries: 0 }));
  // The outcome of a create whose connection broke is unknown too; its cause is the platform's error.
  assert.equal(keys(reset), `${base},idempotencyKey`);
  assert.ok(reset.cause instanceof Error);
  assert.equal(reset.status, null);
  assert.equal(reset.requestId, null);
});
