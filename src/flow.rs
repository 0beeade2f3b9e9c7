//! Every call of the client as a state machine without I/O ("sans-IO"): a
//! [`Flow`] is stepped with what happened ([`Event`]) and answers what to do
//! next ([`Action`]): ask the rate limiter, wait, wait for the token another
//! call is fetching, send one request, or finish. All rules live here: the
//! token cache and its single flight, the 401 replay, rate limiting, retries
//! and back-off ([`crate::retry::decide`]), time limits, the unknown outcome
//! of a create, and `waitForPayment`'s polling.
//!
//! A driver performs the actions: [`crate::Client`] in Rust (over the
//! [`Transport`](crate::Transport), [`Platform`](crate::Platform) and [`Signal`](crate::Signal)
//! traits), and in wasm a short JS loop (`js/core.js`) over `fetch` and
//! `setTimeout`, which then needs no future, executor or callback in the
//! wasm (issue 6: size and per-request overhead).

use crate::prelude::*;

use core::cell::{Cell, RefCell};
use core::task::Waker;

use crate::auth::{self, CachedToken};
use crate::error::{ApiError, ApiErrorKind, Error, Operation};
use crate::http::{Host, Method, Observer, Request, RequestEvent, Response, ResponseEvent, TransportError};
use crate::json;
use crate::limiter::RateLimiter;
use crate::redact;
use crate::retry::{self, Decision, Outcome, RetryPolicy, StopReason};
use crate::secret::AccessToken;
use crate::text::cat;
use crate::validate::{CallOptions, ClientConfig, NewPaymentRequest, PaymentId};
use crate::wire::{self, PaymentRequest};

/// How `wait_for_payment` polls: first after this delay, growing by half each
/// time up to the maximum.
pub const POLL_INITIAL_MS: u64 = 1_000;
/// The longest pause between two polls of `wait_for_payment`.
pub const POLL_MAX_MS: u64 = 5_000;
/// How long past what it said it would wait for (its send's time limit, a
/// pause) the flow fetching the token may stay silent before a flow waiting
/// for the token takes the fetch over (docs/waits.md).
pub const TOKEN_LEASE_SLACK_MS: u64 = 1_000;

/// What the flows of one client share: the options, the clock and
/// randomness, the rate limiter, the hooks and the token cache.
pub struct Core<P, L> {
    pub(crate) config: ClientConfig,
    pub(crate) platform: P,
    pub(crate) limiter: L,
    pub(crate) observer: Option<Box<dyn Observer>>,
    token: RefCell<Option<CachedToken>>,
    /// The token request in flight, if any: its number and its lease (ms
    /// since the epoch), until which the others wait ([`Action::WaitToken`]).
    token_flight: Cell<Option<(u32, u64)>>,
    /// Token requests started, which numbers them.
    token_fetches: Cell<u32>,
    /// The tokens this client has held, the newest last (at most
    /// [`redact::PAST_TOKENS`]): scrubbed from what callers see.
    held: RefCell<Vec<AccessToken>>,
    /// Wakers of Rust drivers waiting for the token.
    token_waiters: RefCell<Vec<Waker>>,
}

impl<P: Host, L> Core<P, L> {
    /// The shared state of a client with validated `config`.
    pub fn new(config: ClientConfig, platform: P, limiter: L) -> Self {
        Self {
            config,
            platform,
            limiter,
            observer: None,
            token: RefCell::new(None),
            token_flight: Cell::new(None),
            token_fetches: Cell::new(0),
            held: RefCell::new(Vec::new()),
            token_waiters: RefCell::new(Vec::new()),
        }
    }

    /// Whether a flow is fetching a token; when not, `waker` is not kept.
    pub(crate) fn token_busy(&self, waker: &Waker) -> bool {
        let busy = self.token_flight.get().is_some();
        if busy {
            self.token_waiters.borrow_mut().push(waker.clone());
        }
        busy
    }

    /// Token request `fetch` is over: the single flight is free unless
    /// another flow took it over since (then `fetch` had outlived its lease).
    fn release_token(&self, fetch: u32) {
        if self.token_flight.get().is_some_and(|(n, _)| n == fetch) {
            self.token_flight.set(None);
        }
        let waiters = core::mem::take(&mut *self.token_waiters.borrow_mut());
        for waker in waiters {
            waker.wake();
        }
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

    /// `text` without any secret of this client: the client secret (as is
    /// and form-encoded), the Basic credentials and every token held.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let secret = self.config.client_secret.expose();
        let basic = auth::basic_header(&self.config.client_id, &self.config.client_secret);
        let encoded = auth::form_urlencode(secret);
        let held = self.held.borrow();
        let mut secrets = vec![secret, &encoded, basic.get("Basic ".len()..).unwrap_or_default()];
        secrets.extend(held.iter().map(AccessToken::expose));
        redact::scrub(text, &secrets)
    }

    /// Limits of one call: `options` resolved against the client's.
    fn limits(&self, options: &CallOptions) -> Limits {
        let total = options.total_timeout_ms.or(self.config.total_timeout_ms);
        Limits {
            policy: RetryPolicy {
                max_retries: options.max_retries.unwrap_or(self.config.max_retries),
                ..RetryPolicy::default()
            },
            timeout_ms: options.timeout_ms.unwrap_or(self.config.timeout_ms),
            deadline: total.map(|t| (self.platform.now_ms().saturating_add(t), t)),
        }
    }
}

/// Retries and time limits of one call.
#[derive(Clone, Copy)]
struct Limits {
    policy: RetryPolicy,
    timeout_ms: u64,
    /// When the whole call must be over (ms since the epoch) and its length.
    deadline: Option<(u64, u64)>,
}

/// What happened since the last step.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The first step.
    Start,
    /// The answer to [`Action::Reserve`]: a time in ms since the epoch, or
    /// why the limiter failed.
    Reserved(Result<f64, String>),
    /// The wait of [`Action::Wait`] is over.
    Waited,
    /// After [`Action::WaitToken`]: the token may have arrived, or the
    /// wait's bound passed; the flow looks again.
    TokenFree,
    /// The answer to [`Action::Send`].
    Sent(Result<Response, TransportError>),
    /// [`Action::Send`]'s time limit passed first (the request was aborted).
    TimedOut,
    /// The caller's signal fired during a wait or a send (which was aborted).
    Aborted,
    /// A driver reported something this crate does not know (the JS
    /// driver's event number): the call ends with [`Error::Internal`].
    Unknown(u32),
}

/// What the driver does next.
// Returned once per step and consumed at once: boxing the result would cost an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Action<'a> {
    /// Ask the rate limiter for a send slot for the client id at `now_ms`
    /// (ms since the epoch); answer [`Event::Reserved`], or, when no answer
    /// came within `max_ms` (the call's deadline, or its attempt time limit),
    /// [`Event::TimedOut`], or [`Event::Aborted`] when the caller's signal
    /// fires first (a slot answered after that is given back). Only for a
    /// limiter that cannot answer at once ([`RateLimiter::reserve_now`]).
    Reserve {
        /// The time to reserve at.
        now_ms: u64,
        /// The longest to wait for the answer.
        max_ms: u64,
    },
    /// Wait this many ms, unless the caller's signal fires: [`Event::Waited`]
    /// or [`Event::Aborted`].
    Wait(u64),
    /// Another flow is fetching the token: step this one with
    /// [`Event::TokenFree`] within this many ms (the call's deadline, or the
    /// fetch's lease), or sooner: once that flow has been stepped (a Rust
    /// driver: once its waker is woken), or on a poll of the driver's own
    /// (a Worker: docs/waits.md); or with [`Event::Aborted`]. If the token
    /// is still being fetched, it answers `WaitToken` again; once the lease
    /// has passed, this flow takes the fetch over.
    WaitToken(u64),
    /// Send `request`, aborting it after `timeout_ms` ([`Event::TimedOut`]) or
    /// when the caller's signal fires ([`Event::Aborted`]); else
    /// [`Event::Sent`] with the whole response.
    Send {
        /// The request.
        request: &'a Request,
        /// The time limit of this attempt, in ms.
        timeout_ms: u64,
    },
    /// The call is over.
    Done(Result<PaymentRequest, Error>),
}

/// What [`Flow::advance`] stops at: an [`Action`] without its borrow.
#[allow(clippy::large_enum_variant)]
enum Next {
    Reserve(u64, u64),
    Wait(u64),
    WaitToken(u64),
    Send(u64),
    Done(PaymentRequest),
}

/// Which call a flow is.
enum Goal {
    Create {
        key: String,
    },
    Get,
    /// `wait_for_payment`: polls until `deadline` (`timeout_ms` after its
    /// start), pausing `pause` ms after the next poll.
    Wait {
        deadline: u64,
        timeout_ms: u64,
        pause: u64,
    },
}

/// Where a flow is: what it waits for, or what it does next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The API request needs a token: from the cache, fetched, or (in
    /// [`Action::WaitToken`]) another flow's.
    Token,
    /// An attempt begins: a slot from the limiter.
    Reserve,
    /// Waiting for a limiter that answers asynchronously.
    Reserving,
    /// The slot is known: wait for it.
    Pace,
    /// Waiting for the slot.
    Paced,
    /// Waiting for the response.
    Sending,
    /// Waiting before a retry.
    BackedOff,
    /// `wait_for_payment`: the next poll begins.
    Poll,
    /// `wait_for_payment`: waiting between two polls.
    Paused,
    /// The call is over.
    Over,
}

/// One request with its retries: the token request or the API request.
struct Exchange {
    token: bool,
    request: Request,
    retries: u32,
    /// What the limiter answered for this attempt, to confirm or give back.
    ticket: u64,
    /// When its slot is due, as the limiter last said.
    slot: u64,
    /// When the wait for the slot began.
    paced_at: u64,
    /// When the attempt was sent.
    started: u64,
}

/// One call of the client, stepped by a driver until [`Action::Done`].
pub struct Flow {
    goal: Goal,
    op: Operation,
    method: Method,
    path: String,
    body: Option<String>,
    limits: Limits,
    /// Set once an attempt of the API request may have been processed
    /// without our knowing: a 5xx, a lost connection or body, a timeout or
    /// an abort in flight.
    ambiguous: bool,
    /// The 401 replay was spent.
    replayed: bool,
    /// The number of the token request this flow is fetching (the others
    /// wait); 0 when none.
    fetching_token: u32,
    /// The token the API request carries.
    token: Option<AccessToken>,
    exchange: Option<Exchange>,
    stage: Stage,
}

impl Flow {
    /// `POST /payment/request` with an `Idempotency-Key` (the caller's, or a
    /// fresh UUID v4), reused on every retry of this call. When the last
    /// attempt may have reached the server (a 5xx, a lost connection, a
    /// timeout), its error is [`Error::OutcomeUnknown`] with the key to retry with.
    pub fn create<P: Host, L>(core: &Core<P, L>, request: &NewPaymentRequest, options: &CallOptions) -> Self {
        let key = options.idempotency_key.clone().unwrap_or_else(|| {
            let mut bytes = [0u8; 16];
            core.platform.fill_random(&mut bytes);
            crate::uuid::v4(bytes)
        });
        let path = "/payment/request".to_owned();
        let mut flow = Self::new(Goal::Create { key }, Operation::CreatePaymentRequest, Method::Post, path);
        flow.limits = core.limits(options);
        flow.body = Some(request.to_json());
        flow
    }

    /// `GET /payment/request/{id}`.
    pub fn get<P: Host, L>(core: &Core<P, L>, id: &PaymentId, options: &CallOptions) -> Self {
        let mut flow = Self::new(Goal::Get, Operation::GetPaymentRequest, Method::Get, resource_path(id));
        flow.limits = core.limits(options);
        flow
    }

    /// Polls a payment request until its status is terminal (paid, expired,
    /// cancelled), waiting [`POLL_INITIAL_MS`] and then half as long again
    /// each time, up to [`POLL_MAX_MS`]; every poll passes the rate limiter.
    /// Its error is [`Error::Timeout`] when `timeout_ms` passes first.
    pub fn wait<P: Host, L>(core: &Core<P, L>, id: &PaymentId, timeout_ms: u64) -> Self {
        let deadline = core.platform.now_ms().saturating_add(timeout_ms);
        let goal = Goal::Wait { deadline, timeout_ms, pause: POLL_INITIAL_MS };
        let mut flow = Self::new(goal, Operation::GetPaymentRequest, Method::Get, resource_path(id));
        flow.stage = Stage::Poll;
        flow
    }

    fn new(goal: Goal, op: Operation, method: Method, path: String) -> Self {
        Self {
            goal,
            op,
            method,
            path,
            body: None,
            limits: Limits { policy: RetryPolicy::default(), timeout_ms: 0, deadline: None },
            ambiguous: false,
            replayed: false,
            fetching_token: 0,
            token: None,
            exchange: None,
            stage: Stage::Token,
        }
    }

    /// Takes `event` (what the last action led to) and says what to do next.
    /// `aborted`: whether the caller's signal has fired; it is checked before
    /// each attempt ([`Event::Aborted`] is for a wait or a send it ended).
    pub fn step<P: Host, L: RateLimiter>(&mut self, core: &Core<P, L>, event: Event, aborted: bool) -> Action<'_> {
        let mut event = event;
        let next = loop {
            match self.advance(core, event, aborted) {
                Ok(next) => break next,
                Err(error) => {
                    self.release_token(core);
                    let in_token = self.exchange.take().is_some_and(|e| e.token);
                    match error {
                        // A token the API refuses is dropped and the call
                        // replayed once with a fresh one, without spending a retry.
                        Error::Api(e) if e.kind == ApiErrorKind::Unauthorized && !in_token && !self.replayed => {
                            self.replayed = true;
                            if let Some(token) = self.token.take() {
                                core.forget_token(&token);
                            }
                            self.stage = Stage::Token;
                            event = Event::Start;
                        }
                        error => {
                            self.stage = Stage::Over;
                            let mut error = self.failed(error);
                            redact::error(&mut error, &|t| core.scrub(t));
                            return Action::Done(Err(error));
                        }
                    }
                }
            }
        };
        let fetch = self.fetching_token;
        if core.token_flight.get().is_some_and(|(n, _)| n == fetch) {
            // The fetch's lease: until this flow is stepped again, and some slack.
            let ms = match next {
                Next::Wait(ms) | Next::Send(ms) | Next::Reserve(_, ms) => ms,
                _ => self.limits.timeout_ms,
            };
            let lease = core.platform.now_ms().saturating_add(ms).saturating_add(TOKEN_LEASE_SLACK_MS);
            core.token_flight.set(Some((fetch, lease)));
        }
        match next {
            Next::Reserve(now_ms, max_ms) => Action::Reserve { now_ms, max_ms },
            Next::Wait(ms) => Action::Wait(ms),
            Next::WaitToken(ms) => Action::WaitToken(ms),
            Next::Done(pr) => {
                self.stage = Stage::Over;
                Action::Done(Ok(pr))
            }
            Next::Send(timeout_ms) => match &self.exchange {
                Some(ex) => Action::Send { request: &ex.request, timeout_ms },
                None => Action::Done(Err(self.over())),
            },
        }
    }

    /// Runs the stages from the current one until one waits for the driver.
    fn advance<P: Host, L: RateLimiter>(
        &mut self,
        core: &Core<P, L>,
        event: Event,
        aborted: bool,
    ) -> Result<Next, Error> {
        let key = core.config.client_id.as_str();
        let mut event = Some(event);
        match event {
            Some(Event::Aborted) => return Err(self.abort(core)),
            Some(Event::Unknown(n)) => {
                // Left as an abort leaves it: a send in flight may have gone
                // (a create's outcome is unknown), a slot waited for is given back.
                let _ = self.abort(core);
                return Err(self.internal(&["unknown event ", &crate::text::decimal(n.into())]));
            }
            _ => {}
        }
        loop {
            let happened = event.take();
            match self.stage {
                Stage::Token => {
                    let now = core.platform.now_ms();
                    if let Some(token) = core.cached_token() {
                        self.exchange = Some(self.exchange_for(core, Some(&token)));
                        self.token = Some(token);
                    } else if let Some((_, lease)) = core.token_flight.get().filter(|&(_, lease)| lease > now) {
                        // Another flow's fetch: wait for it, up to its lease
                        // and never past this call's deadline.
                        let ms = lease - now;
                        return match self.remaining(core) {
                            Some(0) => Err(self.deadline_error()),
                            left => Ok(Next::WaitToken(left.map_or(ms, |left| left.min(ms)))),
                        };
                    } else {
                        // No fetch, or one that outlived its lease (its flow is
                        // no longer stepped: a cancelled Worker request): ours.
                        let fetch = core.token_fetches.get().wrapping_add(1).max(1);
                        core.token_fetches.set(fetch);
                        core.token_flight.set(Some((fetch, now)));
                        self.fetching_token = fetch;
                        self.exchange = Some(self.exchange_for(core, None));
                    }
                    self.stage = Stage::Reserve;
                }
                Stage::Reserve => {
                    if aborted {
                        return Err(self.abort(core));
                    }
                    let now = core.platform.now_ms();
                    match core.limiter.reserve_now(key, now) {
                        Some(ticket) => self.reserved(ticket),
                        None => {
                            self.stage = Stage::Reserving;
                            return Ok(Next::Reserve(now, self.attempt_limit(core)));
                        }
                    }
                }
                Stage::Reserving => {
                    let detail = match happened {
                        Some(Event::Reserved(Ok(at))) if at.is_finite() && at >= 0.0 => {
                            self.reserved(at as u64);
                            continue;
                        }
                        Some(Event::Reserved(Err(detail))) => detail,
                        // No answer in time: the call's deadline, or the attempt's limit.
                        Some(Event::TimedOut) if self.remaining(core) == Some(0) => return Err(self.deadline_error()),
                        Some(Event::TimedOut) => {
                            let limit = crate::text::decimal(self.limits.timeout_ms);
                            cat(&["rateLimiter.reserve did not answer within ", &limit, " ms"])
                        }
                        _ => "rateLimiter.reserve must return (a promise of) a time in ms since the epoch".to_owned(),
                    };
                    let detail = cat(&["the rate limiter failed: ", &detail]);
                    return Err(Error::Network { operation: self.operation(), detail, cause: None });
                }
                Stage::Pace => {
                    let (slot, paced_at, ticket) =
                        self.exchange.as_ref().map_or((0, 0, 0), |ex| (ex.slot, ex.paced_at, ex.ticket));
                    self.stage = Stage::Paced;
                    match self.bounded(core, slot.saturating_sub(paced_at)) {
                        Err(e) => {
                            core.limiter.release(key, ticket);
                            return Err(e);
                        }
                        Ok(0) => {}
                        // Asked again before then: the slot may move up.
                        Ok(ms) => return Ok(Next::Wait(ms.min(core.limiter.recheck_ms()))),
                    }
                }
                Stage::Paced => {
                    // Round trips seen while we waited may push the slot back.
                    let now = core.platform.now_ms();
                    let Some(ex) = self.exchange.as_mut() else { return Err(self.over()) };
                    let due = core.limiter.confirm(key, ex.ticket, now);
                    if due > now {
                        self.paced(due, now);
                        continue;
                    }
                    if let Some(o) = &core.observer {
                        let path = if ex.token { TOKEN_PATH } else { &self.path };
                        o.on_request(&RequestEvent {
                            method: ex.request.method.as_str(),
                            path: path.to_owned(),
                            attempt: ex.retries + 1,
                        });
                    }
                    ex.started = core.platform.now_ms();
                    self.stage = Stage::Sending;
                    return Ok(Next::Send(self.attempt_limit(core)));
                }
                Stage::Sending => {
                    if let Some(next) = self.answered(core, happened)? {
                        return Ok(next);
                    }
                }
                Stage::BackedOff => {
                    if let Some(ex) = self.exchange.as_mut() {
                        ex.retries += 1;
                    }
                    self.stage = Stage::Reserve;
                }
                Stage::Poll => {
                    let Goal::Wait { deadline, .. } = self.goal else { return Err(self.over()) };
                    let left = deadline.saturating_sub(core.platform.now_ms());
                    if left == 0 {
                        return Err(self.deadline_error());
                    }
                    // Each poll is a call of its own, bounded by what is left.
                    let options = CallOptions { total_timeout_ms: Some(left), ..CallOptions::default() };
                    self.limits = core.limits(&options);
                    self.ambiguous = false;
                    self.replayed = false;
                    self.stage = Stage::Token;
                }
                Stage::Paused => {
                    if let Goal::Wait { pause, .. } = &mut self.goal {
                        *pause = (*pause + *pause / 2).min(POLL_MAX_MS);
                    }
                    self.stage = Stage::Poll;
                }
                Stage::Over => return Err(self.over()),
            }
        }
    }

    /// The limiter answered `ticket` (a time, for most stores): ask it when
    /// that slot is due next.
    fn reserved(&mut self, ticket: u64) {
        if let Some(ex) = self.exchange.as_mut() {
            ex.ticket = ticket;
        }
        self.stage = Stage::Paced;
    }

    /// The slot is `slot`, known at `now`: wait for it next.
    fn paced(&mut self, slot: u64, now: u64) {
        if let Some(ex) = self.exchange.as_mut() {
            ex.slot = slot;
            ex.paced_at = now;
        }
        self.stage = Stage::Pace;
    }

    /// The end of an attempt: the response, a retry, or the error.
    fn answered<P: Host, L: RateLimiter>(
        &mut self,
        core: &Core<P, L>,
        happened: Option<Event>,
    ) -> Result<Option<Next>, Error> {
        let op = self.operation();
        let happened = match happened {
            Some(Event::Sent(Ok(response))) => Some(Event::Sent(received(response))),
            other => other,
        };
        let (outcome, result) = match happened {
            Some(Event::Sent(Ok(response))) => (Outcome::Status(response.status), Ok(response)),
            Some(Event::Sent(Err(e))) => {
                // An oversized body by its status: a retry would only fetch it again.
                let outcome = match &e {
                    TransportError::TooLarge { status, .. } => Outcome::Status(*status),
                    _ => Outcome::Connection,
                };
                (outcome, Err(transport_error(op, e)))
            }
            Some(Event::TimedOut) => {
                // The attempt's time limit: its own, or what was left of the call's.
                let error = if self.limits.deadline.is_some_and(|(at, _)| core.platform.now_ms() >= at) {
                    self.deadline_error()
                } else {
                    Error::Timeout { operation: op, timeout_ms: self.limits.timeout_ms }
                };
                (Outcome::Connection, Err(error))
            }
            _ => {
                // Not an answer to this request: a bug of payreq's driver. The
                // request may have gone (a create's outcome is unknown); it is
                // not retried.
                if let Some(ex) = self.exchange.as_ref() {
                    self.ambiguous |= !ex.token;
                    core.limiter.completed(core.config.client_id.as_str(), ex.started, core.platform.now_ms());
                }
                return Err(self.internal(&["an event that is not its answer came while a request was in flight"]));
            }
        };
        let Some(ex) = self.exchange.as_ref() else { return Err(self.over()) };
        let retries = ex.retries;
        if !ex.token && matches!(outcome, Outcome::Connection | Outcome::Status(500..=599)) {
            self.ambiguous = true;
        }
        let key = core.config.client_id.as_str();
        core.limiter.completed(key, ex.started, core.platform.now_ms());
        if let Some(o) = &core.observer {
            let (status, request_id) = match &result {
                Ok(r) => (Some(r.status), request_id(r)),
                Err(e) => (e.status(), e.request_id().map(str::to_owned)),
            };
            let request_id = request_id.map(|id| core.scrub(&id));
            o.on_response(&ResponseEvent {
                method: ex.request.method.as_str(),
                path: (if ex.token { TOKEN_PATH } else { &self.path }).to_owned(),
                attempt: retries + 1,
                status,
                duration_ms: core.platform.now_ms().saturating_sub(ex.started),
                request_id,
            });
        }
        let (error, retry_after_ms) = match result {
            Ok(response) if (200..300).contains(&response.status) => return self.exchanged(core, &response),
            Ok(response) => {
                let after = response
                    .header(crate::http::RETRY_AFTER)
                    .and_then(|v| retry::parse_retry_after(v, core.platform.now_ms()));
                (api_error(op, &response, after, &|t| core.scrub(t)), after)
            }
            Err(e) => (e, None),
        };
        let mut jitter_bytes = [0u8; 4];
        core.platform.fill_random(&mut jitter_bytes);
        let jitter = f64::from(u32::from_le_bytes(jitter_bytes)) / (f64::from(u32::MAX) + 1.0);
        match retry::decide(outcome, retry_after_ms, retries, &self.limits.policy, self.remaining(core), jitter) {
            Decision::RetryAfter(ms) => {
                self.stage = Stage::BackedOff;
                match self.bounded(core, ms)? {
                    0 => Ok(None),
                    ms => Ok(Some(Next::Wait(ms))),
                }
            }
            Decision::Stop(StopReason::Deadline) if !matches!(error, Error::Api(_)) => Err(self.deadline_error()),
            Decision::Stop(_) => Err(error),
        }
    }

    /// A 2xx: the token is cached and the API request comes next; the
    /// resource ends the call, or `wait_for_payment` pauses and polls again.
    fn exchanged<P: Host, L>(&mut self, core: &Core<P, L>, response: &Response) -> Result<Option<Next>, Error> {
        let token = self.exchange.take().is_some_and(|ex| ex.token);
        if token {
            let value = parse_body(Operation::Token, response)?;
            let cached = auth::decode_token(&value, core.platform.now_ms())
                .map_err(|e| decode_error(Operation::Token, response, e.message()))?;
            let mut held = core.held.borrow_mut();
            if held.len() >= redact::PAST_TOKENS && !held.contains(&cached.token) {
                held.remove(0);
            }
            // A server that hands out the same token again must not push older ones out.
            if !held.contains(&cached.token) {
                held.push(cached.token.clone());
            }
            drop(held);
            *core.token.borrow_mut() = Some(cached);
            self.release_token(core);
            self.stage = Stage::Token;
            return Ok(None);
        }
        let value = parse_body(self.op, response)?;
        let resource = wire::decode_payment_request(&value, &response.body)
            .and_then(|resource| self.checked(resource))
            .map_err(|detail| decode_error(self.op, response, detail))?;
        let Goal::Wait { deadline, pause, .. } = self.goal else { return Ok(Some(Next::Done(resource))) };
        if resource.status.is_terminal() {
            return Ok(Some(Next::Done(resource)));
        }
        if pause >= deadline.saturating_sub(core.platform.now_ms()) {
            return Err(self.deadline_error());
        }
        self.stage = Stage::Paused;
        Ok(Some(Next::Wait(pause)))
    }

    /// Ends this flow's token request, if it has one.
    fn release_token<P: Host, L>(&mut self, core: &Core<P, L>) {
        if self.fetching_token != 0 {
            core.release_token(self.fetching_token);
            self.fetching_token = 0;
        }
    }

    /// The server's answer is about what was asked, and safe to hand on
    /// (issue 16): a create's `id` is a UUID, a read's is the id read (in
    /// the validator's canonical form), and a checkout URL is an `https:`
    /// link (or `http:` on a loopback host: [`redact::is_checkout_url`]).
    /// Neither the wrong id nor the refused URL is quoted.
    fn checked(&self, resource: PaymentRequest) -> Result<PaymentRequest, String> {
        // The id asked for is canonical (lower-case), so an id equal to it but
        // for case is that UUID.
        let asked = self.path.get(RESOURCE_PATH.len()..).unwrap_or_default();
        let id_ok = match self.goal {
            Goal::Create { .. } => crate::uuid::canonical(&resource.id).is_some(),
            _ => resource.id.eq_ignore_ascii_case(asked),
        };
        if !id_ok {
            return Err("the resource's `id` is not a UUID, or not the id asked for".to_owned());
        }
        if resource.checkout_url.as_deref().is_some_and(|url| !redact::is_checkout_url(url)) {
            return Err("`checkout_url` is not an https: URL (nor http: on a loopback host)".to_owned());
        }
        Ok(resource)
    }

    /// The request of the exchange to run next: the token request, or the
    /// API request carrying `token`.
    fn exchange_for<P, L>(&self, core: &Core<P, L>, token: Option<&AccessToken>) -> Exchange {
        let config = &core.config;
        let request = match token {
            None => Request {
                method: Method::Post,
                url: config.base_url.join(TOKEN_PATH),
                headers: vec![
                    ("accept", "application/json".to_owned()),
                    ("authorization", auth::basic_header(&config.client_id, &config.client_secret)),
                    ("content-type", "application/x-www-form-urlencoded".to_owned()),
                ],
                body: Some("grant_type=client_credentials".to_owned()),
            },
            Some(token) => {
                let mut headers = vec![
                    ("accept", "application/json".to_owned()),
                    ("authorization", cat(&["Bearer ", token.expose()])),
                ];
                if self.body.is_some() {
                    headers.push(("content-type", "application/json".to_owned()));
                }
                if let Goal::Create { key } = &self.goal {
                    headers.push(("idempotency-key", key.clone()));
                }
                Request { method: self.method, url: config.base_url.join(&self.path), headers, body: self.body.clone() }
            }
        };
        Exchange { token: token.is_none(), request, retries: 0, ticket: 0, slot: 0, paced_at: 0, started: 0 }
    }

    /// The time limit of the attempt about to start: its own, or what is
    /// left of the call's.
    fn attempt_limit<P: Host, L>(&self, core: &Core<P, L>) -> u64 {
        self.remaining(core).map_or(self.limits.timeout_ms, |l| l.min(self.limits.timeout_ms))
    }

    /// `ms` to wait, unless it would pass the call's deadline; 0 for none.
    fn bounded<P: Host, L>(&self, core: &Core<P, L>, ms: u64) -> Result<u64, Error> {
        match self.remaining(core) {
            Some(left) if ms >= left => Err(self.deadline_error()),
            _ => Ok(ms),
        }
    }

    /// Time left before the call's deadline, if it has one.
    fn remaining<P: Host, L>(&self, core: &Core<P, L>) -> Option<u64> {
        self.limits.deadline.map(|(at, _)| at.saturating_sub(core.platform.now_ms()))
    }

    /// The call's deadline passed (`wait_for_payment` reports its own timeout: [`Flow::failed`]).
    fn deadline_error(&self) -> Error {
        let timeout_ms = self.limits.deadline.map_or(self.limits.timeout_ms, |(_, total)| total);
        Error::Timeout { operation: self.operation(), timeout_ms }
    }

    /// The operation of the request in flight (the token's, or the call's).
    fn operation(&self) -> Operation {
        if self.exchange.as_ref().is_some_and(|ex| ex.token) {
            Operation::Token
        } else {
            self.op
        }
    }

    /// The caller's signal fired: a request in flight may have been acted
    /// on, and a slot waited for is given back.
    fn abort<P: Host, L: RateLimiter>(&mut self, core: &Core<P, L>) -> Error {
        let key = core.config.client_id.as_str();
        if let Some(ex) = &self.exchange {
            match self.stage {
                Stage::Sending => {
                    if !ex.token {
                        self.ambiguous = true;
                    }
                    core.limiter.completed(key, ex.started, core.platform.now_ms());
                }
                Stage::Paced => core.limiter.release(key, ex.ticket),
                _ => {}
            }
        }
        Error::Aborted { operation: self.operation(), cause: None }
    }

    /// payreq's own failure, of the texts `parts` (see [`Error::Internal`]).
    fn internal(&self, parts: &[&str]) -> Error {
        Error::Internal { operation: self.operation(), detail: cat(parts) }
    }

    /// A flow stepped after its end.
    fn over(&self) -> Error {
        Error::Network { operation: self.op, detail: "the call is already over".to_owned(), cause: None }
    }

    /// The error the call ends with.
    fn failed(&self, error: Error) -> Error {
        match (&self.goal, error) {
            // The create was answered, but not as documented (an unreadable,
            // oversized or wrong resource, or a redirect, which may follow
            // its processing: POST-redirect-GET): it may exist. Not so for
            // the token request's failures, sent before the create.
            (Goal::Create { key }, e) if reached_create(&e) => {
                Error::OutcomeUnknown { idempotency_key: key.clone(), source: Box::new(e) }
            }
            // Whatever the last attempt said, an earlier one may have created
            // the resource (a 500, then a 429 to the end): the outcome stays unknown.
            (Goal::Create { key }, e) if self.ambiguous => {
                Error::OutcomeUnknown { idempotency_key: key.clone(), source: Box::new(e) }
            }
            (Goal::Wait { timeout_ms, .. }, Error::Timeout { .. }) => {
                Error::Timeout { operation: self.op, timeout_ms: *timeout_ms }
            }
            (_, e) => e,
        }
    }
}

const TOKEN_PATH: &str = "/oauth/token";
const RESOURCE_PATH: &str = "/payment/request/";

fn resource_path(id: &PaymentId) -> String {
    cat(&[RESOURCE_PATH, id.as_str()])
}

/// A response, or [`TransportError::TooLarge`] when a transport read a body
/// past the cap (as if it had stopped there).
fn received(response: Response) -> Result<Response, TransportError> {
    if response.body.len() > crate::http::MAX_RESPONSE_BYTES {
        return Err(TransportError::TooLarge { status: response.status, request_id: request_id(&response) });
    }
    Ok(response)
}

/// Whether `error` is an answer to the create request itself that may
/// follow its processing: see [`Flow::failed`].
fn reached_create(error: &Error) -> bool {
    match error {
        Error::Decode { operation, .. } => *operation == Operation::CreatePaymentRequest,
        Error::Api(e) => e.operation == Operation::CreatePaymentRequest && e.kind == ApiErrorKind::Redirect,
        _ => false,
    }
}

/// The request id, unless it is over 200 bytes: clipping it could cut a
/// secret echoed there in two, and only a whole one is scrubbed.
fn request_id(response: &Response) -> Option<String> {
    response
        .header(crate::http::REQUEST_ID[0])
        .or_else(|| response.header(crate::http::REQUEST_ID[1]))
        .filter(|s| s.len() <= 200)
        .map(ToOwned::to_owned)
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

/// The error of a non-2xx `response`; `scrub` takes the client's secrets out
/// of the body's texts before they are clipped.
fn api_error(
    operation: Operation,
    response: &Response,
    retry_after_ms: Option<u64>,
    scrub: &dyn Fn(&str) -> String,
) -> Error {
    let kind = ApiErrorKind::from_status(response.status);
    let mut body = json::parse(&response.body).map(|v| wire::decode_error_body(&v, scrub)).unwrap_or_default();
    if kind == ApiErrorKind::Redirect {
        // Where it pointed, as the message: the origin only (in wasm,
        // js/core.js passes nothing more).
        body.message = response.header(crate::http::LOCATION).map(ToOwned::to_owned);
        #[cfg(not(target_arch = "wasm32"))]
        {
            body.message = body.message.map(|l| redact::origin(&l));
        }
    }
    Error::Api(ApiError {
        operation,
        status: response.status,
        kind,
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
        TransportError::TooLarge { status, request_id } => Error::Decode {
            operation,
            status,
            detail: "the body is over the 1 MiB limit (payreq stopped reading it)".to_owned(),
            request_id,
        },
        TransportError::Body { status, request_id, detail } => Error::Decode {
            operation,
            status,
            detail: cat(&["the response body was cut off (", &detail, ")"]),
            request_id,
        },
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    //! The machine stepped by hand, without a driver: what the JS driver
    //! relies on, event by event. (The Rust driver's scenarios are in
    //! `client/tests.rs`.)
    use std::cell::{Cell, RefCell};

    use super::*;
    use crate::limiter::LocalLimiter;
    use crate::validate::{validate_client_options, validate_payment_id, Environment, Input};

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    struct Clock(Cell<u64>);
    impl Host for &Clock {
        fn now_ms(&self) -> u64 {
            self.0.get()
        }
        fn fill_random(&self, buf: &mut [u8]) {
            buf.fill(0);
        }
    }

    /// A store that answers asynchronously (a Durable Object, say), and
    /// records the slots given back.
    #[derive(Default)]
    struct Store(RefCell<Vec<u64>>);
    impl RateLimiter for &Store {
        fn reserve_now(&self, _: &str, _: u64) -> Option<u64> {
            None
        }
        fn release(&self, _: &str, at_ms: u64) {
            self.0.borrow_mut().push(at_ms);
        }
    }

    fn config() -> ClientConfig {
        validate_client_options(
            &Input::Object(vec![
                ("clientId".into(), "merchant 1".into()),
                ("clientSecret".into(), "s3cret".into()),
                ("baseUrl".into(), "https://api.example.com".into()),
            ]),
            Environment::default(),
        )
        .unwrap()
    }

    fn ok(body: &str) -> Event {
        Event::Sent(Ok(Response { status: 200, headers: vec![], body: body.to_owned() }))
    }

    const TOKEN: &str = r#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#;

    fn resource(status: &str) -> String {
        format!(r#"{{"id":"{ID}","status":"{status}","amount":1999,"currency":"USD"}}"#)
    }

    /// The URL and authorization header of a `Send`, or what the action was.
    fn sent(action: Action<'_>) -> (String, String) {
        match action {
            Action::Send { request, .. } => {
                (request.url.clone(), request.header("authorization").unwrap_or_default().to_owned())
            }
            other => panic!("expected a send, got {other:?}"),
        }
    }

    fn get(core: &Core<&Clock, impl RateLimiter>) -> Flow {
        Flow::get(core, &validate_payment_id(&ID.into()).unwrap(), &CallOptions::default())
    }

    #[test]
    fn an_asynchronous_limiter_is_asked_for_every_send_and_its_slot_waited_for() {
        let clock = Clock(Cell::new(1_000));
        let store = Store::default();
        let core = Core::new(config(), &clock, &store);
        let mut flow = get(&core);
        assert!(matches!(flow.step(&core, Event::Start, false), Action::Reserve { now_ms: 1_000, max_ms: 30_000 }));
        assert!(matches!(flow.step(&core, Event::Reserved(Ok(1_200.0)), false), Action::Wait(200)));
        clock.0.set(1_200);
        assert_eq!(sent(flow.step(&core, Event::Waited, false)).0, "https://api.example.com/oauth/token");
        assert!(matches!(flow.step(&core, ok(TOKEN), false), Action::Reserve { now_ms: 1_200, .. }));
        let (url, authorization) = sent(flow.step(&core, Event::Reserved(Ok(1_200.0)), false));
        assert_eq!(
            (url.as_str(), authorization.as_str()),
            (format!("https://api.example.com/payment/request/{ID}").as_str(), "Bearer tok")
        );
        match flow.step(&core, ok(&resource("pending")), false) {
            Action::Done(Ok(pr)) => assert_eq!((pr.id.as_str(), pr.status), (ID, crate::Status::Pending)),
            other => panic!("{other:?}"),
        }
        assert!(store.0.borrow().is_empty(), "every slot was used");
    }

    #[test]
    fn a_bad_reservation_is_a_network_error_and_frees_the_token_request() {
        for (answer, says) in [
            (Ok(f64::NAN), "rateLimiter.reserve must return"),
            (Ok(-1.0), "rateLimiter.reserve must return"),
            (Ok(f64::INFINITY), "rateLimiter.reserve must return"),
            (Err("store down".to_owned()), "the rate limiter failed: store down"),
        ] {
            let clock = Clock(Cell::new(0));
            let store = Store::default();
            let core = Core::new(config(), &clock, &store);
            let mut flow = get(&core);
            flow.step(&core, Event::Start, false);
            match flow.step(&core, Event::Reserved(answer), false) {
                Action::Done(Err(Error::Network { detail, .. })) => assert!(detail.contains(says), "{detail}"),
                other => panic!("{other:?}"),
            }
            // The failed flow held the token request: the next flow makes its own.
            assert!(matches!(get(&core).step(&core, Event::Start, false), Action::Reserve { .. }));
        }
    }

    #[test]
    fn a_limiter_that_does_not_answer_ends_the_call_at_its_deadline_or_attempt_limit() {
        let clock = Clock(Cell::new(1_000));
        let store = Store::default();
        let core = Core::new(config(), &clock, &store);
        // With a total deadline of 300 ms: the wait for the answer is bounded by it.
        let mut flow = Flow::get(&core, &validate_payment_id(&ID.into()).unwrap(), &with_total(300));
        assert!(matches!(flow.step(&core, Event::Start, false), Action::Reserve { now_ms: 1_000, max_ms: 300 }));
        clock.0.set(1_300);
        match flow.step(&core, Event::TimedOut, false) {
            Action::Done(Err(Error::Timeout { timeout_ms: 300, .. })) => {}
            other => panic!("{other:?}"),
        }
        // Without one, by the attempt's limit (30 s): a NetworkError that says so.
        let mut flow = get(&core);
        assert!(matches!(flow.step(&core, Event::Start, false), Action::Reserve { max_ms: 30_000, .. }));
        clock.0.set(31_300);
        match flow.step(&core, Event::TimedOut, false) {
            Action::Done(Err(Error::Network { detail, .. })) => {
                assert_eq!(detail, "the rate limiter failed: rateLimiter.reserve did not answer within 30000 ms")
            }
            other => panic!("{other:?}"),
        }
        // An abort while it is asked ends the call (no slot is known to give back).
        let mut flow = get(&core);
        assert!(matches!(flow.step(&core, Event::Start, false), Action::Reserve { .. }));
        assert!(matches!(flow.step(&core, Event::Aborted, true), Action::Done(Err(Error::Aborted { .. }))));
        assert!(store.0.borrow().is_empty());
    }

    #[test]
    fn an_unknown_or_out_of_place_event_ends_the_call_with_an_internal_error() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        // Unknown, at the start: never read as a start.
        match get(&core).step(&core, Event::Unknown(99), false) {
            Action::Done(Err(Error::Internal { detail, .. })) => assert_eq!(detail, "unknown event 99"),
            other => panic!("{other:?}"),
        }
        // A wait's end while the token request is in flight: not a timeout, and not retried.
        let mut flow = get(&core);
        assert!(matches!(flow.step(&core, Event::Start, false), Action::Send { .. }));
        match flow.step(&core, Event::Waited, false) {
            Action::Done(Err(e @ Error::Internal { .. })) => assert_eq!(e.code(), "internal_error"),
            other => panic!("{other:?}"),
        }
        // The token request is free again: the next call makes its own.
        let mut next = get(&core);
        assert!(matches!(next.step(&core, Event::Start, false), Action::Send { .. }));
        // An unknown event while a create is in flight: it may have gone, so its outcome is unknown.
        assert!(matches!(next.step(&core, ok(TOKEN), false), Action::Send { .. }));
        let input = Input::Object(vec![
            ("amount".into(), Input::Number(1999.0)),
            ("currency".into(), "usd".into()),
            ("redirectUrl".into(), "https://shop.example/return".into()),
        ]);
        let request = crate::validate::validate_payment_request(&input, &crate::NativeUrls).unwrap();
        let mut create = Flow::create(&core, &request, &CallOptions::default());
        assert!(matches!(create.step(&core, Event::Start, false), Action::Send { .. }));
        match create.step(&core, Event::Unknown(77), false) {
            Action::Done(Err(Error::OutcomeUnknown { source, .. })) => {
                assert!(matches!(*source, Error::Internal { .. }), "{source:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_abort_while_waiting_for_a_slot_gives_the_slot_back() {
        let clock = Clock(Cell::new(1_000));
        let store = Store::default();
        let core = Core::new(config(), &clock, &store);
        let mut flow = get(&core);
        flow.step(&core, Event::Start, false);
        assert!(matches!(flow.step(&core, Event::Reserved(Ok(5_000.0)), false), Action::Wait(4_000)));
        match flow.step(&core, Event::Aborted, true) {
            Action::Done(Err(Error::Aborted { operation: Operation::Token, .. })) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(*store.0.borrow(), [5_000]);
        assert!(matches!(get(&core).step(&core, Event::Start, false), Action::Reserve { .. }));
    }

    #[test]
    fn flows_that_wait_for_the_token_go_on_with_it_once_it_arrives() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        let (mut first, mut second) = (get(&core), get(&core));
        assert_eq!(sent(first.step(&core, Event::Start, false)).0, "https://api.example.com/oauth/token");
        assert!(matches!(second.step(&core, Event::Start, false), Action::WaitToken(_)));
        // Woken while the token request is still in flight: it waits again.
        assert!(matches!(second.step(&core, Event::TokenFree, false), Action::WaitToken(_)));
        assert_eq!(sent(first.step(&core, ok(TOKEN), false)).1, "Bearer tok");
        let (url, authorization) = sent(second.step(&core, Event::TokenFree, false));
        assert!(url.ends_with(ID) && authorization == "Bearer tok", "{url} {authorization}");
    }

    fn with_total(total_ms: u64) -> CallOptions {
        CallOptions { total_timeout_ms: Some(total_ms), ..CallOptions::default() }
    }

    fn token_wait(action: Action<'_>) -> u64 {
        match action {
            Action::WaitToken(ms) => ms,
            other => panic!("expected a wait for the token, got {other:?}"),
        }
    }

    #[test]
    fn a_wait_for_anothers_token_ends_at_the_callers_deadline() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        let id = validate_payment_id(&ID.into()).unwrap();
        // The fetch: 30 s of time limit, so a lease of 31 s.
        let mut fetcher = get(&core);
        assert_eq!(sent(fetcher.step(&core, Event::Start, false)).0, "https://api.example.com/oauth/token");
        let input = Input::Object(vec![
            ("amount".into(), Input::Number(1999.0)),
            ("currency".into(), "usd".into()),
            ("redirectUrl".into(), "https://shop.example/return".into()),
        ]);
        let request = crate::validate::validate_payment_request(&input, &crate::NativeUrls).unwrap();
        let mut create = Flow::create(&core, &request, &with_total(500));
        let mut waiting = Flow::wait(&core, &id, 1_000);
        let mut patient = get(&core);
        assert_eq!(token_wait(create.step(&core, Event::Start, false)), 500);
        assert_eq!(token_wait(waiting.step(&core, Event::Start, false)), 1_000);
        assert_eq!(token_wait(patient.step(&core, Event::Start, false)), 31_000);
        clock.0.set(200);
        assert_eq!(token_wait(create.step(&core, Event::TokenFree, false)), 300);
        clock.0.set(500);
        match create.step(&core, Event::TokenFree, false) {
            Action::Done(Err(Error::Timeout { operation: Operation::CreatePaymentRequest, timeout_ms: 500 })) => {}
            other => panic!("{other:?}"),
        }
        clock.0.set(1_000);
        match waiting.step(&core, Event::TokenFree, false) {
            Action::Done(Err(Error::Timeout { operation: Operation::GetPaymentRequest, timeout_ms: 1_000 })) => {}
            other => panic!("{other:?}"),
        }
        // An abort ends a wait at once; the fetch goes on and serves the rest.
        match patient.step(&core, Event::Aborted, true) {
            Action::Done(Err(Error::Aborted { .. })) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(sent(fetcher.step(&core, ok(TOKEN), false)).1, "Bearer tok");
        assert_eq!(sent(get(&core).step(&core, Event::Start, false)).1, "Bearer tok");
    }

    #[test]
    fn a_fetch_that_outlives_its_lease_is_taken_over() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        let short = CallOptions { timeout_ms: Some(2_000), ..CallOptions::default() };
        let id = validate_payment_id(&ID.into()).unwrap();
        // Its lease: its send's 2 s time limit and the slack.
        let mut lost = Flow::get(&core, &id, &short);
        sent(lost.step(&core, Event::Start, false));
        let mut second = get(&core);
        assert_eq!(token_wait(second.step(&core, Event::Start, false)), 2_000 + TOKEN_LEASE_SLACK_MS);
        // The fetching flow is never stepped again (a cancelled Worker request).
        clock.0.set(2_000 + TOKEN_LEASE_SLACK_MS);
        assert_eq!(sent(second.step(&core, Event::TokenFree, false)).0, "https://api.example.com/oauth/token");
        let mut third = get(&core);
        assert_eq!(token_wait(third.step(&core, Event::Start, false)), 30_000 + TOKEN_LEASE_SLACK_MS);
        // The first fetch answers after all: its token serves, and the
        // second fetch still holds the single flight until it ends.
        clock.0.set(3_500);
        assert_eq!(sent(lost.step(&core, ok(TOKEN), false)).1, "Bearer tok");
        assert_eq!(sent(third.step(&core, Event::TokenFree, false)).1, "Bearer tok");
        assert!(core.token_flight.get().is_some());
        assert_eq!(sent(second.step(&core, ok(TOKEN), false)).1, "Bearer tok");
        assert!(core.token_flight.get().is_none());
    }

    #[test]
    fn a_fetch_waiting_for_its_slot_or_backing_off_extends_its_lease() {
        let clock = Clock(Cell::new(0));
        let store = Store::default();
        let core = Core::new(config(), &clock, &store);
        let mut fetcher = get(&core);
        let mut waiter = get(&core);
        // Asking an asynchronous limiter: bounded by the attempt's time limit.
        assert!(matches!(fetcher.step(&core, Event::Start, false), Action::Reserve { now_ms: 0, .. }));
        assert_eq!(token_wait(waiter.step(&core, Event::Start, false)), 30_000 + TOKEN_LEASE_SLACK_MS);
        // The slot is 40 s away: the lease covers the wait for it.
        assert!(matches!(fetcher.step(&core, Event::Reserved(Ok(40_000.0)), false), Action::Wait(40_000)));
        assert_eq!(token_wait(waiter.step(&core, Event::TokenFree, false)), 40_000 + TOKEN_LEASE_SLACK_MS);
        clock.0.set(40_000);
        sent(fetcher.step(&core, Event::Waited, false));
        // A 503: the back-off (jitter 0: the shortest) is covered too.
        let unavailable = Event::Sent(Ok(Response { status: 503, headers: vec![], body: String::new() }));
        clock.0.set(40_100);
        let Action::Wait(back_off) = fetcher.step(&core, unavailable, false) else { panic!("expected a back-off") };
        assert_eq!(token_wait(waiter.step(&core, Event::TokenFree, false)), back_off + TOKEN_LEASE_SLACK_MS);
    }

    #[test]
    fn a_body_over_the_cap_from_a_rust_transport_is_refused_unread_and_not_retried() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        let mut flow = get(&core);
        flow.step(&core, Event::Start, false);
        flow.step(&core, ok(TOKEN), false);
        let huge = format!(r#"{{"id":"{ID}","status":"paid","x":"{}"}}"#, "x".repeat(crate::http::MAX_RESPONSE_BYTES));
        match flow.step(&core, ok(&huge), false) {
            Action::Done(Err(Error::Decode { detail, .. })) => assert!(detail.contains("1 MiB limit"), "{detail}"),
            _ => panic!("expected a DecodeError"),
        }
    }

    #[test]
    fn a_flow_stepped_after_its_end_says_so_instead_of_panicking() {
        let clock = Clock(Cell::new(0));
        let core = Core::new(config(), &clock, LocalLimiter::new(0, 1_000));
        let mut flow = get(&core);
        flow.step(&core, Event::Start, true);
        for _ in 0..2 {
            match flow.step(&core, Event::Waited, false) {
                Action::Done(Err(Error::Network { detail, .. })) => assert_eq!(detail, "the call is already over"),
                other => panic!("{other:?}"),
            }
        }
    }
}
