export { PaymentClient, validatePaymentRequest } from "./payreq.js";
export type * from "./payreq.js";
export * from "./errors.js";
