// Browsers, from the packed tarball, against payreq-sandbox over CORS:
//  - the conformance page (browser/page.mjs + the shared scenario) served on
//    loopback with an import map to the package's browser entry, in headless
//    Chromium (chromedriver) and Firefox ESR (geckodriver);
//  - the same page built by `vite build` (no plugin), in Chromium;
//  - the hosted checkout page in Chromium through Playwright: open checkoutUrl,
//    click Pay, land on redirectUrl, and the API reports paid.
// Usage: node tests/runtimes/browsers.mjs [chromium|firefox|vite|checkout]...
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, TOOLS, Tally, installTarball, run, startSandbox } from "./support/harness.mjs";
import { openBrowser, CHROMIUM_FLAGS } from "./support/webdriver.mjs";
import { report } from "./scenario.mjs";

const STEPS = 4 + 6; // page checks + scenario steps
const want = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ["chromium", "firefox", "vite", "checkout"]);
const tally = new Tally();
const project = path.join(ROOT, "target/tmp/browser-page");
rmSync(project, { recursive: true, force: true });
mkdirSync(project, { recursive: true });
writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "payreq-browser-fixture", private: true, type: "module" }));
cpSync(path.join(ROOT, "tests/runtimes/browser/page.mjs"), path.join(project, "page.mjs"));
cpSync(path.join(ROOT, "tests/runtimes/scenario.mjs"), path.join(project, "scenario.mjs"));
await installTarball(project);
const pkgDir = path.join(project, "node_modules/payreq");
const browserEntry = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")).exports["."].browser.default;
const sandbox = await startSandbox();

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
/** A static file server for `dir` on a free loopback port (in this process). */
function serveDir(dir) {
  const server = createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      const body = readFileSync(file.endsWith("/") ? path.join(file, "index.html") : file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file) || ".html"] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

const html = (head = "") => `<!doctype html><meta charset="utf-8"><title>payreq conformance</title>${head}<script type="module" src="./page.mjs"></script>`;

async function runPage(browser, label, pageUrl) {
  let session;
  try {
    session = await openBrowser(browser);
    await session.go(`${pageUrl}/?base=${encodeURIComponent(sandbox.url)}`);
    let results = null;
    for (let i = 0; i < 300 && !results; i++) {
      results = await session.eval("return window.__results ?? null;");
      if (!results) await new Promise((r) => setTimeout(r, 100));
    }
    results ??= [{ name: "the page finished within 30 s", ok: false, error: "no window.__results" }];
    const { passed, failed } = report(label, results);
    tally.passed += passed;
    tally.failed += failed + (passed < STEPS && !failed ? 1 : 0);
  } catch (e) {
    tally.record(`${label}: the page ran`, false, e.stack);
  } finally {
    await session?.close().catch(() => {});
  }
}

// 1. No bundler: an import map points "payreq" at the browser entry.
if (want.has("chromium") || want.has("firefox")) {
  writeFileSync(path.join(project, "index.html"), html(`<script type="importmap">${JSON.stringify({ imports: { payreq: `./node_modules/payreq/${browserEntry.replace(/^\.\//, "")}` } })}</script>`));
  const server = await serveDir(project);
  try {
    for (const browser of ["chromium", "firefox"]) if (want.has(browser)) await runPage(browser, `${browser}-page`, server.url);
  } finally {
    server.close();
  }
}

// 2. Vite production build of the same page, in Chromium.
if (want.has("vite")) {
  writeFileSync(path.join(project, "index.html"), html());
  const built = await run(process.execPath, [path.join(TOOLS, "vite/bin/vite.js"), "build", "--outDir", "dist", "--emptyOutDir", "--logLevel", "warn"], { cwd: project });
  const assets = built.code === 0 ? (await import("node:fs")).readdirSync(path.join(project, "dist/assets")) : [];
  tally.record("vite build bundles the page and emits payreq_bg.wasm as an asset", built.code === 0 && assets.some((f) => f.endsWith(".wasm")), built.out + assets.join(" "));
  if (built.code === 0) {
    const server = await serveDir(path.join(project, "dist"));
    try {
      await runPage("chromium", "chromium-vite-build", server.url);
    } finally {
      server.close();
    }
  }
}

// 3. The hosted checkout page in real Chromium (Playwright, Debian's chromium).
if (want.has("checkout")) {
  const { chromium } = await import(pathToFileURL(createRequire(TOOLS + "/").resolve("playwright-core")));
  const payreq = await import(pathToFileURL(path.join(pkgDir, "node.js")));
  let browser;
  try {
    const client = new payreq.PaymentClient({ clientId: "sandbox_client", clientSecret: "sandbox_secret", baseUrl: sandbox.url });
    const redirectUrl = "https://shop.example/return?cart=9";
    const pr = await client.createPaymentRequest({ amount: 4200, currency: "EUR", redirectUrl });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    // The shop is not reachable from here: answer its return URL locally.
    await page.route("https://shop.example/**", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<p>back at the shop</p>" }));
    await page.goto(pr.checkoutUrl);
    await Promise.all([page.waitForURL("https://shop.example/**"), page.click(`form[action$="/pay"] [type=submit], form[action$="/pay"] button`)]);
    const back = new URL(page.url());
    tally.record("chromium-checkout: clicking Pay lands on redirectUrl with payment_request_id and status=paid",
      back.origin + back.pathname === "https://shop.example/return" && back.searchParams.get("cart") === "9" &&
      back.searchParams.get("payment_request_id") === pr.id && back.searchParams.get("status") === "paid", page.url());
    const after = await client.getPaymentRequest(pr.id);
    tally.record("chromium-checkout: the API reports paid", after.status === "paid", after.status);
  } catch (e) {
    tally.record("chromium-checkout: the checkout page ran", false, e.stack);
  } finally {
    await browser?.close();
  }
}
tally.done(`browsers (${[...want].join(", ")})`);
