// Per-request overhead: `createPaymentRequest` through payreq against the same
// request sent with the global `fetch` and a token fetched beforehand, one of
// each per round in a random order, against a release payreq-sandbox started
// with `--rate-limit 0`; the client has `rateLimit: 0`, so no limiter paces
// either side. Prints one JSON line.
//   node bench/request.mjs BASE_URL [ROUNDS]
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { PaymentClient } from "payreq";
import { median, pairedRatio, REQUEST, SANDBOX_CLIENT } from "./lib.mjs";

const [baseUrl, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 2000);
const warmup = 300;

const client = new PaymentClient({ ...SANDBOX_CLIENT, baseUrl, rateLimit: 0, maxRetries: 0 });

async function viaPayreq() {
  const pr = await client.createPaymentRequest(REQUEST);
  if (pr.status !== "pending" || pr.amount !== REQUEST.amount) throw new Error("payreq: unexpected resource");
}

// The token is fetched once, outside the timed part; it is never printed.
const basic = Buffer.from(`${SANDBOX_CLIENT.clientId}:${SANDBOX_CLIENT.clientSecret}`).toString("base64");
const tokenResponse = await fetch(`${baseUrl}/oauth/token`, {
  method: "POST",
  headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
  body: "grant_type=client_credentials",
});
if (tokenResponse.status !== 200) throw new Error(`token endpoint answered ${tokenResponse.status}`);
const bearer = `Bearer ${(await tokenResponse.json()).access_token}`;
const body = {
  amount: REQUEST.amount,
  currency: REQUEST.currency,
  redirect_url: REQUEST.redirectUrl,
  reference_id: REQUEST.referenceId,
};

async function viaFetch() {
  const res = await fetch(`${baseUrl}/payment/request`, {
    method: "POST",
    headers: {
      accept: "application/json",
      authorization: bearer,
      "content-type": "application/json",
      "idempotency-key": randomUUID(),
    },
    body: JSON.stringify(body),
  });
  const pr = await res.json();
  if (res.status !== 201 || pr.status !== "pending") throw new Error(`fetch: status ${res.status}`);
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

for (let i = 0; i < warmup; i++) {
  await viaPayreq();
  await viaFetch();
}
const payreq = [];
const raw = [];
for (let i = 0; i < rounds; i++) {
  if (Math.random() < 0.5) {
    payreq.push(await timed(viaPayreq));
    raw.push(await timed(viaFetch));
  } else {
    raw.push(await timed(viaFetch));
    payreq.push(await timed(viaPayreq));
  }
}
client.free();
console.log(
  JSON.stringify({
    rounds,
    payreqMedianMs: median(payreq),
    fetchMedianMs: median(raw),
    ratioOfMedians: median(payreq) / median(raw),
    pairedRatio: pairedRatio(payreq, raw),
  }),
);
