// Issue 16, item 4: nothing secret in anything a caller can see. A server
// that echoes the client secret, the Basic credentials or a bearer token (in
// an error body's code, message or field, or in X-Request-Id) has them
// replaced by "[redacted]"; a token that is not an RFC 6750 b64token is
// refused at the token response (a DecodeError that never quotes it) and
// never cached or sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { PaymentClient, DecodeError, InvalidRequestError, AuthenticationError } from "payreq";
import { startHostile, json, token, resource, order, everything, leaks, mintToken, CLIENT_ID, CLIENT_SECRET, BASIC } from "../support/hostile.mjs";

// What the server does next: set by each test.
let onToken = (req, res) => token(res);
let onApi = (req, res) => json(res, 201, resource());
const api = await startHostile((req, res) => (req.url === "/oauth/token" ? onToken(req, res) : onApi(req, res)));

const SECRETS = ["tripwire-", CLIENT_SECRET, BASIC];

function client(options = {}) {
  const events = [];
  const c = new PaymentClient({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseUrl: api.url,
    rateLimit: 0,
    maxRetries: 0,
    onRequest: (e) => events.push(e),
    onResponse: (e) => events.push(e),
    ...options,
  });
  return { c, events };
}

/** Fails, without quoting it, when a secret is in the error or the hook events. */
function assertClean(err, events, what) {
  assert.ok(err instanceof Error, what);
  assert.ok(!leaks(everything(err), SECRETS), `a secret leaked in the ${err.name} of ${what}`);
  assert.ok(!leaks(inspect(events, { depth: 5 }) + JSON.stringify(events), SECRETS), `a secret leaked in the hook events of ${what}`);
}

const bearer = (req) => (req.headers.authorization ?? "").replace(/^Bearer /, "");

test("credentials and tokens echoed in an error body and in X-Request-Id are redacted", async () => {
  // The first token is refused (401): the client replays with a second one,
  // and the error then quotes both, the secret and the Basic credentials.
  const held = [];
  onToken = (req, res) => held.push(token(res));
  let calls = 0;
  onApi = (req, res) => {
    if (calls++ === 0) return json(res, 401, { error: "invalid_token" });
    const echo = `Bearer ${bearer(req)} ${held.join(" ")} Basic ${BASIC} ${CLIENT_SECRET}`;
    json(res, 400, { error: { code: CLIENT_SECRET, message: echo, field: held[0] } }, { "x-request-id": `${held[0]}-${held[1]}` });
  };
  const { c, events } = client();
  const err = await c.createPaymentRequest(order).catch((e) => e);
  assert.ok(err instanceof InvalidRequestError, err.name);
  assert.equal(held.length, 2, "a second token was fetched after the 401");
  assert.ok(err.message.includes("[redacted]"), "the secrets are marked as redacted");
  assert.equal(err.serverCode, "[redacted]");
  assert.equal(err.field, "[redacted]");
  assert.equal(err.requestId, "[redacted]-[redacted]");
  assert.ok(events.some((e) => e.requestId === "[redacted]-[redacted]"), "the hook's requestId is redacted too");
  assertClean(err, events, "an echoing 400");
});

test("the Basic credentials echoed by the token endpoint are redacted", async () => {
  onToken = (req, res) =>
    json(res, 401, { error: "invalid_client", error_description: `bad ${req.headers.authorization} for ${CLIENT_SECRET}` }, { "x-request-id": req.headers.authorization });
  const { c, events } = client();
  const err = await c.createPaymentRequest(order).catch((e) => e);
  assert.ok(err instanceof AuthenticationError, err.name);
  assert.equal(err.requestId, "Basic [redacted]");
  assertClean(err, events, "an echoing token endpoint");
});

test("a token on a successful response's X-Request-Id does not reach the hooks", async () => {
  onToken = (req, res) => token(res);
  onApi = (req, res) => json(res, 201, resource(), { "x-request-id": bearer(req) });
  const { c, events } = client();
  await c.createPaymentRequest(order);
  assert.ok(events.some((e) => e.requestId === "[redacted]"));
  assert.ok(!leaks(JSON.stringify(events), SECRETS), "a token leaked in the hook events");
});

for (const [what, bad] of [
  ["CR/LF", "\r\nX-Injected: 1"],
  ["a space", " and more"],
  ["a comma", ",x"],
  ["non-ASCII", "ü"],
  ["a NUL", "\0"],
]) {
  test(`a token with ${what} is refused at the token response, never cached, sent or quoted`, async () => {
    const minted = [];
    onToken = (req, res) => {
      const t = mintToken() + bad;
      minted.push(t);
      token(res, t);
    };
    onApi = (req, res) => json(res, 201, resource());
    const start = api.requests.length;
    const { c, events } = client();
    for (let i = 0; i < 2; i++) {
      const err = await c.createPaymentRequest(order).catch((e) => e);
      assert.ok(err instanceof DecodeError, `${err.name} (${err.code})`);
      assert.equal(err.outcomeUnknown, false, "the create was never sent");
      assert.ok(err.message.includes("b64token"), "the message says why, without the token");
      assertClean(err, events, `a token with ${what}`);
    }
    const sent = api.requests.slice(start);
    assert.deepEqual(sent.map((r) => r.url), ["/oauth/token", "/oauth/token"], "not cached: each call asked again; nothing else was sent");
    assert.equal(minted.length, 2);
  });
}
