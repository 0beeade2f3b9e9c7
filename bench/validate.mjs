// Validation throughput: `validatePaymentRequest` (wasm) against the pure-JS
// validator in bench/validator.mjs, on one corpus of form inputs, half valid
// and half each kind of mistake. Both must give the same result (JSON-equal,
// messages included) for every input before anything is timed. Then rounds
// of a fixed number of passes over the corpus, the two in a random order each
// round; throughput is inputs per second, and the ratio is payreq's / JS's
// (median of the per-round ratios). Prints one JSON line.
import { performance } from "node:perf_hooks";
import { validatePaymentRequest } from "payreq";
import { median, shuffled } from "./lib.mjs";
import { validatePaymentRequestJs } from "./validator.mjs";

const ok = (over = {}) => ({ amount: 1999, currency: "USD", redirectUrl: "https://shop.example/return", ...over });
const VALID = [
  ok(),
  ok({ currency: "eur", referenceId: "order-42" }),
  ok({ amount: 250000, currency: "JPY", redirectUrl: "https://shop.example/return?cart=7&lang=ja" }),
  ok({ currency: "bhd", redirectUrl: "https://EXAMPLE.com:443/a/../b/ünïcode", referenceId: "ünï 😀" }),
  ok({ amount: 9007199254740993n, currency: "GBP", referenceId: null }),
  ok({ amount: 1, currency: "chf", redirectUrl: "https://xn--bcher-kva.example/r" }),
  ok({ amount: 42, currency: "CLF", referenceId: "x".repeat(255) }),
  ok({ amount: 10n, redirectUrl: "https://[::1]:8443/return" }),
];
const INVALID = [
  ok({ amount: 19.99 }),
  ok({ amount: 19.5, currency: "JPY" }),
  ok({ amount: "1999" }),
  ok({ amount: 0, currency: "XAU" }),
  ok({ amount: -0 }),
  ok({ amount: NaN, currency: "HRK" }),
  ok({ amount: 2 ** 60, currency: "CSK" }),
  ok({ amount: -5n, currency: "usdd" }),
  ok({ amount: 2n ** 64n, currency: "ABC" }),
  ok({ amount: undefined, currency: 840 }),
  ok({ redirectUrl: "http://shop.example/return" }),
  ok({ redirectUrl: "https://user:pw@shop.example/r" }),
  ok({ redirectUrl: "https://shop.example/r#frag" }),
  ok({ redirectUrl: "https://shop.example/a b" }),
  ok({ redirectUrl: "https:\\\\shop.example\\r" }),
  ok({ redirectUrl: "not a url" }),
  ok({ redirectUrl: "shop.example/return" }),
  ok({ redirectUrl: `https://shop.example/${"a".repeat(2100)}` }),
  ok({ redirectUrl: ["https://x"] }),
  ok({ referenceId: "" }),
  ok({ referenceId: "a\nb" }),
  ok({ referenceId: "y".repeat(256) }),
  ok({ referenceId: 42 }),
  { amount: 1999, currency: "USD", redirect_url: "https://shop.example/return" },
  { ...ok(), curency: "USD", extra: true },
  {},
];
const CORPUS = [...VALID, ...VALID, ...VALID, ...INVALID]; // 24 valid, 26 not

const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
let disagreements = 0;
for (const input of [...CORPUS, null, "x", [1], () => 1]) {
  const a = show(validatePaymentRequest(input));
  const b = show(validatePaymentRequestJs(input));
  if (a !== b) {
    disagreements++;
    console.error(`validate.mjs: payreq and the JS validator disagree on ${show(input)?.slice(0, 200)}:\n  payreq ${a}\n  js     ${b}`);
  }
}
if (disagreements > 0) process.exit(1);

const validCount = CORPUS.filter((x) => validatePaymentRequestJs(x).ok).length;
const contestants = { payreq: validatePaymentRequest, js: validatePaymentRequestJs };

function pass(fn, passes) {
  let sink = 0;
  const start = performance.now();
  for (let p = 0; p < passes; p++) for (let i = 0; i < CORPUS.length; i++) sink += fn(CORPUS[i]).ok ? 1 : 0;
  const ms = performance.now() - start;
  if (sink !== validCount * passes) throw new Error("results changed while timing");
  return (CORPUS.length * passes) / (ms / 1000);
}

// Warm-up (JIT tiers, wasm tier-up), then interleaved timed rounds.
for (let i = 0; i < 5; i++) for (const fn of Object.values(contestants)) pass(fn, 50);
const rounds = 15;
const passes = 200;
const samples = { payreq: [], js: [] };
for (let r = 0; r < rounds; r++) {
  for (const name of shuffled(Object.keys(contestants))) samples[name].push(pass(contestants[name], passes));
}
console.log(
  JSON.stringify({
    corpus: CORPUS.length,
    valid: validCount,
    rounds,
    payreqPerSec: median(samples.payreq),
    jsPerSec: median(samples.js),
    ratio: median(samples.payreq.map((x, i) => x / samples.js[i])),
  }),
);
