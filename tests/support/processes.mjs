// Child processes for every harness (tests/runtimes, tests/js, bench): each one
// started through `spawnTracked` is killed by pid when this process exits,
// normally, on an exception or on SIGINT/SIGTERM, so no test or bench leaves a
// sandbox, workerd or browser behind.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const children = new Set();

/** Kills every tracked child that is still running. */
export function killAll() {
  for (const child of children) stop(child);
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns a process that is killed by pid when this one exits (stdout piped unless `options.stdio` says otherwise). */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], ...options });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Kills `child` by pid if it is still running. */
export function stop(child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
}

/** Resolves with the first stdout line matching `pattern` (its match), or rejects when `child` exits or `ms` pass. */
export function waitForLine(child, pattern, what, ms = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms`)), ms);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = pattern.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

/** The line payreq-sandbox prints first once it listens: its base URL is group 1. */
export const SANDBOX_LISTENING = /^listening on (http:\/\/127\.0\.0\.1:\d+)/;
