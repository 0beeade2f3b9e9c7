//! The JavaScript surface: every `#[wasm_bindgen]` item of the crate.
//!
//! This layer only converts: JS values into [`Input`](crate::Input), core
//! results into JS objects, core errors into the `Error` subclasses of
//! `errors.js`. All rules live in the core.

use crate::prelude::*;

mod convert;
mod fetch;
mod platform;
mod task;
mod types;

use alloc::rc::Rc;
use core::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::Client;
use crate::error::{Error, FieldError, ValidationErrors};
use crate::limiter::{LocalLimiter, RateLimiter, WINDOW_MS};
use crate::validate::{
    validate_call_options, validate_client_options, validate_payment_id, validate_payment_request,
    validate_wait_options, CallOptions, Environment, NewPaymentRequest, PaymentId,
};
use convert::{error_to_js, payment_request_to_js, to_input, validation_result_to_js};
use fetch::FetchTransport;
use platform::{AbortSignal, JsObserver, JsPlatform, JsSignal, JsUrls};

type Inner = Client<FetchTransport, JsPlatform, AnyLimiter>;

/// The in-isolate limiter, or the caller's shared one.
enum AnyLimiter {
    Local(LocalLimiter),
    Js(js_sys::Object),
}

impl RateLimiter for AnyLimiter {
    async fn reserve(&self, key: &str, now_ms: u64) -> Result<u64, String> {
        let store = match self {
            AnyLimiter::Local(local) => return Ok(local.reserve_now(key, now_ms)),
            AnyLimiter::Js(store) => store,
        };
        let method = get(store, "reserve")
            .dyn_into::<js_sys::Function>()
            .map_err(|_| "rateLimiter.reserve is not a function".to_owned())?;
        let describe =
            |e: JsValue| get(&e, "message").as_string().unwrap_or_else(|| "rateLimiter.reserve threw".to_owned());
        let returned =
            method.call2(store, &JsValue::from_str(key), &JsValue::from_f64(now_ms as f64)).map_err(describe)?;
        // A number, or a promise of one (a Durable Object is a fetch away).
        let at = platform::settled(&js_sys::Promise::resolve(&returned)).await.map_err(describe)?;
        match at.as_f64() {
            Some(t) if t.is_finite() && t >= 0.0 => Ok(t as u64),
            _ => Err("rateLimiter.reserve must return (a promise of) a time in ms since the epoch".to_owned()),
        }
    }

    fn confirm(&self, key: &str, at_ms: u64, now_ms: u64) -> u64 {
        match self {
            AnyLimiter::Local(local) => local.confirm(key, at_ms, now_ms),
            AnyLimiter::Js(_) => at_ms,
        }
    }

    fn completed(&self, key: &str, sent_ms: u64, done_ms: u64) {
        match self {
            AnyLimiter::Local(local) => local.completed(key, sent_ms, done_ms),
            AnyLimiter::Js(store) => {
                if let Ok(method) = get(store, "completed").dyn_into::<js_sys::Function>() {
                    let _ = method.call3(
                        store,
                        &JsValue::from_str(key),
                        &JsValue::from_f64(sent_ms as f64),
                        &JsValue::from_f64(done_ms as f64),
                    );
                }
            }
        }
    }

    fn release(&self, key: &str, at_ms: u64) {
        match self {
            AnyLimiter::Local(local) => local.release(key, at_ms),
            AnyLimiter::Js(store) => {
                if let Ok(method) = get(store, "release").dyn_into::<js_sys::Function>() {
                    let _ = method.call2(store, &JsValue::from_str(key), &JsValue::from_f64(at_ms as f64));
                }
            }
        }
    }
}

/// One limiter per isolate and rate: every client with the same clientId
/// (and rate) shares its sliding window, whoever constructed it.
static LIMITERS: Global<RefCell<Vec<(u32, LocalLimiter)>>> = Global(RefCell::new(Vec::new()));

/// A global of the wasm instance (the limiters, the executor, the random
/// pool). The wasm build has one thread (no atomics), so a `Cell` or
/// `RefCell` in a static is sound; `thread_local!` would need std.
pub(crate) struct Global<T>(pub(crate) T);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Sync for Global<T> {}

/// A payment-request API client for server-side code.
#[wasm_bindgen]
pub struct PaymentClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
extern "C" {
    /// `globalThis.valueOf()`, i.e. `Object.prototype.valueOf` called on the
    /// global object, which returns it: `globalThis` through one plain
    /// import (a `static` import costs a lazily initialised cell, and
    /// `js_sys::global()` probes four names).
    #[wasm_bindgen(js_namespace = globalThis, js_name = valueOf)]
    fn global_this() -> JsValue;
}

/// A browser page: `window` is the global object and a `document` exists.
fn in_browser() -> bool {
    let g = global_this();
    get(&g, "window") == g && get(&g, "document").is_object()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn invalid(field: &str, code: &'static str, message: &str) -> JsValue {
    error_to_js(Error::Validation(ValidationErrors(vec![FieldError::new(field, code, message)])))
}

/// The caller's `signal`, if any: anything with a boolean `aborted` and an
/// `addEventListener` (an `AbortSignal` in every runtime).
fn signal_of(options: &JsValue) -> Result<Option<JsSignal>, JsValue> {
    let signal = get(options, "signal");
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    if get(&signal, "aborted").as_bool().is_none() || !get(&signal, "addEventListener").is_function() {
        return Err(invalid("signal", "option_invalid", "signal must be an AbortSignal"));
    }
    Ok(Some(JsSignal::new(signal.unchecked_into::<AbortSignal>())))
}

/// Converts an error, giving an abort the signal's reason as its `cause`.
fn reject(error: Error, signal: Option<&JsSignal>) -> JsValue {
    match (error, signal) {
        (Error::Aborted { operation, .. }, Some(s)) => {
            error_to_js(Error::Aborted { operation, cause: Some(crate::error::Cause(Box::new(s.reason()))) })
        }
        (e, _) => error_to_js(e),
    }
}

#[wasm_bindgen]
impl PaymentClient {
    /// Creates a client from `{ clientId, clientSecret, baseUrl, maxRetries?,
    /// timeoutMs?, totalTimeoutMs?, rateLimit?, dangerouslyAllowBrowser?,
    /// onRequest?, onResponse? }`.
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
        let shared = get(&options, "rateLimiter");
        let limiter = if shared.is_object() {
            AnyLimiter::Js(shared.unchecked_into())
        } else {
            let mut limiters = LIMITERS.0.borrow_mut();
            AnyLimiter::Local(match limiters.iter().find(|(rate, _)| *rate == config.rate_limit) {
                Some((_, found)) => found.clone(),
                None => {
                    let made = LocalLimiter::new(config.rate_limit, WINDOW_MS + crate::limiter::DEFAULT_MARGIN_MS);
                    limiters.push((config.rate_limit, made.clone()));
                    made
                }
            })
        };
        let hook = |name| get(&options, name).dyn_into::<js_sys::Function>().ok();
        let (on_request, on_response) = (hook("onRequest"), hook("onResponse"));
        let mut client = Client::new(config, FetchTransport, JsPlatform, limiter);
        if on_request.is_some() || on_response.is_some() {
            client = client.with_observer(Box::new(JsObserver { on_request, on_response }));
        }
        Ok(PaymentClient { inner: Rc::new(client) })
    }

    /// Validates `input` and creates a payment request; resolves to the
    /// resource. `options`: `{ idempotencyKey?, signal?, maxRetries?,
    /// timeoutMs?, totalTimeoutMs? }`.
    ///
    /// # Errors
    /// Rejects with a `ValidationError` before any network call, or with the
    /// typed error of the failed call.
    #[wasm_bindgen(js_name = createPaymentRequest, unchecked_return_type = "Promise<PaymentRequest>")]
    pub fn create_payment_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PaymentRequestInput")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CreateOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let request = validate_payment_request(&to_input(&input), &JsUrls).map_err(validation);
        let call = validate_call_options(&to_input(&options), true).map_err(validation);
        self.start(request.and_then(|r| Ok(Call::Create(r, call?))), &options)
    }

    /// Reads a payment request by its UUID (any case). `options`: `{ signal?,
    /// maxRetries?, timeoutMs?, totalTimeoutMs? }`.
    ///
    /// # Errors
    /// Rejects with a `ValidationError` for an id that is not a UUID, before
    /// any network call, or with the typed error of the failed call.
    #[wasm_bindgen(js_name = getPaymentRequest, unchecked_return_type = "Promise<PaymentRequest>")]
    pub fn get_payment_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let id = payment_id(&id);
        let call = validate_call_options(&to_input(&options), false).map_err(validation);
        self.start(id.and_then(|id| Ok(Call::Get(id, call?))), &options)
    }

    /// Polls until the payment request is paid, expired or cancelled, within
    /// the rate limit. `options`: `{ timeoutMs? (default 300000), signal? }`.
    ///
    /// # Errors
    /// Rejects with a `TimeoutError` when `timeoutMs` passes first, an
    /// `AbortError` when the signal fires, or the error of a failed poll.
    #[wasm_bindgen(js_name = waitForPayment, unchecked_return_type = "Promise<PaymentRequest>")]
    pub fn wait_for_payment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let id = payment_id(&id);
        let timeout = validate_wait_options(&to_input(&options)).map_err(validation);
        self.start(id.and_then(|id| Ok(Call::Wait(id, timeout?))), &options)
    }
}

/// One validated call: the three methods share one future type, so the
/// wasm carries one async state machine for them instead of three.
enum Call {
    Create(NewPaymentRequest, CallOptions),
    Get(PaymentId, CallOptions),
    Wait(PaymentId, u64),
}

fn validation(errors: ValidationErrors) -> JsValue {
    error_to_js(Error::Validation(errors))
}

fn payment_id(id: &JsValue) -> Result<PaymentId, JsValue> {
    validate_payment_id(&to_input(id)).map_err(|e| validation(ValidationErrors(vec![e])))
}

impl PaymentClient {
    /// Runs `call` (or rejects with its validation error) as a promise.
    fn start(&self, call: Result<Call, JsValue>, options: &JsValue) -> js_sys::Promise {
        let signal = signal_of(options);
        let client = Rc::clone(&self.inner);
        task::spawn(async move {
            let (call, signal) = (call?, signal?);
            let result = match &call {
                Call::Create(request, options) => client.create_payment_request(request, options, &signal).await,
                Call::Get(id, options) => client.get_payment_request(id, options, &signal).await,
                Call::Wait(id, timeout) => client.wait_for_payment(id, *timeout, &signal).await,
            };
            result.map(|pr| payment_request_to_js(&pr)).map_err(|e| reject(e, signal.as_ref()))
        })
    }
}

/// Checks a payment request without a network call or a secret:
/// `{ ok: true, value }` or `{ ok: false, errors: [{ field, code, message }] }`.
#[wasm_bindgen(js_name = validatePaymentRequest, unchecked_return_type = "ValidationResult")]
pub fn validate_payment_request_js(#[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue) -> JsValue {
    validation_result_to_js(validate_payment_request(&to_input(&input), &JsUrls))
}
