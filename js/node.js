// Node (ESM and CommonJS `require`) and Bun entry: the wasm beside this file
// is read and compiled synchronously on first use; no top-level await, so
// `require("payreq")` works (require(esm): Node ^20.19 and >= 22.12).
//
// Cold start (issue 6): `fs` comes from process.getBuiltinModule (Node >=
// 20.16, Bun), not `import "node:fs"`, whose ESM namespace reads every
// export of fs, ReadStream's lazy getter included, and so loads node:stream
// (~1.2 ms). scripts/build-package.sh bundles this file with core.js, the
// glue and the error classes into one module (~1.2 ms fewer module loads).
import { setSource } from "./core.js";

const { readFileSync } = process.getBuiltinModule("node:fs");
setSource(() => new WebAssembly.Module(readFileSync(new URL("./payreq_bg.wasm", import.meta.url))));

export { PaymentClient, validatePaymentRequest } from "./core.js";
export * from "./errors.js";
