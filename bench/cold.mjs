// Cold start: the wall time of `node bench/cold/X.mjs` (spawn to exit), for an
// empty script and for payreq, stripe-node and openai-node, in interleaved
// rounds (a fresh random order each round), after warm-up rounds that bring
// the files into the page cache. Each run is its own process, so nothing is
// shared between runs but the OS cache.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { BENCH, median, pairedRatio, shuffled } from "./lib.mjs";

export const CONTESTANTS = ["empty", "payreq", "stripe", "openai"];

function once(name, node) {
  const start = process.hrtime.bigint();
  const r = spawnSync(node, [path.join(BENCH, "cold", `${name}.mjs`)], { cwd: BENCH, stdio: "ignore" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`cold/${name}.mjs exited with ${r.status ?? r.signal}`);
  return ms;
}

/** `node`: the binary every contestant runs with (the bench's own by default). */
export function measureColdStart({ rounds = 30, warmup = 3, node = process.execPath } = {}) {
  for (let i = 0; i < warmup; i++) for (const name of shuffled(CONTESTANTS)) once(name, node);
  const samples = Object.fromEntries(CONTESTANTS.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) for (const name of shuffled(CONTESTANTS)) samples[name].push(once(name, node));
  const out = { rounds, node: spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim() };
  for (const name of CONTESTANTS) {
    out[name] = {
      medianMs: median(samples[name]),
      ratioToEmpty: name === "empty" ? 1 : pairedRatio(samples[name], samples.empty),
      samplesMs: samples[name].map((x) => Math.round(x * 100) / 100),
    };
  }
  return out;
}
