//! Conversions between JS values and the core's types.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{Error, FieldError, ValidationErrors};
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
    /// The type of a value: 0 undefined, 1 null, 2 false, 3 true, 4 number,
    /// 5 string, 6 bigint, 7 array, 8 function, 9 symbol, 10 object,
    /// 11 a field whose read threw.
    #[wasm_bindgen(js_namespace = plain)]
    fn kind(value: &JsValue) -> u32;
    /// `Object.keys`, or undefined when a Proxy trap throws.
    #[wasm_bindgen(js_namespace = plain, js_name = keysOf)]
    fn keys_of(object: &JsValue) -> Option<js_sys::Array>;
    /// `object[key]`, or a value of kind 11 when the read throws.
    #[wasm_bindgen(js_namespace = plain, js_name = fieldOf)]
    fn field_of(object: &JsValue, key: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = validResult)]
    fn valid_result(amount: &JsValue, currency: &str, redirect_url: &str, reference_id: Option<&str>) -> JsValue;
    #[wasm_bindgen(js_namespace = plain, js_name = invalidResult)]
    fn invalid_result(errors: &js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = fieldError)]
    fn field_error(field: &str, code: &str, message: &str) -> JsValue;
    #[wasm_bindgen(js_name = paymentRequest)]
    #[allow(clippy::too_many_arguments)]
    fn payment_request(
        id: &str,
        status: &str,
        amount: &JsValue,
        currency: Option<&str>,
        redirect_url: Option<&str>,
        reference_id: Option<&str>,
        checkout_url: Option<&str>,
        created_at: Option<&str>,
        expires_at: Option<&str>,
        raw: &str,
    ) -> JsValue;
}

/// The shape of a JS value, for validation. Only the top level of an object
/// is read: nested objects are described, not walked.
pub(crate) fn to_input(value: &JsValue) -> Input {
    shallow(value, true)
}

fn shallow(value: &JsValue, top: bool) -> Input {
    match kind(value) {
        0 => Input::Missing,
        1 => Input::Null,
        2 => Input::Bool(false),
        3 => Input::Bool(true),
        4 => Input::Number(value.unchecked_into_f64()),
        5 => Input::String(value.as_string().unwrap_or_default()),
        6 => {
            let text = value.unchecked_ref::<js_sys::BigInt>().to_string(10).map(String::from).unwrap_or_default();
            Input::BigInt(text)
        }
        7 => Input::Other("an array"),
        8 => Input::Function,
        9 => Input::Other("a symbol"),
        10 if top => match keys_of(value) {
            Some(keys) => Input::Object(
                keys.iter()
                    .filter_map(|key| {
                        let name = key.as_string()?;
                        Some((name, shallow(&field_of(value, &key), false)))
                    })
                    .collect(),
            ),
            None => Input::Other("an unreadable value"),
        },
        10 => Input::Other("an object"),
        _ => Input::Other("an unreadable value"),
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
    payment_request(
        &pr.id,
        pr.status.as_str(),
        &pr.amount.map_or(JsValue::NULL, integer),
        pr.currency.as_deref(),
        pr.redirect_url.as_deref(),
        pr.reference_id.as_deref(),
        pr.checkout_url.as_deref(),
        pr.created_at.as_deref(),
        pr.expires_at.as_deref(),
        &pr.raw_json,
    )
}

fn field_errors_to_js(errors: &[FieldError]) -> js_sys::Array {
    errors.iter().map(|e| field_error(&e.field, e.code, &e.message)).collect()
}

/// `{ ok: true, value }` or `{ ok: false, errors }`.
pub(crate) fn validation_result_to_js(result: Result<NewPaymentRequest, ValidationErrors>) -> JsValue {
    match result {
        Ok(r) => valid_result(&integer(r.amount() as i64), r.currency(), r.redirect_url(), r.reference_id()),
        Err(ValidationErrors(errors)) => invalid_result(&field_errors_to_js(&errors)),
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
            set(&props, "errors", &field_errors_to_js(&v.0));
            set(&props, "field", &opt_str(v.0.first().map(|e| e.field.as_str())));
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
