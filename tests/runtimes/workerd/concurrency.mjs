// Runs under Node 22 (miniflare 4 needs it): the Workers request model (issue
// 16, item 9). Each of WORKERS Worker scripts (one isolate each, all in one
// workerd) keeps one PaymentClient at module scope, as README.md recommends,
// and gets REQUESTS concurrent cold requests, each of which needs the token:
// one request fetches it, the others wait for it. In Workers a request must
// not wait on a promise another request settles: workerd then warns ("A
// promise was resolved or rejected from a different request context") and
// cancels requests as hung. Every round is a fresh Miniflare (a cold start),
// with the token endpoint slowed down so that every request arrives while the
// token is on its way. Checks, per round: every request succeeded, no
// request was cancelled as hung, no cross-request warning, and exactly one
// token request per isolate. Then a request waiting for the token of a
// cancelled request must take the fetch over. Prints `ok` / `not ok` lines.
// Usage: node22 concurrency.mjs <pkgdir> <sandbox url> [rounds]
import { createRequire } from "node:module";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const WORKERS = 3;
const REQUESTS = 8;
const TOKEN_DELAY_MS = 300;
const here = path.dirname(fileURLToPath(import.meta.url));
const tools = path.join(here, "../../../tools/");
const { Miniflare } = await import(pathToFileURL(createRequire(tools).resolve("miniflare")));
const [pkgDir, baseUrl, rounds = "3"] = process.argv.slice(2);

async function control(method, route, body) {
  const res = await fetch(baseUrl + route, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}
const tokenRequests = async () => (await control("GET", "/_sandbox/counters")).requests["POST /oauth/token"] ?? 0;

// A Worker with the client at module scope (examples/cloudflare-worker does
// the same). With ?detach it answers at once and leaves the call behind: the
// end of the request cancels what the call was doing, so it never steps again.
const worker = `import { PaymentClient } from "payreq";
let client;
export default {
  async fetch(request, env) {
    client ??= new PaymentClient({ clientId: "sandbox_client", clientSecret: "sandbox_secret", baseUrl: env.BASE_URL,
      timeoutMs: env.TIMEOUT_MS ? +env.TIMEOUT_MS : undefined });
    const url = new URL(request.url);
    const call = client.getPaymentRequest(url.searchParams.get("id"));
    if (url.searchParams.has("detach")) {
      call.catch(() => {});
      return new Response("detached");
    }
    return Response.json({ id: (await call).id });
  },
};
`;
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const entry = pkg.exports["."].workerd.default;
const files = (dir) => readdirSync(dir).flatMap((f) => {
  const p = path.join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});
const modules = [
  { type: "ESModule", path: "worker.mjs", contents: worker },
  { type: "ESModule", path: "payreq", contents: readFileSync(path.join(pkgDir, entry), "utf8") },
];
for (const file of files(pkgDir)) {
  const name = path.relative(pkgDir, file);
  if (name.endsWith(".js")) modules.push({ type: "ESModule", path: name, contents: readFileSync(file, "utf8") });
  if (name.endsWith(".wasm")) modules.push({ type: "CompiledWasm", path: name, contents: readFileSync(file) });
}

// One payment request for every Worker to read.
const token = await fetch(`${baseUrl}/oauth/token`, {
  method: "POST",
  headers: { authorization: `Basic ${btoa("sandbox_client:sandbox_secret")}`, "content-type": "application/x-www-form-urlencoded" },
  body: "grant_type=client_credentials",
}).then((r) => r.json());
const { id } = await fetch(`${baseUrl}/payment/request`, {
  method: "POST",
  headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" },
  body: JSON.stringify({ amount: 100, currency: "EUR", redirect_url: "https://shop.example/r" }),
}).then((r) => r.json());

let failed = 0;
const check = (name, ok, detail = "") => {
  if (!ok) failed++;
  console.log(`${ok ? "ok" : "not ok"} - ${name}${ok || !detail ? "" : `\n  ${String(detail).trim().replaceAll("\n", "\n  ")}`}`);
};

for (let round = 1; round <= +rounds; round++) {
  let log = "";
  const mf = new Miniflare({
    workers: Array.from({ length: WORKERS }, (_, i) => ({
      name: `isolate-${i}`, modules, compatibilityDate: "2026-07-01", bindings: { BASE_URL: baseUrl },
    })),
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (d) => (log += d));
      stderr.on("data", (d) => (log += d));
    },
  });
  try {
    await mf.ready;
    await control("DELETE", "/_sandbox/faults");
    await control("POST", "/_sandbox/faults", { path: "/oauth/token", count: WORKERS, kind: "delay", delay_ms: TOKEN_DELAY_MS });
    const before = await tokenRequests();
    const workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => mf.getWorker(`isolate-${i}`)));
    const t0 = performance.now();
    const answers = await Promise.all(workers.flatMap((w) => Array.from({ length: REQUESTS }, async () => {
      try {
        const res = await w.fetch(`http://worker/?id=${id}`);
        const text = await res.text();
        return res.status === 200 && JSON.parse(text).id === id ? "" : `${res.status}: ${text.slice(0, 300)}`;
      } catch (e) {
        return String(e?.stack ?? e).slice(0, 300);
      }
    })));
    const ms = performance.now() - t0;
    // workerd's log lines may trail the answers.
    await new Promise((r) => setTimeout(r, 200));
    const bad = answers.filter(Boolean);
    const label = `workerd-concurrency: cold start ${round}, ${WORKERS} isolates x ${REQUESTS} concurrent requests`;
    check(`${label}: every request succeeded (${ms.toFixed(0)} ms)`, bad.length === 0, `${bad.length} failed:\n${bad.slice(0, 3).join("\n")}`);
    const hung = log.match(/.*code had hung.*/g) ?? [];
    check(`${label}: none was cancelled as hung`, hung.length === 0 && !bad.some((b) => /hung/.test(b)), `${hung.length} in the log: ${hung[0] ?? ""}`);
    const crossed = log.match(/.*different request context.*/g) ?? [];
    check(`${label}: no promise was settled from another request's context`, crossed.length === 0, `${crossed.length} warnings: ${crossed[0] ?? ""}`);
    const tokens = (await tokenRequests()) - before;
    check(`${label}: one token request per isolate`, tokens === WORKERS, `${tokens} token requests for ${WORKERS} isolates`);
  } finally {
    await mf.dispose();
  }
}

// The request fetching the token is cancelled (here: it ended without waiting
// for its call): the single flight's lease (its 1 s time limit and 1 s of
// slack) runs out, and a request waiting for the token fetches it itself.
{
  let log = "";
  const mf = new Miniflare({
    modules, compatibilityDate: "2026-07-01", bindings: { BASE_URL: baseUrl, TIMEOUT_MS: "1000" },
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (d) => (log += d));
      stderr.on("data", (d) => (log += d));
    },
  });
  try {
    await control("DELETE", "/_sandbox/faults");
    await control("POST", "/_sandbox/faults", { path: "/oauth/token", count: 1, kind: "delay", delay_ms: 3000 });
    const before = await tokenRequests();
    const detached = await (await mf.dispatchFetch(`http://worker/?detach&id=${id}`)).text();
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://worker/?id=${id}`);
    const text = await res.text();
    const ms = performance.now() - t0;
    const label = "workerd-concurrency: a request waiting for the token of a cancelled request";
    check(`${label} takes the fetch over once its lease has passed (${ms.toFixed(0)} ms)`,
      detached === "detached" && res.status === 200 && JSON.parse(text).id === id && ms < 4000, `${res.status}: ${text.slice(0, 300)}`);
    const tokens = (await tokenRequests()) - before;
    check(`${label}: its own token request is the second`, tokens === 2, `${tokens} token requests`);
    check(`${label}: nothing hung or crossed request contexts`, !/code had hung|different request context/.test(log + text), (log + text).slice(0, 500));
  } finally {
    await mf.dispose();
  }
}
await control("DELETE", "/_sandbox/faults");
process.exitCode = failed ? 1 : 0;
