// Error classes of payreq. The wasm core decides the class and every
// property; this file only gives them JS identities for `instanceof`.

import { texts, triples } from "./objects.js";

export class PayreqError extends Error {
  constructor(message, props = {}) {
    super(message, "cause" in props ? { cause: props.cause } : undefined);
    for (const key of Object.keys(props)) if (key !== "cause") this[key] = props[key];
  }
}
export class ValidationError extends PayreqError {}
export class NetworkError extends PayreqError {}
export class DecodeError extends PayreqError {}
export class TimeoutError extends PayreqError {}
export class AbortError extends PayreqError {}
export class ApiError extends PayreqError {}
export class AuthenticationError extends ApiError {}
export class InvalidRequestError extends ApiError {}
export class NotFoundError extends ApiError {}
export class IdempotencyError extends ApiError {}
export class RateLimitError extends ApiError {}
export class ServerError extends ApiError {}

const classes = {
  PayreqError, ValidationError, NetworkError, DecodeError, TimeoutError, AbortError, ApiError, AuthenticationError,
  InvalidRequestError, NotFoundError, IdempotencyError, RateLimitError, ServerError,
};

// `name` is set from these keys, not from `new.target.name`: minifiers (Vite,
// esbuild, terser) rename classes, and `error.name` must stay "ValidationError".
for (const [name, cls] of Object.entries(classes)) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

// `flags` of createError: the status in the low 16 bits, then these.
const RETRYABLE = 1 << 16, OUTCOME_UNKNOWN = 1 << 17, VALIDATION = 1 << 18, API = 1 << 19, CAUSE = 1 << 20;

/**
 * Called by the wasm core (src/bindings/convert.rs `error_to_js`): an
 * instance of the `PayreqError` subclass named by the first of the texts
 * (js/objects.js `texts`): the class, message, code, hint, requestId, idempotencyKey,
 * field, serverCode and retryAfter (a number or null), then a field, code
 * and message per validation error; `flags` holds the status (0 for none)
 * and which properties apply, `cause` the cause when CAUSE is set.
 */
export function createError(m, cause, flags, at, count, textAt, textLength) {
  const [name, message, code, hint, requestId, idempotencyKey, field, serverCode, retryAfter, ...list] = texts(
    m,
    at,
    count,
    textAt,
    textLength,
  );
  const props = { code, status: flags & 0xffff || null, requestId, retryable: !!(flags & RETRYABLE), hint };
  props.outcomeUnknown = !!(flags & OUTCOME_UNKNOWN);
  if (flags & OUTCOME_UNKNOWN) props.idempotencyKey = idempotencyKey;
  if (flags & VALIDATION) {
    props.errors = triples(list);
    props.field = list[0] ?? null;
  }
  if (flags & API) {
    props.field = field;
    props.serverCode = serverCode;
    if (retryAfter !== null) props.retryAfter = retryAfter;
  }
  if (flags & CAUSE) props.cause = cause;
  return new (classes[name] ?? PayreqError)(message, props);
}
