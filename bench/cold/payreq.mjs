// Cold start: import payreq, construct a client, validate one request (which
// compiles and instantiates the wasm). Nothing is sent.
import { PaymentClient, validatePaymentRequest } from "payreq";

const client = new PaymentClient({ clientId: "bench", clientSecret: "bench-not-a-secret", baseUrl: "http://127.0.0.1:9" });
const result = validatePaymentRequest({ amount: 1999, currency: "usd", redirectUrl: "https://shop.example/return" });
if (!result.ok || result.value.currency !== "USD" || typeof client.createPaymentRequest !== "function") process.exit(1);
