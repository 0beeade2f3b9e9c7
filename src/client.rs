//! The client for Rust callers: drives a [`Flow`] per call (every rule of
//! the client lives there) over an injected [`Transport`], [`Platform`],
//! [`Signal`] and [`RateLimiter`]. The wasm build does not use it: its driver
//! is a short JS loop over `fetch` (`js/core.js`).

use crate::prelude::*;

use core::future::poll_fn;
use core::pin::pin;
use core::task::Poll;

use crate::error::Error;
use crate::flow::{Action, Core, Event, Flow};
use crate::http::{Observer, Platform, Signal, Transport};
use crate::limiter::RateLimiter;
use crate::race::{race, Either};
use crate::validate::{CallOptions, ClientConfig, NewPaymentRequest, PaymentId};
use crate::wire::PaymentRequest;

/// A payment-request API client.
///
/// Single-threaded by design (wasm): share it behind an `Rc`. Concurrent
/// calls share one token (fetched once, single-flight) and one rate limiter.
pub struct Client<T, P, L> {
    core: Core<P, L>,
    transport: T,
}

impl<T: Transport, P: Platform, L: RateLimiter> Client<T, P, L> {
    /// A client for validated `config`.
    pub fn new(config: ClientConfig, transport: T, platform: P, limiter: L) -> Self {
        Self { core: Core::new(config, platform, limiter), transport }
    }

    /// Adds hooks that hear about every attempt (never headers or bodies).
    #[must_use]
    pub fn with_observer(mut self, observer: Box<dyn Observer>) -> Self {
        self.core.observer = Some(observer);
        self
    }

    /// The validated options.
    pub fn config(&self) -> &ClientConfig {
        &self.core.config
    }

    /// `POST /payment/request`: see [`Flow::create`].
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
        self.drive(Flow::create(&self.core, request, options), signal).await
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
        self.drive(Flow::get(&self.core, id, options), signal).await
    }

    /// Polls until the status is terminal: see [`Flow::wait`].
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
        self.drive(Flow::wait(&self.core, id, timeout_ms), signal).await
    }

    /// Performs the flow's actions until it is done: only sleeps, sends and
    /// races them against the signal.
    async fn drive<S: Signal>(&self, mut flow: Flow, signal: &S) -> Result<PaymentRequest, Error> {
        let core = &self.core;
        let mut event = Event::Start;
        loop {
            event = match flow.step(core, event, signal.is_aborted()) {
                Action::Done(result) => return result,
                Action::Reserve { now_ms, max_ms } => {
                    let reserve = pin!(core.limiter.reserve(&core.config.client_id, now_ms));
                    match race(reserve, pin!(race(pin!(core.platform.sleep(max_ms)), pin!(signal.aborted())))).await {
                        Either::Left(answer) => Event::Reserved(answer.map(|t| t as f64)),
                        Either::Right(Either::Left(())) => Event::TimedOut,
                        Either::Right(Either::Right(())) => Event::Aborted,
                    }
                }
                Action::Wait(ms) => match race(pin!(core.platform.sleep(ms)), pin!(signal.aborted())).await {
                    Either::Left(()) => Event::Waited,
                    Either::Right(()) => Event::Aborted,
                },
                Action::WaitToken(ms) => {
                    let free = poll_fn(|cx| if core.token_busy(cx.waker()) { Poll::Pending } else { Poll::Ready(()) });
                    let sleep = pin!(core.platform.sleep(ms));
                    let aborted = pin!(signal.aborted());
                    let first = race(pin!(free), pin!(race(sleep, aborted))).await;
                    match first {
                        Either::Right(Either::Right(())) => Event::Aborted,
                        _ => Event::TokenFree,
                    }
                }
                Action::Send { request, timeout_ms } => {
                    let timeout = core.platform.sleep(timeout_ms);
                    // Losing the race drops the transport future, which aborts the request.
                    match race(pin!(self.transport.send(request)), pin!(race(pin!(timeout), pin!(signal.aborted()))))
                        .await
                    {
                        Either::Left(result) => Event::Sent(result),
                        Either::Right(Either::Left(())) => Event::TimedOut,
                        Either::Right(Either::Right(())) => Event::Aborted,
                    }
                }
            };
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
