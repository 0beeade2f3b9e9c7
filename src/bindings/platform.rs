//! The host for the wasm build: `Date.now`, `crypto.getRandomValues`, the
//! caller's `AbortSignal`, the hooks and the `URL` parser.

use crate::prelude::*;

use core::cell::{RefCell, UnsafeCell};

use wasm_bindgen::prelude::*;

use crate::http::{Host, Observer, RequestEvent, ResponseEvent};
use crate::urls::{ParsedUrl, UrlParser};

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues`, looked up at call time: a missing `crypto`
    /// throws a ReferenceError, caught like any other failure.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// An `AbortSignal`.
    pub(crate) type AbortSignal;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn aborted(this: &AbortSignal) -> bool;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn reason(this: &AbortSignal) -> JsValue;
}

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `new URL` of the `length` bytes of UTF-8 at `text`: the parts
    /// validation reads, as four numbers at `at` (positions in its href,
    /// `crate::urls::decode_parsed`), then, in the `room` bytes from `at`,
    /// its href when it differs from the text (or the parser's message).
    /// Returns the bytes written, -1 for none (the href is the text), or
    /// -2 minus a room that is enough when it does not fit. `memory` is this
    /// instance's.
    #[wasm_bindgen(js_name = parseUrl)]
    fn parse_url(memory: &JsValue, text: *const u8, length: usize, at: *mut f64, room: usize) -> f64;
}

/// This instance's `WebAssembly.Memory`, for the calls that read or write
/// it: got once (its identity outlives growth; only its buffer changes), not
/// once a call.
pub(crate) fn memory() -> &'static JsValue {
    static MEMORY: super::Global<UnsafeCell<Option<JsValue>>> = super::Global(UnsafeCell::new(None));
    // SAFETY: one thread, and only here: it is written once, while it is
    // still `None` (so no reference to it is out; `wasm_bindgen::memory`
    // calls nothing back), and never again while the references handed out
    // live.
    unsafe { (*MEMORY.0.get()).get_or_insert_with(wasm_bindgen::memory) }
}

/// Time and randomness of the JS host.
pub(crate) struct JsPlatform;

/// Random bytes: the pool and how many of them are not handed out yet.
static POOL: super::Global<RefCell<([u8; 256], usize)>> = super::Global(RefCell::new(([0; 256], 0)));

impl Host for JsPlatform {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
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

/// `onRequest` / `onResponse` callbacks. A hook that throws is ignored: a
/// logging bug must not fail a payment.
pub(crate) struct JsObserver {
    pub(crate) on_request: Option<js_sys::Function>,
    pub(crate) on_response: Option<js_sys::Function>,
}

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `f({ method, path, attempt })`, or with `response`
    /// `f({ method, path, attempt, status, durationMs, requestId })` (a NaN
    /// status and `None` as null), ignoring what it throws.
    fn hook(
        f: &js_sys::Function,
        response: bool,
        method: &str,
        path: &str,
        attempt: u32,
        status: f64,
        duration_ms: f64,
        request_id: Option<&str>,
    );
}

impl Observer for JsObserver {
    fn on_request(&self, e: &RequestEvent) {
        if let Some(f) = &self.on_request {
            hook(f, false, e.method, &e.path, e.attempt, f64::NAN, 0.0, None);
        }
    }

    fn on_response(&self, e: &ResponseEvent) {
        if let Some(f) = &self.on_response {
            let status = e.status.map_or(f64::NAN, f64::from);
            hook(f, true, e.method, &e.path, e.attempt, status, e.duration_ms as f64, e.request_id.as_deref());
        }
    }
}

/// The host's WHATWG `URL` class.
pub(crate) struct JsUrls;

/// Where `parseUrl` writes: four numbers, then an href (or a message) of up
/// to 992 bytes. Zeros, so no bytes in the wasm file. Only reached through
/// raw pointers: a `URL` replaced by the caller may call payreq, which
/// parses into it too; JS writes only once the parser and its getters have
/// run, and it is read before anything else runs.
static URL_BUFFER: super::Global<UnsafeCell<[f64; 128]>> = super::Global(UnsafeCell::new([0.0; 128]));

impl UrlParser for JsUrls {
    /// One call (not a `URL` object and a call and a string per getter),
    /// which reads `text` in the wasm's memory and writes what it found
    /// there; again, into a buffer made to measure, for an href too long for
    /// [`URL_BUFFER`].
    fn parse(&self, text: &str) -> Result<ParsedUrl, String> {
        let memory = memory();
        let (mut at, mut room) = (URL_BUFFER.0.get().cast::<f64>(), 128 * 8);
        let mut written = parse_url(memory, text.as_ptr(), text.len(), at, room);
        let mut bigger: Vec<f64>;
        if written <= -2.0 {
            bigger = vec![0.0f64; (-2.0 - written) as usize / 8 + 1];
            (at, room) = (bigger.as_mut_ptr(), bigger.len() * 8);
            written = parse_url(memory, text.as_ptr(), text.len(), at, room);
        }
        // SAFETY: `room` bytes (at least 40: JS asks for more than 32) at
        // `at`, in one of the buffers, which nothing else touches until this
        // returns: four numbers JS wrote (or zeros), then `written` bytes of
        // UTF-8 (TextEncoder's `encodeInto` writes whole chars), clamped to
        // the room after the numbers; negative (none) reads as empty.
        let (numbers, returned) = unsafe {
            let bytes = core::slice::from_raw_parts(at.add(4).cast::<u8>(), (written.max(0.0) as usize).min(room - 32));
            ([*at, *at.add(1), *at.add(2), *at.add(3)], crate::text::owned(core::str::from_utf8_unchecked(bytes)))
        };
        crate::urls::decode_parsed(text, returned, numbers)
    }
}
