// Issue 16, item 6: payreq checks what the server answers. A resource for
// another id, a create without a UUID id, or a checkout URL that is not
// https: (nor http: on a loopback host) is a DecodeError (for a create:
// outcomeUnknown with the key, since the create happened).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { PaymentClient, DecodeError } from "payreq";
import { startHostile, json, token, resource, order, CLIENT_ID, CLIENT_SECRET } from "../support/hostile.mjs";

let answer = (id) => resource(id);
const api = await startHostile((req, res) => {
  if (req.url === "/oauth/token") return token(res);
  const id = req.method === "GET" ? req.url.split("/").pop() : undefined;
  json(res, req.method === "GET" ? 200 : 201, answer(id));
});
const client = () => new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: api.url, rateLimit: 0, maxRetries: 0 });

test("getPaymentRequest refuses a resource with another id", async () => {
  const other = randomUUID();
  answer = () => resource(other, { status: "paid" });
  const err = await client().getPaymentRequest(randomUUID()).catch((e) => e);
  assert.ok(err instanceof DecodeError, `resolved or ${err.name}`);
  assert.equal(err.outcomeUnknown, false);
  assert.ok(!err.message.includes(other), "the other payment's id is not quoted");
  // The same id in upper case is the same payment (ids are compared canonically).
  answer = (id) => resource(id.toUpperCase());
  const id = randomUUID();
  assert.equal((await client().getPaymentRequest(id)).id, id.toUpperCase());
});

test("waitForPayment refuses a paid resource with another id", async () => {
  answer = () => resource(randomUUID(), { status: "paid" });
  const err = await client().waitForPayment(randomUUID(), { timeoutMs: 5_000 }).catch((e) => e);
  assert.ok(err instanceof DecodeError, `resolved or ${err.name}`);
});

for (const [what, fields] of [
  ["no id", { id: undefined }],
  ["a non-UUID id", { id: "../../admin" }],
  ["a numeric id", { id: 42 }],
]) {
  test(`a create answered with ${what} is a DecodeError with an unknown outcome`, async () => {
    answer = () => resource(undefined, fields);
    const err = await client().createPaymentRequest(order).catch((e) => e);
    assert.ok(err instanceof DecodeError, `resolved or ${err.name}`);
    assert.equal(err.outcomeUnknown, true);
    assert.match(err.idempotencyKey, /^[0-9a-f-]{36}$/);
  });
}

for (const url of ["javascript:alert(1)", " javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "http://evil.example/checkout"]) {
  test(`a checkoutUrl ${JSON.stringify(url)} never reaches the caller`, async () => {
    answer = (id) => resource(id, { checkout_url: url });
    const create = await client().createPaymentRequest(order).catch((e) => e);
    assert.ok(create instanceof DecodeError, `resolved or ${create.name}`);
    assert.equal(create.outcomeUnknown, true, "the create happened");
    assert.ok(!create.message.includes(url.trim()), "the URL is not quoted");
    const get = await client().getPaymentRequest(randomUUID()).catch((e) => e);
    assert.ok(get instanceof DecodeError, `resolved or ${get.name}`);
    assert.equal(get.outcomeUnknown, false);
  });
}

test("https: checkout URLs, and http: on the loopback host (the sandbox), are accepted", async () => {
  for (const url of ["https://pay.example/checkout/1", `${api.url}/checkout/1`, "http://localhost:8080/checkout/1", "http://[::1]:8080/c"]) {
    answer = (id) => resource(id, { checkout_url: url });
    const pr = await client().createPaymentRequest(order);
    assert.equal(pr.checkoutUrl, url);
  }
});
