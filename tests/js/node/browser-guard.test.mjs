// In a browser page (window and document present) a client secret is refused
// unless dangerouslyAllowBrowser: true. This file fakes the two globals, so
// it runs in its own process (node:test isolates files).
import { test } from "node:test";
import assert from "node:assert/strict";

globalThis.window = globalThis;
globalThis.document = { nodeType: 9 };
const { PaymentClient, ValidationError, validatePaymentRequest } = await import("payreq");
const options = { clientId: "id", clientSecret: "s3cret", baseUrl: "http://127.0.0.1:1" };

test("a secret is refused in a browser page", () => {
  assert.throws(() => new PaymentClient(options), (e) =>
    e instanceof ValidationError && e.field === "clientSecret" && e.errors[0].code === "secret_in_browser" && !e.message.includes("s3cret"));
});

test("dangerouslyAllowBrowser: true lets tests against a local sandbox through", () => {
  assert.ok(new PaymentClient({ ...options, dangerouslyAllowBrowser: true }));
});

test("validation needs no secret and works in the page", () => {
  assert.equal(validatePaymentRequest({ amount: 1, currency: "USD", redirectUrl: "https://a.example/" }).ok, true);
});

test("a global whose window getter throws is not a browser page, and nothing breaks", () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "window");
  Object.defineProperty(globalThis, "window", { get() { throw new Error("no window here"); }, configurable: true });
  try {
    assert.ok(new PaymentClient(options), "constructed: the secret is not refused");
    assert.equal(validatePaymentRequest({ amount: 1, currency: "USD", redirectUrl: "https://a.example/" }).ok, true);
  } finally {
    Object.defineProperty(globalThis, "window", saved);
  }
  assert.throws(() => new PaymentClient(options), ValidationError, "a browser page again once window is back");
});
