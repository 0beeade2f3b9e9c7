// Memory: this process's RSS (and, for payreq, the wasm instance's linear
// memory) before the first request and after 1,000 and 10,000 sequential
// creates (sandbox started with `--rate-limit 0`, client with `rateLimit: 0`),
// each read after a full GC (run with --expose-gc), so that collectable JS
// garbage does not count. MODE `payreq` sends them with createPaymentRequest,
// MODE `fetch` with raw fetch (the anchor: what Node itself adds for 10,000
// fetches; payreq is not even imported then).
// The linear memory is read without any public API: WebAssembly.Instance is
// wrapped before payreq loads, to catch payreq's instance as the glue makes it
// (tests/support/payreq-memory.mjs, shared with tests/js/node/memory.test.mjs; the Node entry is one bundled
// module, so its glue is not the package's payreq.js file).
// Prints one JSON line.
//   node --expose-gc bench/memory.mjs BASE_URL payreq|fetch
import { rawCreator, REQUEST, SANDBOX_CLIENT } from "./lib.mjs";
import { catchPayreqMemory } from "../tests/support/payreq-memory.mjs";

const [baseUrl, mode] = process.argv.slice(2);
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
if (mode !== "payreq" && mode !== "fetch") throw new Error("mode: payreq or fetch");

let create;
let wasmMemory = () => null;
let done = () => {};
if (mode === "payreq") {
  const memoryOf = catchPayreqMemory();
  const { PaymentClient } = await import("payreq");
  const client = new PaymentClient({ ...SANDBOX_CLIENT, baseUrl, rateLimit: 0, maxRetries: 0 });
  create = () => client.createPaymentRequest(REQUEST);
  wasmMemory = () => {
    const memory = memoryOf();
    if (!(memory instanceof WebAssembly.Memory)) throw new Error("payreq's wasm instance was not seen");
    return memory.buffer.byteLength;
  };
  done = () => client.free();
} else {
  create = await rawCreator(baseUrl);
}

function snapshot(requests) {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { requests, wasmBytes: wasmMemory(), rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

const points = [snapshot(0)];
let sent = 0;
for (const target of [1_000, 10_000]) {
  for (; sent < target; sent++) {
    const pr = await create();
    if (pr.status !== "pending") throw new Error(`unexpected status ${pr.status}`);
  }
  points.push(snapshot(sent));
}
done();
console.log(JSON.stringify({ mode, points }));
