//! The single error body shape: `{"error": {"code", "message", "field"}}`.

use bytes::Bytes;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use serde_json::json;

/// An API error, rendered as JSON with its status code.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<String>,
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None, allow: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn missing_field(field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "missing_field", format!("The required field {field} is missing."))
            .with_field(field)
    }

    pub fn invalid_type(field: &str, expected: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_type", format!("The field {field} must be {expected}."))
            .with_field(field)
    }

    pub fn unprocessable(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field(field)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid, unexpired Bearer access token is required.")
    }

    pub fn invalid_client() -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_client", "Client authentication failed.")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "The requested resource does not exist.")
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("This method is not allowed here; allowed: {allow}."),
        );
        e.allow = Some(allow);
        e
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body exceeds the limit of {limit} bytes."),
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests; slow down and retry later.")
            .with_retry_after(retry_after_secs.to_string())
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "An internal error occurred.")
    }

    /// A state change that could not be written to the `--state` database: nothing of the
    /// request was kept, so it is safe to retry.
    pub fn storage() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The change could not be saved to the state file; nothing was changed.",
        )
    }

    /// The error an injected `status` fault answers with.
    pub fn injected(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            400 => ("invalid_json", "The request was rejected (injected fault)."),
            401 => ("unauthorized", "A valid, unexpired Bearer access token is required (injected fault)."),
            403 => ("invalid_client", "Client authentication failed (injected fault)."),
            404 => ("not_found", "The requested resource does not exist (injected fault)."),
            405 => ("method_not_allowed", "This method is not allowed here (injected fault)."),
            409 => ("conflict", "The request conflicts with the current state (injected fault)."),
            413 => ("payload_too_large", "The request body is too large (injected fault)."),
            422 => ("unprocessable", "The request failed a business rule (injected fault)."),
            429 => ("rate_limited", "Too many requests; slow down and retry later (injected fault)."),
            502 => ("bad_gateway", "The upstream gateway failed (injected fault)."),
            503 => ("service_unavailable", "The service is temporarily unavailable (injected fault)."),
            504 => ("gateway_timeout", "The upstream gateway timed out (injected fault)."),
            s if s >= 500 => ("internal_error", "An internal error occurred (injected fault)."),
            _ => ("bad_request", "The request was rejected (injected fault)."),
        };
        let mut e = Self::new(status, code, message);
        if status == StatusCode::TOO_MANY_REQUESTS {
            e.retry_after = Some("1".to_owned());
        }
        e
    }

    /// Renders the error as a JSON response.
    pub fn into_response(self) -> Response<Bytes> {
        let body = json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        let mut resp = json_response(self.status, &body);
        let headers = resp.headers_mut();
        if let Some(v) = self.retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(RETRY_AFTER, v);
        }
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// An HTML response with the given status.
pub fn html_response(status: StatusCode, html: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(html));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp
}
