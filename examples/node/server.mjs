// A shop's checkout in a small Node HTTP server:
//   POST /checkout        creates a payment request and redirects the payer to its checkout page
//   GET  /return?payment_request_id=…   verifies the status server-side (never trusting the query)
//
//   PAYREQ_BASE_URL=… PAYREQ_CLIENT_ID=… PAYREQ_CLIENT_SECRET=… PORT=8080 node server.mjs
import { createServer } from "node:http";
import { PaymentClient, PayreqError } from "payreq";

const env = process.env;
const client = new PaymentClient({
  clientId: env.PAYREQ_CLIENT_ID,
  clientSecret: env.PAYREQ_CLIENT_SECRET, // from the environment, never from the page
  baseUrl: env.PAYREQ_BASE_URL,
});
const publicUrl = env.PUBLIC_URL; // where payers reach this server; https in production

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  try {
    if (req.method === "POST" && url.pathname === "/checkout") {
      const order = { id: `order-${Date.now()}`, amount: 4200, currency: "EUR" };
      const pr = await client.createPaymentRequest({
        amount: order.amount,
        currency: order.currency,
        redirectUrl: `${publicUrl}/return`,
        referenceId: order.id,
      });
      res.writeHead(303, { location: pr.checkoutUrl }).end();
    } else if (req.method === "GET" && url.pathname === "/return") {
      // The query string is the payer's to edit: ask the API what really happened.
      const pr = await client.getPaymentRequest(url.searchParams.get("payment_request_id") ?? "");
      const paid = pr.status === "paid";
      res.writeHead(paid ? 200 : 402, { "content-type": "text/plain" });
      res.end(paid ? `Thank you: ${pr.referenceId} is paid.` : `Payment ${pr.status}.`);
    } else {
      res.writeHead(404).end();
    }
  } catch (err) {
    const status = err instanceof PayreqError && err.code === "validation_failed" ? 400 : 502;
    res.writeHead(status, { "content-type": "text/plain" }).end(err instanceof PayreqError ? err.code : "error");
  }
});

server.listen(Number(env.PORT ?? 8080), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
