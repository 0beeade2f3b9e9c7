// Issue 16, item 5: `outcomeUnknown` means the create may exist. Failures of
// the token request (sent before the create) never carry it; an abort with an
// unknown outcome keeps the signal's reason as its `cause`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, DecodeError, AbortError } from "payreq";
import { startHostile, json, token, resource, order, CLIENT_ID, CLIENT_SECRET } from "../support/hostile.mjs";

let onToken = (req, res) => token(res);
let onApi = (req, res) => json(res, 201, resource());
const api = await startHostile((req, res) => (req.url === "/oauth/token" ? onToken(req, res) : onApi(req, res)));
const client = () => new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: api.url, rateLimit: 0, maxRetries: 0 });

for (const [what, answer] of [
  ["token_type \"mac\"", (res) => token(res, undefined, { token_type: "mac" })],
  ["a body that is not JSON", (res) => json(res, 200, "<html>not json</html>")],
  ["a JSON body without access_token", (res) => json(res, 200, { token_type: "Bearer" })],
]) {
  test(`a token response with ${what} fails a create with a known outcome (nothing was created)`, async () => {
    onToken = (req, res) => answer(res);
    const before = api.count("POST", "/payment/request");
    const err = await client().createPaymentRequest(order).catch((e) => e);
    assert.ok(err instanceof DecodeError, `${err.name} (${err.code})`);
    assert.equal(err.outcomeUnknown, false);
    assert.equal(err.idempotencyKey, undefined);
    assert.equal(api.count("POST", "/payment/request"), before, "the create was never sent");
  });
}

test("an abort while the create is in flight: outcomeUnknown with the key, and the signal's reason as cause", async () => {
  onToken = (req, res) => token(res);
  let arrive;
  const arrived = new Promise((resolve) => (arrive = resolve));
  onApi = (req, res) => {
    arrive();
    setTimeout(() => json(res, 201, resource()), 5_000).unref();
  };
  const controller = new AbortController();
  const reason = new Error("the shopper left");
  const call = client().createPaymentRequest(order, { signal: controller.signal }).catch((e) => e);
  await arrived;
  controller.abort(reason);
  const err = await call;
  assert.ok(err instanceof AbortError, `${err.name} (${err.code})`);
  assert.equal(err.outcomeUnknown, true);
  assert.match(err.idempotencyKey, /^[0-9a-f-]{36}$/);
  assert.equal(err.cause, reason, "the signal's reason is the cause");
});
