//! The JavaScript surface: every `#[wasm_bindgen]` item of the crate.
//!
//! This layer only converts: JS values into [`Input`](crate::Input), core
//! results into JS objects, core errors into the `Error` subclasses of
//! `errors.js`. All rules live in the core.

use crate::prelude::*;

mod convert;
mod platform;
mod types;

use alloc::rc::Rc;
use core::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{Cause, Error, FieldError, ValidationErrors};
use crate::flow::{Action, Core, Event, Flow};
use crate::http::{Response, TransportError};
use crate::limiter::{LocalLimiter, RateLimiter, WINDOW_MS};
use crate::snapshot::Texts;
use crate::text::cat;
use crate::validate::{
    validate_call_options, validate_client_options, validate_payment_id, validate_payment_request,
    validate_wait_options, Environment, PaymentId,
};
use convert::{error_to_js, payment_request_to_js, to_input, validation_result_to_js};
use platform::{
    get, get_own, get_string, in_browser, js_error, js_int, js_string, AbortSignal, JsObserver, JsPlatform, JsUrls,
};

type Inner = Core<JsPlatform, AnyLimiter>;

/// The in-isolate limiter, or the caller's shared one (which the JS driver
/// asks for slots: [`Action::Reserve`]).
enum AnyLimiter {
    /// The isolate's limiter, in the window of `key` (the client id and
    /// base URL), which this client joined with `limit` until it is dropped.
    Local {
        local: LocalLimiter,
        key: String,
        limit: u32,
    },
    Js(js_sys::Object),
}

impl Drop for AnyLimiter {
    fn drop(&mut self) {
        if let AnyLimiter::Local { local, key, limit } = self {
            local.leave(key, *limit);
        }
    }
}

// The local limiter's window is the client's own `key` (its id and base URL),
// not the id the flows pass, which is what a shared store gets.
impl RateLimiter for AnyLimiter {
    fn reserve_now(&self, _key: &str, now_ms: u64) -> Option<u64> {
        match self {
            AnyLimiter::Local { local, key, .. } => local.reserve_now(key, now_ms),
            AnyLimiter::Js(_) => None,
        }
    }

    fn confirm(&self, _key: &str, at_ms: u64, now_ms: u64) -> u64 {
        match self {
            AnyLimiter::Local { local, key, .. } => local.confirm(key, at_ms, now_ms),
            AnyLimiter::Js(_) => at_ms,
        }
    }

    fn recheck_ms(&self) -> u64 {
        match self {
            AnyLimiter::Local { local, .. } => local.recheck_ms(),
            AnyLimiter::Js(_) => u64::MAX,
        }
    }

    fn completed(&self, key: &str, sent_ms: u64, done_ms: u64) {
        match self {
            AnyLimiter::Local { local, key, .. } => local.completed(key, sent_ms, done_ms),
            AnyLimiter::Js(store) => tell(store, "completed", key, sent_ms as f64, done_ms as f64),
        }
    }

    fn release(&self, key: &str, at_ms: u64) {
        match self {
            AnyLimiter::Local { local, key, .. } => local.release(key, at_ms),
            AnyLimiter::Js(store) => tell(store, "release", key, at_ms as f64, f64::NAN),
        }
    }
}

/// `store[name](key, a, b)` when it is a function, ignoring what it throws
/// (`release(key, atMs)` passes `b` as NaN, which it ignores).
fn tell(store: &js_sys::Object, name: &'static str, key: &str, a: f64, b: f64) {
    let mut texts = Texts::new(4);
    texts.push_static(name);
    texts.push_str(key);
    texts.push_number(a);
    texts.push_number(b);
    let (at, count, text_at, text_length) = platform::texts_args(&texts);
    platform::tell(platform::memory(), store, at, count, text_at, text_length);
}

/// The limiters of the isolate: every client with the same clientId shares
/// one sliding window, at the smallest `rateLimit` of those clients (0, no
/// limit, opts a client out), whoever constructed it.
static LIMITERS: Global<RefCell<Vec<(u32, LocalLimiter)>>> = Global(RefCell::new(Vec::new()));

/// A global of the wasm instance (the limiters, the executor, the random
/// pool). The wasm build has one thread (no atomics), so a `Cell` or
/// `RefCell` in a static is sound; `thread_local!` would need std.
pub(crate) struct Global<T>(pub(crate) T);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Sync for Global<T> {}

/// The wasm half of a `PaymentClient` (js/core.js): its options, limiter,
/// hooks and token cache.
#[wasm_bindgen(skip_typescript)]
pub struct PaymentClient {
    inner: Rc<Inner>,
}

fn invalid(field: &str, code: &'static str, message: &str) -> JsValue {
    error_to_js(Error::Validation(ValidationErrors(vec![FieldError::new(field, code, message)])))
}

/// The caller's `signal`, if any: anything with a boolean `aborted` and an
/// `addEventListener` (an `AbortSignal` in every runtime).
fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    let signal = get_own(options, "signal");
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    if get(&signal, "aborted").as_bool().is_none() || !get(&signal, "addEventListener").is_function() {
        return Err(invalid("signal", "option_invalid", "signal must be an AbortSignal"));
    }
    Ok(Some(signal.unchecked_into::<AbortSignal>()))
}

#[wasm_bindgen]
impl PaymentClient {
    /// Creates a client from `{ clientId, clientSecret, baseUrl, maxRetries?,
    /// timeoutMs?, totalTimeoutMs?, rateLimit?, rateLimiter?,
    /// dangerouslyAllowBrowser?, onRequest?, onResponse? }`.
    ///
    /// # Errors
    /// Throws a `ValidationError` naming each invalid option, and in a browser
    /// refuses a secret unless `dangerouslyAllowBrowser: true`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<PaymentClient, JsValue> {
        let env = Environment { browser: in_browser(), urls: &JsUrls };
        let config =
            validate_client_options(&to_input(&options), env).map_err(|e| error_to_js(Error::Validation(e)))?;
        let shared = get_own(&options, "rateLimiter");
        let limiter = if shared.is_object() {
            AnyLimiter::Js(shared.unchecked_into())
        } else {
            // One limiter for every client with a rate, and one (that never
            // waits) for those with `rateLimit: 0`; in the first, each
            // clientId has one window at the smallest rate of its clients.
            let mut limiters = LIMITERS.0.borrow_mut();
            let off = config.rate_limit == 0;
            let local = match limiters.iter().find(|(rate, _)| (*rate == 0) == off) {
                Some((_, found)) => found.clone(),
                None => {
                    let made = LocalLimiter::new(config.rate_limit, WINDOW_MS + crate::limiter::DEFAULT_MARGIN_MS);
                    limiters.push((config.rate_limit, made.clone()));
                    made
                }
            };
            // The API's limit is per key; the same key against another base
            // URL (the sandbox, say) is another server's.
            let key = cat(&[&config.client_id, " ", &config.base_url.join("")]);
            local.join(&key, config.rate_limit);
            AnyLimiter::Local { local, key, limit: config.rate_limit }
        };
        let hook = |name| get_own(&options, name).dyn_into::<js_sys::Function>().ok();
        let (on_request, on_response) = (hook("onRequest"), hook("onResponse"));
        let mut core = Core::new(config, JsPlatform, limiter);
        if on_request.is_some() || on_response.is_some() {
            core.observer = Some(Box::new(JsObserver { on_request, on_response }));
        }
        Ok(PaymentClient { inner: Rc::new(core) })
    }

    /// Validates a call and starts its flow: `kind` 0 is
    /// `createPaymentRequest(target, options)`, 1 `getPaymentRequest`, 2
    /// `waitForPayment`. Returns the flow's number for [`step`]; the JS driver
    /// (js/core.js) performs its actions.
    ///
    /// # Errors
    /// Throws a `ValidationError` naming each invalid field or option.
    #[wasm_bindgen(skip_typescript)]
    pub fn begin(&self, kind: u32, target: JsValue, options: JsValue) -> Result<u32, JsValue> {
        let signal = signal_of(&options)?;
        let core = &*self.inner;
        let flow = match kind {
            0 => {
                let request = validate_payment_request(&to_input(&target), &JsUrls).map_err(validation);
                let call = validate_call_options(&to_input(&options), true).map_err(validation);
                Flow::create(core, &request?, &call?)
            }
            1 => {
                let id = payment_id(&target);
                let call = validate_call_options(&to_input(&options), false).map_err(validation);
                Flow::get(core, &id?, &call?)
            }
            _ => {
                let id = payment_id(&target);
                let timeout = validate_wait_options(&to_input(&options)).map_err(validation);
                Flow::wait(core, &id?, timeout?)
            }
        };
        let running = Running { core: Rc::clone(&self.inner), flow, signal };
        let mut flows = FLOWS.0.borrow_mut();
        let free = flows.iter().position(|slot| matches!(slot, Slot::Free));
        let slot = Slot::Held(Box::new(running));
        Ok(match free {
            Some(i) => {
                if let Some(place) = flows.get_mut(i) {
                    *place = slot;
                }
                i as u32
            }
            None => {
                flows.push(slot);
                flows.len() as u32 - 1
            }
        })
    }
}

/// A flow with its client and the caller's signal.
struct Running {
    core: Rc<Inner>,
    flow: Flow,
    signal: Option<AbortSignal>,
}

/// A place for a flow. `Stepping` while a step runs (and a hook it calls may
/// start another call, which must not take this place).
enum Slot {
    Free,
    Stepping,
    Held(Box<Running>),
}

/// The flows in progress, by number.
static FLOWS: Global<RefCell<Vec<Slot>>> = Global(RefCell::new(Vec::new()));

/// What the JS driver saw since the last step of flow `id` (`event`: 0 start,
/// 1 the limiter answered `status` (NaN when its answer was not a number), 2 a wait
/// ended, 3 a wait for the token ended (it may have arrived), 4 a
/// response: `status` and `text` (`retry-after`, `x-request-id`,
/// `request-id`, the origin of a redirect's `location` and the body, joined
/// by NULs), 5 `fetch` threw `value`, 6
/// reading the body threw `value` (`text`: the request id), 7 the attempt's
/// time limit passed, 8 the caller's signal fired, 9 the limiter threw
/// `value`, 10 the body passed `MAX_RESPONSE_BYTES` and was not read further
/// (`text`: the request id)). Returns what to do next:
/// a number, ms to wait (-2 - n: for the token another flow is fetching, at
/// most n ms, then step with 3 (docs/waits.md); [`RESERVE`] - n: ask
/// `rateLimiter.reserve(clientId, Date.now())`, waiting at most n ms for its
/// answer, then step with 7); a string, the request to
/// send (the time limit in ms, the URL, the method, each header's name and
/// value, and the body if there is one, joined by NULs); an object, the
/// payment request the call resolves to.
///
/// # Errors
/// Throws the error the call rejects with.
#[wasm_bindgen(skip_typescript)]
pub fn step(id: u32, event: u32, status: f64, text: String, value: JsValue) -> Result<JsValue, JsValue> {
    let index = id as usize;
    let taken = FLOWS.0.borrow_mut().get_mut(index).map(|slot| core::mem::replace(slot, Slot::Stepping));
    let Some(Slot::Held(mut running)) = taken else {
        return Err(js_error("payreq: no such call in progress"));
    };
    let mut event = decode_event(event, status, &text, value);
    let (result, over) = loop {
        let Running { core, flow, signal } = &mut *running;
        let aborted = signal.as_ref().is_some_and(AbortSignal::aborted);
        match flow.step(core, event, aborted) {
            Action::Done(result) => {
                let result = result.map(|pr| payment_request_to_js(&pr)).map_err(|e| reject(e, signal.as_ref()));
                break (result, true);
            }
            // Waits are bounded by the call's time limits (a day at most), far below i32::MAX ms.
            Action::Wait(ms) => break (Ok(js_int(ms.min(i32::MAX as u64) as i32)), false),
            Action::Reserve { max_ms, .. } => break (Ok(js_int(RESERVE - max_ms.min(RESERVE_MAX) as i32)), false),
            Action::WaitToken(ms) => break (Ok(js_int(-2 - ms.min(1 << 30) as i32)), false),
            Action::Send { request, timeout_ms } => {
                // No NUL can be in the URL (a parsed URL's href), a header name,
                // the JSON body or the validated idempotency key; a token with
                // one could not be sent either (`fetch` refuses NULs in header values).
                if request.headers.iter().any(|(_, value)| value.bytes().any(|b| b == 0)) {
                    let detail = "NUL in a header value".to_owned();
                    event = Event::Sent(Err(TransportError::Connect { detail, cause: None }));
                    continue;
                }
                let mut text = crate::text::decimal(timeout_ms);
                let mut add = |piece: &str| {
                    text.push('\0');
                    text.push_str(piece);
                };
                add(&request.url);
                add(request.method.as_str());
                for (name, value) in &request.headers {
                    add(name);
                    add(value);
                }
                if let Some(body) = &request.body {
                    add(body);
                }
                break (Ok(js_string(&text)), false);
            }
        }
    };
    if let Some(slot) = FLOWS.0.borrow_mut().get_mut(index) {
        *slot = if over { Slot::Free } else { Slot::Held(running) };
    }
    result
}

/// [`step`]'s answer for [`Action::Reserve`]: `RESERVE - max_ms`, below
/// every wait for the token (`-2 - ms`, at most 2^30 ms), with `max_ms` at
/// most [`RESERVE_MAX`] (`js/core.js` reads it back).
const RESERVE: i32 = -(1 << 30) - 3;
/// The longest bound [`RESERVE`] carries (about 12 days: more than any call's limits).
const RESERVE_MAX: u64 = (1 << 30) - 3;

/// The event of [`step`]'s arguments. The numbers are also `js/core.js`'s
/// event constants: change both together.
fn decode_event(event: u32, status: f64, text: &str, value: JsValue) -> Event {
    let status16 = status as u16;
    match event {
        0 => Event::Start,
        1 => Event::Reserved(Ok(status)),
        9 => Event::Reserved(Err(describe(&value, "rateLimiter.reserve threw"))),
        2 => Event::Waited,
        3 => Event::TokenFree,
        4 => {
            // The four headers, each up to a NUL, then the body.
            let mut rest = text;
            let mut headers = Vec::new();
            for name in crate::http::READ_HEADERS {
                let end = rest.bytes().position(|b| b == 0).unwrap_or(rest.len());
                let value = rest.get(..end).unwrap_or_default();
                if !value.is_empty() {
                    headers.push((name.to_owned(), value.to_owned()));
                }
                rest = rest.get(end + 1..).unwrap_or_default();
            }
            Event::Sent(Ok(Response { status: status16, headers, body: rest.to_owned() }))
        }
        5 => {
            let detail = describe(&value, "fetch failed");
            Event::Sent(Err(TransportError::Connect { detail, cause: Some(Cause(Box::new(value))) }))
        }
        6 => {
            let request_id = Some(text.to_owned()).filter(|t| !t.is_empty());
            Event::Sent(Err(TransportError::Body {
                status: status16,
                request_id,
                detail: describe(&value, "fetch failed"),
            }))
        }
        10 => Event::Sent(Err(TransportError::TooLarge {
            status: status16,
            request_id: Some(text.to_owned()).filter(|t| !t.is_empty()),
        })),
        7 => Event::TimedOut,
        8 => Event::Aborted,
        // Never read as a start: an unknown number ends the call with a typed internal error.
        n => Event::Unknown(n),
    }
}

/// The message of a JS error and of its `cause` (Node's `fetch failed`
/// hides the reason, e.g. ECONNREFUSED, there); `otherwise` without one.
fn describe(error: &JsValue, otherwise: &str) -> String {
    let mut detail = get_string(error, "message").unwrap_or_else(|| otherwise.to_owned());
    let cause = get(error, "cause");
    if let Some(reason) = get_string(&cause, "code").or_else(|| get_string(&cause, "message")) {
        detail.push_str(" (");
        detail.push_str(&reason);
        detail.push(')');
    }
    detail
}

/// Converts an error, giving an abort (also one whose outcome is unknown)
/// the signal's reason as its `cause`.
fn reject(mut error: Error, signal: Option<&AbortSignal>) -> JsValue {
    let mut inner = &mut error;
    while let Error::OutcomeUnknown { source, .. } = inner {
        inner = source;
    }
    if let (Error::Aborted { cause, .. }, Some(s)) = (inner, signal) {
        *cause = Some(Cause(Box::new(get(s, "reason"))));
    }
    error_to_js(error)
}

fn validation(errors: ValidationErrors) -> JsValue {
    error_to_js(Error::Validation(errors))
}

fn payment_id(id: &JsValue) -> Result<PaymentId, JsValue> {
    validate_payment_id(&to_input(id)).map_err(|e| validation(ValidationErrors(vec![e])))
}

/// Checks a payment request without a network call or a secret:
/// `{ ok: true, value }` or `{ ok: false, errors: [{ field, code, message }] }`.
#[wasm_bindgen(js_name = validatePaymentRequest, unchecked_return_type = "ValidationResult")]
pub fn validate_payment_request_js(#[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue) -> JsValue {
    validation_result_to_js(validate_payment_request(&to_input(&input), &JsUrls))
}
