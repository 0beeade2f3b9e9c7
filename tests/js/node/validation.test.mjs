// Every client-side validation rule, through the packed package in Node,
// and proof that invalid input never reaches the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PaymentClient, validatePaymentRequest, ValidationError, PayreqError } from "payreq";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const valid = { amount: 1999, currency: "USD", redirectUrl: "https://shop.example/return" };
const codesOf = (input) => {
  const r = validatePaymentRequest(input);
  return r.ok ? [] : r.errors.map((e) => `${e.field}:${e.code}`);
};

const rules = [
  // amount
  [{ amount: undefined }, "amount:amount_missing"],
  [{ amount: null }, "amount:amount_missing"],
  [{ amount: 0 }, "amount:amount_zero"],
  [{ amount: -0 }, "amount:amount_negative_zero"],
  [{ amount: -1 }, "amount:amount_negative"],
  [{ amount: 19.99 }, "amount:amount_fraction"],
  [{ amount: NaN }, "amount:amount_nan"],
  [{ amount: Infinity }, "amount:amount_infinite"],
  [{ amount: -Infinity }, "amount:amount_infinite"],
  [{ amount: 2 ** 53 }, "amount:amount_unsafe_integer"],
  [{ amount: "1999" }, "amount:amount_not_number"],
  [{ amount: [1999] }, "amount:amount_not_number"],
  [{ amount: 0n }, "amount:amount_zero"],
  [{ amount: -5n }, "amount:amount_negative"],
  [{ amount: 2n ** 63n }, "amount:amount_too_large"],
  // currency
  [{ currency: undefined }, "currency:currency_missing"],
  [{ currency: 840 }, "currency:currency_not_string"],
  [{ currency: "US" }, "currency:currency_malformed"],
  [{ currency: "ABC" }, "currency:currency_unknown"],
  [{ currency: "XAU" }, "currency:currency_no_minor_unit"],
  [{ currency: "XXX" }, "currency:currency_no_minor_unit"],
  [{ currency: "HRK" }, "currency:currency_withdrawn"],
  // redirectUrl
  [{ redirectUrl: undefined }, "redirectUrl:redirect_url_missing"],
  [{ redirectUrl: new URL("https://shop.example/") }, "redirectUrl:redirect_url_not_string"],
  [{ redirectUrl: "http://shop.example/return" }, "redirectUrl:redirect_url_not_https"],
  [{ redirectUrl: "shop.example/return" }, "redirectUrl:redirect_url_invalid"],
  [{ redirectUrl: "https://user:pw@shop.example/" }, "redirectUrl:redirect_url_userinfo"],
  [{ redirectUrl: "https://shop.example/#done" }, "redirectUrl:redirect_url_fragment"],
  [{ redirectUrl: "https://shop.example/a b" }, "redirectUrl:redirect_url_whitespace"],
  [{ redirectUrl: "https://shop.example/\u0007" }, "redirectUrl:redirect_url_whitespace"],
  [{ redirectUrl: "https:\\\\shop.example\\return" }, "redirectUrl:redirect_url_backslash"],
  [{ redirectUrl: "https://shop.example/" + "a".repeat(2048) }, "redirectUrl:redirect_url_too_long"],
  // referenceId
  [{ referenceId: "" }, "referenceId:reference_id_empty"],
  [{ referenceId: "x".repeat(256) }, "referenceId:reference_id_too_long"],
  [{ referenceId: "a\nb" }, "referenceId:reference_id_control_chars"],
  [{ referenceId: 42 }, "referenceId:reference_id_not_string"],
];

test("each validation rule has its own code, in Node", () => {
  for (const [patch, expected] of rules) {
    assert.deepEqual(codesOf({ ...valid, ...patch }), [expected], JSON.stringify(patch, (k, v) => (typeof v === "bigint" ? `${v}n` : v)));
  }
});

test("valid input is normalised: upper-case currency, parser-serialised URL, bigint amounts", () => {
  const r = validatePaymentRequest({ amount: 2n ** 63n - 1n, currency: "eur", redirectUrl: "HTTPS://Shop.Example/a/../b", referenceId: "order-42" });
  assert.deepEqual(r, {
    ok: true,
    value: { amount: 2n ** 63n - 1n, currency: "EUR", redirectUrl: "https://shop.example/b", referenceId: "order-42" },
  });
  assert.equal(validatePaymentRequest({ ...valid, amount: Number.MAX_SAFE_INTEGER }).value.amount, Number.MAX_SAFE_INTEGER);
  assert.equal(validatePaymentRequest({ ...valid, currency: "XCG" }).ok, true);
});

test("messages say how to fix the field", () => {
  const [fraction] = validatePaymentRequest({ ...valid, amount: 12.5 }).errors;
  assert.match(fraction.message, /USD has 2 decimal places, so multiply by 100/);
  const [withdrawn] = validatePaymentRequest({ ...valid, currency: "hrk" }).errors;
  assert.match(withdrawn.message, /use EUR instead/);
  const [str] = validatePaymentRequest({ ...valid, amount: "1999" }).errors;
  assert.match(str.message, /pass 1999, not "1999"/);
});

test("unknown fields suggest the right name", () => {
  const r = validatePaymentRequest({ amount: 1, currency: "USD", redirect_url: "https://shop.example/" });
  const unknown = r.errors.find((e) => e.code === "unknown_field");
  assert.equal(unknown.field, "redirect_url");
  assert.match(unknown.message, /did you mean redirectUrl\?/);
  assert.match(validatePaymentRequest({ ...valid, ammount: 1 }).errors[0].message, /did you mean amount\?/);
});

test("all problems are reported at once, in field order; non-objects are refused", () => {
  assert.deepEqual(codesOf({ amount: -1, currency: "XYZ" }), [
    "amount:amount_negative",
    "currency:currency_unknown",
    "redirectUrl:redirect_url_missing",
  ]);
  for (const input of [null, undefined, "x", 5, [valid]]) assert.deepEqual(codesOf(input), ["input:input_not_object"]);
});

test("a throwing getter is a validation error, not a crash", () => {
  const input = { ...valid, get amount() { throw new Error("boom"); } };
  assert.deepEqual(codesOf(input), ["amount:amount_not_number"]);
  assert.equal(validatePaymentRequest(valid).ok, true, "the instance still works");
});

test("a getter that itself calls payreq, and makes the wasm's memory grow, is read correctly", () => {
  // The nested call needs a bigger heap than any before, so the memory grows
  // while the outer input is being read (its views of the memory go stale).
  let size = 1 << 22;
  const input = {
    ...valid,
    get currency() {
      size *= 2;
      assert.equal(validatePaymentRequest({ ...valid, referenceId: "x".repeat(size) }).ok, false);
      return "eur";
    },
  };
  for (let i = 0; i < 2; i++) assert.equal(validatePaymentRequest(input).value.currency, "EUR");
});

test("results have exactly the documented shape: referenceId null when absent, keys in order", () => {
  const good = validatePaymentRequest({ amount: 1999n, currency: "usd", redirectUrl: "https://Shop.example/a/../r" });
  assert.deepEqual(good, {
    ok: true,
    value: { amount: 1999, currency: "USD", redirectUrl: "https://shop.example/r", referenceId: null },
  });
  assert.deepEqual(Object.keys(good.value), ["amount", "currency", "redirectUrl", "referenceId"]);
  assert.equal(validatePaymentRequest({ ...valid, referenceId: "o-1" }).value.referenceId, "o-1");
  const bad = validatePaymentRequest({ ...valid, amount: true });
  assert.deepEqual(Object.keys(bad), ["ok", "errors"]);
  assert.deepEqual(Object.keys(bad.errors[0]), ["field", "code", "message"]);
  assert.deepEqual(bad.errors[0], {
    field: "amount",
    code: "amount_not_number",
    message: "amount must be a number or a BigInt, not a boolean: e.g. 1999 for 19.99 USD",
  });
});

test("a Proxy whose traps throw is a validation error, not an exception", () => {
  const keysThrow = new Proxy(valid, { ownKeys() { throw new Error("boom"); } });
  assert.deepEqual(codesOf(keysThrow), ["input:input_not_object"]);
  const getThrows = new Proxy(valid, { get(t, k) { if (k === "currency") throw new Error("boom"); return t[k]; } });
  assert.deepEqual(codesOf(getThrows), ["currency:currency_not_string"]);
  // A revoked Proxy as a field's value (Array.isArray throws on it) reads as unreadable too.
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.deepEqual(validatePaymentRequest({ ...valid, referenceId: proxy }).errors, [
    {
      field: "referenceId",
      code: "reference_id_not_string",
      message: "referenceId must be a string (your order id, say), not an unreadable value",
    },
  ]);
  assert.equal(validatePaymentRequest(valid).ok, true, "the instance still works");
});

test("any keys and texts cross into the wasm intact: many keys, unicode, lone surrogates, BigInt, -0", () => {
  // More keys than one call's buffer of numbers holds (the wasm asks again for the rest).
  const many = { ...valid };
  for (let i = 0; i < 40; i++) many[`extra,${i}`] = i % 2 ? { nested: true } : "x";
  const errors = validatePaymentRequest(many).errors;
  assert.equal(errors.length, 40);
  assert.deepEqual(errors.map((e) => e.field), Array.from({ length: 40 }, (_, i) => `extra,${i}`));
  assert.ok(errors.every((e) => e.code === "unknown_field"));
  // Non-ASCII and astral keys and values. A lone surrogate in a key (which
  // only names an unknown field) reads as U+FFFD; in a value, it is refused
  // (tests/js/node/callers.test.mjs), since it would be sent as U+FFFD.
  const keys = ["ünï", "😀x", "a\ud800b", "", "\u0000"];
  const odd = { ...valid, referenceId: "ünï 😀 \ud83d", [keys[0]]: 1, [keys[1]]: "😀", [keys[2]]: null, [keys[3]]: 1n, [keys[4]]: -0 };
  assert.deepEqual(
    validatePaymentRequest(odd).errors.map((e) => `${e.field}|${e.code}`),
    ["referenceId|reference_id_invalid_unicode", ...["ünï", "😀x", "a\ufffdb", "", "\u0000"].map((k) => `${k}|unknown_field`)],
  );
  assert.deepEqual(
    validatePaymentRequest(odd).errors.slice(1).map((e) => `${e.field}|${e.message}`),
    ["ünï", "😀x", "a\ufffdb", "", "\u0000"].map((k) => `${k}|unknown field \`${k}\`: the fields are amount, currency, redirectUrl, referenceId`),
  );
  const ok = validatePaymentRequest({ ...valid, amount: 2n ** 60n, referenceId: "ünï 😀 \ud83d\ude00", redirectUrl: "https://Bücher.example/ä?q=😀" });
  assert.deepEqual(ok.value, {
    amount: 2n ** 60n,
    currency: "USD",
    redirectUrl: "https://xn--bcher-kva.example/%C3%A4?q=%F0%9F%98%80",
    referenceId: "ünï 😀 😀",
  });
  assert.equal(codesOf({ ...valid, amount: -0 })[0], "amount:amount_negative_zero");
  assert.equal(codesOf({ ...valid, amount: 2 ** 53 + 2 })[0], "amount:amount_unsafe_integer");
  assert.equal(validatePaymentRequest({ ...valid, amount: Number.MAX_SAFE_INTEGER }).value.amount, Number.MAX_SAFE_INTEGER);
});

test("invalid input rejects with a ValidationError before any network call", async () => {
  const sandbox = await startSandbox();
  const client = new PaymentClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url });
  for (const [patch, expected] of rules) {
    const err = await client.createPaymentRequest({ ...valid, ...patch }).then(() => assert.fail("resolved"), (e) => e);
    assert.ok(err instanceof ValidationError && err instanceof PayreqError && err instanceof Error);
    assert.equal(err.code, "validation_failed");
    assert.equal(err.retryable, false);
    assert.equal(`${err.field}:${err.errors[0].code}`, expected);
  }
  for (const id of ["..", "%2e%2e", "a/b", "x?y", "", 42, undefined]) {
    const err = await client.getPaymentRequest(id).then(() => assert.fail("resolved"), (e) => e);
    assert.ok(err instanceof ValidationError, String(id));
    assert.equal(err.field, "id");
  }
  const counters = await sandbox.counters();
  assert.equal(Object.values(counters.requests).reduce((a, b) => a + b, 0), 0, JSON.stringify(counters));
});

test("client options are validated in the constructor", () => {
  const cases = [
    [{ clientId: "a", clientSecret: "s", baseUrl: "http://api.example.com" }, "baseUrl", "base_url_not_https"],
    [{ clientId: "a", clientSecret: "s", baseUrl: "https://api.example.com/v1/../x" }, "baseUrl", "base_url_traversal"],
    [{ clientId: "a", clientSecret: "s", baseUrl: "https://api.example.com?x=1" }, "baseUrl", "base_url_query"],
    [{ clientId: "a", clientSecret: "s" }, "baseUrl", "base_url_missing"],
    [{ clientSecret: "s", baseUrl: "https://api.example.com" }, "clientId", "client_id_missing"],
    [{ clientId: "a", baseUrl: "https://api.example.com" }, "clientSecret", "client_secret_missing"],
    [{ clientId: "a", clientSecret: "s", baseUrl: "https://api.example.com", baseURL: "x" }, "baseURL", "unknown_field"],
  ];
  for (const [options, field, code] of cases) {
    assert.throws(() => new PaymentClient(options), (e) => e instanceof ValidationError && e.field === field && e.errors[0].code === code, JSON.stringify(options));
  }
  for (const baseUrl of ["http://localhost:1", "http://127.0.0.2:1", "http://[::1]:1", "https://api.example.com/v1/"]) {
    assert.ok(new PaymentClient({ clientId: "a", clientSecret: "s", baseUrl }));
  }
});
