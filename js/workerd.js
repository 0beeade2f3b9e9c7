// Cloudflare Workers (workerd) entry. The runtime compiles the imported .wasm
// into a WebAssembly.Module at deploy time (it refuses to compile bytes at run
// time); it is instantiated on first use, inside a request, so nothing runs at
// global scope (Workers forbid I/O and randomness there).
import module from "./payreq_bg.wasm";
import { pollForToken, setSource } from "./core.js";

setSource(() => module);
// A request waits only on its own timers and I/O: a call waiting for the
// token another request is fetching polls for it (docs/waits.md).
pollForToken();

export { PaymentClient, validatePaymentRequest } from "./core.js";
export * from "./errors.js";
