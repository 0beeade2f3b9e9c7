// Starts payreq-sandbox on a free port for one test file and stops it by pid.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after } from "node:test";

const BIN = process.env.PAYREQ_SANDBOX_BIN ?? new URL("../../../target/debug/payreq-sandbox", import.meta.url).pathname;

export const CLIENT_ID = "sandbox_client";
export const CLIENT_SECRET = "sandbox_secret";

/** Starts a sandbox with `--port 0 --controls` plus `args`; stopped when the file's tests end. */
export async function startSandbox(args = []) {
  // With a piped stdin and --exit-with-stdin, the sandbox also goes when this process dies.
  const child = spawn(BIN, ["--port", "0", "--controls", "--exit-with-stdin", ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
  };
  process.once("exit", stop);
  after(stop);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("payreq-sandbox did not start within 15 s")), 15_000);
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      m ? resolve(m[1]) : reject(new Error(`unexpected first line from payreq-sandbox: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`payreq-sandbox exited with ${code}`)));
  });
  child.stdout.resume();

  async function control(method, path, body) {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    url,
    pid: child.pid,
    stop,
    control,
    counters: () => control("GET", "/_sandbox/counters"),
    fault: (fault) => control("POST", "/_sandbox/faults", fault),
    reset: () => control("POST", "/_sandbox/reset"),
  };
}

/** Pays a payment request through the hosted checkout page, as a browser would. */
export async function payThroughCheckout(checkoutUrl, button = "pay") {
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  const action = new RegExp(`<form[^>]*action="([^"]*/${button})"`).exec(html)?.[1];
  if (!action) throw new Error(`no ${button} form on the checkout page`);
  const res = await fetch(new URL(action, checkoutUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "",
    redirect: "manual",
  });
  return { status: res.status, location: res.headers.get("location") };
}
