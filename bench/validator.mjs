// A straightforward pure-JS validator of the README's "Validation rules" for a
// payment request: the baseline of the validation-throughput bench. Same
// fields, codes, messages, order and `{ ok, value | errors }` result as
// `validatePaymentRequest`; bench/validate.mjs checks that both agree on every
// input of its corpus before timing them. The ISO 4217 tables are read from
// src/currency_data.rs (the generated source of the wasm's tables), once.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib.mjs";

const data = readFileSync(path.join(ROOT, "src/currency_data.rs"), "utf8");
const section = (name) => {
  const m = new RegExp(`const ${name}: [^=]*= &\\[([^\\]]*)\\];`).exec(data);
  if (!m) throw new Error(`${name} not found in src/currency_data.rs`);
  return m[1];
};
const ACTIVE = new Map([...section("ACTIVE").matchAll(/\("([A-Z]{3})", (\d)\)/g)].map((m) => [m[1], Number(m[2])]));
const NO_MINOR_UNIT = new Set([...section("NO_MINOR_UNIT").matchAll(/"([A-Z]{3})"/g)].map((m) => m[1]));
const WITHDRAWN = new Map(
  [...section("WITHDRAWN").matchAll(/\("([A-Z]{3})", (?:Some\("([A-Z]{3})"\)|None)\)/g)].map((m) => [m[1], m[2] ?? null]),
);
if (ACTIVE.size < 150 || NO_MINOR_UNIT.size < 10 || WITHDRAWN.size < 100) throw new Error("currency tables not read");

const FIELDS = ["amount", "currency", "redirectUrl", "referenceId"];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const I64_MAX = 9223372036854775807n;
const AMOUNT_EXAMPLE = "e.g. 1999 for 19.99 USD";
// Rust's char::is_whitespace (Unicode White_Space) or char::is_control (Cc).
const WHITESPACE_OR_CONTROL = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

function describe(v) {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "a boolean";
    case "number":
      return "a number";
    case "bigint":
      return "a bigint";
    case "string":
      return "a string";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
  }
  return Array.isArray(v) ? "an array" : "an object";
}

// Values nested in the input are described, never read: an object is "an object".
const nested = (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? "an object" : describe(v));

function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function editDistance(a, b) {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 0; i < x.length; i++) {
    const cur = [i + 1];
    for (let j = 0; j < y.length; j++) {
      cur.push(Math.min(prev[j] + (x[i] === y[j] ? 0 : 1), prev[j + 1] + 1, cur[j] + 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

function unknownField(key) {
  const camel = key.replace(/_(.)?/g, (_, c) => (c ? c.toUpperCase() : ""));
  let suggestion = FIELDS.find((k) => k === camel);
  if (suggestion === undefined) {
    let best = 3;
    for (const k of FIELDS) {
      const d = editDistance(key.toLowerCase(), k.toLowerCase());
      if (d < best) [best, suggestion] = [d, k];
    }
  }
  const message =
    suggestion === undefined
      ? `unknown field \`${key}\`: the fields are ${FIELDS.join(", ")}`
      : `unknown field \`${key}\`: did you mean ${suggestion}?`;
  return { field: key, code: "unknown_field", message };
}

function checkCurrency(v) {
  const err = (code, message) => ({ error: { field: "currency", code, message } });
  if (v === undefined || v === null) {
    return err("currency_missing", 'currency is required: a three-letter ISO 4217 code such as "USD"');
  }
  if (typeof v !== "string") return err("currency_not_string", `currency must be a string such as "USD", not ${nested(v)}`);
  if (!/^[A-Za-z]{3}$/.test(v)) {
    return err("currency_malformed", 'currency must be a three-letter ISO 4217 code such as "USD" or "EUR"');
  }
  const code = v.toUpperCase();
  if (ACTIVE.has(code)) return { value: code };
  if (NO_MINOR_UNIT.has(code)) {
    return err(
      "currency_no_minor_unit",
      `${code} has no minor unit in ISO 4217 (metals, SDR, test and fund codes), so no amount in a smallest unit exists for it: use a national currency such as USD`,
    );
  }
  if (WITHDRAWN.has(code)) {
    const successor = WITHDRAWN.get(code);
    return err(
      "currency_withdrawn",
      successor
        ? `${code} was withdrawn from ISO 4217: use ${successor} instead`
        : `${code} was withdrawn from ISO 4217 and has no successor code`,
    );
  }
  return err("currency_unknown", `${code} is not an ISO 4217 currency code: use a code such as USD, EUR or GBP`);
}

function checkAmount(v, currency) {
  const err = (code, message) => ({ error: { field: "amount", code, message } });
  if (v === undefined || v === null) {
    return err("amount_missing", `amount is required: an integer in the smallest currency unit, ${AMOUNT_EXAMPLE}`);
  }
  if (typeof v === "string") {
    return err("amount_not_number", `amount must be a number, not a string: pass 1999, not "1999" (${AMOUNT_EXAMPLE})`);
  }
  if (typeof v === "number") {
    if (Number.isNaN(v)) {
      return err("amount_nan", `amount is NaN: pass an integer in the smallest currency unit, ${AMOUNT_EXAMPLE}`);
    }
    if (!Number.isFinite(v)) return err("amount_infinite", "amount must be finite: pass an integer in the smallest currency unit");
    if (Object.is(v, -0)) return err("amount_negative_zero", "amount is -0: it must be a positive integer, at least 1");
    if (v === 0) return err("amount_zero", "amount is 0: it must be a positive integer, at least 1");
    if (v < 0) return err("amount_negative", "amount is negative: it must be a positive integer, at least 1");
    if (!Number.isInteger(v)) {
      const e = currency === undefined ? undefined : ACTIVE.get(currency);
      let message;
      if (e === undefined) message = `amount must be a whole number in the smallest currency unit, ${AMOUNT_EXAMPLE}`;
      else if (e === 0) message = `amount must be a whole number: ${currency} has no minor unit, so pass whole ${currency} units`;
      else {
        message = `amount must be a whole number in the smallest unit of ${currency}: ${currency} has ${e} decimal places, so multiply by ${10 ** e} and pass an integer`;
      }
      return err("amount_fraction", message);
    }
    if (v > MAX_SAFE) {
      return err(
        "amount_unsafe_integer",
        "amount is above Number.MAX_SAFE_INTEGER (2^53-1) and may have lost precision: pass it as a BigInt, e.g. 9007199254740993n",
      );
    }
    return { value: v };
  }
  if (typeof v === "bigint") {
    if (v === 0n) return err("amount_zero", "amount is 0n: it must be a positive integer, at least 1");
    if (v < 0n) return err("amount_negative", "amount is negative: it must be a positive integer, at least 1");
    if (v > I64_MAX) {
      return err("amount_too_large", "amount is above 2^63-1 (9223372036854775807n), the largest amount the API takes");
    }
    return { value: v <= BigInt(MAX_SAFE) ? Number(v) : v };
  }
  return err("amount_not_number", `amount must be a number or a BigInt, not ${nested(v)}: ${AMOUNT_EXAMPLE}`);
}

function checkRedirectUrl(v) {
  const F = "redirectUrl";
  const err = (code, message) => ({ error: { field: F, code, message } });
  if (v === undefined || v === null) {
    return err("redirect_url_missing", "redirectUrl is required: the https:// page the payer returns to after checkout");
  }
  if (typeof v !== "string") {
    return err("redirect_url_not_string", `redirectUrl must be a string such as "https://shop.example/return", not ${nested(v)}`);
  }
  if (utf8Length(v) > 2048) return err("redirect_url_too_long", "redirectUrl is longer than 2048 bytes: shorten it");
  if (WHITESPACE_OR_CONTROL.test(v)) {
    return err(
      "redirect_url_whitespace",
      `${F} contains whitespace or control characters: percent-encode them or remove them`,
    );
  }
  if (v.includes("\\")) return err("redirect_url_backslash", `${F} contains a backslash: use forward slashes`);
  let url;
  try {
    url = new URL(v);
  } catch (e) {
    return err(
      "redirect_url_invalid",
      `redirectUrl is not a valid absolute URL (${e.message}): use a full URL such as "https://shop.example/return"`,
    );
  }
  if (url.protocol !== "https:") {
    return err("redirect_url_not_https", "redirectUrl must use https: (the payer is sent there after checkout)");
  }
  if (url.hostname === "") return err("redirect_url_no_host", "redirectUrl must have a host, e.g. https://shop.example/return");
  if (url.username !== "" || url.password !== "") {
    return err("redirect_url_userinfo", "redirectUrl must not contain a user name or password");
  }
  if (v.includes("#")) {
    return err("redirect_url_fragment", "redirectUrl must not contain a #fragment: the API appends its own query");
  }
  const href = url.href;
  if (utf8Length(href) > 2048) {
    return err("redirect_url_too_long", "redirectUrl is longer than 2048 bytes once normalised: shorten it");
  }
  return { value: href };
}

function checkReferenceId(v) {
  const F = "referenceId";
  if (v === undefined || v === null) return { value: null };
  if (typeof v !== "string") {
    return { error: { field: F, code: "reference_id_not_string", message: `referenceId must be a string (your order id, say), not ${nested(v)}` } };
  }
  if (v === "") {
    return { error: { field: F, code: "reference_id_empty", message: "referenceId is empty: leave it out or pass 1 to 255 characters" } };
  }
  let chars = 0;
  for (const _ of v) chars++;
  if (chars > 255) {
    return { error: { field: F, code: "reference_id_too_long", message: "referenceId is longer than 255 characters: shorten it" } };
  }
  if (CONTROL.test(v)) {
    return {
      error: {
        field: F,
        code: "reference_id_control_chars",
        message: "referenceId contains control characters (such as newlines or tabs): remove them",
      },
    };
  }
  return { value: v };
}

/** `{ ok: true, value }` or `{ ok: false, errors }`, like `validatePaymentRequest`. */
export function validatePaymentRequestJs(input) {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      ok: false,
      errors: [
        {
          field: "input",
          code: "input_not_object",
          message: `the payment request must be an object like { amount: 1999, currency: "USD", redirectUrl: "https://…" }, not ${describe(input)}`,
        },
      ],
    };
  }
  const unknown = [];
  for (const key of Object.keys(input)) if (!FIELDS.includes(key)) unknown.push(unknownField(key));
  const currency = checkCurrency(input.currency);
  const amount = checkAmount(input.amount, currency.value);
  const redirectUrl = checkRedirectUrl(input.redirectUrl);
  const referenceId = checkReferenceId(input.referenceId);
  const errors = [amount, currency, redirectUrl, referenceId].filter((r) => r.error).map((r) => r.error);
  if (errors.length === 0 && unknown.length === 0) {
    return {
      ok: true,
      value: { amount: amount.value, currency: currency.value, redirectUrl: redirectUrl.value, referenceId: referenceId.value },
    };
  }
  return { ok: false, errors: [...errors, ...unknown] };
}
