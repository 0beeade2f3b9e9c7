// Starts payreq-sandbox on a free port for one test file and stops it by pid.
import { SANDBOX_LISTENING, spawnTracked, stop as kill, waitForLine } from "../../support/processes.mjs";
import { after } from "node:test";
import { request } from "node:http";

const BIN = process.env.PAYREQ_SANDBOX_BIN ?? new URL("../../../target/debug/payreq-sandbox", import.meta.url).pathname;

export const CLIENT_ID = "sandbox_client";
export const CLIENT_SECRET = "sandbox_secret";

/** Starts a sandbox with `--port 0 --controls` plus `args`; stopped when the file's tests end. */
export async function startSandbox(args = []) {
  // With a piped stdin and --exit-with-stdin, the sandbox also goes when this process dies.
  const child = spawnTracked(BIN, ["--port", "0", "--controls", "--exit-with-stdin", ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const stop = () => kill(child);
  after(stop);
  const [, url] = await waitForLine(child, SANDBOX_LISTENING, "payreq-sandbox", 15_000);
  child.stdout.resume();

  // The controls use a connection of their own each (node:http, no agent), not the
  // global fetch's pool, which the client under test shares: after a burst (1,000
  // concurrent calls) the sandbox closes idle connections to stay under its cap, and
  // a control request sent on one of them failed with "other side closed" (seen under
  // Node 26 with three lines' suites at once). The client retries such a read; a
  // control request, which may not be idempotent, must not need to.
  function control(method, path, body) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(url + path, {
        method,
        agent: false,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("error", reject);
        res.on("end", () => {
          if (res.statusCode < 200 || res.statusCode > 299) reject(new Error(`${method} ${path} -> ${res.statusCode}: ${text}`));
          else {
            try {
              resolve(text ? JSON.parse(text) : null);
            } catch (e) {
              reject(e);
            }
          }
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
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
