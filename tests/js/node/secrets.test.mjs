// The client secret and tokens never appear in errors, stacks or logs, and
// credentials with reserved characters are encoded per RFC 6749 §2.3.1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { PaymentClient } from "payreq";
import { startSandbox } from "../support/sandbox.mjs";

// A secret that must never be printed. scripts/test-js.sh also fails the run
// if this prefix appears anywhere in the test output.
const TRIPWIRE = ["tripwire", "s3:cr%t+ü"].join("-");
const ID = "merchant:1 ü";

const sandbox = await startSandbox(["--client-id", ID, "--client-secret", TRIPWIRE, "--rate-limit", "1000"]);
const order = { amount: 100, currency: "EUR", redirectUrl: "https://shop.example/return" };

/** Everything a developer could see of an error. */
function everything(err) {
  return [err.message, err.stack, inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err), String(err.cause?.stack)].join("\n");
}

test("credentials with ':', '%', '+' and non-ASCII work (form-urlencoded before base64)", async () => {
  const client = new PaymentClient({ clientId: ID, clientSecret: TRIPWIRE, baseUrl: sandbox.url });
  const pr = await client.createPaymentRequest(order);
  assert.equal(pr.status, "pending");
});

test("the secret and tokens appear in no error, stack or log", async () => {
  const logged = [];
  const original = { ...console };
  for (const level of ["log", "info", "warn", "error", "debug"]) console[level] = (...args) => logged.push(args.map(String).join(" "));
  const errors = [];
  try {
    const client = new PaymentClient({ clientId: ID, clientSecret: TRIPWIRE, baseUrl: sandbox.url, maxRetries: 0 });
    const wrong = new PaymentClient({ clientId: ID, clientSecret: TRIPWIRE + "x", baseUrl: sandbox.url });
    errors.push(await wrong.createPaymentRequest(order).catch((e) => e));
    for (const kind of ["non_json", "truncated", "reset_before"]) {
      await sandbox.fault({ path: "/oauth/token", count: 1, kind });
      const fresh = new PaymentClient({ clientId: ID, clientSecret: TRIPWIRE, baseUrl: sandbox.url, maxRetries: 0 });
      errors.push(await fresh.createPaymentRequest(order).catch((e) => e));
    }
    for (const status of [400, 401, 500, 429]) {
      await sandbox.fault({ path: "/payment/request", count: status === 401 ? 2 : 1, kind: "status", status });
      errors.push(await client.createPaymentRequest(order).catch((e) => e));
    }
    try {
      new PaymentClient({ clientId: ID, clientSecret: TRIPWIRE, baseUrl: "http://example.com" });
    } catch (e) {
      errors.push(e);
    }
    errors.push(await client.createPaymentRequest({ ...order, amount: -1 }).catch((e) => e));
  } finally {
    Object.assign(console, original);
  }
  assert.equal(errors.length, 10);
  for (const err of errors) {
    assert.ok(err instanceof Error, String(err));
    const text = everything(err);
    assert.ok(!text.includes(TRIPWIRE), `secret leaked in ${err.name}`);
    assert.ok(!/Basic [A-Za-z0-9+/=]{8,}/.test(text), `Basic header leaked in ${err.name}`);
    assert.ok(!/Bearer [A-Za-z0-9._~+/-]{8,}/.test(text), `token leaked in ${err.name}`);
  }
  assert.deepEqual(logged, [], "the SDK logs nothing");
});
