// Error classes of payreq. The wasm core decides the class and every
// property; this file only gives them JS identities for `instanceof`.

export class PayreqError extends Error {
  constructor(message, props = {}) {
    super(message, "cause" in props ? { cause: props.cause } : undefined);
    this.name = new.target.name;
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

/** Called by the wasm core: `new classes[name](message, props)`. */
export function createError(name, message, props) {
  return new (classes[name] ?? PayreqError)(message, props);
}
