//! What the core asks of the platform: a transport that sends one HTTP
//! request, and a clock. Both are injected, so the core runs natively in
//! tests and over `fetch` in wasm.

use std::fmt;

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

/// One HTTP response, with its body read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values.
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
/// No `Send` bound: the wasm client is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends `request` and reads the whole response body.
    ///
    /// # Errors
    /// A [`TransportError`] when no complete response arrived.
    async fn send(&self, request: Request) -> Result<Response, TransportError>;
}

/// Wall-clock time in milliseconds since the Unix epoch.
pub trait Clock {
    /// Now.
    fn now_ms(&self) -> u64;
}
