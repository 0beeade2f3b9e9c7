//! Conversions between JS values and the core's types.

use crate::prelude::*;

use core::cell::UnsafeCell;

use wasm_bindgen::prelude::*;

use crate::error::{Error, FieldError, ValidationErrors};
use crate::snapshot::{self, Texts};
use crate::validate::{Input, NewPaymentRequest, MAX_SAFE_INTEGER};
use crate::wire::PaymentRequest;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// Builds an instance of the named `PayreqError` subclass.
    #[wasm_bindgen(js_name = createError)]
    fn create_error(class_name: &str, message: &str, props: &js_sys::Object) -> JsValue;
}

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// The top level of a value (the last one again when `again`): up to
    /// `room` numbers written at `at`, its texts as UTF-8 into the `text_room`
    /// bytes at `text_at`; returns the text's length in bytes, or -1 when
    /// either does not fit (src/snapshot.rs). `memory` is this instance's.
    fn snapshot(
        memory: &JsValue,
        value: &JsValue,
        again: bool,
        at: *mut f64,
        room: usize,
        text_at: *mut u8,
        text_room: usize,
    ) -> f64;
    /// An object of `count` [`Texts`] (`text_length` bytes of them at
    /// `text_at`) and `amount`, shaped as [`Shape`] says.
    fn result(
        memory: &JsValue,
        shape: u32,
        amount: &JsValue,
        at: *const f64,
        count: usize,
        text_at: *const u8,
        text_length: usize,
    ) -> JsValue;
}

/// What `js/objects.js` `result` makes of its texts.
#[derive(Clone, Copy)]
enum Shape {
    /// `[{ field, code, message }]`: three texts an error.
    Errors = 0,
    /// `{ ok: false, errors }`.
    Invalid = 1,
    /// `{ ok: true, value: { amount, currency, redirectUrl, referenceId } }`.
    Valid = 2,
    /// `{ id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw }`, raw parsed.
    Resource = 3,
}

/// `result` of `texts`.
fn result_of(shape: Shape, amount: &JsValue, texts: &Texts) -> JsValue {
    let (numbers, text) = (&texts.numbers, &texts.text);
    result(
        super::platform::memory(),
        shape as u32,
        amount,
        numbers.as_ptr(),
        numbers.len() / 2,
        text.as_ptr(),
        text.len(),
    )
}

/// Numbers in the snapshot buffer, then its text.
const ROOM: usize = 64;
const BUFFER: usize = 512;

/// Where `snapshot` writes: [`ROOM`] numbers, then the text (3.5 KiB). Zeros,
/// so no bytes in the wasm file. Only reached through raw pointers: a getter
/// read during `snapshot` may call payreq, whose own snapshot reuses it; JS
/// writes only after every getter has run, and it is read before anything
/// else runs.
struct Buffer(UnsafeCell<[f64; BUFFER]>);

// SAFETY: the wasm instance is single-threaded.
unsafe impl Sync for Buffer {}

static SNAPSHOT: Buffer = Buffer(UnsafeCell::new([0.0; BUFFER]));
/// The shape of a JS value, for validation. Only the top level of an object
/// is read: nested objects are described, not walked. One call for the whole
/// input (`js/objects.js` `snapshot`) that writes numbers and UTF-8 text
/// straight into [`SNAPSHOT`]; one more, into buffers made to measure, only
/// for an input too big for it.
pub(crate) fn to_input(value: &JsValue) -> Input {
    let memory = super::platform::memory();
    let at = SNAPSHOT.0.get().cast::<f64>();
    // SAFETY: the text part of the buffer, in bounds.
    let mut buffers = (at, ROOM, unsafe { at.add(ROOM) }.cast::<u8>(), (BUFFER - ROOM) * 8);
    let mut written = snapshot(memory, value, false, buffers.0, buffers.1, buffers.2, buffers.3);
    let (mut numbers, mut text): (Vec<f64>, Vec<u8>);
    if written < 0.0 {
        // The first two numbers are then how many there are and the text's length in UTF-16 units.
        // SAFETY: in bounds; written by JS, or zeros.
        let (count, units) = unsafe { (*at, *at.add(1)) };
        numbers = vec![0.0f64; (count as usize).max(1)];
        text = vec![0u8; (units as usize).saturating_mul(3)];
        buffers = (numbers.as_mut_ptr(), numbers.len(), text.as_mut_ptr(), text.len());
        written = snapshot(memory, &JsValue::UNDEFINED, true, buffers.0, buffers.1, buffers.2, buffers.3);
    }
    let (at, room, text_at, text_room) = buffers;
    // SAFETY: `room` (at least 1) numbers at `at` and `text_room` bytes at
    // `text_at`, in one of the buffers; JS wrote the numbers, the first their
    // count (clamped to the room), and `written` bytes of UTF-8 (TextEncoder's,
    // which replaces lone surrogates) at `text_at` (clamped to the room).
    unsafe {
        let text = core::slice::from_raw_parts(text_at, (written as usize).min(text_room));
        let numbers = core::slice::from_raw_parts(at.add(1), (*at as usize).clamp(1, room) - 1);
        snapshot::decode(core::str::from_utf8_unchecked(text), numbers)
    }
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

fn opt_str(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// A number when it is exact in a JS number, a BigInt beyond 2^53-1.
fn integer(value: i64) -> JsValue {
    if (value.unsigned_abs() as f64) <= MAX_SAFE_INTEGER {
        JsValue::from_f64(value as f64)
    } else {
        js_sys::BigInt::from(value).into()
    }
}

/// `{ id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw }`.
pub(crate) fn payment_request_to_js(pr: &PaymentRequest) -> JsValue {
    let mut texts = Texts::new(9);
    texts.push_str(&pr.id);
    texts.push_str(pr.status.as_str());
    for s in [&pr.currency, &pr.redirect_url, &pr.reference_id, &pr.checkout_url, &pr.created_at, &pr.expires_at] {
        texts.push_opt(s.as_deref());
    }
    texts.push_str(&pr.raw_json);
    result_of(Shape::Resource, &pr.amount.map_or(JsValue::NULL, integer), &texts)
}

/// `[{ field, code, message }]`, or `{ ok: false, errors }` when `result`.
fn field_errors_to_js(errors: &[FieldError], result: bool) -> JsValue {
    let mut texts = Texts::new(3 * errors.len());
    for e in errors {
        texts.push(&e.field);
        texts.push_static(e.code);
        texts.push(&e.message);
    }
    result_of(if result { Shape::Invalid } else { Shape::Errors }, &JsValue::UNDEFINED, &texts)
}

/// `{ ok: true, value }` or `{ ok: false, errors }`.
pub(crate) fn validation_result_to_js(result: Result<NewPaymentRequest, ValidationErrors>) -> JsValue {
    match result {
        Ok(r) => {
            let mut texts = Texts::new(3);
            texts.push_static(r.currency());
            // The href of this validation's one parse: the last one, since
            // nothing has run in JS since (`js/objects.js` parseUrl keeps it
            // once the parser and its getters have run).
            texts.push_last_href();
            texts.push_opt(r.reference_id());
            result_of(Shape::Valid, &integer(r.amount() as i64), &texts)
        }
        Err(ValidationErrors(errors)) => field_errors_to_js(&errors, true),
    }
}

/// The JS class of each core error: callers branch on it with `instanceof`.
fn class_name(error: &Error) -> &'static str {
    use crate::ApiErrorKind as K;
    match error {
        Error::Validation(_) => "ValidationError",
        Error::Api(e) => match e.kind {
            K::Unauthorized | K::Forbidden => "AuthenticationError",
            K::NotFound => "NotFoundError",
            K::RateLimited => "RateLimitError",
            K::Conflict => "IdempotencyError",
            K::BadRequest | K::Unprocessable => "InvalidRequestError",
            K::Server => "ServerError",
            _ => "ApiError",
        },
        Error::Decode { .. } => "DecodeError",
        Error::Timeout { .. } => "TimeoutError",
        Error::Aborted { .. } => "AbortError",
        Error::OutcomeUnknown { source, .. } => class_name(source),
        _ => "NetworkError",
    }
}

/// Converts a core error into an instance of a `PayreqError` subclass with
/// `code`, `status`, `requestId`, `retryable`, `hint` and, where they apply,
/// `field`, `errors`, `retryAfter`, `serverCode` and `cause`.
pub(crate) fn error_to_js(error: Error) -> JsValue {
    let props = js_sys::Object::new();
    set(&props, "code", &JsValue::from_str(error.code()));
    set(&props, "status", &error.status().map_or(JsValue::NULL, |s| JsValue::from_f64(f64::from(s))));
    set(&props, "requestId", &opt_str(error.request_id()));
    set(&props, "retryable", &JsValue::from_bool(error.retryable()));
    set(&props, "hint", &JsValue::from_str(error.hint()));
    let mut message = error.message();
    let (error, key) = match error {
        Error::OutcomeUnknown { idempotency_key, source } => {
            set(&props, "outcomeUnknown", &JsValue::TRUE);
            set(&props, "idempotencyKey", &JsValue::from_str(&idempotency_key));
            (*source, true)
        }
        e => (e, false),
    };
    if !key {
        set(&props, "outcomeUnknown", &JsValue::FALSE);
    }
    match &error {
        Error::Validation(v) => {
            set(&props, "errors", &field_errors_to_js(&v.0, false));
            set(&props, "field", &opt_str(v.0.first().map(|e| &*e.field)));
        }
        Error::Api(api) => {
            set(&props, "field", &opt_str(api.field.as_deref()));
            set(&props, "serverCode", &opt_str(api.server_code.as_deref()));
            if let Some(seconds) = api.retry_after {
                set(&props, "retryAfter", &JsValue::from_f64(seconds as f64));
            }
        }
        _ => {}
    }
    if let Error::Network { cause: Some(cause), .. } | Error::Aborted { cause: Some(cause), .. } = &error {
        if let Some(js) = cause.0.downcast_ref::<JsValue>() {
            set(&props, "cause", js);
        }
    }
    if message.is_empty() {
        message = error.code().to_owned();
    }
    create_error(class_name(&error), &message, &props)
}
