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

/// The shape of a JS value, for validation. Only the top level of an object
/// is read: nested objects are described, not walked.
pub(crate) fn to_input(value: &JsValue) -> Input {
    shallow(value, true)
}

fn shallow(value: &JsValue, top: bool) -> Input {
    if value.is_undefined() {
        Input::Missing
    } else if value.is_null() {
        Input::Null
    } else if let Some(b) = value.as_bool() {
        Input::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Input::Number(n)
    } else if let Some(s) = value.as_string() {
        Input::String(s)
    } else if value.is_bigint() {
        let text = value.unchecked_ref::<js_sys::BigInt>().to_string(10).map(String::from).unwrap_or_default();
        Input::BigInt(text)
    } else if js_sys::Array::is_array(value) {
        Input::Other("an array")
    } else if value.is_function() {
        Input::Function
    } else if value.is_symbol() {
        Input::Other("a symbol")
    } else if top && value.is_object() {
        let object = value.unchecked_ref::<js_sys::Object>();
        let fields = js_sys::Object::keys(object)
            .iter()
            .filter_map(|key| {
                let name = key.as_string()?;
                // A throwing getter or Proxy trap reads as an unusable value.
                let v = js_sys::Reflect::get(object, &key)
                    .map_or(Input::Other("an unreadable value"), |v| shallow(&v, false));
                Some((name, v))
            })
            .collect();
        Input::Object(fields)
    } else {
        Input::Other("an object")
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
    let o = js_sys::Object::new();
    set(&o, "id", &JsValue::from_str(&pr.id));
    set(&o, "status", &JsValue::from_str(pr.status.as_str()));
    set(&o, "amount", &pr.amount.map_or(JsValue::NULL, integer));
    set(&o, "currency", &opt_str(pr.currency.as_deref()));
    set(&o, "redirectUrl", &opt_str(pr.redirect_url.as_deref()));
    set(&o, "referenceId", &opt_str(pr.reference_id.as_deref()));
    set(&o, "checkoutUrl", &opt_str(pr.checkout_url.as_deref()));
    set(&o, "createdAt", &opt_str(pr.created_at.as_deref()));
    set(&o, "expiresAt", &opt_str(pr.expires_at.as_deref()));
    // The core has already parsed this text as JSON.
    set(&o, "raw", &js_sys::JSON::parse(&pr.raw_json).unwrap_or(JsValue::NULL));
    o.into()
}

fn field_errors_to_js(errors: &[FieldError]) -> js_sys::Array {
    errors
        .iter()
        .map(|e| {
            let o = js_sys::Object::new();
            set(&o, "field", &JsValue::from_str(&e.field));
            set(&o, "code", &JsValue::from_str(e.code));
            set(&o, "message", &JsValue::from_str(&e.message));
            JsValue::from(o)
        })
        .collect()
}

/// `{ ok: true, value }` or `{ ok: false, errors }`.
pub(crate) fn validation_result_to_js(result: Result<NewPaymentRequest, ValidationErrors>) -> JsValue {
    let o = js_sys::Object::new();
    match result {
        Ok(r) => {
            set(&o, "ok", &JsValue::TRUE);
            let value = js_sys::Object::new();
            set(&value, "amount", &integer(r.amount() as i64));
            set(&value, "currency", &JsValue::from_str(r.currency()));
            set(&value, "redirectUrl", &JsValue::from_str(r.redirect_url()));
            set(&value, "referenceId", &opt_str(r.reference_id()));
            set(&o, "value", &value);
        }
        Err(ValidationErrors(errors)) => {
            set(&o, "ok", &JsValue::FALSE);
            set(&o, "errors", &field_errors_to_js(&errors));
        }
    }
    o.into()
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
