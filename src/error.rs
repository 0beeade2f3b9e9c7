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
    /// The kind for an HTTP status.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            422 => Self::Unprocessable,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            0 | 300..=399 => Self::Redirect,
            _ => Self::Other,
        }
    }
}

/// An error status returned by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Which call failed.
    pub operation: Operation,
    /// The HTTP status.
    pub status: u16,
    /// The class of the status.
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
    /// What the provider's troubleshooting table says to do about this status.
    pub fn hint(&self) -> &'static str {
        match (self.kind, self.operation) {
            (ApiErrorKind::BadRequest, _) => {
                "the body must include amount, currency and redirect_url exactly as documented; \
                 payreq validates these before sending, so check that baseUrl points at the payment API"
            }
            (ApiErrorKind::Unauthorized, _) => {
                "the access token was missing or expired; payreq fetched a fresh token and the API still \
                 refused it, so check that clientId and baseUrl belong to the same environment"
            }
            (ApiErrorKind::Forbidden, Operation::Token) => {
                "wrong clientId/clientSecret or a bad Basic auth header: use the credentials from the \
                 dashboard of the environment that baseUrl points at"
            }
            (ApiErrorKind::Forbidden, _) => "the credentials are not allowed to do this",
            (ApiErrorKind::NotFound, _) => {
                "confirm the id and that baseUrl is the environment (sandbox or production) it was created in"
            }
            (ApiErrorKind::Conflict, _) => {
                "this idempotencyKey was already used with a different body: use a new key for a new payment"
            }
            (ApiErrorKind::Unprocessable, _) => {
                "a business rule refused the request: use a currency the account supports and a positive \
                 integer amount in the smallest currency unit"
            }
            (ApiErrorKind::RateLimited, _) => {
                "more than 5 requests per second for this API key: slow down and retry after the Retry-After delay"
            }
            (ApiErrorKind::Server, _) => {
                "unexpected condition at the API: retry with back-off; contact support if it persists"
            }
            (ApiErrorKind::Redirect, _) => {
                "payreq never follows redirects, and sends credentials only to the baseUrl origin: set baseUrl to \
                 the API's own URL (the one the redirect points at, if you trust it)"
            }
            (ApiErrorKind::Other, _) => "unexpected status from the API: check baseUrl",
        }
    }
}

impl ApiError {
    /// `POST /payment/request failed with HTTP 422 (code): server message.
    /// Hint: ... [request id ...]`.
    pub fn message(&self) -> String {
        // A browser's opaque redirect reads as HTTP 0.
        let redirect = self.kind == ApiErrorKind::Redirect;
        let mut out = cat(&[
            self.operation.as_str(),
            if redirect { " was redirected (HTTP " } else { " failed with HTTP " },
            &decimal(u64::from(self.status)),
            if redirect { ")" } else { "" },
        ]);
        if let Some(code) = &self.server_code {
            out.push_str(&cat(&[" (", code, ")"]));
        }
        match (self.kind, self.server_message.as_deref()) {
            (ApiErrorKind::Redirect, Some(origin)) if !origin.is_empty() => {
                out.push_str(&cat(&[" to ", origin, ", which payreq does not follow"]));
            }
            (ApiErrorKind::Redirect, _) | (_, None) => {}
            (_, Some(message)) => out.push_str(&cat(&[": ", message])),
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
#[derive(Debug)]
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::OutcomeUnknown { source, .. } => Some(&**source),
            _ => None,
        }
    }
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
        match self {
            Error::OutcomeUnknown { source, .. } => source.code(),
            Error::Timeout { .. } => "timeout",
            Error::Aborted { .. } => "aborted",
            Error::Validation(_) => "validation_failed",
            Error::Api(e) => match e.kind {
                ApiErrorKind::BadRequest => "bad_request",
                ApiErrorKind::Unauthorized => "unauthorized",
                ApiErrorKind::Forbidden => "forbidden",
                ApiErrorKind::NotFound => "not_found",
                ApiErrorKind::Conflict => "idempotency_conflict",
                ApiErrorKind::Unprocessable => "unprocessable",
                ApiErrorKind::RateLimited => "rate_limited",
                ApiErrorKind::Server => "server_error",
                ApiErrorKind::Redirect => "redirect",
                ApiErrorKind::Other => "unexpected_status",
            },
            Error::Decode { .. } => "decode_error",
            Error::Network { .. } => "network_error",
        }
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
        match self {
            // A redirect stays one: retrying the create with its key cannot
            // help until baseUrl is fixed.
            Error::OutcomeUnknown { source, .. } => {
                !matches!(&**source, Error::Api(e) if e.kind == ApiErrorKind::Redirect)
            }
            Error::Timeout { .. } => true,
            Error::Api(e) => matches!(e.kind, ApiErrorKind::RateLimited) || matches!(e.status, 500 | 502 | 503 | 504),
            Error::Network { .. } => true,
            _ => false,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::OutcomeUnknown { .. } => {
                "the payment request may exist: retry with the same idempotencyKey, which cannot create a duplicate"
            }
            Error::Timeout { .. } => "the API did not answer in time: retry later, or raise timeoutMs",
            Error::Aborted { .. } => "the call was cancelled by its AbortSignal",
            Error::Validation(_) => "fix the fields listed in `errors`; nothing was sent",
            Error::Api(e) => e.hint(),
            Error::Decode { .. } => {
                "the response was not the documented JSON: check that baseUrl points at the payment API"
            }
            Error::Network { .. } => "the API could not be reached: check baseUrl and the network, then retry",
        }
    }
}
