// Recovery after a trap: the instance that trapped is never called again; the
// next call runs on a fresh instance of the kept Module (js/core.js).
//
// Our Rust never panics on input, so the trap is injected: before the package
// loads, WebAssembly.Instance is wrapped so that one chosen export of payreq's
// instance can be made to run a real `unreachable` instruction (a tiny module
// compiled here) instead of its body, once. What reaches the glue and core.js is
// a genuine WebAssembly.RuntimeError thrown out of an export, as a trap would be.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

// (module (func (export "trap") unreachable))
const TRAP = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
]))).exports.trap;

const RealInstance = WebAssembly.Instance;
const instances = []; // every instance of payreq's module, in order
const traps = new Map(); // export name -> how many of its next calls trap
// When set, the next call the wasm makes to one of its imports throws a
// WebAssembly.RuntimeError through the wasm, as a trap in that call would.
let importTraps = false;
WebAssembly.Instance = function Instance(module, imports) {
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "paymentclient_begin")) {
    return new RealInstance(module, imports);
  }
  const wrapped = {};
  for (const [space, members] of Object.entries(imports)) {
    wrapped[space] = {};
    for (const [name, value] of Object.entries(members)) {
      wrapped[space][name] =
        typeof value !== "function"
          ? value
          : function (...args) {
              if (importTraps) {
                importTraps = false;
                throw new WebAssembly.RuntimeError("injected: a trap in the middle of a step");
              }
              return value.apply(this, args);
            };
    }
  }
  const real = new RealInstance(module, wrapped);
  instances.push(real);
  const exports = { ...real.exports };
  for (const [name, value] of Object.entries(real.exports)) {
    if (typeof value !== "function") continue;
    exports[name] = (...args) => {
      const left = traps.get(name) ?? 0;
      if (left > 0) {
        traps.set(name, left - 1);
        TRAP();
      }
      return value(...args);
    };
  }
  return { exports };
};

const payreq = await import("payreq");
const sandbox = await startSandbox();
after(() => sandbox.stop());

const order = { amount: 1999, currency: "EUR", redirectUrl: "https://shop.example/return" };

test("the trap is a real WebAssembly.RuntimeError", () => {
  assert.throws(() => TRAP(), WebAssembly.RuntimeError);
});

test("a trap in validatePaymentRequest: the call is retried once on a fresh instance", () => {
  assert.equal(payreq.validatePaymentRequest(order).ok, true);
  const before = instances.length;
  traps.set("validatePaymentRequest", 1);
  const result = payreq.validatePaymentRequest({ ...order, amount: -5 });
  assert.equal(result.ok, false);
  assert.equal(result.errors[0].code, "amount_negative");
  assert.equal(instances.length, before + 1, "one new instance");
});

/** A typed error of payreq's own failure: never the bare RuntimeError, which is its cause. */
function internal(e, outcomeUnknown = false) {
  assert.ok(e instanceof payreq.PayreqError, `a PayreqError, not ${e?.constructor?.name}: ${e?.message}`);
  assert.equal(e.code, "internal_error");
  assert.equal(e.retryable, true);
  assert.equal(e.outcomeUnknown, outcomeUnknown);
  assert.ok(e.cause instanceof WebAssembly.RuntimeError, "the trap is the cause");
  return true;
}

test("two traps in a row: the call throws a typed internal_error with the trap as cause, and the next call works", () => {
  const before = instances.length;
  traps.set("validatePaymentRequest", 2);
  assert.throws(() => payreq.validatePaymentRequest(order), (e) => internal(e));
  assert.equal(payreq.validatePaymentRequest(order).ok, true);
  assert.equal(instances.length, before + 2, "a fresh instance for the retry, and another after it trapped too");
});

test("a client made before a trap keeps working afterwards, against the sandbox", async () => {
  const client = new payreq.PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
  const first = await client.createPaymentRequest(order);
  const before = instances.length;
  traps.set("paymentclient_begin", 1);
  const read = await client.getPaymentRequest(first.id);
  assert.equal(read.id, first.id);
  assert.equal(read.status, "pending");
  assert.equal(instances.length, before + 1);
  // The rebuilt client still authenticates and creates.
  const second = await client.createPaymentRequest({ ...order, amount: 2500 });
  assert.equal(second.amount, 2500);
  assert.notEqual(second.id, first.id);
});

test("a trap while constructing a client is recovered like any other call", () => {
  const before = instances.length;
  traps.set("paymentclient_new", 1);
  const client = new payreq.PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
  assert.equal(instances.length, before + 1);
  assert.ok(client instanceof payreq.PaymentClient);
  // Bad options still throw the typed error, not a trap.
  assert.throws(() => new payreq.PaymentClient({ clientId: CLIENT_ID }), payreq.ValidationError);
});

test("a trap in the middle of a create, after its request was sent: outcomeUnknown with its idempotency key, and the calls in flight on that instance reject typed; the next call runs on a fresh one", async () => {
  const client = new payreq.PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
  const first = await client.createPaymentRequest(order); // the token is cached now
  // In flight: polling, in its first 1 s pause when the trap comes.
  const waiting = client.waitForPayment(first.id, { timeoutMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const created = (await sandbox.counters()).payment_requests_created;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => {
    globalThis.fetch = realFetch;
    importTraps = true; // the step after the response traps
    return realFetch(...args);
  };
  const before = instances.length;
  let lost;
  await assert.rejects(client.createPaymentRequest(order), (e) => internal((lost = e), true));
  assert.match(lost.idempotencyKey, /^[0-9a-f-]{36}$/);
  assert.match(lost.message, /idempotencyKey/);
  assert.equal(importTraps, false, "the injected trap was thrown");
  await assert.rejects(waiting, (e) => internal(e, false), "a call in flight on the broken instance rejects typed, it does not hang");
  // The create had reached the server: retrying with its key returns that one, never a second.
  const again = await client.createPaymentRequest(order, { idempotencyKey: lost.idempotencyKey });
  const c = await sandbox.counters();
  assert.equal(c.payment_requests_created, created + 1, "one payment request for the lost create and its retry");
  assert.equal(again.amount, order.amount);
  const second = await client.createPaymentRequest({ ...order, amount: 2500 });
  assert.equal(second.amount, 2500);
  assert.equal((await client.getPaymentRequest(first.id)).id, first.id);
  assert.equal(payreq.validatePaymentRequest(order).ok, true);
  assert.equal(instances.length, before + 1, "the broken instance was replaced once, before the next call");
});

test("a trap before a create's request was sent (in its token exchange): typed, and the outcome is known (nothing was created)", async () => {
  const client = new payreq.PaymentClient({ clientId: CLIENT_ID, clientSecret: `${CLIENT_SECRET}`, baseUrl: sandbox.url, rateLimit: 0 });
  const created = (await sandbox.counters()).payment_requests_created;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => {
    globalThis.fetch = realFetch;
    importTraps = true; // the step after the token response traps
    return realFetch(...args);
  };
  await assert.rejects(client.createPaymentRequest(order), (e) => internal(e, false) && !("idempotencyKey" in e));
  assert.equal((await sandbox.counters()).payment_requests_created, created, "nothing was created");
  assert.equal((await client.createPaymentRequest(order)).amount, order.amount);
});
