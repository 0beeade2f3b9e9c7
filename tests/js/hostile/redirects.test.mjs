// Issue 16, item 3: payreq never follows a redirect. A 3xx is a typed,
// non-retryable ApiError (code "redirect") naming the status and the origin
// of its Location only; nothing is ever sent to the other origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, ApiError } from "payreq";
import { startHostile, json, token, resource, order, everything, leaks, CLIENT_ID, CLIENT_SECRET, BASIC } from "../support/hostile.mjs";

// The other origin: whatever it is sent is recorded, and it answers as the API would.
const other = await startHostile((req, res) => {
  if (req.url.startsWith("/oauth/token")) return token(res, "tripwire-token-minted-elsewhere");
  json(res, 201, resource());
});

// Redirects every request whose path is in `redirects` with that status.
const redirects = new Map();
const api = await startHostile((req, res) => {
  const path = req.url.split("?")[0];
  const status = redirects.get(path) ?? redirects.get(req.method);
  if (status === "loop") {
    res.writeHead(302, { location: req.url });
    return res.end();
  }
  if (status) {
    // The path and query of the Location carry a secret: never quoted.
    res.writeHead(status, { location: `${other.url}${path}?next=tripwire-in-location` });
    return res.end();
  }
  if (path === "/oauth/token") return token(res);
  if (req.method === "GET") return json(res, 200, resource(path.split("/").pop()));
  json(res, 201, resource());
});

const client = () => new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: api.url, rateLimit: 0 });

for (const status of [307, 308]) {
  test(`a ${status} on a create is an ApiError "redirect"; the other origin receives nothing`, async () => {
    redirects.clear();
    redirects.set("/payment/request", status);
    const before = api.count("POST", "/payment/request");
    const err = await client().createPaymentRequest(order).catch((e) => e);
    assert.ok(err instanceof ApiError, `${err.name}: ${err.code}`);
    assert.equal(err.code, "redirect");
    assert.equal(err.status, status);
    assert.equal(err.retryable, false);
    // The create reached a server, which may have processed it (POST-redirect-GET).
    assert.equal(err.outcomeUnknown, true);
    assert.match(err.idempotencyKey, /^[0-9a-f-]{36}$/);
    assert.ok(err.message.includes(`HTTP ${status}`), "the message names the status");
    assert.ok(err.message.includes(other.url), "the message names the Location's origin");
    assert.ok(!err.message.includes("/payment/request?"), "but not its path or query");
    assert.ok(!leaks(everything(err), ["tripwire-", BASIC]), "nothing secret in the error");
    assert.equal(other.requests.length, 0, "nothing was sent to the other origin");
    assert.equal(api.count("POST", "/payment/request") - before, 1, "one request, not retried");
  });
}

test("a redirect on /oauth/token: no token is minted elsewhere, no bearer token is sent", async () => {
  redirects.clear();
  redirects.set("/oauth/token", 307);
  const start = api.requests.length;
  const err = await client().createPaymentRequest(order).catch((e) => e);
  assert.ok(err instanceof ApiError, `${err.name}: ${err.code}`);
  assert.equal(err.code, "redirect");
  assert.equal(err.status, 307);
  assert.equal(err.retryable, false);
  assert.equal(err.outcomeUnknown, false, "the create was never sent");
  assert.ok(!leaks(everything(err), ["tripwire-", BASIC]), "nothing secret in the error");
  assert.equal(other.requests.length, 0, "the other origin was sent nothing (no credentials)");
  const sent = api.requests.slice(start);
  assert.deepEqual(sent.map((r) => `${r.method} ${r.url}`), ["POST /oauth/token"], "only the one token request");
  assert.ok(!sent.some((r) => /^Bearer/i.test(r.headers.authorization ?? "")), "no bearer token was ever sent");
});

test("a redirect loop is one request per call, and not retried", async () => {
  redirects.clear();
  redirects.set("GET", "loop");
  const c = client();
  const id = resource().id;
  const before = api.count("GET", "/payment/request/");
  const t0 = performance.now();
  const err = await c.getPaymentRequest(id, { maxRetries: 2 }).catch((e) => e);
  assert.ok(err instanceof ApiError, `${err.name}: ${err.code}`);
  assert.equal(err.code, "redirect");
  assert.equal(err.status, 302);
  assert.equal(err.retryable, false);
  assert.equal(api.count("GET", "/payment/request/") - before, 1, "exactly one request");
  assert.ok(performance.now() - t0 < 2_000, "no back-off either");
  // The same client still works once the server stops redirecting.
  redirects.clear();
  assert.equal((await c.getPaymentRequest(id)).id, id);
});
