// Declarations of the error classes in errors.js. The wasm core creates every
// instance and sets every property (src/bindings/convert.rs: error_to_js).
import type { FieldError } from "./payreq.js";

export type ApiErrorCode =
  | "bad_request" | "unauthorized" | "forbidden" | "not_found" | "idempotency_conflict"
  | "unprocessable" | "rate_limited" | "server_error" | "unexpected_status" | "redirect";
export type ErrorCode =
  | "validation_failed" | ApiErrorCode | "decode_error" | "network_error" | "timeout" | "aborted"
  | "internal_error" | "client_freed";

/** The base of every error payreq throws or rejects with. */
export class PayreqError extends Error {
  constructor(message: string, props?: Record<string, unknown>);
  /** Stable machine-readable code: branch on it (or on the class). */
  code: ErrorCode;
  /** HTTP status, or null when no response was read. */
  status: number | null;
  /** The response's X-Request-Id, or null. */
  requestId: string | null;
  /** Whether the same call may succeed later (payreq already retried it). */
  retryable: boolean;
  /** What to check or do, from the API's troubleshooting table. */
  hint: string;
  /** true when a create may have reached the server: retry it with `idempotencyKey`. */
  outcomeUnknown: boolean;
  /** Set with `outcomeUnknown: true`: the Idempotency-Key the create was sent with. */
  idempotencyKey?: string;
  /** The platform's error (NetworkError) or the signal's reason (AbortError). */
  cause?: unknown;
}
/** Invalid input or options; nothing was sent. */
export class ValidationError extends PayreqError {
  code: "validation_failed";
  status: null;
  /** Every problem found, in order. */
  errors: FieldError[];
  /** The first problem's field. */
  field: string | null;
}
/** No response arrived (refused, reset, DNS, TLS). */
export class NetworkError extends PayreqError {
  code: "network_error";
}
/**
 * The response was not the documented JSON, its body was cut off or over
 * 1 MiB, a token was not an RFC 6750 b64token, or the resource was not the
 * one asked for (another id, a create's id not a UUID, a checkoutUrl not
 * https:, nor http: on a loopback host).
 */
export class DecodeError extends PayreqError {
  code: "decode_error";
}
/** No response within `timeoutMs` / `totalTimeoutMs`. */
export class TimeoutError extends PayreqError {
  code: "timeout";
}
/** The caller's `signal` fired; `cause` is its reason. */
export class AbortError extends PayreqError {
  code: "aborted";
}
/**
 * The API answered with an error status, or with a redirect (code
 * "redirect", never retryable): payreq never follows one, and its message
 * names only the origin of the Location.
 */
export class ApiError extends PayreqError {
  code: ApiErrorCode;
  /** The HTTP status (null only for a "redirect" in a browser, which hides it). */
  status: number;
  /** The field the server blamed, camelCase, or null. */
  field: string | null;
  /** The server's own error code, or null. */
  serverCode: string | null;
  /** Seconds the server asked to wait (Retry-After), when it sent one. */
  retryAfter?: number;
}
/** 401 after a fresh token, or 403. */
export class AuthenticationError extends ApiError {
  code: "unauthorized" | "forbidden";
}
/** 400 or 422. */
export class InvalidRequestError extends ApiError {
  code: "bad_request" | "unprocessable";
}
export class NotFoundError extends ApiError {
  code: "not_found";
}
/** 409: an Idempotency-Key reused with another body. */
export class IdempotencyError extends ApiError {
  code: "idempotency_conflict";
}
export class RateLimitError extends ApiError {
  code: "rate_limited";
}
export class ServerError extends ApiError {
  code: "server_error";
}
