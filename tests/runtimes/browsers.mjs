// Browsers, from the packed tarball, against payreq-sandbox over CORS:
//  - the conformance page (browser/page.mjs + the shared scenario) served on
//    loopback with an import map to the package's browser entry, in headless
//    Chromium (chromedriver) and Firefox ESR (geckodriver);
//  - the same page built by `vite build` (no plugin), in Chromium;
//  - the hosted checkout page in Chromium through Playwright: open checkoutUrl,
//    click Pay, land on redirectUrl, and the API reports paid;
//  - examples/browser built by Vite and driven in Chromium through Playwright.
// Usage: node tests/runtimes/browsers.mjs [chromium|firefox|vite|checkout|example]...
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, TOOLS, Tally, installTarball, run, startSandbox } from "./support/harness.mjs";
import { openBrowser, CHROMIUM_FLAGS } from "./support/webdriver.mjs";
import { SCENARIO_STEPS, report } from "./scenario.mjs";

const STEPS = 4 + SCENARIO_STEPS; // page checks + scenario steps
const want = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ["chromium", "firefox", "vite", "checkout", "example"]);
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

const ENTRY_RE = /node_modules\/payreq\/(node|workerd|deno|browser)\.js$/;

async function runPage(browser, label, pageUrl, { checkEntry = false } = {}) {
  let session;
  try {
    session = await openBrowser(browser);
    await session.go(`${pageUrl}/?base=${encodeURIComponent(sandbox.url)}`);
    let results = null;
    for (let i = 0; i < 300 && !results; i++) {
      results = await session.eval("return window.__results ?? null;");
      if (!results) await new Promise((r) => setTimeout(r, 100));
    }
    if (checkEntry) {
      // Which of the package's entry files did the browser load?
      const loaded = (await session.eval("return performance.getEntriesByType('resource').map((r) => r.name);"))
        .map((u) => new URL(u).pathname).filter((p) => ENTRY_RE.test(p));
      tally.record(`${label}: "payreq" is the browser.js entry of the installed tarball`,
        loaded.length === 1 && loaded[0] === `/node_modules/payreq/${browserEntry.replace(/^\.\//, "")}` && browserEntry === "./browser.js",
        `entries loaded: ${loaded.join(", ") || "none"}`);
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
    for (const browser of ["chromium", "firefox"]) if (want.has(browser)) await runPage(browser, `${browser}-page`, server.url, { checkEntry: true });
  } finally {
    server.close();
  }
}

// 2. Vite production build of the same page, in Chromium.
if (want.has("vite")) {
  writeFileSync(path.join(project, "index.html"), html());
  // No payreq plugin or setting: the config only records which files of the
  // package Vite bundled (to check that "payreq" resolved to the browser entry).
  writeFileSync(path.join(project, "vite.config.mjs"), `import { writeFileSync } from "node:fs";
const ids = [];
export default { plugins: [{ name: "record-payreq-files", moduleParsed: (m) => { if (m.id.includes("/node_modules/payreq/")) ids.push(m.id); },
  buildEnd: () => writeFileSync("payreq-files.json", JSON.stringify(ids)) }] };
`);
  const built = await run(process.execPath, [path.join(TOOLS, "vite/bin/vite.js"), "build", "--outDir", "dist", "--emptyOutDir", "--logLevel", "warn"], { cwd: project });
  const assets = built.code === 0 ? readdirSync(path.join(project, "dist/assets")) : [];
  tally.record("vite build bundles the page and emits payreq_bg.wasm as an asset", built.code === 0 && assets.some((f) => f.endsWith(".wasm")), built.out + assets.join(" "));
  if (built.code === 0) {
    const entries = JSON.parse(readFileSync(path.join(project, "payreq-files.json"), "utf8")).filter((f) => ENTRY_RE.test(f));
    tally.record('vite resolves "payreq" to the browser.js entry of the installed tarball',
      entries.length === 1 && entries[0].endsWith("node_modules/payreq/browser.js"), `entries bundled: ${entries.join(", ") || "none"}`);
  }
  if (built.code === 0) {
    const server = await serveDir(path.join(project, "dist"));
    try {
      await runPage("chromium", "chromium-vite-build", server.url);
    } finally {
      server.close();
    }
  }
}

async function playwrightChromium() {
  const playwright = await import(pathToFileURL(createRequire(TOOLS + "/").resolve("playwright-core")));
  return (playwright.chromium ? playwright : playwright.default).chromium;
}

// 3. The hosted checkout page in real Chromium (Playwright, Debian's chromium).
if (want.has("checkout")) {
  const chromium = await playwrightChromium();
  const payreq = await import(pathToFileURL(path.join(pkgDir, "node.js")));
  let browser;
  try {
    const client = new payreq.PaymentClient({ clientId: "sandbox_client", clientSecret: "sandbox_secret", baseUrl: sandbox.url });
    const redirectUrl = "https://shop.example/return?cart=9";
    const pr = await client.createPaymentRequest({ amount: 4200, currency: "EUR", redirectUrl });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    // The shop (https://shop.example) does not exist here, and Playwright does not route
    // requests reached through a redirect: watch for the browser's navigation request to
    // redirectUrl after the 303, which is what "landing" on it means for the shop.
    await page.goto(pr.checkoutUrl);
    const [landing] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith("https://shop.example/") && r.isNavigationRequest()),
      page.click(`form[action$="/pay"] [type=submit], form[action$="/pay"] button`),
    ]);
    const back = new URL(landing.url());
    tally.record("chromium-checkout: clicking Pay lands on redirectUrl with payment_request_id and status=paid",
      back.origin + back.pathname === "https://shop.example/return" && back.searchParams.get("cart") === "9" &&
      back.searchParams.get("payment_request_id") === pr.id && back.searchParams.get("status") === "paid", landing.url());
    const after = await client.getPaymentRequest(pr.id);
    tally.record("chromium-checkout: the API reports paid", after.status === "paid", after.status);
  } catch (e) {
    tally.record("chromium-checkout: the checkout page ran", false, e.stack);
  } finally {
    await browser?.close();
  }
}
// 4. examples/browser as a user builds it (Vite, no config), driven in Chromium.
if (want.has("example")) {
  const example = path.join(ROOT, "target/tmp/browser-example");
  rmSync(example, { recursive: true, force: true });
  mkdirSync(example, { recursive: true });
  for (const f of ["index.html", "main.js", "package.json"]) cpSync(path.join(ROOT, "examples/browser", f), path.join(example, f));
  await installTarball(example);
  const built = await run(process.execPath, [path.join(TOOLS, "vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: example });
  tally.record("examples/browser: vite build", built.code === 0, built.out);
  let browser;
  const server = built.code === 0 ? await serveDir(path.join(example, "dist")) : null;
  try {
    if (server) {
      browser = await (await playwrightChromium()).launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
      const page = await browser.newPage();
      const elsewhere = [];
      page.on("request", (r) => new URL(r.url()).origin !== server.url && elsewhere.push(r.url()));
      await page.goto(server.url + "/");
      const errorFor = (field) => page.locator(`[data-error-for="${field}"]`).textContent();
      await page.fill("input[name=amount]", "19.99");
      await page.fill("input[name=currency]", "XYZ");
      await page.fill("input[name=redirectUrl]", "http://shop.example/return");
      await page.click("button");
      await page.waitForFunction(() => document.querySelector("#result").textContent !== "");
      const shown = { amount: await errorFor("amount"), currency: await errorFor("currency"), redirectUrl: await errorFor("redirectUrl") };
      tally.record("examples/browser: a fractional amount, an unknown currency and an http URL each show an error at their field",
        /integer|smallest/i.test(shown.amount) && /XYZ|ISO 4217|currency/i.test(shown.currency) && /https/i.test(shown.redirectUrl) &&
        (await page.textContent("#result")).startsWith("3 field"), JSON.stringify(shown));
      await page.fill("input[name=amount]", "1999");
      await page.fill("input[name=currency]", "EUR");
      await page.fill("input[name=redirectUrl]", "https://shop.example/return");
      await page.click("button");
      await page.waitForFunction(() => document.querySelector("#result").textContent.startsWith("OK"));
      const cleared = [await errorFor("amount"), await errorFor("currency"), await errorFor("redirectUrl")];
      tally.record("examples/browser: a valid form shows OK and clears the field errors", cleared.every((t) => t === ""), JSON.stringify(cleared));
      tally.record("examples/browser: the page made no request outside its own origin (no API call, no secret)", elsewhere.length === 0, elsewhere.join(" "));
    }
  } catch (e) {
    tally.record("examples/browser: the page ran", false, e.stack);
  } finally {
    await browser?.close();
    server?.close();
  }
}
tally.done(`browsers (${[...want].join(", ")})`);
