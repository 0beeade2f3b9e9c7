// Issue 16, item 1 (part): a response body is read with a 1 MiB cap. A
// longer one is a DecodeError (for a create: outcomeUnknown with the key),
// the request is aborted as soon as the cap is passed, and the body never
// enters the wasm memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { catchPayreqMemory } from "../../support/payreq-memory.mjs";
import { startHostile, json, token, resource, order, CLIENT_ID, CLIENT_SECRET } from "../support/hostile.mjs";

const memoryOf = catchPayreqMemory();
const { PaymentClient, DecodeError } = await import("payreq");

const HUGE = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, "a");
let mode = "normal";
let stream; // what the last huge answer did: { written, closedEarly }

const api = await startHostile((req, res) => {
  if (req.url === "/oauth/token") return token(res);
  if (mode === "normal") return json(res, 201, resource());
  if (mode === "garbage") return json(res, 201, "not json");
  if (mode === "declared") {
    // A Content-Length over the cap: refused before a byte of the body is read.
    res.writeHead(201, { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) });
    return res.write(CHUNK);
  }
  // 200 MB, written lazily: one chunk whenever the socket drains, until done or closed.
  const s = (stream = { written: 0, closedEarly: false });
  res.writeHead(mode === "huge-get" ? 200 : 201, { "content-type": "application/json", "x-request-id": "req-huge" });
  res.on("close", () => (s.closedEarly = s.written < HUGE));
  const pump = () => {
    while (s.written < HUGE && !res.destroyed) {
      s.written += CHUNK.length;
      if (!res.write(CHUNK)) return res.once("drain", pump);
    }
    res.end();
  };
  pump();
});

const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: api.url, rateLimit: 0 });

test("a 200 MB create response: DecodeError with the key, quickly, the connection closed, wasm memory flat", async () => {
  mode = "normal";
  await client.createPaymentRequest(order); // warm-up: the token, the instance
  mode = "garbage";
  await client.createPaymentRequest(order).catch(() => {}); // warm-up of the error path
  mode = "huge";
  const memory = memoryOf();
  assert.ok(memory instanceof WebAssembly.Memory, "payreq's wasm instance was seen");
  const before = memory.buffer.byteLength;
  const t0 = performance.now();
  const err = await client.createPaymentRequest(order).catch((e) => e);
  const ms = performance.now() - t0;
  assert.ok(err instanceof DecodeError, `resolved or ${err.name} (${err.code})`);
  assert.equal(err.outcomeUnknown, true, "the create happened");
  assert.match(err.idempotencyKey, /^[0-9a-f-]{36}$/);
  assert.equal(err.retryable, true, "retrying with the key is how to learn the outcome");
  assert.equal(err.requestId, "req-huge");
  assert.ok(ms < 3_000, `took ${Math.round(ms)} ms`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(stream.closedEarly, true, "the server saw the connection closed before the end of the body");
  assert.ok(stream.written < 50 * 1024 * 1024, `the server wrote ${stream.written} bytes`);
  assert.equal(memory.buffer.byteLength - before, 0, "wasm memory did not grow");
  mode = "normal";
  assert.equal((await client.createPaymentRequest(order)).status, "pending", "the same client still works");
  assert.equal(memory.buffer.byteLength - before, 0, "wasm memory did not grow");
});

test("an oversized body is not retried, and a Content-Length over the cap is refused up front", async () => {
  mode = "huge-get";
  const id = resource().id;
  const before = api.count("GET", "/payment/request/");
  const err = await client.getPaymentRequest(id, { maxRetries: 2 }).catch((e) => e);
  assert.ok(err instanceof DecodeError, `resolved or ${err.name}`);
  assert.equal(err.outcomeUnknown, false);
  assert.equal(err.retryable, false);
  assert.equal(api.count("GET", "/payment/request/") - before, 1, "one request");
  mode = "declared";
  const declared = await client.createPaymentRequest(order).catch((e) => e);
  assert.ok(declared instanceof DecodeError, `resolved or ${declared.name}`);
  assert.equal(declared.outcomeUnknown, true);
  mode = "normal";
});
