// Limiter: the sustained create rate with the default limits (client: 5 per
// second, sandbox: 5 per second), as a fraction of 5/s, and the 429s seen.
// Eight callers loop on createPaymentRequest for ~10 s, so the client's
// limiter always has a queue. The token is fetched (and its slot has left
// the window) before the clock starts, so every timed send is a create.
// The rate is measured between sends of the same phase: with L = 5 and send
// times t1..tn (onRequest), m = the largest multiple of L with m < n, the
// rate is m / (t(1+m) - t1), which is exact both for bursts of L per window
// and for evenly spaced sends. 429s are counted on every attempt
// (onResponse), so a retried 429 still counts. Prints one JSON line.
//   node bench/limiter.mjs BASE_URL [SECONDS]
import { performance } from "node:perf_hooks";
import { PaymentClient } from "payreq";
import { REQUEST, SANDBOX_CLIENT } from "./lib.mjs";

const [baseUrl, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const LIMIT = 5;
const CALLERS = 8;

const sends = [];
const statuses = new Map();
let timing = false;
const client = new PaymentClient({
  ...SANDBOX_CLIENT,
  baseUrl,
  onRequest: ({ method, path }) => {
    if (timing && method === "POST" && path === "/payment/request") sends.push(performance.now());
  },
  onResponse: ({ status }) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
});

await client.createPaymentRequest(REQUEST); // token + one create
await new Promise((resolve) => setTimeout(resolve, 1_100)); // both leave the window
statuses.clear();
timing = true;
const start = performance.now();
const end = start + seconds * 1000;
let created = 0;
let rateLimitErrors = 0;
await Promise.all(
  Array.from({ length: CALLERS }, async () => {
    while (performance.now() < end) {
      try {
        const pr = await client.createPaymentRequest(REQUEST);
        if (pr.status === "pending") created++;
      } catch (e) {
        if (e?.code !== "rate_limited") throw e;
        rateLimitErrors++;
      }
    }
  }),
);
client.free();

// Sends that started inside the timed window.
const inWindow = sends.filter((t) => t < end);
const m = Math.floor((inWindow.length - 1) / LIMIT) * LIMIT;
if (m < LIMIT * 5) throw new Error(`too few sends (${inWindow.length}) to measure a rate`);
const rate = m / ((inWindow[m] - inWindow[0]) / 1000);
console.log(
  JSON.stringify({
    seconds,
    callers: CALLERS,
    limit: LIMIT,
    sends: inWindow.length,
    created,
    ratePerSec: rate,
    fraction: rate / LIMIT,
    status429: statuses.get(429) ?? 0,
    rateLimitErrors,
    statuses: Object.fromEntries(statuses),
  }),
);
