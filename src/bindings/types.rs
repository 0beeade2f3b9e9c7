//! The TypeScript declarations of the JS surface, emitted by wasm-bindgen
//! into `payreq.d.ts`. The error classes are declared in `js/errors.d.ts`.
//! A native test checks that every field-error code in `validate.rs` is in
//! the `FieldErrorCode` union below.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A lifecycle stage; a status added by the API later arrives as its string. */
export type PaymentStatus = "pending" | "paid" | "expired" | "cancelled" | (string & {});

/** What `createPaymentRequest` and `validatePaymentRequest` take. */
export interface PaymentRequestInput {
  /** Integer in the smallest currency unit (1999 = 19.99 USD): a safe integer >= 1, or a bigint up to 2^63-1. */
  amount: number | bigint;
  /** ISO 4217 code with a minor unit, any case: "USD". */
  currency: string;
  /** https: URL the payer returns to after checkout. */
  redirectUrl: string;
  /** Your correlation id: 1 to 255 characters. */
  referenceId?: string | null;
}

/** A validated payment request, as it will be sent. */
export interface ValidPaymentRequest {
  amount: number | bigint;
  currency: string;
  redirectUrl: string;
  referenceId: string | null;
}

/** A payment request as the API returned it. */
export interface PaymentRequest {
  id: string;
  status: PaymentStatus;
  /** A number, or a bigint beyond 2^53-1; null if the API sent none. */
  amount: number | bigint | null;
  currency: string | null;
  redirectUrl: string | null;
  referenceId: string | null;
  /** The hosted checkout page to send the payer to. */
  checkoutUrl: string | null;
  /** RFC 3339, as sent. */
  createdAt: string | null;
  /** RFC 3339, as sent. */
  expiresAt: string | null;
  /** The whole response body, fields added later included. */
  raw: Record<string, unknown>;
}

export type FieldErrorCode =
  | "amount_missing" | "amount_not_number" | "amount_nan" | "amount_infinite" | "amount_zero"
  | "amount_negative_zero" | "amount_negative" | "amount_fraction" | "amount_unsafe_integer" | "amount_too_large"
  | "currency_missing" | "currency_not_string" | "currency_malformed" | "currency_unknown"
  | "currency_no_minor_unit" | "currency_withdrawn"
  | "redirect_url_missing" | "redirect_url_not_string" | "redirect_url_invalid" | "redirect_url_not_https"
  | "redirect_url_no_host" | "redirect_url_userinfo" | "redirect_url_fragment" | "redirect_url_whitespace"
  | "redirect_url_backslash" | "redirect_url_too_long"
  | "reference_id_not_string" | "reference_id_empty" | "reference_id_too_long" | "reference_id_control_chars"
  | "reference_id_invalid_unicode" | "redirect_url_invalid_unicode" | "client_secret_invalid"
  | "payment_id_missing" | "payment_id_not_string" | "payment_id_invalid"
  | "base_url_missing" | "base_url_not_string" | "base_url_invalid" | "base_url_not_https" | "base_url_userinfo"
  | "base_url_query" | "base_url_traversal" | "base_url_whitespace" | "base_url_backslash"
  | "client_id_missing" | "client_id_invalid" | "client_secret_missing" | "secret_in_browser"
  | "idempotency_key_invalid" | "option_invalid" | "options_not_object" | "input_not_object" | "unknown_field";

/** One problem with one field. */
export interface FieldError {
  /** The field as you spell it (camelCase), or the unknown key. */
  field: string;
  code: FieldErrorCode;
  /** What is wrong and how to fix it. */
  message: string;
}

export type ValidationResult =
  | { ok: true; value: ValidPaymentRequest }
  | { ok: false; errors: FieldError[] };

/** Heard before each attempt. No headers, no bodies. */
export interface RequestEvent {
  method: "GET" | "POST";
  path: string;
  attempt: number;
}

/** Heard after each attempt. */
export interface ResponseEvent extends RequestEvent {
  /** null when no response arrived. */
  status: number | null;
  durationMs: number;
  requestId: string | null;
}

export interface ClientOptions {
  clientId: string;
  /** Server-side only: refused in a browser unless dangerouslyAllowBrowser. */
  clientSecret: string;
  /** The API's base URL: https:, or http: for localhost / 127.0.0.0/8 / [::1]. */
  baseUrl: string;
  /** Retries after the first attempt (default 2, at most 10). */
  maxRetries?: number;
  /** Limit for one attempt in ms (default 30000). */
  timeoutMs?: number;
  /** Limit for a call with its retries in ms (default: none). */
  totalTimeoutMs?: number;
  /** Requests per second per clientId in this isolate (default 5, the API's limit; 0 = off). */
  rateLimit?: number;
  /** A limiter shared beyond this isolate (a Durable Object, say); replaces the in-isolate one. */
  rateLimiter?: RateLimiterStore;
  /** Allow a secret in a browser page: for tests against a local sandbox only. */
  dangerouslyAllowBrowser?: boolean;
  onRequest?: (event: RequestEvent) => void;
  onResponse?: (event: ResponseEvent) => void;
}

/**
 * Hands out send slots: `reserve` returns when (ms since the epoch) a request for `key`
 * (the clientId) may be sent, keeping at most N sends in any second; `release` gives back a
 * slot whose caller gave up while waiting. Calls for one key must be served in call order.
 */
export interface RateLimiterStore {
  reserve(key: string, nowMs: number): number | Promise<number>;
  release(key: string, atMs: number): void;
  /** Optional: the request sent at `sentMs` ended at `doneMs` (for round-trip-aware spacing). */
  completed?(key: string, sentMs: number, doneMs: number): void;
}

export interface CallOptions {
  signal?: AbortSignal;
  maxRetries?: number;
  timeoutMs?: number;
  totalTimeoutMs?: number;
}

export interface CreateOptions extends CallOptions {
  /** Sent as Idempotency-Key on every attempt (default: a fresh UUID v4 per call). */
  idempotencyKey?: string;
}

/** A payment-request API client for server-side code. */
export class PaymentClient {
  /**
   * Throws a `ValidationError` naming each invalid option; in a browser it refuses a
   * secret unless `dangerouslyAllowBrowser: true`.
   */
  constructor(options: ClientOptions);
  /**
   * Validates `input` (rejecting with a `ValidationError` before any network call) and
   * creates a payment request, with one Idempotency-Key for all its attempts.
   */
  createPaymentRequest(input: PaymentRequestInput, options?: CreateOptions): Promise<PaymentRequest>;
  /** Reads a payment request by its UUID (any case). */
  getPaymentRequest(id: string, options?: CallOptions): Promise<PaymentRequest>;
  /** Polls until the payment request is paid, expired or cancelled, within the rate limit. */
  waitForPayment(id: string, options?: WaitOptions): Promise<PaymentRequest>;
  /** Releases the wasm half now instead of at garbage collection. */
  free(): void;
  [Symbol.dispose](): void;
}

export interface WaitOptions {
  /** Default 300000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}
"#;
