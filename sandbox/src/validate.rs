//! Validation of `POST /payment/request` bodies: type errors (400) first, then business rules (422).

use serde_json::{Map, Number, Value};

use crate::error::ApiError;

/// Longest accepted `reference_id`, in characters.
pub const MAX_REFERENCE_LEN: usize = 255;

/// A validated creation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: i64,
    pub currency: String,
    pub redirect_url: String,
    pub reference_id: Option<String>,
}

fn required<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a Value, ApiError> {
    obj.get(field).ok_or_else(|| ApiError::missing_field(field))
}

fn string_field<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    required(obj, field)?.as_str().ok_or_else(|| ApiError::invalid_type(field, "a string"))
}

/// Validates a parsed JSON body against the supported currencies.
pub fn new_payment(body: &Value, currencies: &[String]) -> Result<NewPayment, ApiError> {
    let obj = body.as_object().ok_or_else(|| ApiError::invalid_json("The request body must be a JSON object."))?;

    // 400: presence and JSON types.
    let amount: &Number = match required(obj, "amount")? {
        Value::Number(n) => n,
        _ => return Err(ApiError::invalid_type("amount", "a number")),
    };
    let currency = string_field(obj, "currency")?;
    let redirect_url = string_field(obj, "redirect_url")?;
    let reference_id = match obj.get("reference_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::invalid_type("reference_id", "a string or null")),
    };

    // 422: business rules.
    let amount = amount.as_i64().filter(|&a| a > 0).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_amount",
            "amount",
            "amount must be a positive integer in the smallest currency unit.",
        )
    })?;
    if !currencies.iter().any(|c| c == currency) {
        return Err(ApiError::unprocessable(
            "unsupported_currency",
            "currency",
            format!("The currency {currency:?} is not supported."),
        ));
    }
    if !is_https_url(redirect_url) {
        return Err(ApiError::unprocessable(
            "invalid_redirect_url",
            "redirect_url",
            "redirect_url must be an absolute https URL with a host.",
        ));
    }
    if reference_id.is_some_and(|r| r.chars().count() > MAX_REFERENCE_LEN) {
        return Err(ApiError::unprocessable(
            "invalid_reference_id",
            "reference_id",
            format!("reference_id must be at most {MAX_REFERENCE_LEN} characters."),
        ));
    }
    Ok(NewPayment {
        amount,
        currency: currency.to_owned(),
        redirect_url: redirect_url.to_owned(),
        reference_id: reference_id.map(str::to_owned),
    })
}

fn is_https_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cur() -> Vec<String> {
        vec!["USD".to_owned(), "EUR".to_owned()]
    }

    fn code(v: Value) -> &'static str {
        new_payment(&v, &cur()).err().map_or("ok", |e| e.code)
    }

    #[test]
    fn rules() {
        let ok = json!({"amount": 100, "currency": "USD", "redirect_url": "https://shop.example/r"});
        assert_eq!(code(ok.clone()), "ok");
        assert_eq!(code(json!([1])), "invalid_json");
        assert_eq!(code(json!({"currency": "USD", "redirect_url": "https://a.b"})), "missing_field");
        assert_eq!(code(json!({"amount": "1", "currency": "USD", "redirect_url": "https://a.b"})), "invalid_type");
        assert_eq!(code(json!({"amount": 1, "currency": 5, "redirect_url": "https://a.b"})), "invalid_type");
        assert_eq!(
            code(json!({"amount": 1, "currency": "USD", "redirect_url": "https://a.b", "reference_id": 3})),
            "invalid_type"
        );
        for bad in [json!(0), json!(-5), json!(1.5), json!(1.0), json!(u64::MAX)] {
            assert_eq!(
                code(json!({"amount": bad, "currency": "USD", "redirect_url": "https://a.b"})),
                "invalid_amount"
            );
        }
        assert_eq!(code(json!({"amount": i64::MAX, "currency": "USD", "redirect_url": "https://a.b"})), "ok");
        assert_eq!(
            code(json!({"amount": 1, "currency": "usd", "redirect_url": "https://a.b"})),
            "unsupported_currency"
        );
        for url in ["http://a.b", "/relative", "https://", "mailto:x@y.z"] {
            assert_eq!(
                code(json!({"amount": 1, "currency": "USD", "redirect_url": url})),
                "invalid_redirect_url",
                "{url}"
            );
        }
        let long = "é".repeat(256);
        assert_eq!(
            code(json!({"amount": 1, "currency": "USD", "redirect_url": "https://a.b", "reference_id": long})),
            "invalid_reference_id"
        );
        assert_eq!(
            code(
                json!({"amount": 1, "currency": "USD", "redirect_url": "https://a.b", "reference_id": "é".repeat(255)})
            ),
            "ok"
        );
    }
}
