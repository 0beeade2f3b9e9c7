// Node (ESM and CommonJS `require`) and Bun entry: the wasm beside this file
// is read and compiled synchronously on first use; no top-level await, so
// `require("payreq")` works (require(esm): Node ^20.19 and >= 22.12).
import { readFileSync } from "node:fs";
import { setSource } from "./core.js";

setSource(() => new WebAssembly.Module(readFileSync(new URL("./payreq_bg.wasm", import.meta.url))));

export { PaymentClient, validatePaymentRequest } from "./core.js";
export * from "./errors.js";
