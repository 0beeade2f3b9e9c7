// A minimal W3C WebDriver client (fetch) for chromedriver and geckodriver,
// with the browser profile in a fresh temporary directory. The driver is
// started on an OS-chosen free port and killed by pid; the session (and with
// it the browser) is deleted first.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { spawnTracked, stop } from "./harness.mjs";

export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

function driverFor(browser) {
  if (browser === "chromium") return { bin: process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver", args: (p) => [`--port=${p}`] };
  const gecko = process.env.GECKODRIVER ?? path.join(os.homedir(), ".cargo/bin/geckodriver");
  return { bin: gecko, args: (p) => ["--port", String(p), "--host", "127.0.0.1"] };
}

/** Opens a browser session: { go(url), eval(script), close() }. */
export async function openBrowser(browser) {
  const profile = mkdtempSync(path.join(os.tmpdir(), `payreq-${browser}-`));
  const port = await freePort();
  const { bin, args } = driverFor(browser);
  const driver = spawnTracked(bin, args(port), { stdio: ["ignore", "ignore", "ignore"] });
  const base = `http://127.0.0.1:${port}`;
  async function call(method, url, body) {
    const res = await fetch(base + url, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${browser} WebDriver ${method} ${url}: ${JSON.stringify(json.value).slice(0, 500)}`);
    return json.value;
  }
  for (let i = 0; ; i++) {
    try {
      await call("GET", "/status");
      break;
    } catch (e) {
      if (i > 100 || driver.exitCode !== null) {
        stop(driver);
        throw new Error(`${bin} did not start: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const capabilities = browser === "chromium"
    ? { browserName: "chrome", "goog:chromeOptions": { binary: "/usr/bin/chromium", args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`] } }
    : { browserName: "firefox", "moz:firefoxOptions": { binary: "/usr/bin/firefox-esr", args: ["-headless", "-profile", profile] } };
  let session;
  try {
    session = (await call("POST", "/session", { capabilities: { alwaysMatch: capabilities } })).sessionId;
  } catch (e) {
    stop(driver);
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    go: (url) => call("POST", `/session/${session}/url`, { url }),
    eval: (script) => call("POST", `/session/${session}/execute/sync`, { script, args: [] }),
    async close() {
      try {
        await call("DELETE", `/session/${session}`);
      } finally {
        stop(driver);
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
