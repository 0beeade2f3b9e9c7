//! Conversions between JS values and the core's types.

use crate::prelude::*;

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
    /// The top level of a value: its texts, returned, and its numbers,
    /// written to `numbers` when they fit (src/snapshot.rs).
    fn snapshot(value: &JsValue, numbers: &mut [f64]) -> String;
    /// The numbers of the last snapshot, when they were not written: into
    /// `numbers` when they fit; returns how many there are.
    #[wasm_bindgen(js_name = snapshotNumbers)]
    fn snapshot_numbers(numbers: &mut [f64]) -> f64;
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
        &wasm_bindgen::memory(),
        shape as u32,
        amount,
        numbers.as_ptr(),
        numbers.len() / 2,
        text.as_ptr(),
        text.len(),
    )
}

/// The shape of a JS value, for validation. Only the top level of an object
/// is read: nested objects are described, not walked. One call and one
/// string for the whole input (`js/objects.js` `snapshot`), two more only for
/// an object of more than 15 keys.
pub(crate) fn to_input(value: &JsValue) -> Input {
    let mut numbers = [0.0; 48];
    let text = snapshot(value, &mut numbers);
    // The first number counts them all; 0 when none were written (more than
    // fit, or the view of this buffer went stale: a getter that calls
    // payreq made the memory grow). Then they are asked for.
    if let Some(numbers) = numbers.get(1..numbers[0] as usize) {
        return snapshot::decode(&text, numbers);
    }
    let mut all = vec![0.0; snapshot_numbers(&mut []) as usize];
    snapshot_numbers(&mut all);
    snapshot::decode(&text, all.get(1..).unwrap_or_default())
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
            texts.push_str(r.currency());
            texts.push_str(r.redirect_url());
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
