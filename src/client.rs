//! The client: token exchange, caching, and the two payment-request calls,
//! over an injected [`Transport`] and [`Clock`].

use std::cell::RefCell;

use crate::auth::{self, CachedToken};
use crate::error::{ApiError, ApiErrorKind, Error, Operation};
use crate::http::{Clock, Method, Request, Response, Transport, TransportError};
use crate::json;
use crate::secret::AccessToken;
use crate::validate::{ClientConfig, NewPaymentRequest, PaymentId};
use crate::wire::{self, PaymentRequest};

/// A payment-request API client.
///
/// Single-threaded by design (wasm); share it behind an `Rc`.
pub struct Client<T, C> {
    config: ClientConfig,
    transport: T,
    clock: C,
    token: RefCell<Option<CachedToken>>,
}

impl<T: Transport, C: Clock> Client<T, C> {
    /// A client for validated `config`, sending through `transport`.
    pub fn new(config: ClientConfig, transport: T, clock: C) -> Self {
        Self { config, transport, clock, token: RefCell::new(None) }
    }

    /// The validated options.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `POST /payment/request`.
    ///
    /// # Errors
    /// [`Error::Api`] for an error status, [`Error::Decode`] for an unreadable
    /// response, [`Error::Network`] when no response arrived.
    pub async fn create_payment_request(&self, request: &NewPaymentRequest) -> Result<PaymentRequest, Error> {
        self.call(Operation::CreatePaymentRequest, Method::Post, "/payment/request".to_owned(), Some(request.to_json()))
            .await
    }

    /// `GET /payment/request/{id}`.
    ///
    /// # Errors
    /// As for [`Client::create_payment_request`]; a 404 means the id is not
    /// present in the environment `baseUrl` points at.
    pub async fn get_payment_request(&self, id: &PaymentId) -> Result<PaymentRequest, Error> {
        self.call(Operation::GetPaymentRequest, Method::Get, format!("/payment/request/{}", id.as_str()), None).await
    }

    async fn call(
        &self,
        op: Operation,
        method: Method,
        path: String,
        body: Option<String>,
    ) -> Result<PaymentRequest, Error> {
        let url = self.config.base_url.join(&path);
        let mut replayed = false;
        loop {
            let token = self.token().await?;
            let mut headers = vec![
                ("accept", "application/json".to_owned()),
                ("authorization", format!("Bearer {}", token.expose())),
            ];
            if body.is_some() {
                headers.push(("content-type", "application/json".to_owned()));
            }
            let request = Request { method, url: url.clone(), headers, body: body.clone() };
            let response = self.transport.send(request).await.map_err(|e| transport_error(op, e))?;
            if response.status == 401 && !replayed {
                // The token expired early or was revoked: drop it and replay once.
                replayed = true;
                self.forget_token(&token);
                continue;
            }
            if !(200..300).contains(&response.status) {
                return Err(api_error(op, &response));
            }
            let value = parse_body(op, &response)?;
            return wire::decode_payment_request(&value, &response.body)
                .map_err(|detail| decode_error(op, &response, detail));
        }
    }

    /// A fresh token, from the cache or from `POST /oauth/token`.
    async fn token(&self) -> Result<AccessToken, Error> {
        let now = self.clock.now_ms();
        if let Some(cached) = self.token.borrow().as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(cached.token.clone());
        }
        let op = Operation::Token;
        let request = Request {
            method: Method::Post,
            url: self.config.base_url.join("/oauth/token"),
            headers: vec![
                ("accept", "application/json".to_owned()),
                ("authorization", auth::basic_header(&self.config.client_id, &self.config.client_secret)),
                ("content-type", "application/x-www-form-urlencoded".to_owned()),
            ],
            body: Some("grant_type=client_credentials".to_owned()),
        };
        let response = self.transport.send(request).await.map_err(|e| transport_error(op, e))?;
        if response.status != 200 {
            return Err(api_error(op, &response));
        }
        let value = parse_body(op, &response)?;
        let cached =
            auth::decode_token(&value, self.clock.now_ms()).map_err(|e| decode_error(op, &response, e.to_string()))?;
        let token = cached.token.clone();
        *self.token.borrow_mut() = Some(cached);
        Ok(token)
    }

    fn forget_token(&self, used: &AccessToken) {
        let mut cache = self.token.borrow_mut();
        if cache.as_ref().is_some_and(|c| &c.token == used) {
            *cache = None;
        }
    }
}

fn request_id(response: &Response) -> Option<String> {
    response.header("x-request-id").or_else(|| response.header("request-id")).map(|s| s.chars().take(200).collect())
}

fn parse_body(op: Operation, response: &Response) -> Result<json::Value, Error> {
    json::parse(&response.body).map_err(|e| {
        let what = if response.body.trim().is_empty() {
            "the body is empty".to_owned()
        } else {
            format!("the body is not JSON ({e})")
        };
        decode_error(op, response, what)
    })
}

fn decode_error(operation: Operation, response: &Response, detail: String) -> Error {
    Error::Decode { operation, status: response.status, detail, request_id: request_id(response) }
}

fn api_error(operation: Operation, response: &Response) -> Error {
    let body = json::parse(&response.body).map(|v| wire::decode_error_body(&v)).unwrap_or_default();
    Error::Api(ApiError {
        operation,
        status: response.status,
        kind: ApiErrorKind::from_status(response.status),
        server_code: body.code,
        server_message: body.message,
        field: body.field,
        request_id: request_id(response),
        retry_after: response.header("retry-after").and_then(wire::parse_retry_after_seconds),
    })
}

fn transport_error(operation: Operation, error: TransportError) -> Error {
    match error {
        TransportError::Connect { detail, cause } => Error::Network { operation, detail, cause },
        TransportError::Body { status, request_id, detail } => {
            Error::Decode { operation, status, detail: format!("the response body was cut off ({detail})"), request_id }
        }
    }
}

#[cfg(test)]
mod tests;
