// Node (and Bun) entry: instantiate the wasm synchronously from the file beside this one.
import { readFileSync } from "node:fs";
import { initSync } from "./payreq.js";

initSync({ module: readFileSync(new URL("./payreq_bg.wasm", import.meta.url)) });

export { PaymentClient, validatePaymentRequest } from "./payreq.js";
export * from "./errors.js";
