//! The one error type of the SDK, with a stable `code`, the HTTP status,
//! whether a retry can help, and a hint that says what to fix.

use crate::prelude::*;

use alloc::borrow::Cow;
use core::any::Any;
use core::fmt;

use crate::text::{cat, decimal};

/// Which call of the API an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /oauth/token`
    Token,
    /// `POST /payment/request`
    CreatePaymentRequest,
    /// `GET /payment/request/{id}`
    GetPaymentRequest,
}

impl Operation {
    /// The method and path, e.g. `POST /payment/request`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Token => "POST /oauth/token",
            Operation::CreatePaymentRequest => "POST /payment/request",
            Operation::GetPaymentRequest => "GET /payment/request/{id}",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field of the caller's input.
///
/// Texts known at compile time stay borrowed: the bindings hand those to JS
/// by address, and JS decodes each only once (`js/objects.js` `fieldErrors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field as the caller spells it (camelCase), e.g. `redirectUrl`.
    pub field: Cow<'static, str>,
    /// A stable snake_case code, e.g. `amount_fraction`.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: Cow<'static, str>,
}

impl FieldError {
    /// An error whose field and message are copied.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: Cow::Owned(field.into()), code, message: Cow::Owned(message.into()) }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&cat(&[&self.field, ": ", &self.message]))
    }
}

/// Every problem found in one input, in field order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// Every `field: message`, joined by `; `.
    pub fn message(&self) -> String {
        let mut out = String::new();
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(&e.field);
            out.push_str(": ");
            out.push_str(&e.message);
        }
        out
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The class of an HTTP error status from the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400: the request body was missing or malformed.
    BadRequest,
    /// 401: missing or expired access token.
    Unauthorized,
    /// 403: wrong client credentials or a bad Basic header.
    Forbidden,
    /// 404: the id is not present in this environment.
    NotFound,
    /// 409: an Idempotency-Key was reused with a different body.
    Conflict,
    /// 422: a business rule refused the request.
    Unprocessable,
    /// 429: more than the allowed requests per second.
    RateLimited,
    /// 5xx: an unexpected condition at the API.
    Server,
    /// 3xx (or, in a browser, an opaque redirect, whose status reads as 0):
    /// payreq never follows a redirect, since it would carry the request
    /// (a create's body and Idempotency-Key, a token request's credentials)
    /// to wherever the `Location` points (issue 16).
    Redirect,
    /// Any other status.
    Other,
}

impl ApiErrorKind {
    /// The kind for an HTTP status (the status table, [`Error::retryable`]'s
    /// source too, is `status_class` in `src/error.rs`).
    pub fn from_status(status: u16) -> Self {
        // The kind does not depend on the operation: only some hints do.
        status_class(status, Operation::Token).kind.unwrap_or(Self::Other)
    }
}

/// What payreq says about one error: its `code`, its JS class, whether a
/// retry can help, and what to do. Decided here only: [`status_class`] for an
/// error status, [`Error::class`] for every error. `Error::code`, `retryable`
/// and `hint`, `retry::is_retryable`, the bindings' class name
/// (`src/bindings/convert.rs`) and so `js/errors.js` all read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    /// The kind of an error status; `None` for the errors that are not one.
    pub kind: Option<ApiErrorKind>,
    /// The stable snake_case code ([`Error::code`]).
    pub code: &'static str,
    /// The JS class the bindings build (`js/errors.js`).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub name: &'static str,
    /// Whether the same call may succeed later ([`Error::retryable`]); for a
    /// status, whether `retry::decide` retries it.
    pub retryable: bool,
    /// What to do about it ([`Error::hint`]).
    pub hint: &'static str,
}

impl Class {
    const fn new(code: &'static str, name: &'static str, retryable: bool, hint: &'static str) -> Self {
        Self { kind: None, code, name, retryable, hint }
    }

    const fn status(
        kind: ApiErrorKind,
        code: &'static str,
        name: &'static str,
        retryable: bool,
        hint: &'static str,
    ) -> Self {
        Self { kind: Some(kind), code, name, retryable, hint }
    }
}

/// The one table of error statuses: an HTTP status answered to `operation`,
/// as its kind, code, JS class, retryability and hint (the npm README's
/// "Errors" table, row by row; its rows are the consts below). Only hints
/// depend on the operation.
pub(crate) fn status_class(status: u16, operation: Operation) -> &'static Class {
    match status {
        400 => &BAD_REQUEST,
        401 => &UNAUTHORIZED,
        403 if matches!(operation, Operation::Token) => &FORBIDDEN_TOKEN,
        403 => &FORBIDDEN,
        404 => &NOT_FOUND,
        409 => &CONFLICT,
        422 => &UNPROCESSABLE,
        429 => &RATE_LIMITED,
        // The 5xx a retry can help with; any other is final.
        500 | 502 | 503 | 504 => &SERVER_RETRYABLE,
        500..=599 => &SERVER,
        // A browser's opaque redirect reads as HTTP 0.
        0 | 300..=399 => &REDIRECT,
        _ => &OTHER,
    }
}

const BAD_REQUEST: Class = Class::status(
    ApiErrorKind::BadRequest,
    "bad_request",
    "InvalidRequestError",
    false,
    "the body must include amount, currency and redirect_url exactly as documented; \
     payreq validates these before sending, so check that baseUrl points at the payment API",
);
const UNAUTHORIZED: Class = Class::status(
    ApiErrorKind::Unauthorized,
    "unauthorized",
    "AuthenticationError",
    false,
    "the access token was missing or expired; payreq fetched a fresh token and the API still \
     refused it, so check that clientId and baseUrl belong to the same environment",
);
/// A 403 from the token endpoint.
const FORBIDDEN_TOKEN: Class = Class::status(
    ApiErrorKind::Forbidden,
    "forbidden",
    "AuthenticationError",
    false,
    "wrong clientId/clientSecret or a bad Basic auth header: use the credentials from the \
     dashboard of the environment that baseUrl points at",
);
/// A 403 from a payment call.
const FORBIDDEN: Class = Class::status(
    ApiErrorKind::Forbidden,
    "forbidden",
    "AuthenticationError",
    false,
    "the credentials are not allowed to do this",
);
const NOT_FOUND: Class = Class::status(
    ApiErrorKind::NotFound,
    "not_found",
    "NotFoundError",
    false,
    "confirm the id and that baseUrl is the environment (sandbox or production) it was created in",
);
const CONFLICT: Class = Class::status(
    ApiErrorKind::Conflict,
    "idempotency_conflict",
    "IdempotencyError",
    false,
    "this idempotencyKey was already used with a different body: use a new key for a new payment",
);
const UNPROCESSABLE: Class = Class::status(
    ApiErrorKind::Unprocessable,
    "unprocessable",
    "InvalidRequestError",
    false,
    "a business rule refused the request: use a currency the account supports and a positive \
     integer amount in the smallest currency unit",
);
const RATE_LIMITED: Class = Class::status(
    ApiErrorKind::RateLimited,
    "rate_limited",
    "RateLimitError",
    true,
    "more than 5 requests per second for this API key: slow down and retry after the Retry-After delay",
);
const SERVER_HINT: &str = "unexpected condition at the API: retry with back-off; contact support if it persists";
/// 500, 502, 503 and 504.
const SERVER_RETRYABLE: Class = Class::status(ApiErrorKind::Server, "server_error", "ServerError", true, SERVER_HINT);
/// Any other 5xx.
const SERVER: Class = Class::status(ApiErrorKind::Server, "server_error", "ServerError", false, SERVER_HINT);
const REDIRECT: Class = Class::status(
    ApiErrorKind::Redirect,
    "redirect",
    "ApiError",
    false,
    "payreq never follows redirects, and sends credentials only to the baseUrl origin: set baseUrl to \
     the API's own URL (the one the redirect points at, if you trust it)",
);
const OTHER: Class = Class::status(
    ApiErrorKind::Other,
    "unexpected_status",
    "ApiError",
    false,
    "unexpected status from the API: check baseUrl",
);

/// Whether a retry can help with an error status: `retry::is_retryable`'s
/// answer for a status, from the same table as [`Error::retryable`].
pub(crate) fn retryable_status(status: u16) -> bool {
    status_class(status, Operation::Token).retryable
}

/// An error status returned by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Which call failed.
    pub operation: Operation,
    /// The HTTP status.
    pub status: u16,
    /// The class of the status: [`ApiErrorKind::from_status`] of it. The
    /// code, class, retryability and hint are read from the status.
    pub kind: ApiErrorKind,
    /// The server's own error code, when its body carried one.
    pub server_code: Option<String>,
    /// The server's own message, when its body carried one. For a redirect
    /// ([`ApiErrorKind::Redirect`]): the origin (`scheme://host[:port]`) of
    /// its `Location`, never its path or query (which may carry secrets).
    pub server_message: Option<String>,
    /// The field the server blamed, in the caller's spelling (camelCase).
    pub field: Option<String>,
    /// The `X-Request-Id` of the response, to quote to support.
    pub request_id: Option<String>,
    /// The `Retry-After` delay in seconds (rounded up), when the server sent
    /// a valid one in either RFC 9110 form.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Its row of the status table (by its status, which [`kind`](Self::kind) follows).
    pub(crate) fn class(&self) -> Class {
        *status_class(self.status, self.operation)
    }

    /// What the provider's troubleshooting table says to do about this status.
    pub fn hint(&self) -> &'static str {
        self.class().hint
    }
}

impl ApiError {
    /// `POST /payment/request failed with HTTP 422 (code): server message.
    /// Hint: ... [request id ...]`.
    pub fn message(&self) -> String {
        // A browser's opaque redirect reads as HTTP 0.
        let kind = self.class().kind;
        let redirect = kind == Some(ApiErrorKind::Redirect);
        let mut out = cat(&[
            self.operation.as_str(),
            if redirect { " was redirected (HTTP " } else { " failed with HTTP " },
            &decimal(u64::from(self.status)),
            if redirect { ")" } else { "" },
        ]);
        if let Some(code) = &self.server_code {
            out.push_str(&cat(&[" (", code, ")"]));
        }
        match (redirect, self.server_message.as_deref()) {
            (true, Some(origin)) if !origin.is_empty() => {
                out.push_str(&cat(&[" to ", origin, ", which payreq does not follow"]));
            }
            (true, _) | (_, None) => {}
            (false, Some(message)) => out.push_str(&cat(&[": ", message])),
        }
        out.push_str(&cat(&[". Hint: ", self.hint()]));
        if let Some(id) = &self.request_id {
            out.push_str(&cat(&[" [request id ", id, "]"]));
        }
        out
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The underlying error of a failed transport call, as the platform gave it
/// (a JS `TypeError` from `fetch`, say). Kept so that bindings can expose it
/// as the error's `cause`; never formatted.
pub struct Cause(pub Box<dyn Any>);

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cause(..)")
    }
}

/// Every way a payreq call can fail.
///
/// `Display` is [`Error::message`], the message the JS error gets.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
#[non_exhaustive]
pub enum Error {
    /// The caller's input or options are invalid; nothing was sent.
    Validation(ValidationErrors),
    /// The API answered with an error status.
    Api(ApiError),
    /// The API answered, but its response could not be read as documented.
    Decode {
        /// Which call failed.
        operation: Operation,
        /// The HTTP status of the response.
        status: u16,
        /// What was wrong with it.
        detail: String,
        /// The `X-Request-Id` of the response.
        request_id: Option<String>,
    },
    /// The request could not be sent or no response arrived.
    Network {
        /// Which call failed.
        operation: Operation,
        /// What the platform reported.
        detail: String,
        /// The platform's own error.
        cause: Option<Cause>,
    },
    /// An attempt, or the whole call with its retries, ran out of time.
    Timeout {
        /// Which call failed.
        operation: Operation,
        /// The limit that was reached.
        timeout_ms: u64,
    },
    /// The caller's signal fired; nothing more was done after it.
    Aborted {
        /// Which call was aborted.
        operation: Operation,
        /// The signal's reason.
        cause: Option<Cause>,
    },
    /// payreq itself failed: its driver reported an event the call was not
    /// waiting for (a bug in payreq, never the caller's or the server's).
    /// The call is over; nothing more is sent for it.
    Internal {
        /// Which call failed.
        operation: Operation,
        /// What went wrong.
        detail: String,
    },
    /// A create whose last attempt may have reached the server: the payment
    /// request may or may not exist. Retrying with the same idempotency key
    /// is safe: the server returns the one it created, if any.
    OutcomeUnknown {
        /// The key every attempt was sent with.
        idempotency_key: String,
        /// The last attempt's error.
        source: Box<Error>,
    },
}

impl Error {
    /// The human message: what failed and why (the same text as `Display`).
    pub fn message(&self) -> String {
        match self {
            Error::Validation(v) => cat(&["invalid input: ", &v.message()]),
            Error::Api(e) => e.message(),
            Error::Decode { operation, status, detail, .. } => cat(&[
                operation.as_str(),
                ": could not decode the HTTP ",
                &decimal(u64::from(*status)),
                " response: ",
                detail,
            ]),
            Error::Network { operation, detail, .. } => cat(&[operation.as_str(), ": network error: ", detail]),
            Error::Timeout { operation, timeout_ms } => {
                cat(&[operation.as_str(), ": no response within ", &decimal(*timeout_ms), " ms"])
            }
            Error::Aborted { operation, .. } => cat(&[operation.as_str(), ": aborted by the caller's signal"]),
            Error::Internal { operation, detail } => cat(&[operation.as_str(), ": payreq failed inside: ", detail]),
            Error::OutcomeUnknown { idempotency_key, source } => cat(&[
                &source.message(),
                " The outcome is unknown: the payment request may have been created. Retry later with \
                 idempotencyKey \"",
                idempotency_key,
                "\" to get the same payment request without risk of a duplicate.",
            ]),
        }
    }

    /// A stable snake_case code to branch on.
    pub fn code(&self) -> &'static str {
        self.class().code
    }

    /// The HTTP status, when the API answered (`None` for a browser's opaque redirect).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::OutcomeUnknown { source, .. } => source.status(),
            Error::Api(e) => Some(e.status).filter(|s| *s != 0),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `X-Request-Id` of the response, when the API answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::OutcomeUnknown { source, .. } => source.request_id(),
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the same call may succeed if tried again later.
    pub fn retryable(&self) -> bool {
        self.class().retryable
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        self.class().hint
    }

    /// Its code, JS class, retryability and hint: the one place that decides
    /// them for every error ([`status_class`] for an error status).
    pub(crate) fn class(&self) -> Class {
        match self {
            Error::Validation(_) => Class::new(
                "validation_failed",
                "ValidationError",
                false,
                "fix the fields listed in `errors`; nothing was sent",
            ),
            Error::Api(e) => e.class(),
            Error::Decode { .. } => Class::new(
                "decode_error",
                "DecodeError",
                false,
                "the response was not the documented JSON: check that baseUrl points at the payment API",
            ),
            Error::Network { .. } => Class::new(
                "network_error",
                "NetworkError",
                true,
                "the API could not be reached: check baseUrl and the network, then retry",
            ),
            Error::Timeout { .. } => Class::new(
                "timeout",
                "TimeoutError",
                true,
                "the API did not answer in time: retry later, or raise timeoutMs",
            ),
            Error::Aborted { .. } => {
                Class::new("aborted", "AbortError", false, "the call was cancelled by its AbortSignal")
            }
            // The same row as js/core.js `internal` (a trap): the README's error table has one.
            Error::Internal { .. } => Class::new("internal_error", "PayreqError", true, INTERNAL_HINT),
            // The last attempt's code and class. Retryable with the same key,
            // unless it was a redirect: retrying cannot help until baseUrl is fixed.
            Error::OutcomeUnknown { source, .. } => Class {
                retryable: !matches!(&**source, Error::Api(e) if e.class().kind == Some(ApiErrorKind::Redirect)),
                hint: "the payment request may exist: retry with the same idempotencyKey, which cannot create a \
                       duplicate",
                ..source.class()
            },
        }
    }
}

/// The hint of `internal_error`, also `js/core.js`'s for a trap.
const INTERNAL_HINT: &str = "payreq failed inside and recovered: retry, and please report it";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::{decide, Decision, Outcome, RetryPolicy, StopReason};

    const OPERATIONS: [Operation; 3] =
        [Operation::Token, Operation::CreatePaymentRequest, Operation::GetPaymentRequest];

    /// The error a flow builds for an error status (`flow.rs` `api_error`).
    fn status_error(status: u16, operation: Operation) -> Error {
        Error::Api(ApiError {
            operation,
            status,
            kind: ApiErrorKind::from_status(status),
            server_code: None,
            server_message: None,
            field: None,
            request_id: None,
            retry_after: None,
        })
    }

    /// Whether `retry::decide` retries a status, with every retry still to spend.
    fn retried(status: u16) -> bool {
        match decide(Outcome::Status(status), None, 0, &RetryPolicy::default(), None, 0.5) {
            Decision::RetryAfter(_) => true,
            Decision::Stop(reason) => {
                assert_eq!(reason, StopReason::NotRetryable, "HTTP {status}");
                false
            }
        }
    }

    #[test]
    fn every_status_is_retryable_exactly_when_retry_decide_retries_it() {
        let mut retried_statuses = Vec::new();
        for status in 100..=599u16 {
            let retry = retried(status);
            if retry {
                retried_statuses.push(status);
            }
            let token = status_class(status, Operation::Token);
            for operation in OPERATIONS {
                let error = status_error(status, operation);
                let class = error.class();
                let at = cat(&[operation.as_str(), " HTTP ", &decimal(u64::from(status))]);
                assert_eq!(error.retryable(), retry, "{at}");
                assert_eq!(class.retryable, retry, "{at}");
                assert_eq!(class.kind, Some(ApiErrorKind::from_status(status)), "{at}");
                assert_eq!((error.code(), error.hint()), (class.code, class.hint), "{at}");
                // A retried status is a rate limit or a server error; of the
                // other classes, none is retried.
                match class.name {
                    "RateLimitError" => assert!(retry && class.code == "rate_limited", "{at}"),
                    "ServerError" => assert!(class.code == "server_error" && (500..=599).contains(&status), "{at}"),
                    _ => assert!(!retry, "{at}"),
                }
                // Only the hint depends on the operation.
                assert_eq!(
                    (class.kind, class.code, class.name, class.retryable),
                    (token.kind, token.code, token.name, token.retryable),
                    "{at}"
                );
                // A create whose outcome is unknown stays retryable (with its
                // key) after a status retry gives up on, except a redirect.
                let unknown = Error::OutcomeUnknown { idempotency_key: "k".to_owned(), source: Box::new(error) };
                assert_eq!(unknown.code(), class.code, "{at}");
                assert_eq!(unknown.class().name, class.name, "{at}");
                assert_eq!(unknown.retryable(), class.kind != Some(ApiErrorKind::Redirect), "{at}");
            }
        }
        assert_eq!(retried_statuses, [429, 500, 502, 503, 504]);
        // No response: retried, and so are the errors it ends in.
        assert!(crate::retry::is_retryable(Outcome::Connection));
        let op = Operation::CreatePaymentRequest;
        assert!(Error::Network { operation: op, detail: String::new(), cause: None }.retryable());
        assert!(Error::Timeout { operation: op, timeout_ms: 1 }.retryable());
    }

    /// The npm README's "Errors" table, row by row (`tests/js/node/readme.test.mjs`
    /// checks the same rows against the package).
    #[test]
    fn the_status_table_is_the_readme_table() {
        use Operation::*;
        let rows: &[(u16, Operation, &str, &str, bool, &str)] = &[
            (400, GetPaymentRequest, "InvalidRequestError", "bad_request", false, "the body must include"),
            (401, CreatePaymentRequest, "AuthenticationError", "unauthorized", false, "the access token was missing"),
            (403, Token, "AuthenticationError", "forbidden", false, "wrong clientId/clientSecret"),
            (403, CreatePaymentRequest, "AuthenticationError", "forbidden", false, "the credentials are not allowed"),
            (403, GetPaymentRequest, "AuthenticationError", "forbidden", false, "the credentials are not allowed"),
            (404, GetPaymentRequest, "NotFoundError", "not_found", false, "confirm the id"),
            (409, CreatePaymentRequest, "IdempotencyError", "idempotency_conflict", false, "this idempotencyKey"),
            (422, CreatePaymentRequest, "InvalidRequestError", "unprocessable", false, "a business rule"),
            (429, Token, "RateLimitError", "rate_limited", true, "more than 5 requests"),
            (500, CreatePaymentRequest, "ServerError", "server_error", true, "unexpected condition"),
            (502, GetPaymentRequest, "ServerError", "server_error", true, "unexpected condition"),
            (503, Token, "ServerError", "server_error", true, "unexpected condition"),
            (504, Token, "ServerError", "server_error", true, "unexpected condition"),
            (501, Token, "ServerError", "server_error", false, "unexpected condition"),
            (599, Token, "ServerError", "server_error", false, "unexpected condition"),
            (0, CreatePaymentRequest, "ApiError", "redirect", false, "payreq never follows redirects"),
            (301, Token, "ApiError", "redirect", false, "payreq never follows redirects"),
            (399, Token, "ApiError", "redirect", false, "payreq never follows redirects"),
            (418, Token, "ApiError", "unexpected_status", false, "unexpected status from the API"),
            (200, Token, "ApiError", "unexpected_status", false, "unexpected status from the API"),
            (600, Token, "ApiError", "unexpected_status", false, "unexpected status from the API"),
        ];
        for &(status, operation, name, code, retryable, hint) in rows {
            let class = status_error(status, operation).class();
            assert_eq!((class.name, class.code, class.retryable), (name, code, retryable), "{operation} {status}");
            assert!(class.hint.starts_with(hint), "{operation} {status}: {}", class.hint);
        }
    }

    /// One error of every variant, each with every optional text set.
    fn one_of_each() -> Vec<Error> {
        let op = Operation::CreatePaymentRequest;
        let api = |status: u16, message: &str| {
            Error::Api(ApiError {
                operation: op,
                status,
                kind: ApiErrorKind::from_status(status),
                server_code: Some("E42".to_owned()),
                server_message: Some(message.to_owned()),
                field: Some("amount".to_owned()),
                request_id: Some("req_1".to_owned()),
                retry_after: Some(2),
            })
        };
        let field = |field: &'static str, code: &'static str, message: &'static str| FieldError {
            field: Cow::Borrowed(field),
            code,
            message: Cow::Borrowed(message),
        };
        vec![
            Error::Validation(ValidationErrors(vec![
                field("amount", "amount_fraction", "amount must be an integer"),
                field("redirectUrl", "redirect_url_not_https", "redirectUrl must use https"),
            ])),
            api(422, "currency not enabled"),
            api(302, "https://elsewhere.example"),
            Error::Decode { operation: op, status: 200, detail: "the body is empty".to_owned(), request_id: None },
            Error::Network {
                operation: Operation::Token,
                detail: "fetch failed".to_owned(),
                cause: Some(Cause(Box::new(7u8))),
            },
            Error::Timeout { operation: Operation::GetPaymentRequest, timeout_ms: 30_000 },
            Error::Aborted { operation: op, cause: None },
            Error::Internal { operation: op, detail: "event 99 while sending".to_owned() },
            Error::OutcomeUnknown { idempotency_key: "key-1".to_owned(), source: Box::new(api(503, "busy")) },
        ]
    }

    #[test]
    fn display_is_the_message_the_js_error_gets() {
        let errors = one_of_each();
        let mut seen = [false; 8];
        for error in &errors {
            // Exhaustive: a new variant must join `one_of_each`.
            let variant = match error {
                Error::Validation(_) => 0,
                Error::Api(_) => 1,
                Error::Decode { .. } => 2,
                Error::Network { .. } => 3,
                Error::Timeout { .. } => 4,
                Error::Aborted { .. } => 5,
                Error::OutcomeUnknown { .. } => 6,
                Error::Internal { .. } => 7,
            };
            seen[variant] = true;
            let message = error.message();
            assert!(!message.is_empty());
            assert_eq!(format!("{error}"), message);
            assert_eq!(error.to_string(), message);
        }
        assert_eq!(seen, [true; 8]);
        // The source of an unknown outcome is the last attempt's error.
        let last = &errors[errors.len() - 1];
        let source = core::error::Error::source(last).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some(
                "POST /payment/request failed with HTTP 503 (E42): busy. Hint: unexpected \
            condition at the API: retry with back-off; contact support if it persists [request id req_1]"
            )
        );
        // thiserror hands out the field itself: a `Box<Error>` (its Display,
        // Debug and source are the boxed error's).
        let boxed = core::error::Error::source(last).and_then(|s| s.downcast_ref::<Box<Error>>());
        assert!(matches!(boxed.map(|b| &**b), Some(Error::Api(e)) if e.status == 503));
        assert!(errors[..errors.len() - 1].iter().all(|e| core::error::Error::source(e).is_none()));
    }

    /// The JS class, code and retryability of the errors that are not a status.
    #[test]
    fn the_other_errors_classes() {
        let classes: Vec<_> = one_of_each().iter().map(|e| (e.class().name, e.code(), e.retryable())).collect();
        assert_eq!(
            classes,
            [
                ("ValidationError", "validation_failed", false),
                ("InvalidRequestError", "unprocessable", false),
                ("ApiError", "redirect", false),
                ("DecodeError", "decode_error", false),
                ("NetworkError", "network_error", true),
                ("TimeoutError", "timeout", true),
                ("AbortError", "aborted", false),
                ("PayreqError", "internal_error", true),
                ("ServerError", "server_error", true),
            ]
        );
    }
}
