//! The client: token exchange and caching, the two payment-request calls and
//! `wait_for_payment`, with rate limiting, retries, timeouts and cancellation,
//! over an injected [`Transport`], [`Platform`] and [`RateLimiter`].

use crate::prelude::*;

use core::cell::{Cell, RefCell};
use core::pin::pin;

use crate::auth::{self, CachedToken};
use crate::error::{ApiError, ApiErrorKind, Error, Operation};
use crate::http::{
    Method, Observer, Platform, Request, RequestEvent, Response, ResponseEvent, Signal, Transport, TransportError,
};
use crate::json;
use crate::limiter::RateLimiter;
use crate::race::{race, Either, Gate};
use crate::retry::{self, Decision, Outcome, RetryPolicy, StopReason};
use crate::secret::AccessToken;
use crate::text::cat;
use crate::validate::{CallOptions, ClientConfig, NewPaymentRequest, PaymentId};
use crate::wire::{self, PaymentRequest};

/// A payment-request API client.
///
/// Single-threaded by design (wasm): share it behind an `Rc`. Concurrent
/// calls share one token (fetched once, single-flight) and one rate limiter.
pub struct Client<T, P, L> {
    config: ClientConfig,
    transport: T,
    platform: P,
    limiter: L,
    observer: Option<Box<dyn Observer>>,
    token: RefCell<Option<CachedToken>>,
    token_gate: Gate,
}

/// What one call runs with: its options resolved against the client's.
struct Call<'s, S> {
    op: Operation,
    policy: RetryPolicy,
    timeout_ms: u64,
    /// When the whole call must be over (ms since the epoch), if ever.
    deadline: Option<(u64, u64)>,
    signal: &'s S,
    /// Set once an attempt may have been processed without our knowing:
    /// a 5xx, a lost connection or body, a timeout or an abort in flight.
    ambiguous: Cell<bool>,
}

/// How `wait_for_payment` polls: first after this delay, growing by half each
/// time up to the maximum.
pub const POLL_INITIAL_MS: u64 = 1_000;
/// The longest pause between two polls of `wait_for_payment`.
pub const POLL_MAX_MS: u64 = 5_000;

impl<T: Transport, P: Platform, L: RateLimiter> Client<T, P, L> {
    /// A client for validated `config`.
    pub fn new(config: ClientConfig, transport: T, platform: P, limiter: L) -> Self {
        Self {
            config,
            transport,
            platform,
            limiter,
            observer: None,
            token: RefCell::new(None),
            token_gate: Gate::default(),
        }
    }

    /// Adds hooks that hear about every attempt (never headers or bodies).
    #[must_use]
    pub fn with_observer(mut self, observer: Box<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The validated options.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn call<'s, S: Signal>(&self, op: Operation, options: &CallOptions, signal: &'s S) -> Call<'s, S> {
        let policy = RetryPolicy {
            max_retries: options.max_retries.unwrap_or(self.config.max_retries),
            ..RetryPolicy::default()
        };
        let total = options.total_timeout_ms.or(self.config.total_timeout_ms);
        Call {
            op,
            policy,
            timeout_ms: options.timeout_ms.unwrap_or(self.config.timeout_ms),
            deadline: total.map(|t| (self.platform.now_ms().saturating_add(t), t)),
            signal,
            ambiguous: Cell::new(false),
        }
    }

    /// `POST /payment/request` with an `Idempotency-Key` (the caller's, or a
    /// fresh UUID v4), reused on every retry of this call.
    ///
    /// # Errors
    /// [`Error::Api`] for an error status, [`Error::Decode`] for an unreadable
    /// response, [`Error::Network`] when no response arrived,
    /// [`Error::Timeout`] and [`Error::Aborted`]. When the last attempt may
    /// have reached the server (a 5xx, a lost connection, a timeout), the
    /// error is [`Error::OutcomeUnknown`] with the key to retry with.
    pub async fn create_payment_request<S: Signal>(
        &self,
        request: &NewPaymentRequest,
        options: &CallOptions,
        signal: &S,
    ) -> Result<PaymentRequest, Error> {
        let key = options.idempotency_key.clone().unwrap_or_else(|| {
            let mut bytes = [0u8; 16];
            self.platform.fill_random(&mut bytes);
            crate::uuid::v4(bytes)
        });
        let call = self.call(Operation::CreatePaymentRequest, options, signal);
        let body = request.to_json();
        let result = self.api_call(&call, Method::Post, "/payment/request", Some(&body), Some(&key)).await;
        // Whatever the last attempt said, an earlier one may have created the
        // resource (a 500, then a 429 to the end): the outcome stays unknown.
        result.map_err(|e| match e {
            Error::Decode { .. } => Error::OutcomeUnknown { idempotency_key: key, source: Box::new(e) },
            e if call.ambiguous.get() => Error::OutcomeUnknown { idempotency_key: key, source: Box::new(e) },
            e => e,
        })
    }

    /// `GET /payment/request/{id}`.
    ///
    /// # Errors
    /// As for [`Client::create_payment_request`], without the unknown outcome;
    /// a 404 means the id is not present in the environment `baseUrl` points at.
    pub async fn get_payment_request<S: Signal>(
        &self,
        id: &PaymentId,
        options: &CallOptions,
        signal: &S,
    ) -> Result<PaymentRequest, Error> {
        let call = self.call(Operation::GetPaymentRequest, options, signal);
        self.api_call(&call, Method::Get, &cat(&["/payment/request/", id.as_str()]), None, None).await
    }

    /// Polls a payment request until its status is terminal (paid, expired,
    /// cancelled), waiting [`POLL_INITIAL_MS`] and then half as long again
    /// each time, up to [`POLL_MAX_MS`]; every poll passes the rate limiter.
    ///
    /// # Errors
    /// [`Error::Timeout`] when `timeout_ms` passes first, [`Error::Aborted`]
    /// when the signal fires, or the error of a failed poll.
    pub async fn wait_for_payment<S: Signal>(
        &self,
        id: &PaymentId,
        timeout_ms: u64,
        signal: &S,
    ) -> Result<PaymentRequest, Error> {
        let op = Operation::GetPaymentRequest;
        let deadline = self.platform.now_ms().saturating_add(timeout_ms);
        let mut pause = POLL_INITIAL_MS;
        loop {
            let left = deadline.saturating_sub(self.platform.now_ms());
            if left == 0 {
                return Err(Error::Timeout { operation: op, timeout_ms });
            }
            let options = CallOptions { total_timeout_ms: Some(left), ..CallOptions::default() };
            let current = self.get_payment_request(id, &options, signal).await.map_err(|e| match e {
                Error::Timeout { .. } => Error::Timeout { operation: op, timeout_ms },
                e => e,
            })?;
            if current.status.is_terminal() {
                return Ok(current);
            }
            let left = deadline.saturating_sub(self.platform.now_ms());
            if pause >= left {
                return Err(Error::Timeout { operation: op, timeout_ms });
            }
            self.pause(pause, signal, op).await?;
            pause = (pause + pause / 2).min(POLL_MAX_MS);
        }
    }

    /// Sleeps, unless the signal fires first.
    async fn pause<S: Signal>(&self, ms: u64, signal: &S, op: Operation) -> Result<(), Error> {
        match race(pin!(self.platform.sleep(ms)), pin!(signal.aborted())).await {
            Either::Left(()) => Ok(()),
            Either::Right(()) => Err(Error::Aborted { operation: op, cause: None }),
        }
    }

    /// A call that carries the bearer token: on a 401 the token is dropped and
    /// the call replayed once, without spending a retry.
    async fn api_call<S: Signal>(
        &self,
        call: &Call<'_, S>,
        method: Method,
        path: &str,
        body: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<PaymentRequest, Error> {
        let mut replayed = false;
        loop {
            let token = self.token(call).await?;
            let mut headers =
                vec![("accept", "application/json".to_owned()), ("authorization", cat(&["Bearer ", token.expose()]))];
            if body.is_some() {
                headers.push(("content-type", "application/json".to_owned()));
            }
            if let Some(key) = idempotency_key {
                headers.push(("idempotency-key", key.to_owned()));
            }
            let request =
                Request { method, url: self.config.base_url.join(path), headers, body: body.map(str::to_owned) };
            match self.exchange(call, path, request).await {
                Err(Error::Api(e)) if e.kind == ApiErrorKind::Unauthorized && !replayed => {
                    replayed = true;
                    self.forget_token(&token);
                }
                Err(e) => return Err(e),
                Ok(response) => {
                    let value = parse_body(call.op, &response)?;
                    return wire::decode_payment_request(&value, &response.body)
                        .map_err(|detail| decode_error(call.op, &response, detail));
                }
            }
        }
    }

    /// A fresh token: from the cache, or from `POST /oauth/token`. Concurrent
    /// callers on a cold cache wait for the one request in flight.
    async fn token<S: Signal>(&self, call: &Call<'_, S>) -> Result<AccessToken, Error> {
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        let _turn = match race(pin!(self.token_gate.lock()), pin!(call.signal.aborted())).await {
            Either::Left(guard) => guard,
            Either::Right(()) => return Err(Error::Aborted { operation: call.op, cause: None }),
        };
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
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
        let token_call = Call {
            op: Operation::Token,
            policy: call.policy,
            timeout_ms: call.timeout_ms,
            deadline: call.deadline,
            signal: call.signal,
            ambiguous: Cell::new(false),
        };
        let response = self.exchange(&token_call, "/oauth/token", request).await?;
        let value = parse_body(Operation::Token, &response)?;
        let cached = auth::decode_token(&value, self.platform.now_ms())
            .map_err(|e| decode_error(Operation::Token, &response, e.message()))?;
        let token = cached.token.clone();
        *self.token.borrow_mut() = Some(cached);
        Ok(token)
    }

    fn cached_token(&self) -> Option<AccessToken> {
        let now = self.platform.now_ms();
        self.token.borrow().as_ref().filter(|t| t.is_fresh(now)).map(|t| t.token.clone())
    }

    fn forget_token(&self, used: &AccessToken) {
        let mut cache = self.token.borrow_mut();
        if cache.as_ref().is_some_and(|c| &c.token == used) {
            *cache = None;
        }
    }

    /// Time left before the call's deadline, if it has one.
    fn remaining<S>(&self, call: &Call<'_, S>) -> Option<u64> {
        call.deadline.map(|(at, _)| at.saturating_sub(self.platform.now_ms()))
    }

    fn deadline_error<S>(&self, call: &Call<'_, S>) -> Error {
        Error::Timeout { operation: call.op, timeout_ms: call.deadline.map_or(call.timeout_ms, |(_, total)| total) }
    }

    /// Waits `ms` unless the signal fires or the deadline comes first.
    async fn wait<S: Signal>(&self, call: &Call<'_, S>, ms: u64) -> Result<(), Error> {
        if let Some(left) = self.remaining(call) {
            if ms >= left {
                return Err(self.deadline_error(call));
            }
        }
        if ms == 0 {
            return Ok(());
        }
        self.pause(ms, call.signal, call.op).await
    }

    /// Sends one request with rate limiting, per-attempt timeouts and
    /// retries, and returns the first 2xx response.
    async fn exchange<S: Signal>(&self, call: &Call<'_, S>, path: &str, request: Request) -> Result<Response, Error> {
        let mut retries = 0;
        loop {
            if call.signal.is_aborted() {
                return Err(Error::Aborted { operation: call.op, cause: None });
            }
            // A slot from the limiter: FIFO, and given back if we never use it.
            let now = self.platform.now_ms();
            let slot = self.limiter.reserve(&self.config.client_id, now).await.map_err(|detail| Error::Network {
                operation: call.op,
                detail: cat(&["the rate limiter failed: ", &detail]),
                cause: None,
            })?;
            let mut slot = slot;
            let mut now = now;
            loop {
                if let Err(e) = self.wait(call, slot.saturating_sub(now)).await {
                    self.limiter.release(&self.config.client_id, slot);
                    return Err(e);
                }
                // Round trips seen while we waited may push the slot back.
                now = self.platform.now_ms();
                let due = self.limiter.confirm(&self.config.client_id, slot, now);
                if due <= now {
                    break;
                }
                slot = due;
            }
            let attempt = retries + 1;
            let method = request.method.as_str();
            if let Some(o) = &self.observer {
                o.on_request(&RequestEvent { method, path: path.to_owned(), attempt });
            }
            let started = self.platform.now_ms();
            let limit = self.remaining(call).map_or(call.timeout_ms, |left| left.min(call.timeout_ms));
            let timeout = self.platform.sleep(limit);
            // Losing the race drops the transport future, which aborts the request.
            let sent =
                race(pin!(self.transport.send(&request)), pin!(race(pin!(timeout), pin!(call.signal.aborted())))).await;
            let (outcome, result) = match sent {
                Either::Left(Ok(response)) => (Outcome::Status(response.status), Ok(response)),
                Either::Left(Err(e)) => (Outcome::Connection, Err(transport_error(call.op, e))),
                Either::Right(Either::Left(())) => {
                    let error = if call.deadline.is_some_and(|(at, _)| self.platform.now_ms() >= at) {
                        self.deadline_error(call)
                    } else {
                        Error::Timeout { operation: call.op, timeout_ms: call.timeout_ms }
                    };
                    (Outcome::Connection, Err(error))
                }
                Either::Right(Either::Right(())) => {
                    // The request was on its way: the server may have acted on it.
                    call.ambiguous.set(true);
                    self.limiter.completed(&self.config.client_id, started, self.platform.now_ms());
                    return Err(Error::Aborted { operation: call.op, cause: None });
                }
            };
            if matches!(outcome, Outcome::Connection | Outcome::Status(500..=599)) {
                call.ambiguous.set(true);
            }
            self.limiter.completed(&self.config.client_id, started, self.platform.now_ms());
            if let Some(o) = &self.observer {
                let (status, request_id) = match &result {
                    Ok(r) => (Some(r.status), request_id(r)),
                    Err(e) => (e.status(), e.request_id().map(str::to_owned)),
                };
                let duration_ms = self.platform.now_ms().saturating_sub(started);
                o.on_response(&ResponseEvent {
                    method,
                    path: path.to_owned(),
                    attempt,
                    status,
                    duration_ms,
                    request_id,
                });
            }
            let (error, retry_after_ms) = match result {
                Ok(response) if (200..300).contains(&response.status) => return Ok(response),
                Ok(response) => {
                    let after = response
                        .header(crate::http::RETRY_AFTER)
                        .and_then(|v| retry::parse_retry_after(v, self.platform.now_ms()));
                    (api_error(call.op, &response, after), after)
                }
                Err(e) => (e, None),
            };
            let mut jitter_bytes = [0u8; 4];
            self.platform.fill_random(&mut jitter_bytes);
            let jitter = f64::from(u32::from_le_bytes(jitter_bytes)) / (f64::from(u32::MAX) + 1.0);
            match retry::decide(outcome, retry_after_ms, retries, &call.policy, self.remaining(call), jitter) {
                Decision::RetryAfter(ms) => {
                    self.wait(call, ms).await?;
                    retries += 1;
                }
                Decision::Stop(StopReason::Deadline) if !matches!(error, Error::Api(_)) => {
                    return Err(self.deadline_error(call));
                }
                Decision::Stop(_) => return Err(error),
            }
        }
    }
}

fn request_id(response: &Response) -> Option<String> {
    response
        .header(crate::http::REQUEST_ID[0])
        .or_else(|| response.header(crate::http::REQUEST_ID[1]))
        .map(|s| crate::text::clip(s, 200))
}

fn parse_body(op: Operation, response: &Response) -> Result<json::Value, Error> {
    json::parse(&response.body).map_err(|e| {
        let what = if crate::text::trim(&response.body).is_empty() {
            "the body is empty".to_owned()
        } else {
            cat(&["the body is not JSON (", &e.message(), ")"])
        };
        decode_error(op, response, what)
    })
}

fn decode_error(operation: Operation, response: &Response, detail: String) -> Error {
    Error::Decode { operation, status: response.status, detail, request_id: request_id(response) }
}

fn api_error(operation: Operation, response: &Response, retry_after_ms: Option<u64>) -> Error {
    let body = json::parse(&response.body).map(|v| wire::decode_error_body(&v)).unwrap_or_default();
    Error::Api(ApiError {
        operation,
        status: response.status,
        kind: ApiErrorKind::from_status(response.status),
        server_code: body.code,
        server_message: body.message,
        field: body.field,
        request_id: request_id(response),
        retry_after: retry_after_ms.map(|ms| ms.div_ceil(1000)),
    })
}

fn transport_error(operation: Operation, error: TransportError) -> Error {
    match error {
        TransportError::Connect { detail, cause } => Error::Network { operation, detail, cause },
        TransportError::Body { status, request_id, detail } => Error::Decode {
            operation,
            status,
            detail: cat(&["the response body was cut off (", &detail, ")"]),
            request_id,
        },
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
