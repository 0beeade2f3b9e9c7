// Plain-object plumbing for the wasm core (src/bindings/convert.rs,
// platform.rs): an input's top level as one string (a throwing getter or
// Proxy trap reads as unreadable); the result objects, hook events and the
// shared limiter's calls, each built in one call from a block of texts
// (js/errors.js builds the error objects the same way); and the host's
// `URL`, random bytes, clock, properties and globals. No rule lives here:
// the core decides everything.
//
// Every function the wasm imports from here (src/bindings/platform.rs) takes
// only the arguments it uses; `m` is the wasm's memory.

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

// The longest string read into the wasm, in UTF-16 units (above every
// length a field allows, src/validate.rs `Input::TooLong`): a longer one crosses
// as kind 13 and its length, and a string with a lone surrogate, which UTF-8
// cannot carry, as kind 12, so that neither is silently changed or copied.
const MAX_READ_UNITS = 65536;
// A BigInt beyond +-2^64 crosses as +-2^64 (too large either way) instead of
// as millions of digits.
const BIG = 1n << 64n;

/** Appends `v` to a snapshot's numbers: its kind, then the number itself, or the length of its text (returned, to append to the text). */
function value(numbers, v) {
  let k = kind(v);
  if (k === 6 && (v > BIG || v < -BIG)) v = v > 0n ? BIG : -BIG;
  if (k === 5 && v.length > MAX_READ_UNITS) {
    numbers.push(13, v.length);
    return "";
  }
  if (k === 5 && v.isWellFormed?.() === false) k = 12;
  numbers.push(k);
  if (k === 5 || k === 6) {
    v = String(v);
    numbers.push(v.length);
    return v;
  }
  if (k === 4) numbers.push(v);
  return "";
}

// The wasm's memory and views over all of it, made again only when it
// grows (its old buffer is then detached: length 0) or is another
// instance's; `area` is the part of it `snapshot` writes text to, kept while
// that part stays the same.
let memory;
let bytes = new Uint8Array(0);
let floats;
let area = bytes;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let known = new Map(); // the wasm's static texts, decoded once: by address, { n: length in bytes, s: text }

/** Views of `m`, the memory of the wasm instance in use, that are current. */
function views(m) {
  if (m !== memory) {
    memory = m;
    bytes = new Uint8Array(0);
    known = new Map();
  }
  if (bytes.length === 0) {
    area = bytes = new Uint8Array(m.buffer);
    floats = new Float64Array(m.buffer);
  }
}

let href; // the href of the last parseUrl, for result
let numbers; // the numbers and text of the last snapshot, until written
let text;

/**
 * The top level of `v` for src/snapshot.rs, in one call: numbers and a text,
 * written into the wasm's memory once every getter has run (so a getter that
 * calls payreq cannot overwrite them): up to `room` numbers at byte `at`, the
 * text as UTF-8 into the `textRoom` bytes at `textAt`. The numbers: how many
 * there are, the text's length, then the kind of `v` (11 when a Proxy trap
 * throws listing its keys) and, for an object, per own enumerable key in
 * order, the key's length and value(its field), kind 11 when the read
 * throws. Lengths are in UTF-16 units. Returns the text's length in bytes,
 * or -1 when either does not fit: then only the first two numbers are
 * written, and the wasm calls again with bigger buffers and `again` set, to
 * have the same snapshot written there.
 */
export function snapshot(m, v, again, at, room, textAt, textRoom) {
  if (!again) describe(v);
  views(m);
  at /= 8;
  const fits = numbers.length <= room;
  // A loop: TypedArray#set from a plain array is slower for a few numbers.
  for (let i = 0; i < (fits ? numbers.length : 2); i++) floats[at + i] = numbers[i];
  if (fits) {
    if (area.byteOffset !== textAt || area.length !== textRoom) area = bytes.subarray(textAt, textAt + textRoom);
    const { read, written } = encoder.encodeInto(text, area);
    if (read === text.length) return written;
  }
  return -1;
}

/**
 * The numbers and text of `v`, for snapshot to write: kept only once read,
 * since a getter may call payreq, which takes its own snapshot.
 */
function describe(v) {
  const all = [0, 0];
  let t = "";
  let k = 11;
  try {
    k = kind(v); // Array.isArray throws on a revoked Proxy
  } catch {}
  if (k !== 10) {
    if (k === 11) all.push(11);
    else t = value(all, v);
  } else {
    let keys = [];
    try {
      keys = Object.keys(v);
      all.push(10);
    } catch {
      all.push(11);
    }
    for (const key of keys) {
      // A key only ever names an unknown field in a message: a long one is cut.
      const name = key.length > 256 ? key.slice(0, 256) + "\u2026" : key;
      all.push(name.length);
      t += name;
      try {
        t += value(all, v[key]);
      } catch {
        all.push(11);
      }
    }
  }
  all[0] = all.length;
  all[1] = t.length;
  numbers = all;
  text = t;
}

/**
 * `new URL` of the `length` bytes of UTF-8 at byte `textAt` of `m`, the
 * wasm's memory, for src/urls.rs `decode_parsed`. Its href is ASCII, and
 * starts with the protocol and holds the hostname, so four numbers at byte
 * `at` are positions in it: 1 when there is a user name or password (else
 * 0), the protocol's length without its colon, where the hostname starts
 * and its length. The href, when it differs from the text, goes as UTF-8
 * into the rest of the `room` bytes at `at`. When the parser throws, the
 * first number is 2 and its message goes there instead. Returns the bytes
 * written, -1 when the href is the text (none), or, when the rest of the
 * room is too small, -2 minus a room that is enough: the wasm calls again.
 * Written only once the parser and its getters have run (a `URL` replaced by
 * the caller could call payreq, which parses into the same place); so is
 * `href`, kept for the result of this validation.
 */
export function parseUrl(m, textAt, length, at, room) {
  views(m);
  const text = decoder.decode(bytes.subarray(textAt, textAt + length));
  let url;
  let s;
  try {
    url = new URL(text);
  } catch (e) {
    const message = e?.message;
    s = typeof message === "string" ? message : "invalid URL";
  }
  let userinfo = 2;
  let protocol = 0;
  let start = 0;
  let host = 0;
  if (url) {
    const { href: h, hostname } = url;
    userinfo = url.username || url.password ? 1 : 0;
    protocol = url.protocol.length - 1;
    start = h.indexOf(hostname);
    host = hostname.length;
    s = h === text ? null : h;
    href = h;
  }
  views(m);
  const f = at / 8;
  floats[f] = userinfo;
  floats[f + 1] = protocol;
  floats[f + 2] = start;
  floats[f + 3] = host;
  if (s === null) return -1;
  const { read, written } = encoder.encodeInto(s, bytes.subarray(at + 32, at + room));
  return read === s.length ? written : -2 - 32 - 3 * s.length;
}

/** The static text of the wasm at byte `a` of `n` bytes, decoded once and kept. */
function known1(a, n) {
  let e = known.get(a);
  if (e?.n !== n) known.set(a, (e = { n, s: decoder.decode(bytes.subarray(a, a + n)) }));
  return e.s;
}

/**
 * The texts of src/snapshot.rs `Texts`: `count` pairs of numbers at byte
 * `at`, each a static text of the wasm (minus its address, and its length in
 * bytes), decoded once and kept; the next part of the `textLength` bytes of
 * UTF-8 at `textAt` (0, and its length in bytes): cut from them decoded at
 * once when they are ASCII, else decoded on its own; null (0, -1); the
 * href of the last parseUrl (0, -2); or a number (1, the number).
 */
export function texts(m, at, count, textAt, textLength) {
  views(m);
  const text = textLength ? decoder.decode(bytes.subarray(textAt, textAt + textLength)) : "";
  const ascii = text.length === textLength;
  const out = [];
  let cut = 0;
  for (at /= 8; count-- > 0; at += 2) {
    const a = -floats[at];
    const n = floats[at + 1];
    let s = null;
    if (a > 0) s = known1(a, n);
    else if (a === -1) s = n;
    else if (n === -2) s = href;
    else if (n >= 0) s = ascii ? text.slice(cut, (cut += n)) : decoder.decode(bytes.subarray(textAt + cut, textAt + (cut += n)));
    out.push(s);
  }
  return out;
}

/** `[{ field, code, message }]` of texts, three an error. */
export function triples(t) {
  const errors = [];
  for (let i = 0; i + 2 < t.length; i += 3) errors.push({ field: t[i], code: t[i + 1], message: t[i + 2] });
  return errors;
}

/**
 * An object of `count` texts (see texts), by `shape`: 0
 * `[{ field, code, message }]`, three texts an error; 1 the same as
 * `{ ok: false, errors }`; 2 `{ ok: true, value }` of the amount, the
 * currency, the redirectUrl and the referenceId; 3 the resource (the
 * amount first), whose last text, `raw`,
 * is JSON the core has already parsed once.
 */
export function result(m, shape, at, count, textAt, textLength) {
  const t = texts(m, at, count, textAt, textLength);
  // Shapes 2 and 3 start with the amount: a number, null, or the decimal
  // text of one beyond 2^53 - 1.
  const amount = shape < 2 || typeof t[0] !== "string" ? t[0] : BigInt(t[0]);
  if (shape === 2) return { ok: true, value: { amount, currency: t[1], redirectUrl: t[2], referenceId: t[3] } };
  if (shape === 3) {
    let raw = null;
    try {
      raw = JSON.parse(t[9]);
    } catch {}
    const [, id, status, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt] = t;
    return { id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw };
  }
  const errors = triples(t);
  return shape ? { ok: false, errors } : errors;
}

/**
 * Calls the hook `f` with `{ method, path, attempt }` and, for a `response`,
 * also `status` (null when NaN: no response), `durationMs` and `requestId`,
 * from the texts (see texts) method, path, attempt, status, durationMs and
 * requestId; what it throws is ignored.
 */
export function hook(m, f, response, at, count, textAt, textLength) {
  const [method, path, attempt, status, durationMs, requestId] = texts(m, at, count, textAt, textLength);
  const event = response
    ? { method, path, attempt, status: Number.isNaN(status) ? null : status, durationMs, requestId }
    : { method, path, attempt };
  try {
    f(event);
  } catch {}
}

/**
 * `store[name](key, a, b)` of the texts name, key, a and b, for the shared
 * rate limiter's optional hooks; what it throws is ignored.
 */
export function tell(m, store, at, count, textAt, textLength) {
  const [name, key, a, b] = texts(m, at, count, textAt, textLength);
  const f = store[name];
  if (typeof f === "function") {
    try {
      f.call(store, key, a, b);
    } catch {}
  }
}

/**
 * `o[key]` when `o` is an object (else undefined), `key` the `n` bytes of
 * static text at byte `at` of the wasm's memory; undefined when the read
 * throws (a getter, a Proxy trap), and, when `own`, when `o` has no own
 * property `key` (an option planted on `Object.prototype` is never read).
 */
export function get(m, o, at, n, own) {
  if (typeof o !== "object" || o === null) return undefined;
  views(m);
  const key = known1(at, n);
  try {
    return own && !Object.hasOwn(o, key) ? undefined : o[key];
  } catch {
    return undefined;
  }
}

/** Whether this is a browser page (`window` is the global object and a `document` exists); false when reading them throws. */
export function inBrowser() {
  const g = globalThis;
  try {
    return g.window === g && typeof g.document === "object" && g.document !== null;
  } catch {
    return false;
  }
}

/**
 * `Math.random` bytes into the `n` bytes at byte `at`: the fallback where
 * `crypto.getRandomValues` (the wasm's, through the `getrandom` crate) fails
 * (no Web Crypto, which every runtime we support has): still unique enough
 * for jitter and keys.
 */
export function random(m, at, n) {
  views(m);
  for (let i = 0; i < n; i++) bytes[at + i] = Math.random() * 256;
}

/** `Date.now()`, looked up at each call (fake timers replace it). */
export function now() {
  return Date.now();
}

/** The `n` bytes of UTF-8 at byte `at` as a string, or as `new Error(string)` when `error`. */
export function string8(m, at, n, error) {
  views(m);
  const s = decoder.decode(bytes.subarray(at, at + n));
  return error ? new Error(s) : s;
}

/** The number `n` (an i32). */
export function int(n) {
  return n;
}

let held = ""; // the string of the last stringAt that did not fit

/**
 * Writes `o[key]` (`key` the static text of `keyLength` bytes at byte
 * `keyAt`), when it is a string, as UTF-8 into the `room` bytes at byte
 * `at`: returns the bytes written, -1 when it is not a string (or `o` not an
 * object, or the read throws), or -2 minus a room that is enough, keeping
 * the string for a call `again` with a bigger room (the getter runs once).
 */
export function stringAt(m, o, keyAt, keyLength, at, room, again) {
  let s = held;
  if (!again) {
    s = get(m, o, keyAt, keyLength);
    if (typeof s !== "string") return -1;
  }
  views(m);
  const { read, written } = encoder.encodeInto(s, bytes.subarray(at, at + room));
  held = read === s.length ? "" : s;
  return held ? -2 - 3 * s.length : written;
}
