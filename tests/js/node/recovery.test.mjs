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
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

// (module (func (export "trap") unreachable))
const TRAP = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
]))).exports.trap;

const RealInstance = WebAssembly.Instance;
const instances = []; // every instance of payreq's module, in order
const traps = new Map(); // export name -> how many of its next calls trap
WebAssembly.Instance = function Instance(module, imports) {
  const real = new RealInstance(module, imports);
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "paymentclient_createPaymentRequest")) return real;
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

test("two traps in a row: the call throws the RuntimeError, and the next call works", () => {
  const before = instances.length;
  traps.set("validatePaymentRequest", 2);
  assert.throws(() => payreq.validatePaymentRequest(order), WebAssembly.RuntimeError);
  assert.equal(payreq.validatePaymentRequest(order).ok, true);
  assert.equal(instances.length, before + 2, "a fresh instance for the retry, and another after it trapped too");
});

test("a client made before a trap keeps working afterwards, against the sandbox", async () => {
  const client = new payreq.PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
  const first = await client.createPaymentRequest(order);
  const before = instances.length;
  traps.set("paymentclient_getPaymentRequest", 1);
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

test("a poll that ends without returning (an exception thrown through the wasm, as a trap would) poisons the instance: the next call runs on a fresh one, and nothing stalls", () => {
  const child = fileURLToPath(new URL("./children/unwind.mjs", import.meta.url));
  const out = execFileSync(process.execPath, [child, sandbox.url, CLIENT_ID, CLIENT_SECRET], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8",
    timeout: 30_000,
  });
  const result = JSON.parse(out.trim().split("\n").pop());
  assert.ok(result.thrown >= 1, "the injected exception was thrown");
  assert.equal(result.unwound, 1, "it escaped the wasm once, out of the poll");
  assert.equal(result.after, 2500, "a create after it settles");
  assert.equal(result.read, true, "a read after it settles");
  assert.equal(result.validates, true);
  assert.equal(result.freshInstances, 1, "the poisoned instance was replaced once, before the next call");
});
