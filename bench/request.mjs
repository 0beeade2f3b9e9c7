// Per-request overhead: `createPaymentRequest` through payreq against the same
// request sent with the global `fetch` and a token fetched beforehand, one of
// each per round in a random order, against a release payreq-sandbox started
// with `--rate-limit 0`; the client has `rateLimit: 0`, so no limiter paces
// either side. A third contestant, the minimal JS client of lib.mjs (what any
// client with a per-attempt timeout does, and nothing more), runs in the same
// rounds as a floor. Prints one JSON line.
//   node bench/request.mjs BASE_URL [ROUNDS]
import { performance } from "node:perf_hooks";
import { PaymentClient } from "payreq";
import { median, minimalCreator, pairedRatio, rawCreator, REQUEST, SANDBOX_CLIENT, shuffled } from "./lib.mjs";

const [baseUrl, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 2000);
const warmup = 300;

const client = new PaymentClient({ ...SANDBOX_CLIENT, baseUrl, rateLimit: 0, maxRetries: 0 });

async function viaPayreq() {
  const pr = await client.createPaymentRequest(REQUEST);
  if (pr.status !== "pending" || pr.amount !== REQUEST.amount) throw new Error("payreq: unexpected resource");
}

const viaFetch = await rawCreator(baseUrl);
const viaMinimal = await minimalCreator(baseUrl);

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

for (let i = 0; i < warmup; i++) {
  await viaPayreq();
  await viaFetch();
  await viaMinimal();
}
const samples = { payreq: [], fetch: [], minimal: [] };
const contestants = { payreq: viaPayreq, fetch: viaFetch, minimal: viaMinimal };
for (let i = 0; i < rounds; i++) {
  for (const name of shuffled(Object.keys(contestants))) samples[name].push(await timed(contestants[name]));
}
const { payreq, fetch: raw, minimal } = samples;
client.free();
console.log(
  JSON.stringify({
    rounds,
    payreqMedianMs: median(payreq),
    fetchMedianMs: median(raw),
    ratioOfMedians: median(payreq) / median(raw),
    pairedRatio: pairedRatio(payreq, raw),
    minimalMedianMs: median(minimal),
    minimalPairedRatio: pairedRatio(minimal, raw),
  }),
);
