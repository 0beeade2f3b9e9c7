//! The platform for the wasm build: `Date.now`, `setTimeout` (cleared when
//! dropped), `crypto.getRandomValues`, `AbortSignal`, and the hooks.

use crate::prelude::*;

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::http::{Observer, Platform, RequestEvent, ResponseEvent, Signal};
use crate::urls::{ParsedUrl, UrlParser};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    /// `crypto.getRandomValues`, looked up at call time: a missing `crypto`
    /// throws a ReferenceError, caught like any other failure.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// An `AbortSignal`.
    pub(crate) type AbortSignal;
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &AbortSignal) -> bool;
    #[wasm_bindgen(method, getter)]
    fn reason(this: &AbortSignal) -> JsValue;
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &AbortSignal, kind: &str, listener: &js_sys::Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_event_listener(this: &AbortSignal, kind: &str, listener: &js_sys::Function);
}

/// Time, timers and randomness of the JS host.
pub(crate) struct JsPlatform;

/// Random bytes: the pool and how many of them are not handed out yet.
static POOL: super::Global<RefCell<([u8; 256], usize)>> = super::Global(RefCell::new(([0; 256], 0)));

/// Wakes a future from an `abort` event listener. The listener is a
/// `Closure` owned by the future, so dropping the future frees it and
/// nothing of a call runs after the call is over. (Not a `JsFuture`
/// over a promise: its callbacks free themselves only when the promise
/// settles, so a cleared timer's promise leaked them, ~100 bytes a request;
/// and settling it late would wake a finished task, even on an instance
/// that has since been replaced after a trap.)
struct Wakeup {
    state: Rc<WakeState>,
    callback: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct WakeState {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl WakeState {
    fn fire(&self) {
        self.fired.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Wakeup {
    fn new() -> Self {
        let state = Rc::new(WakeState::default());
        let shared = Rc::clone(&state);
        let callback = Closure::new(move || shared.fire());
        Self { state, callback }
    }

    fn function(&self) -> &js_sys::Function {
        self.callback.as_ref().unchecked_ref()
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.state.poll(cx)
    }
}

/// The outcome of a JS promise, as a future: what js-sys's `JsFuture` does,
/// in less code (issue 6). A promise cannot be unsubscribed from, so its
/// callback runs when it settles, even past the future (an aborted `fetch`
/// rejects later). One callback for every promise (`js/objects.js` `settle`
/// passes it the slot and the outcome) instead of a closure per promise: the
/// slot is a reference to the state, given up by the one call it gets.
pub(crate) fn settled(promise: &js_sys::Promise) -> impl Future<Output = Result<JsValue, JsValue>> {
    let state = Rc::new(Settle::default());
    settle(promise, callback(), slot(&state));
    poll_fn(move |cx| state.poll(cx))
}

/// The one callback of settled promises and timers, made on first use and
/// kept for the life of the instance.
static CALLBACK: super::Global<Cell<Option<&'static Callback>>> = super::Global(Cell::new(None));

fn callback() -> &'static js_sys::Function {
    let callback = CALLBACK.0.get().unwrap_or_else(|| {
        let callback = Box::leak(Box::new(Closure::new(|slot: f64, ok: bool, value: JsValue| {
            // SAFETY: `slot` is from `slot()`, and the promise or timer calls
            // back once (a cleared timer never): this takes its reference
            // back, and drops it before the woken tasks run (`move`): a
            // `Sleep` dropped by them counts on it being gone.
            let state = unsafe { Rc::from_raw(slot as usize as *const Settle) };
            super::task::from_host(move || state.finish(if ok { Ok(value) } else { Err(value) }));
        })));
        CALLBACK.0.set(Some(callback));
        callback
    });
    callback.as_ref().unchecked_ref()
}

/// A reference to `state` as a number, for the callback (an `f64`: JS
/// passes it through without a conversion).
fn slot(state: &Rc<Settle>) -> f64 {
    Rc::into_raw(Rc::clone(state)) as usize as f64
}

type Callback = Closure<dyn FnMut(f64, bool, JsValue)>;

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `new URL(text)`: the parts validation reads, as positions in its href
    /// (written to `at`) and the href when it differs from `text`
    /// (`crate::urls::decode_parsed`).
    #[wasm_bindgen(js_name = parseUrl)]
    fn parse_url(text: &str, at: &mut [f64]) -> String;
    /// `promise.then(v => callback(slot, true, v), e => callback(slot, false, e))`.
    #[wasm_bindgen(js_namespace = plain)]
    fn settle(promise: &js_sys::Promise, callback: &js_sys::Function, slot: f64);
    /// `setTimeout(callback, ms, slot, true)` (a trap out of the callback
    /// poisons the instance: js/objects.js `enter`).
    #[wasm_bindgen(js_namespace = plain, js_name = later)]
    fn set_timeout(callback: &js_sys::Function, ms: f64, slot: f64) -> JsValue;
}

#[derive(Default)]
struct Settle {
    result: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

impl Settle {
    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<JsValue, JsValue>> {
        match self.result.borrow_mut().take() {
            Some(result) => Poll::Ready(result),
            None => {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    fn finish(&self, result: Result<JsValue, JsValue>) {
        *self.result.borrow_mut() = Some(result);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A `setTimeout` as a future; the timer is cleared if the future is dropped
/// first (a lost race), so no timer keeps a process alive or fires late. The
/// timer holds a reference to the state (its slot, passed to the shared
/// callback), given up when it fires or when it is cleared.
struct Sleep {
    id: JsValue,
    state: Rc<Settle>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.state.poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // The timer's reference is still held: it has not fired.
        if Rc::strong_count(&self.state) > 1 {
            clear_timeout(&self.id);
            // SAFETY: the timer will not fire now; its reference is released here.
            unsafe { Rc::decrement_strong_count(Rc::as_ptr(&self.state)) };
        }
    }
}

impl Platform for JsPlatform {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    /// The timer starts when this is called (the client awaits it at once).
    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        let state = Rc::new(Settle::default());
        let id = set_timeout(callback(), ms as f64, slot(&state));
        Sleep { id, state }
    }

    /// From a pool of random bytes refilled 256 at a time: one
    /// `crypto.getRandomValues` call costs about as much for 256 bytes as for
    /// 16 (~2.5 µs in Node), and a create needs 16 (its idempotency key).
    /// Node's `crypto.randomUUID` keeps such a cache too.
    fn fill_random(&self, buf: &mut [u8]) {
        let mut pool = POOL.0.borrow_mut();
        let (bytes, left) = &mut *pool;
        for b in buf.iter_mut() {
            if *left == 0 {
                if get_random_values(bytes).is_err() {
                    // No Web Crypto (it is in every runtime we support): still unique enough for jitter and keys.
                    for b in bytes.iter_mut() {
                        *b = (js_sys::Math::random() * 256.0) as u8;
                    }
                }
                *left = bytes.len();
            }
            *left -= 1;
            *b = bytes.get(*left).copied().unwrap_or_default();
        }
    }
}

/// A caller's `AbortSignal`, with one listener that is removed when the call ends.
pub(crate) struct JsSignal {
    signal: AbortSignal,
    wakeup: Wakeup,
}

impl JsSignal {
    pub(crate) fn new(signal: AbortSignal) -> Self {
        let wakeup = Wakeup::new();
        signal.add_event_listener("abort", wakeup.function());
        Self { signal, wakeup }
    }

    /// Why the caller aborted (`signal.reason`).
    pub(crate) fn reason(&self) -> JsValue {
        self.signal.reason()
    }
}

impl Drop for JsSignal {
    fn drop(&mut self) {
        self.signal.remove_event_listener("abort", self.wakeup.function());
    }
}

impl Signal for JsSignal {
    fn is_aborted(&self) -> bool {
        self.signal.aborted()
    }

    fn aborted(&self) -> impl Future<Output = ()> {
        poll_fn(move |cx| if self.is_aborted() { Poll::Ready(()) } else { self.wakeup.poll(cx) })
    }
}

/// No signal, or the caller's: one type, so the client is compiled once.
impl Signal for Option<JsSignal> {
    fn is_aborted(&self) -> bool {
        self.as_ref().is_some_and(JsSignal::is_aborted)
    }

    fn aborted(&self) -> impl Future<Output = ()> {
        poll_fn(move |cx| match self {
            Some(s) if s.is_aborted() => Poll::Ready(()),
            Some(s) => s.wakeup.poll(cx),
            None => Poll::Pending,
        })
    }
}

/// `onRequest` / `onResponse` callbacks. A hook that throws is ignored: a
/// logging bug must not fail a payment.
pub(crate) struct JsObserver {
    pub(crate) on_request: Option<js_sys::Function>,
    pub(crate) on_response: Option<js_sys::Function>,
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

impl Observer for JsObserver {
    fn on_request(&self, e: &RequestEvent) {
        if let Some(f) = &self.on_request {
            let o = js_sys::Object::new();
            set(&o, "method", &JsValue::from_str(e.method));
            set(&o, "path", &JsValue::from_str(&e.path));
            set(&o, "attempt", &JsValue::from(e.attempt));
            let _ = f.call1(&JsValue::UNDEFINED, &o);
        }
    }

    fn on_response(&self, e: &ResponseEvent) {
        if let Some(f) = &self.on_response {
            let o = js_sys::Object::new();
            set(&o, "method", &JsValue::from_str(e.method));
            set(&o, "path", &JsValue::from_str(&e.path));
            set(&o, "attempt", &JsValue::from(e.attempt));
            set(&o, "status", &e.status.map_or(JsValue::NULL, JsValue::from));
            set(&o, "durationMs", &JsValue::from_f64(e.duration_ms as f64));
            set(&o, "requestId", &e.request_id.as_deref().map_or(JsValue::NULL, JsValue::from_str));
            let _ = f.call1(&JsValue::UNDEFINED, &o);
        }
    }
}

/// The host's WHATWG `URL` class.
pub(crate) struct JsUrls;

impl UrlParser for JsUrls {
    /// One call (not a `URL` object and a call and a string per getter).
    fn parse(&self, text: &str) -> Result<ParsedUrl, String> {
        let mut at = [0.0; 4];
        let returned = parse_url(text, &mut at);
        crate::urls::decode_parsed(text, returned, at)
    }
}
