//! What the core asks of the platform: a transport that sends one HTTP
//! request, time and randomness ([`Platform`]), and the caller's cancellation
//! [`Signal`]. All are injected, so the core runs natively in tests and over
//! `fetch`, `setTimeout` and `crypto.getRandomValues` in wasm.

use crate::prelude::*;

use core::fmt;

use crate::error::Cause;

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP request. Its `Debug` output redacts the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body, if any.
    pub body: Option<String>,
}

impl Request {
    /// The value of header `name` (lower-case), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (*n, if *n == "authorization" { "[redacted]" } else { v.as_str() }))
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// `Retry-After`, read on 429 and 5xx answers.
pub const RETRY_AFTER: &str = "retry-after";
/// The request id header, and the name some gateways use instead.
pub const REQUEST_ID: [&str; 2] = ["x-request-id", "request-id"];
/// A redirect's target, of which an error names only the origin.
pub const LOCATION: &str = "location";
/// The response headers the client reads; a transport may keep only these
/// (the fetch transport in `bindings/` does: `js/core.js` `send` passes them
/// in this order).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub const READ_HEADERS: [&str; 4] = [RETRY_AFTER, REQUEST_ID[0], REQUEST_ID[1], LOCATION];

/// The largest response body the client reads, in bytes (1 MiB; the API's
/// answers are a few KB). A transport should stop reading beyond it and
/// answer [`TransportError::TooLarge`] (`js/core.js` `send` does, as
/// `MAX_BODY`); a longer body it returns anyway is refused the same way.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// One HTTP response, with its body read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values: at least `retry-after`,
    /// `x-request-id` and `request-id` when the response has them (the only
    /// ones the client reads).
    pub headers: Vec<(String, String)>,
    /// The body text.
    pub body: String,
}

impl Response {
    /// The value of header `name` (lower-case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a transport call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// No response arrived: refused, reset, DNS, TLS, CORS.
    Connect {
        /// What the platform reported.
        detail: String,
        /// The platform's own error.
        cause: Option<Cause>,
    },
    /// The body was longer than [`MAX_RESPONSE_BYTES`]: the transport stopped
    /// reading it and closed the connection.
    TooLarge {
        /// The status that arrived.
        status: u16,
        /// The `X-Request-Id` that arrived.
        request_id: Option<String>,
    },
    /// The status and headers arrived, but the body was cut off.
    Body {
        /// The status that arrived.
        status: u16,
        /// The `X-Request-Id` that arrived.
        request_id: Option<String>,
        /// What the platform reported.
        detail: String,
    },
}

/// Sends one HTTP request. Implemented over `fetch` in wasm and by fakes in tests.
///
/// It must not follow redirects (a 3xx is the response: the client turns it
/// into an error) and should read at most [`MAX_RESPONSE_BYTES`] of a body.
///
/// No `Send` bound: the wasm client is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends `request` and reads the whole response body.
    ///
    /// # Errors
    /// A [`TransportError`] when no complete response arrived.
    async fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

/// Time and randomness: what a [`Flow`](crate::Flow) reads itself.
pub trait Host {
    /// Wall-clock time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
}

/// A [`Host`] with timers, for the Rust driver ([`crate::Client`]).
#[allow(async_fn_in_trait)]
pub trait Platform: Host {
    /// Completes after `ms` milliseconds.
    async fn sleep(&self, ms: u64);
}

/// A caller's cancellation signal (an `AbortSignal` in JS).
#[allow(async_fn_in_trait)]
pub trait Signal {
    /// Whether it has fired.
    fn is_aborted(&self) -> bool;
    /// Completes when it fires.
    async fn aborted(&self);
}

/// A signal that never fires.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverAborted;

impl Signal for NeverAborted {
    fn is_aborted(&self) -> bool {
        false
    }
    async fn aborted(&self) {
        core::future::pending::<()>().await;
    }
}

/// What an observer hears before each attempt. No headers, no bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEvent {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, e.g. `/payment/request`.
    pub path: String,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
}

/// What an observer hears after each attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseEvent {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path.
    pub path: String,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The status, or `None` when no response arrived.
    pub status: Option<u16>,
    /// Time from send to the end of the body, in ms.
    pub duration_ms: u64,
    /// The response's `X-Request-Id`.
    pub request_id: Option<String>,
}

/// Hooks for logging and metrics. They never see headers or bodies, so no
/// credential can reach a log through them.
pub trait Observer {
    /// Before an attempt is sent.
    fn on_request(&self, event: &RequestEvent);
    /// After an attempt ended.
    fn on_response(&self, event: &ResponseEvent);
}
