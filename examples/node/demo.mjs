// Creates a payment request, pays it through the hosted checkout page as a
// browser would, and reads it back until it is paid.
//
//   PAYREQ_BASE_URL=http://127.0.0.1:PORT PAYREQ_CLIENT_ID=... PAYREQ_CLIENT_SECRET=... node demo.mjs
import { PaymentClient, ValidationError, validatePaymentRequest } from "payreq";

const { PAYREQ_BASE_URL: baseUrl, PAYREQ_CLIENT_ID: clientId, PAYREQ_CLIENT_SECRET: clientSecret } = process.env;
const client = new PaymentClient({ clientId, clientSecret, baseUrl });

// 1. Create: amount is in the smallest currency unit (1999 = 19.99 USD).
const pr = await client.createPaymentRequest({
  amount: 1999,
  currency: "USD",
  redirectUrl: "https://shop.example/orders/42/return",
  referenceId: "order-42",
});
console.log(`created   ${pr.id} (${pr.status}, ${pr.amount} ${pr.currency})`);
console.log(`checkout  ${pr.checkoutUrl}`);

// 2. Pay: what the payer's browser does on the hosted checkout page.
const page = await (await fetch(pr.checkoutUrl)).text();
const action = /<form[^>]*action="([^"]*\/pay)"/.exec(page)?.[1];
if (!action) throw new Error("the checkout page has no Pay form");
const paid = await fetch(new URL(action, pr.checkoutUrl), { method: "POST", redirect: "manual" });
console.log(`paid      checkout answered ${paid.status}, payer sent to ${paid.headers.get("location")}`);

// 3. Verify server-side (never trust the redirect's query string).
let current = pr;
for (let i = 0; i < 20 && current.status === "pending"; i++) {
  await new Promise((r) => setTimeout(r, 250));
  current = await client.getPaymentRequest(pr.id);
}
console.log(`verified  ${current.id} is ${current.status}`);
if (current.status !== "paid") process.exit(1);

// 4. Bad input never reaches the API: it fails with a typed error that says what to fix.
const check = validatePaymentRequest({ amount: 19.99, currency: "USD", redirectUrl: "https://shop.example/r" });
console.log(`invalid   ${check.errors[0].field}: ${check.errors[0].message}`);
try {
  await client.createPaymentRequest({ amount: 1999, currency: "HRK", redirect_url: "https://shop.example/r" });
} catch (err) {
  if (!(err instanceof ValidationError)) throw err;
  for (const e of err.errors) console.log(`invalid   ${e.field}: ${e.message} [${e.code}]`);
}
