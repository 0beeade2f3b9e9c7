// Node 20 and 22 (ESM and CommonJS) and Bun: the packed tarball installed into
// tests/runtimes/fixture, the shared scenario against payreq-sandbox.
// Usage: node tests/runtimes/node.mjs [node|bun|deno]...   (default: all)
import path from "node:path";
import { BIN, ROOT, Tally, installTarball, run, startSandbox } from "./support/harness.mjs";
import { SCENARIO_STEPS } from "./scenario.mjs";

const fixture = path.join(ROOT, "tests/runtimes/fixture");
const STEPS = SCENARIO_STEPS;
const want = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ["node", "bun", "deno"]);
await installTarball(fixture);
const sandbox = await startSandbox();
const tally = new Tally();
// [group, label, binary, args, the entry file the package must resolve to]
const cases = [
  ["node", "node20-esm", BIN.node20, ["esm.mjs"], "node.js"],
  ["node", "node20-cjs", BIN.node20, ["cjs.cjs"], "node.js"],
  ["node", "node22-esm", BIN.node22, ["esm.mjs"], "node.js"],
  ["node", "node22-cjs", BIN.node22, ["cjs.cjs"], "node.js"],
  ["bun", "bun", BIN.bun, ["esm.mjs"], "node.js"],
  // No --allow-read, --allow-env or --allow-ffi: only the sandbox's address.
  ["deno", "deno", BIN.deno, ["run", "--no-prompt", "--allow-net=127.0.0.1", "deno.mjs"], "deno.js"],
];
for (const [group, label, bin, args, entry] of cases) {
  if (!want.has(group)) continue;
  const result = await run(bin, [...args, sandbox.url, label], { cwd: fixture, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" } });
  tally.absorb(label, result, STEPS);
  const resolved = /^# entry: (.*)$/m.exec(result.out)?.[1] ?? "";
  tally.record(`${label}: "payreq" resolves to the ${entry} entry of the installed tarball`,
    resolved.endsWith(`node_modules/payreq/${entry}`), `resolved: ${resolved}`);
}
tally.done(`runtimes (${[...want].join(", ")})`);
