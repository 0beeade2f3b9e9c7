export { PaymentClient, validatePaymentRequest } from "./payreq.js";
export type * from "./payreq.js";
export * from "./errors.js";

/**
 * Loads and instantiates the wasm (by default from `new URL("./payreq_bg.wasm",
 * import.meta.url)`); await it once before any other call. Pass a URL, a
 * Response, the bytes or a compiled WebAssembly.Module to load it from elsewhere.
 */
export function init(
  moduleOrPath?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>,
): Promise<void>;
