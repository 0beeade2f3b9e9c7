// The packed package's wasm memory stays flat: after a warm-up, 2,000 more
// requests (creates and reads, with and without an AbortSignal) against the
// sandbox do not grow WebAssembly memory by a byte. tests/wasm_bindings.rs
// checks the same in the wasm-bindgen test build; this is the shipped build
// (no_std, src/heap.rs's allocator, the short-named glue).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";
import { catchPayreqMemory } from "../../support/payreq-memory.mjs";

const memoryOf = catchPayreqMemory();
const { PaymentClient } = await import("payreq");
const sandbox = await startSandbox(["--rate-limit", "100000"]);
after(() => sandbox.stop());

test("2,000 requests after a warm-up do not grow wasm memory", async () => {
  const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0 });
  const order = { amount: 1999, currency: "EUR", redirectUrl: "https://shop.example/return" };
  const first = await client.createPaymentRequest(order);
  // Each request has its own timers, abort listener, AbortController and closures.
  const one = async (i) => {
    const options = i % 2 ? { timeoutMs: 20_000 } : { signal: new AbortController().signal };
    const pr = i % 3 ? await client.createPaymentRequest(order, options) : await client.getPaymentRequest(first.id, options);
    assert.equal(pr.status, "pending");
  };
  for (let i = 0; i < 300; i++) await one(i);
  const memory = memoryOf();
  assert.ok(memory instanceof WebAssembly.Memory, "payreq's wasm instance was seen");
  const before = memory.buffer.byteLength;
  for (let i = 0; i < 2_000; i++) await one(i);
  const grown = memory.buffer.byteLength - before;
  assert.equal(grown, 0, `wasm memory grew by ${grown} bytes over 2,000 requests: something a request made was not freed`);
});
