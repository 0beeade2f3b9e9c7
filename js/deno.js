// Deno entry: a source-phase import gives the compiled WebAssembly.Module
// without any permission (reading the file would need --allow-read).
import source module from "./payreq_bg.wasm";
import { setSource } from "./core.js";

setSource(() => module);

export { PaymentClient, validatePaymentRequest } from "./core.js";
export * from "./errors.js";
