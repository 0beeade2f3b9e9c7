// Error classes of payreq. The wasm core decides the class and every
// property; this file only gives them JS identities for `instanceof`.

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

/** Called by the wasm core: `new classes[name](message, props)`. */
export function createError(name, message, props) {
  return new (classes[name] ?? PayreqError)(message, props);
}
