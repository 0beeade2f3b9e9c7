// workerd, two ways, with the packed tarball:
//  1. miniflare (under Node 22) runs the conformance Worker (workerd/worker.mjs)
//     with the package's files as modules and the .wasm as CompiledWasm, then
//     the concurrency checks of workerd/concurrency.mjs;
//  2. as users ship: a copy of examples/cloudflare-worker gets the tarball,
//     `wrangler deploy --dry-run --outdir` bundles the conformance Worker and
//     the example itself, and each bundle runs in a bare `workerd serve`.
// The conformance Worker runs the shared scenario; the example is driven over HTTP.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { BIN, ROOT, TOOLS, Tally, installTarball, run, spawnTracked, startSandbox, stop } from "./support/harness.mjs";
import { SCENARIO_STEPS, payThroughCheckout, report } from "./scenario.mjs";

const STEPS = SCENARIO_STEPS;
const tally = new Tally();
const fixture = path.join(ROOT, "tests/runtimes/fixture");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" };
await installTarball(fixture);
const sandbox = await startSandbox();

// 1. miniflare
const viaMiniflare = await run(BIN.node22, [
  path.join(ROOT, "tests/runtimes/workerd/miniflare-run.mjs"), path.join(fixture, "node_modules/payreq"), sandbox.url,
], { env });
tally.absorb("workerd-miniflare", viaMiniflare, STEPS);
const mfEntry = /^# entry: (.*)$/m.exec(viaMiniflare.out)?.[1] ?? "";
tally.record('workerd-miniflare: "payreq" is the workerd.js entry of the installed tarball', mfEntry === "./workerd.js", `entry: ${mfEntry}`);

// 1b. the Workers request model: module-scoped clients, concurrent cold requests
// in several isolates, and a request whose token fetch was cancelled (issue 16).
const concurrency = await run(BIN.node22, [
  path.join(ROOT, "tests/runtimes/workerd/concurrency.mjs"), path.join(fixture, "node_modules/payreq"), sandbox.url, "3",
], { env });
tally.absorb("workerd-concurrency", concurrency, 3 * 4 + 3);

// 2. wrangler bundles, run in workerd
const project = path.join(ROOT, "target/tmp/cloudflare-worker");
rmSync(project, { recursive: true, force: true });
mkdirSync(project, { recursive: true });
for (const f of ["package.json", "wrangler.toml", "src"]) cpSync(path.join(ROOT, "examples/cloudflare-worker", f), path.join(project, f), { recursive: true });
cpSync(path.join(ROOT, "tests/runtimes/workerd/worker.mjs"), path.join(project, "conformance.mjs"));
cpSync(path.join(ROOT, "tests/runtimes/scenario.mjs"), path.join(project, "scenario.mjs"));
await installTarball(project);
const wrangler = path.join(TOOLS, "wrangler/bin/wrangler.js");

async function bundle(outdir, script) {
  const r = await run(BIN.node22, [wrangler, "deploy", "--dry-run", "--outdir", outdir, `--metafile=${path.join(outdir, "bundle-meta.json")}`, ...(script ? [script] : [])], { cwd: project, env });
  const what = script ?? "examples/cloudflare-worker";
  tally.record(`wrangler deploy --dry-run bundles ${what}`, r.code === 0, r.out);
  if (r.code !== 0) return false;
  // esbuild's metafile lists every input of the bundle: "payreq" must have
  // resolved to the workerd entry (the exports map's workerd condition), and no
  // other entry may have slipped in.
  const meta = JSON.parse(readFileSync(path.join(project, outdir, "bundle-meta.json"), "utf8"));
  const entries = Object.keys(meta.inputs).filter((f) => /node_modules\/payreq\/(node|workerd|deno|browser)\.js$/.test(f));
  tally.record(`wrangler's bundle of ${what} takes "payreq" from the workerd.js entry of the installed tarball`,
    entries.length === 1 && entries[0].endsWith("node_modules/payreq/workerd.js"), `entries in the bundle: ${entries.join(", ") || "none"}`);
  return true;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** Writes a workerd config for a wrangler bundle and serves it; resolves { url, child }. */
async function serve(outdir, bindings) {
  const dir = path.join(project, outdir);
  const files = readdirSync(dir);
  const main = files.find((f) => f.endsWith(".js") && !f.endsWith(".map"));
  const modules = [`(name = "${main}", esModule = embed "${main}")`,
    ...files.filter((f) => f.endsWith(".wasm")).map((f) => `(name = "${f}", wasm = embed "${f}")`)];
  const port = await freePort();
  writeFileSync(path.join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2026-07-01",
  bindings = [${Object.entries(bindings).map(([k, v]) => `(name = "${k}", text = ${JSON.stringify(v)})`).join(", ")}],
  globalOutbound = "internet",
);
`);
  const child = spawnTracked(BIN.workerd, ["serve", path.join(dir, "config.capnp")], { stdio: ["ignore", "inherit", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}`);
    try {
      await fetch(url + "/__ready");
      return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("workerd did not listen within 10 s");
}

if (await bundle("dist-conformance", "conformance.mjs")) {
  const worker = await serve("dist-conformance", {});
  try {
    const res = await fetch(`${worker.url}/?base=${encodeURIComponent(sandbox.url)}`);
    const text = await res.text();
    let results;
    try {
      results = JSON.parse(text);
    } catch {
      results = [{ name: "the Worker answers JSON", ok: false, error: `${res.status}: ${text.slice(0, 2000)}` }];
    }
    const { passed, failed } = report("workerd-wrangler-bundle", results);
    tally.passed += passed;
    tally.failed += failed + (passed < STEPS && !failed ? 1 : 0);
  } finally {
    stop(worker.child);
  }
}

if (await bundle("dist-example")) {
  const worker = await serve("dist-example", {
    PAYREQ_BASE_URL: sandbox.url, PAYREQ_CLIENT_ID: "sandbox_client", PAYREQ_CLIENT_SECRET: "sandbox_secret",
    RETURN_URL: "https://shop.example/return",
  });
  const label = "workerd-example";
  try {
    const pay = await fetch(`${worker.url}/checkout`, { method: "POST", body: JSON.stringify({ amount: 500, currency: "EUR", referenceId: "cart-1" }), redirect: "manual" });
    const checkout = pay.headers.get("location") ?? "";
    const id = /\/checkout\/([0-9a-f-]{36})$/.exec(checkout)?.[1];
    tally.record(`${label}: POST /checkout answers 303 to the sandbox checkout page`, pay.status === 303 && checkout.startsWith(sandbox.url) && id, `${pay.status} ${checkout} ${await pay.text()}`);
    if (id) {
      const forged = await fetch(`${worker.url}/return?payment_request_id=${id}&status=paid`);
      const forgedText = await forged.text();
      tally.record(`${label}: /return with a forged status=paid on an unpaid request says pending (402), from the API`,
        forged.status === 402 && forgedText === "Payment pending.", `${forged.status} ${forgedText}`);
      await payThroughCheckout(checkout);
      const back = await fetch(`${worker.url}/return?payment_request_id=${id}`);
      const backText = await back.text();
      tally.record(`${label}: /return after paying at the checkout says paid (200)`, back.status === 200 && backText === "Thank you: cart-1 is paid.", `${back.status} ${backText}`);
      const status = await (await fetch(`${worker.url}/payments/${id}`)).json();
      tally.record(`${label}: GET /payments/:id reports paid, 500 EUR, cart-1`,
        status.status === "paid" && status.amount === 500 && status.currency === "EUR" && status.referenceId === "cart-1", JSON.stringify(status));
    }
    const bad = await fetch(`${worker.url}/checkout`, { method: "POST", body: JSON.stringify({ amount: 5.5, currency: "EUR" }) });
    const badBody = await bad.json();
    tally.record(`${label}: a fractional amount is a ValidationError (400, amount_fraction)`,
      bad.status === 400 && badBody.error.name === "ValidationError" && badBody.error.code === "validation_failed" && badBody.error.errors[0].code === "amount_fraction", JSON.stringify(badBody));
    const missing = await fetch(`${worker.url}/payments/00000000-0000-4000-8000-000000000000`);
    const missingBody = await missing.json();
    tally.record(`${label}: an unknown id is a NotFoundError (404, not_found)`,
      missing.status === 404 && missingBody.error.name === "NotFoundError" && missingBody.error.code === "not_found" && missingBody.error.status === 404, JSON.stringify(missingBody));
  } finally {
    stop(worker.child);
  }
}
tally.done("workerd");
