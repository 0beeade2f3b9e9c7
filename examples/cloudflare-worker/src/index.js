// A Worker that takes payments with payreq:
//   POST /checkout       JSON { amount, currency, referenceId? } (amount in the smallest unit)
//                        -> creates a payment request, 303 to its hosted checkout page
//   GET  /return?payment_request_id=…   where the checkout sends the payer back: the status
//                        is asked from the API, never read from the query string
//   GET  /payments/:id   -> { id, status, amount, currency, referenceId }
// Errors answer { error: { name, code, status, errors? } } with a fitting status.
// The client secret is a Worker secret: `wrangler secret put PAYREQ_CLIENT_SECRET`.
import { PaymentClient, PayreqError, ValidationError } from "payreq";

let client; // one per isolate: it caches the OAuth token and paces requests
function clientFor(env) {
  client ??= new PaymentClient({
    clientId: env.PAYREQ_CLIENT_ID,
    clientSecret: env.PAYREQ_CLIENT_SECRET,
    baseUrl: env.PAYREQ_BASE_URL,
  });
  return client;
}

function failure(e) {
  if (!(e instanceof PayreqError)) throw e;
  const status = e instanceof ValidationError ? 400 : e.status === 404 ? 404 : 502;
  const body = { name: e.name, code: e.code, status: e.status, requestId: e.requestId };
  if (e instanceof ValidationError) body.errors = e.errors;
  // An outcome-unknown create carries the idempotency key to retry it with.
  if (e.idempotencyKey) body.idempotencyKey = e.idempotencyKey;
  return Response.json({ error: body }, { status });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/checkout") {
        const { amount, currency, referenceId } = await request.json();
        const pr = await clientFor(env).createPaymentRequest({
          amount,
          currency,
          referenceId,
          redirectUrl: env.RETURN_URL ?? new URL("/return", url).href,
        });
        return Response.redirect(pr.checkoutUrl, 303);
      }
      if (request.method === "GET" && url.pathname === "/return") {
        // The payer can edit this URL (`status=paid`): ask the API what really happened.
        const pr = await clientFor(env).getPaymentRequest(url.searchParams.get("payment_request_id") ?? "");
        const paid = pr.status === "paid";
        return new Response(paid ? `Thank you: ${pr.referenceId ?? pr.id} is paid.` : `Payment ${pr.status}.`,
          { status: paid ? 200 : 402, headers: { "content-type": "text/plain; charset=utf-8" } });
      }
      const match = /^\/payments\/([^/]+)$/.exec(url.pathname);
      if (request.method === "GET" && match) {
        const pr = await clientFor(env).getPaymentRequest(decodeURIComponent(match[1]));
        const { id, status, amount, currency, referenceId } = pr;
        return Response.json({ id, status, amount, currency, referenceId });
      }
      return new Response("Not found", { status: 404 });
    } catch (e) {
      return failure(e);
    }
  },
};
