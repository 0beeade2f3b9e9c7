// Node 22, 24 and 26 (the maintained lines) and the machine's Node 20 (past its
// end of life, outside `engines`, still run), each ESM and CommonJS, Bun and Deno:
// the packed tarball installed into tests/runtimes/fixture, the shared scenario
// against payreq-sandbox. Each row checks its Node's major version, so a wrong
// binary in tools/ fails rather than passes as another line.
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
// The machine's Node (20 here and in CI), named by its major version.
const machine = `node${process.versions.node.split(".")[0]}`;
// [group, label, binary, args, the entry file the package must resolve to]
const cases = [
  ["node", `${machine}-esm`, BIN.machineNode, ["esm.mjs"], "node.js"],
  ["node", `${machine}-cjs`, BIN.machineNode, ["cjs.cjs"], "node.js"],
  ["node", "node22-esm", BIN.node22, ["esm.mjs"], "node.js"],
  ["node", "node22-cjs", BIN.node22, ["cjs.cjs"], "node.js"],
  ["node", "node24-esm", BIN.node24, ["esm.mjs"], "node.js"],
  ["node", "node24-cjs", BIN.node24, ["cjs.cjs"], "node.js"],
  ["node", "node26-esm", BIN.node26, ["esm.mjs"], "node.js"],
  ["node", "node26-cjs", BIN.node26, ["cjs.cjs"], "node.js"],
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
  const major = /^node(\d+)-/.exec(label)?.[1];
  if (major) {
    const version = /^# node: (v[\d.]+)$/m.exec(result.out)?.[1] ?? "(none printed)";
    tally.record(`${label}: runs under Node ${major} (${version})`, version.startsWith(`v${major}.`), `${bin} is ${version}`);
  }
}
tally.done(`runtimes (${[...want].join(", ")})`);
