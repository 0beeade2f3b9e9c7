// Browser and bundler entry (the package's default). The wasm is fetched from
// `new URL("./payreq_bg.wasm", import.meta.url)`, a pattern Vite and webpack 5
// rewrite to the emitted asset with no plugin. Nothing happens at import (no
// top-level await): `await init()` once before using the package.
// `init(url | Response | BufferSource | WebAssembly.Module)` is the escape
// hatch to load the wasm from elsewhere (a CDN, your own fetch, a Module).
import { initAsync } from "./core.js";

let loading;

/** Loads and instantiates the wasm; later calls return the same promise. */
export function init(moduleOrPath) {
  if (loading === undefined) {
    loading = initAsync(moduleOrPath ?? new URL("./payreq_bg.wasm", import.meta.url)).then(() => undefined);
    loading.catch(() => {
      loading = undefined; // a failed load can be retried
    });
  }
  return loading;
}

export { PaymentClient, validatePaymentRequest } from "./core.js";
export * from "./errors.js";
