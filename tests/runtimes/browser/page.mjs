// The conformance page: imports the package's browser entry ("payreq"), checks
// the browser-only rules, then runs the shared scenario against the sandbox
// (?base=...) over CORS. Results land in window.__results for the harness.
import * as payreq from "payreq";
import { runScenario } from "./scenario.mjs";

const baseUrl = new URLSearchParams(location.search).get("base");
const results = [];
function step(name, fn) {
  try {
    fn();
    results.push({ name, ok: true });
  } catch (e) {
    results.push({ name, ok: false, error: `${e?.name}: ${e?.message}` });
  }
}
function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  step("a synchronous call before init() says to await init()", () => {
    let error;
    try {
      payreq.validatePaymentRequest({});
    } catch (e) {
      error = e;
    }
    check(error && /await init\(\)/.test(error.message), `got ${error?.message}`);
  });
  await payreq.init();
  step("init() fetched the .wasm asset beside the entry", () => {
    const wasm = performance.getEntriesByType("resource").filter((r) => r.name.endsWith(".wasm"));
    check(wasm.length === 1, `wasm fetches: ${wasm.map((r) => r.name).join(", ")}`);
  });
  step("validatePaymentRequest works in the page", () => {
    const r = payreq.validatePaymentRequest({ amount: 1, currency: "JPY", redirectUrl: "https://a.example/" });
    check(r.ok === true, JSON.stringify(r));
  });
  step("a client with a secret is refused without dangerouslyAllowBrowser", () => {
    let error;
    try {
      new payreq.PaymentClient({ clientId: "sandbox_client", clientSecret: "sandbox_secret", baseUrl });
    } catch (e) {
      error = e;
    }
    check(error instanceof payreq.ValidationError, `expected a ValidationError, got ${error?.name ?? "no error"}`);
    check(error.errors?.[0]?.code === "secret_in_browser", `code ${error.errors?.[0]?.code}`);
    check(error.field === "clientSecret", `field ${error.field}`);
    check(!error.message.includes("sandbox_secret"), "the message does not repeat the secret");
  });
  results.push(...(await runScenario(payreq, { baseUrl, clientOptions: { dangerouslyAllowBrowser: true } })));
}

main().catch((e) => results.push({ name: "the page ran to the end", ok: false, error: `${e?.name}: ${e?.message}` }))
  .finally(() => {
    window.__results = results;
  });
