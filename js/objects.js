// Plain-object plumbing for the wasm core (src/bindings/convert.rs): an input's
// top level as one string (a throwing getter or Proxy trap reads as
// unreadable), and the result objects, each built in one call instead of one
// Reflect.set per property. No rule lives here: the core decides everything.

/** The type of `v` as the core's `Input` needs it (11, unreadable, is never returned: see snapshot). */
function kind(v) {
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
  return Array.isArray(v) ? 7 : 10;
}

/** Appends `v` to a snapshot's numbers: its kind, then the number itself, or the length of its text (returned, to append to the text). */
function value(numbers, v) {
  const k = kind(v);
  numbers.push(k);
  if (k === 5 || k === 6) {
    v = String(v);
    numbers.push(v.length);
    return v;
  }
  if (k === 4) numbers.push(v);
  return "";
}

let pending; // the numbers of the last snapshot that were not written

/**
 * The top level of `v` for src/snapshot.rs, in one call: its texts (keys,
 * strings, BigInts' decimal digits) concatenated, returned; and numbers,
 * written to `out`: how many there are, the text's length, then the kind of
 * `v` (11 when a Proxy trap throws listing its keys) and, for an object, per
 * own enumerable key in order, the key's length and value(its field), kind
 * 11 when the read throws. Lengths are in UTF-16 units. When the numbers do
 * not fit in `out` (or `out` is detached: a getter made the wasm's memory
 * grow), they are kept for snapshotNumbers.
 */
export function snapshot(v, out) {
  const numbers = [0, 0];
  let text = "";
  if (kind(v) !== 10) text = value(numbers, v);
  else {
    let keys = [];
    try {
      keys = Object.keys(v);
      numbers.push(10);
    } catch {
      numbers.push(11);
    }
    for (const key of keys) {
      numbers.push(key.length);
      text += key;
      try {
        text += value(numbers, v[key]);
      } catch {
        numbers.push(11);
      }
    }
  }
  numbers[0] = numbers.length;
  numbers[1] = text.length;
  // A loop: TypedArray#set from a plain array is slower for a few numbers.
  if (numbers.length <= out.length) for (let i = 0; i < numbers.length; i++) out[i] = numbers[i];
  else pending = numbers;
  return text;
}

/**
 * The numbers of the last snapshot that were not written (too many, or `out`
 * went stale: a getter made the wasm's memory grow): into `out` when they
 * fit; returns how many there are.
 */
export function snapshotNumbers(out) {
  if (pending.length <= out.length) out.set(pending);
  return pending.length;
}

/**
 * `new URL(text)` for src/urls.rs `decode_parsed`. Its href is ASCII, and
 * starts with the protocol and holds the hostname, so `out` gets positions
 * in it: 1 when there is a user name or password (else 0), the protocol's
 * length without its colon, where the hostname starts and its length; the
 * href is returned only when it differs from `text`. When the parser
 * throws, `out[0]` is 2 and its message is returned.
 */
export function parseUrl(text, out) {
  let url;
  try {
    url = new URL(text);
  } catch (e) {
    out[0] = 2;
    const message = e?.message;
    return typeof message === "string" ? message : "invalid URL";
  }
  const { href, hostname } = url;
  out[0] = url.username || url.password ? 1 : 0;
  out[1] = url.protocol.length - 1;
  out[2] = href.indexOf(hostname);
  out[3] = hostname.length;
  return href === text ? "" : href;
}

/**
 * `{ ok: true, value }`: `text` holds the currency (`a` UTF-16 units), the
 * redirectUrl (`b` units) and, when `reference`, the referenceId (the rest).
 */
export function validResult(amount, text, a, b, reference) {
  return {
    ok: true,
    value: { amount, currency: text.slice(0, a), redirectUrl: text.slice(a, a + b), referenceId: reference ? text.slice(a + b) : null },
  };
}

/**
 * `[{ field, code, message }]` from src/snapshot.rs `Texts`: `text` cut at
 * each of `lengths` (UTF-16 units), three strings an error; as
 * `{ ok: false, errors }` when `result`.
 */
export function fieldErrors(text, lengths, result) {
  const errors = [];
  let at = 0;
  const next = (i) => text.slice(at, (at += lengths[i]));
  for (let i = 0; i + 2 < lengths.length; i += 3) errors.push({ field: next(i), code: next(i + 1), message: next(i + 2) });
  return result ? { ok: false, errors } : errors;
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
