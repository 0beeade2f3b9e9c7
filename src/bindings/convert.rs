//! Conversions between JS values and the core's types.

use crate::prelude::*;

use core::cell::UnsafeCell;

use wasm_bindgen::prelude::*;

use crate::error::{Error, FieldError, ValidationErrors};
use crate::snapshot::{self, Texts};

use super::platform::{create_error, memory, result, snapshot};
use crate::validate::{Input, NewPaymentRequest, MAX_SAFE_INTEGER};
use crate::wire::PaymentRequest;

/// What `js/objects.js` `result` makes of its texts.
#[derive(Clone, Copy)]
enum Shape {
    /// `[{ field, code, message }]`: three texts an error.
    Errors = 0,
    /// `{ ok: false, errors }`.
    Invalid = 1,
    /// `{ ok: true, value: { amount, currency, redirectUrl, referenceId } }`, the amount first.
    Valid = 2,
    /// `{ id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw }`,
    /// the amount first, raw parsed.
    Resource = 3,
}

/// `result` of `texts`.
fn result_of(shape: Shape, texts: &Texts) -> JsValue {
    let (at, count, text_at, text_length) = super::platform::texts_args(texts);
    result(memory(), shape as u32, at, count, text_at, text_length)
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
    let memory = memory();
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

/// Appends an amount: a number when it is exact in a JS number, else its
/// decimal text, which JS makes a BigInt (beyond 2^53-1).
fn push_integer(texts: &mut Texts, value: i64) {
    if (value.unsigned_abs() as f64) <= MAX_SAFE_INTEGER {
        texts.push_number(value as f64);
    } else {
        let digits = crate::text::decimal(value.unsigned_abs());
        texts.push_str(&if value < 0 { crate::text::cat(&["-", &digits]) } else { digits });
    }
}

/// `{ id, status, amount, currency, redirectUrl, referenceId, checkoutUrl, createdAt, expiresAt, raw }`.
pub(crate) fn payment_request_to_js(pr: &PaymentRequest) -> JsValue {
    let mut texts = Texts::new(10);
    match pr.amount {
        Some(amount) => push_integer(&mut texts, amount),
        None => texts.push_opt(None),
    }
    texts.push_str(&pr.id);
    texts.push_str(pr.status.as_str());
    for s in [&pr.currency, &pr.redirect_url, &pr.reference_id, &pr.checkout_url, &pr.created_at, &pr.expires_at] {
        texts.push_opt(s.as_deref());
    }
    texts.push_str(&pr.raw_json);
    result_of(Shape::Resource, &texts)
}

/// `[{ field, code, message }]`, or `{ ok: false, errors }` when `result`.
fn field_errors_to_js(errors: &[FieldError], result: bool) -> JsValue {
    let mut texts = Texts::new(3 * errors.len());
    for e in errors {
        texts.push(&e.field);
        texts.push_static(e.code);
        texts.push(&e.message);
    }
    result_of(if result { Shape::Invalid } else { Shape::Errors }, &texts)
}

/// `{ ok: true, value }` or `{ ok: false, errors }`.
pub(crate) fn validation_result_to_js(result: Result<NewPaymentRequest, ValidationErrors>) -> JsValue {
    match result {
        Ok(r) => {
            let mut texts = Texts::new(4);
            push_integer(&mut texts, r.amount() as i64);
            texts.push_static(r.currency());
            // The href of this validation's one parse: the last one, since
            // nothing has run in JS since (`js/objects.js` parseUrl keeps it
            // once the parser and its getters have run).
            texts.push_last_href();
            texts.push_opt(r.reference_id());
            result_of(Shape::Valid, &texts)
        }
        Err(ValidationErrors(errors)) => field_errors_to_js(&errors, true),
    }
}

// `flags` of `js/errors.js` `createError`: the status in the low 16 bits, then these.
const RETRYABLE: u32 = 1 << 16;
const OUTCOME_UNKNOWN: u32 = 1 << 17;
const VALIDATION: u32 = 1 << 18;
const API: u32 = 1 << 19;
const CAUSE: u32 = 1 << 20;

/// Converts a core error into an instance of a `PayreqError` subclass with
/// `code`, `status`, `requestId`, `retryable`, `hint`, `outcomeUnknown` and,
/// where they apply, `idempotencyKey`, `errors`, `field`, `serverCode`,
/// `retryAfter` and `cause`, in that order (`js/errors.js` `createError`).
pub(crate) fn error_to_js(error: Error) -> JsValue {
    // Its JS class (callers branch on it with `instanceof`), code,
    // retryability and hint: decided by `src/error.rs` (`Error::class`).
    let class = error.class();
    let mut flags = u32::from(error.status().unwrap_or(0));
    if class.retryable {
        flags |= RETRYABLE;
    }
    let mut texts = Texts::new(12);
    texts.push_static(class.name);
    let message = error.message();
    let (code, hint) = (class.code, class.hint);
    let request_id = error.request_id().map(ToOwned::to_owned);
    let (error, key) = match error {
        Error::OutcomeUnknown { idempotency_key, source } => {
            flags |= OUTCOME_UNKNOWN;
            (*source, Some(idempotency_key))
        }
        e => (e, None),
    };
    texts.push_str(if message.is_empty() { code } else { &message });
    texts.push_static(code);
    texts.push_static(hint);
    texts.push_opt(request_id.as_deref());
    texts.push_opt(key.as_deref());
    let mut errors: &[FieldError] = &[];
    match &error {
        Error::Validation(v) => {
            flags |= VALIDATION;
            errors = &v.0;
        }
        Error::Api(api) => {
            flags |= API;
            texts.push_opt(api.field.as_deref());
            texts.push_opt(api.server_code.as_deref());
            match api.retry_after {
                Some(seconds) => texts.push_number(seconds as f64),
                None => texts.push_opt(None),
            }
        }
        _ => {}
    }
    if flags & API == 0 {
        for _ in 0..3 {
            texts.push_opt(None);
        }
    }
    for e in errors {
        texts.push(&e.field);
        texts.push_static(e.code);
        texts.push(&e.message);
    }
    let mut cause = &JsValue::UNDEFINED;
    if let Error::Network { cause: Some(c), .. } | Error::Aborted { cause: Some(c), .. } = &error {
        if let Some(js) = c.0.downcast_ref::<JsValue>() {
            flags |= CAUSE;
            cause = js;
        }
    }
    let (at, count, text_at, text_length) = super::platform::texts_args(&texts);
    create_error(memory(), cause, flags, at, count, text_at, text_length)
}
