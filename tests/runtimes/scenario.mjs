// The conformance scenario every runtime runs, from the packed tarball:
// validate, create, read back, pay through the sandbox's checkout page, see
// `paid`, one validation error and one API error with their class and `code`,
// and a redirect that is not followed.
// Plain ECMAScript plus fetch: no Node, Deno or DOM API, so the same file
// runs in Node, Deno, Bun, workerd and browsers.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}
function equal(actual, expected, what) {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
async function rejection(promise) {
  try {
    const value = await promise;
    throw new Failure(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof Failure) throw e;
    return e;
  }
}

/** Pays through the hosted checkout page as its form would (fetch, not a browser). */
export async function payThroughCheckout(checkoutUrl) {
  const html = await (await fetch(checkoutUrl)).text();
  const action = /<form[^>]*method="post"[^>]*action="([^"]*\/pay)"/i.exec(html)?.[1] ??
    /<form[^>]*action="([^"]*\/pay)"/i.exec(html)?.[1];
  check(action, "the checkout page has a pay form");
  const res = await fetch(new URL(action, checkoutUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "",
    redirect: "manual",
  });
  // Browsers hide a manual redirect (an "opaqueredirect" with status 0).
  check(res.status === 303 || res.type === "opaqueredirect", `pay answered ${res.status}`);
  await res.body?.cancel();
}

/**
 * Runs the scenario with `payreq` (the imported package namespace) against
 * the sandbox at `baseUrl`. Resolves to [{ name, ok, error? }], never rejects.
 * `clientOptions` are added to the client's options (dangerouslyAllowBrowser).
 */
export async function runScenario(payreq, { baseUrl, clientId = "sandbox_client", clientSecret = "sandbox_secret", clientOptions = {} }) {
  const { PaymentClient, validatePaymentRequest, PayreqError, ValidationError, ApiError, NotFoundError } = payreq;
  const results = [];
  const order = { amount: 1999, currency: "usd", redirectUrl: "https://shop.example/return?cart=7", referenceId: "order-42" };
  let client;
  let pr;
  async function step(name, fn) {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, error: `${e?.name ?? "Error"}: ${e?.message ?? e}${e instanceof Failure ? "" : `\n${e?.stack ?? ""}`}` });
    }
  }

  await step("validatePaymentRequest needs no network and names the problem", () => {
    const good = validatePaymentRequest(order);
    equal(good.ok, true, "ok");
    equal(good.value.currency, "USD", "value.currency");
    const bad = validatePaymentRequest({ ...order, amount: 19.99 });
    equal(bad.ok, false, "ok");
    equal(bad.errors[0].field, "amount", "errors[0].field");
    equal(bad.errors[0].code, "amount_fraction", "errors[0].code");
  });
  await step("create a payment request", async () => {
    client = new PaymentClient({ clientId, clientSecret, baseUrl, ...clientOptions });
    pr = await client.createPaymentRequest(order);
    check(UUID.test(pr.id), `id is a UUID: ${pr.id}`);
    equal(pr.status, "pending", "status");
    equal(pr.amount, 1999, "amount");
    equal(pr.currency, "USD", "currency");
    equal(pr.referenceId, "order-42", "referenceId");
    equal(pr.checkoutUrl, `${baseUrl}/checkout/${pr.id}`, "checkoutUrl");
  });
  await step("read it back", async () => {
    check(pr, "created");
    const same = await client.getPaymentRequest(pr.id.toUpperCase());
    equal(same.id, pr.id, "id");
    equal(same.status, "pending", "status");
    equal(same.redirectUrl, order.redirectUrl, "redirectUrl");
  });
  await step("pay it through the sandbox checkout and see paid", async () => {
    check(pr, "created");
    await payThroughCheckout(pr.checkoutUrl);
    equal((await client.getPaymentRequest(pr.id)).status, "paid", "status after paying");
  });
  await step("a validation error rejects with ValidationError before any request", async () => {
    check(client, "client constructed");
    const e = await rejection(client.createPaymentRequest({ ...order, redirectUrl: "http://shop.example/" }));
    check(e instanceof ValidationError, `instanceof ValidationError (got ${e?.name})`);
    check(e instanceof PayreqError && e instanceof Error, "instanceof PayreqError and Error");
    equal(e.name, "ValidationError", "name");
    equal(e.code, "validation_failed", "code");
    equal(e.status, null, "status");
    equal(e.field, "redirectUrl", "field");
    equal(e.errors[0].code, "redirect_url_not_https", "errors[0].code");
  });
  await step("an API error rejects with NotFoundError carrying status and code", async () => {
    check(client, "client constructed");
    const e = await rejection(client.getPaymentRequest("00000000-0000-4000-8000-000000000000"));
    check(e instanceof NotFoundError, `instanceof NotFoundError (got ${e?.name}: ${e?.message})`);
    check(e instanceof ApiError && e instanceof PayreqError && e instanceof Error, "instanceof ApiError, PayreqError, Error");
    equal(e.name, "NotFoundError", "name");
    equal(e.code, "not_found", "code");
    equal(e.status, 404, "status");
    equal(e.retryable, false, "retryable");
    check(typeof e.requestId === "string" && e.requestId.length > 0, "requestId from X-Request-Id");
  });
  await step("a redirect is never followed: an ApiError with code redirect naming only the origin", async () => {
    check(pr, "created");
    // The sandbox answers the next read with a 307 to an address where nothing listens:
    // followed, the call would fail to connect instead.
    const fault = { path: "/payment/request/*", method: "GET", count: 1, kind: "redirect", status: 307, location: "http://127.0.0.1:9/stolen?token=x" };
    const res = await fetch(`${baseUrl}/_sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) });
    check(res.ok, `the sandbox took the fault: ${res.status}`);
    await res.body?.cancel();
    const e = await rejection(client.getPaymentRequest(pr.id));
    check(e instanceof ApiError, `instanceof ApiError (got ${e?.name}: ${e?.message})`);
    equal(e.code, "redirect", "code");
    equal(e.retryable, false, "retryable");
    check(!e.message.includes("stolen") && !e.message.includes("token=x"), `only the origin is named: ${e.message}`);
  });
  return results;
}

/** How many steps runScenario runs (a runner that reports fewer has lost some). */
export const SCENARIO_STEPS = 7;

/** Formats results as node:test-style lines and a `N passed, N failed` summary. */
export function report(label, results, print = console.log) {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    if (r.ok) {
      passed++;
      print(`ok - ${label}: ${r.name}`);
    } else {
      failed++;
      print(`not ok - ${label}: ${r.name}\n  ${String(r.error).replaceAll("\n", "\n  ")}`);
    }
  }
  print(`# ${label}: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}
