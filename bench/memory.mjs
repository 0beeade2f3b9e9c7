// Memory: the wasm instance's linear memory and this process's RSS after
// 1,000 and after 10,000 `createPaymentRequest` calls (sandbox started with
// `--rate-limit 0`, client with `rateLimit: 0`), each read after a full GC
// (run with --expose-gc), so that collectable JS garbage does not count.
// The linear memory is read without any public API: the package's glue
// (payreq.js, the module its entries instantiate) returns the live instance's
// exports from `initSync()` once it is initialised, `memory` among them.
// Prints one JSON line.
//   node --expose-gc bench/memory.mjs BASE_URL
import { PaymentClient, validatePaymentRequest } from "payreq";
import { REQUEST, SANDBOX_CLIENT } from "./lib.mjs";

const [baseUrl] = process.argv.slice(2);
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");

const glue = await import(new URL("./payreq.js", import.meta.resolve("payreq")));

function snapshot(requests) {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { memory } = glue.initSync();
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("no wasm memory export");
  return { requests, wasmBytes: memory.buffer.byteLength, rssBytes: process.memoryUsage().rss };
}

const client = new PaymentClient({ ...SANDBOX_CLIENT, baseUrl, rateLimit: 0, maxRetries: 0 });
if (!validatePaymentRequest(REQUEST).ok) throw new Error("the bench request does not validate");
const points = [snapshot(0)];
let done = 0;
for (const target of [1_000, 10_000]) {
  for (; done < target; done++) {
    const pr = await client.createPaymentRequest(REQUEST);
    if (pr.status !== "pending") throw new Error(`unexpected status ${pr.status}`);
  }
  points.push(snapshot(done));
}
client.free();
console.log(JSON.stringify({ points }));
