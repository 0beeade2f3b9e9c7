// A shop's checkout in a small Deno HTTP server (the same flow as examples/node/server.mjs):
//   POST /checkout        creates a payment request and redirects the payer to its checkout page
//   GET  /return?payment_request_id=…   verifies the status server-side (never trusting the query)
//
//   deno task start        (see deno.json for the permissions and README.md for why)
import { NotFoundError, PaymentClient, PayreqError, ValidationError } from "payreq";

// Only these names can be read: --allow-env lists exactly them.
const env = (name: string) => Deno.env.get(name);
const client = new PaymentClient({
  clientId: env("PAYREQ_CLIENT_ID") ?? "",
  clientSecret: env("PAYREQ_CLIENT_SECRET") ?? "", // from the environment, never from the page
  baseUrl: env("PAYREQ_BASE_URL") ?? "",
});
const publicUrl = env("PUBLIC_URL") ?? "http://127.0.0.1:8000"; // where payers reach this server; https in production

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === "/checkout") {
    const order = { id: `order-${Date.now()}`, amount: 4200, currency: "EUR" }; // 42.00 EUR, in cents
    const pr = await client.createPaymentRequest({
      amount: order.amount,
      currency: order.currency,
      redirectUrl: `${publicUrl}/return`,
      referenceId: order.id,
    });
    // The API documents checkout_url; a response without it cannot send the payer anywhere.
    if (pr.checkoutUrl === null) return new Response("no checkout page", { status: 502 });
    return Response.redirect(pr.checkoutUrl, 303);
  }
  if (request.method === "GET" && url.pathname === "/return") {
    // The query string is the payer's to edit (`&status=paid`): ask the API what really happened.
    const pr = await client.getPaymentRequest(url.searchParams.get("payment_request_id") ?? "");
    const paid = pr.status === "paid";
    return new Response(paid ? `Thank you: ${pr.referenceId ?? pr.id} is paid.` : `Payment ${pr.status}.`, {
      status: paid ? 200 : 402,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  return new Response("Not found", { status: 404 });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(env("PORT") ?? 8000),
  onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
}, async (request) => {
  try {
    return await handle(request);
  } catch (err) {
    if (!(err instanceof PayreqError)) throw err;
    // Only the stable code reaches the payer; payreq's messages never contain the secret.
    const status = err instanceof ValidationError ? 400 : err instanceof NotFoundError ? 404 : 502;
    return new Response(err.code, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
});
