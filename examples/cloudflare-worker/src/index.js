// A Worker that sends a shopper to the hosted checkout and reports the payment.
//   POST /pay            JSON { amount, currency, referenceId? } -> 303 to the checkout page
//   GET  /payments/:id   -> { id, status }
//   GET  /return         where the checkout page sends the shopper back
// Errors answer { error: { name, code, status, errors? } } with a fitting status.
import { PaymentClient, PayreqError, ValidationError } from "payreq";

let client; // one per isolate: it caches the OAuth token
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
  return Response.json({ error: body }, { status });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/pay") {
        const { amount, currency, referenceId } = await request.json();
        const pr = await clientFor(env).createPaymentRequest({
          amount,
          currency,
          referenceId,
          redirectUrl: env.RETURN_URL ?? new URL("/return", url).href,
        });
        return Response.redirect(pr.checkoutUrl, 303);
      }
      const match = /^\/payments\/([^/]+)$/.exec(url.pathname);
      if (request.method === "GET" && match) {
        const pr = await clientFor(env).getPaymentRequest(decodeURIComponent(match[1]));
        return Response.json({ id: pr.id, status: pr.status });
      }
      if (url.pathname === "/return") {
        return new Response(`Payment ${url.searchParams.get("status") ?? "unknown"}.`);
      }
      return new Response("Not found", { status: 404 });
    } catch (e) {
      return failure(e);
    }
  },
};
