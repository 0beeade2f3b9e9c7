// Plain-object plumbing for the wasm core (src/bindings/convert.rs): the type
// of a value, an object's own fields (a throwing getter or Proxy trap reads as
// UNREADABLE), and the result objects, each built in one call instead of one
// Reflect.set per property. No rule lives here: the core decides everything.

const UNREADABLE = Object.freeze({});

/** The type of `v` as the core's `Input` needs it. */
export function kind(v) {
  switch (typeof v) {
    case "undefined":
      return 0;
    case "boolean":
      return v ? 3 : 2;
    case "number":
      return 4;
    case "string":
      return 5;
    case "bigint":
      return 6;
    case "function":
      return 8;
    case "symbol":
      return 9;
  }
  if (v === null) return 1;
  if (v === UNREADABLE) return 11;
  return Array.isArray(v) ? 7 : 10;
}

/** `Object.keys(o)`, or undefined when a Proxy trap throws. */
export function keysOf(o) {
  try {
    return Object.keys(o);
  } catch {
    return undefined;
  }
}

/** `o[k]`, or UNREADABLE when a getter or Proxy trap throws. */
export function fieldOf(o, k) {
  try {
    return o[k];
  } catch {
    return UNREADABLE;
  }
}

/**
 * `fetch(url, { method, headers, body, signal })`, its strings joined by NULs
 * in `text`: the URL, the method, header names and values, then the body if
 * one is left.
 */
export function send(text, controller) {
  const [url, method, ...rest] = text.split("\0");
  const init = { method, headers: {}, signal: controller?.signal };
  if (rest.length & 1) init.body = rest.pop();
  for (let i = 0; i < rest.length; i += 2) init.headers[rest[i]] = rest[i + 1];
  return fetch(url, init);
}

// An absent optional string comes from the wasm as undefined; the API's JS
// shape has null there.
export function validResult(amount, currency, redirectUrl, referenceId) {
  return { ok: true, value: { amount, currency, redirectUrl, referenceId: referenceId ?? null } };
}

export function invalidResult(errors) {
  return { ok: false, errors };
}

export function fieldError(field, code, message) {
  return { field, code, message };
}

/** The resource; `raw` is JSON text the core has already parsed once. */
export function paymentRequest(id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw) {
  let parsed = null;
  try {
    parsed = JSON.parse(raw);
  } catch {}
  return {
    id,
    status,
    amount,
    currency: currency ?? null,
    redirectUrl: redirectUrl ?? null,
    referenceId: referenceId ?? null,
    checkoutUrl: checkoutUrl ?? null,
    createdAt: createdAt ?? null,
    expiresAt: expiresAt ?? null,
    raw: parsed,
  };
}

/** `promise.then(v => callback(slot, true, v), e => callback(slot, false, e))`: one callback for every promise. */
function settle(promise, callback, slot) {
  promise.then(
    (v) => callback(slot, true, v),
    (e) => callback(slot, false, e),
  );
}

/** The functions the wasm calls without a conversion, as one namespace: wasm-bindgen imports each bare function of a snippet as its own module entry, and a bundler warns about the duplicate keys that makes. */
export const plain = { kind, keysOf, fieldOf, invalidResult, settle };
