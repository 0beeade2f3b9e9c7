//! The host for the wasm build: `Date.now`, `crypto.getRandomValues`, the
//! caller's `AbortSignal`, the hooks and the `URL` parser.

use crate::prelude::*;

use core::cell::{RefCell, UnsafeCell};

use wasm_bindgen::prelude::*;

use crate::http::{Host, Observer, RequestEvent, ResponseEvent};
use crate::snapshot::Texts;
use crate::urls::{ParsedUrl, UrlParser};

#[wasm_bindgen]
extern "C" {
    /// An `AbortSignal`.
    pub(crate) type AbortSignal;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn aborted(this: &AbortSignal) -> bool;
}

// The functions of `js/objects.js`, each with the arguments it uses, in
// their own types. A `memory` argument is this instance's ([`memory`]); one
// that reads [`Texts`] takes them as [`texts_args`] gives them.
#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `new URL` of the `length` bytes of UTF-8 at `text`: the parts
    /// validation reads, as four numbers at `at` (positions in its href,
    /// `crate::urls::decode_parsed`), then, in the `room` bytes from `at`,
    /// its href when it differs from the text (or the parser's message).
    /// Returns the bytes written, -1 for none (the href is the text), or
    /// -2 minus a room that is enough when it does not fit.
    #[wasm_bindgen(js_name = parseUrl)]
    fn parse_url(memory: &JsValue, text: *const u8, length: usize, at: *mut f64, room: usize) -> f64;
    /// The top level of a value (the last one again when `again`): up to
    /// `room` numbers written at `at`, its texts as UTF-8 into the `text_room`
    /// bytes at `text_at`; returns the text's length in bytes, or -1 when
    /// either does not fit (src/snapshot.rs).
    pub(crate) fn snapshot(
        memory: &JsValue,
        value: &JsValue,
        again: bool,
        at: *mut f64,
        room: usize,
        text_at: *mut u8,
        text_room: usize,
    ) -> f64;
    /// An object of `count` [`Texts`] (`text_length` bytes of them at
    /// `text_at`), shaped as `convert::Shape` says (an amount is the first
    /// of them).
    pub(crate) fn result(
        memory: &JsValue,
        shape: u32,
        at: *const f64,
        count: usize,
        text_at: *const u8,
        text_length: usize,
    ) -> JsValue;
    /// Calls the hook `f` with the event of the texts method, path,
    /// attempt, and for a `response` also status (NaN: none),
    /// durationMs and requestId, ignoring what it throws.
    fn hook(
        memory: &JsValue,
        f: &JsValue,
        response: bool,
        at: *const f64,
        count: usize,
        text_at: *const u8,
        text_length: usize,
    );
    /// `store[name](key, a, b)` of the texts name, key, a and b when it is a
    /// function, ignoring what it throws.
    pub(crate) fn tell(
        memory: &JsValue,
        store: &JsValue,
        at: *const f64,
        count: usize,
        text_at: *const u8,
        text_length: usize,
    );
    /// `object[key]` when `object` is an object (else undefined), the key
    /// the static text of `length` bytes at `key`; undefined when the read
    /// throws, or, when `own`, when the property is not `object`'s own.
    #[wasm_bindgen(js_name = get)]
    fn get_static(memory: &JsValue, object: &JsValue, key: *const u8, length: usize, own: bool) -> JsValue;
    /// A browser page: `window` is the global object and a `document` exists.
    #[wasm_bindgen(js_name = inBrowser)]
    pub(crate) fn in_browser() -> bool;
    /// `Math.random` bytes into the `length` bytes at `at`: the fallback
    /// where `crypto.getRandomValues` (through `getrandom`) fails.
    fn random(memory: &JsValue, at: *mut u8, length: usize);
    /// `Date.now()`.
    fn now() -> f64;
    /// The `length` bytes of UTF-8 at `at` as a string, or as an `Error` of it when `error`.
    #[wasm_bindgen(js_name = string8)]
    fn text(memory: &JsValue, at: *const u8, length: usize, error: bool) -> JsValue;
    /// The number `n`.
    fn int(n: i32) -> JsValue;
    /// `object[key]` as UTF-8 into the `room` bytes at `at` when it is a
    /// string (the key the static text of `length` bytes at `key`): the
    /// bytes written, -1 when it is not a string, or -2 minus a room that is
    /// enough, for a call `again` with that room.
    #[wasm_bindgen(js_name = stringAt)]
    fn string(
        memory: &JsValue,
        object: &JsValue,
        key: *const u8,
        length: usize,
        at: *mut u8,
        room: usize,
        again: bool,
    ) -> f64;
}

/// A JS string of `s`.
pub(crate) fn js_string(s: &str) -> JsValue {
    text(memory(), s.as_ptr(), s.len(), false)
}

/// A JS number of `n`.
pub(crate) fn js_int(n: i32) -> JsValue {
    int(n)
}

/// A JS `Error` with the message `s`.
pub(crate) fn js_error(s: &str) -> JsValue {
    text(memory(), s.as_ptr(), s.len(), true)
}

/// `object[key]` when it is a string.
pub(crate) fn get_string(object: &JsValue, key: &'static str) -> Option<String> {
    let (mut buffer, mut written) = (Vec::new(), -66.0);
    for again in [false, true] {
        if written > -2.0 {
            break;
        }
        buffer = vec![0u8; (-2.0 - written) as usize];
        written = string(memory(), object, key.as_ptr(), key.len(), buffer.as_mut_ptr(), buffer.len(), again);
    }
    if written < 0.0 {
        return None;
    }
    buffer.truncate(written as usize);
    // SAFETY: JS wrote `written` bytes of UTF-8 there (TextEncoder's
    // `encodeInto` writes whole chars), and no more than the room.
    Some(unsafe { String::from_utf8_unchecked(buffer) })
}

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// An instance of a `PayreqError` subclass (`convert::error_to_js`) of
    /// the [`Texts`] (see [`texts_args`]), `flags` and `cause`.
    #[wasm_bindgen(js_name = createError)]
    pub(crate) fn create_error(
        memory: &JsValue,
        cause: &JsValue,
        flags: u32,
        at: *const f64,
        count: usize,
        text_at: *const u8,
        text_length: usize,
    ) -> JsValue;
}

/// [`Texts`] as the functions of `js/objects.js` that read them take them:
/// where their pairs of numbers are and how many, where their UTF-8 is and
/// its length in bytes.
pub(crate) fn texts_args(texts: &Texts) -> (*const f64, usize, *const u8, usize) {
    let (numbers, text) = (&texts.numbers, &texts.text);
    (numbers.as_ptr(), numbers.len() / 2, text.as_ptr(), text.len())
}

/// `object[key]` when `object` is an object, else (or when reading it throws) undefined.
pub(crate) fn get(object: &JsValue, key: &'static str) -> JsValue {
    get_static(memory(), object, key.as_ptr(), key.len(), false)
}

/// `object[key]` when it is an own property of `object` (never one
/// inherited from a prototype, which another library may have planted:
/// options are read this way), else undefined.
pub(crate) fn get_own(object: &JsValue, key: &'static str) -> JsValue {
    get_static(memory(), object, key.as_ptr(), key.len(), true)
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
        now() as u64
    }

    /// From a pool of random bytes refilled 256 at a time: one
    /// `crypto.getRandomValues` call costs about as much for 256 bytes as for
    /// 16 (~2.5 µs in Node), and a create needs 16 (its idempotency key).
    /// Node's `crypto.randomUUID` keeps such a cache too. The refill is
    /// `getrandom`'s (`crypto.getRandomValues`); where that fails (no Web
    /// Crypto, or one that throws) it is `Math.random`'s rather than a
    /// failed call: still unique enough for keys and jitter.
    fn fill_random(&self, buf: &mut [u8]) {
        let mut pool = POOL.0.borrow_mut();
        let (bytes, left) = &mut *pool;
        for b in buf.iter_mut() {
            if *left == 0 {
                if getrandom::fill(bytes).is_err() {
                    random(memory(), bytes.as_mut_ptr(), bytes.len());
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

impl JsObserver {
    /// Calls `f` with the event of `texts` (see `hook`).
    fn call(f: &js_sys::Function, response: bool, texts: &Texts) {
        let (at, count, text_at, text_length) = texts_args(texts);
        hook(memory(), f, response, at, count, text_at, text_length);
    }
}

impl Observer for JsObserver {
    fn on_request(&self, e: &RequestEvent) {
        if let Some(f) = &self.on_request {
            let mut texts = Texts::new(3);
            texts.push_static(e.method);
            texts.push_str(&e.path);
            texts.push_number(f64::from(e.attempt));
            Self::call(f, false, &texts);
        }
    }

    fn on_response(&self, e: &ResponseEvent) {
        if let Some(f) = &self.on_response {
            let mut texts = Texts::new(6);
            texts.push_static(e.method);
            texts.push_str(&e.path);
            texts.push_number(f64::from(e.attempt));
            texts.push_number(e.status.map_or(f64::NAN, f64::from));
            texts.push_number(e.duration_ms as f64);
            texts.push_opt(e.request_id.as_deref());
            Self::call(f, true, &texts);
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
