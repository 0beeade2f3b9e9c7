//! Reading the API's responses: the payment-request resource and error bodies.

use crate::prelude::*;

use crate::json::Value;

/// The lifecycle stage of a payment request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Created, not yet paid.
    Pending,
    /// Paid by the payer.
    Paid,
    /// Not paid in time.
    Expired,
    /// Cancelled by the payer.
    Cancelled,
    /// A status this version does not know, kept as the API sent it.
    Other(String),
}

impl Status {
    fn parse(s: &str) -> Self {
        match s {
            "pending" => Status::Pending,
            "paid" => Status::Paid,
            "expired" => Status::Expired,
            "cancelled" => Status::Cancelled,
            other => Status::Other(other.to_owned()),
        }
    }

    /// The status as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "pending",
            Status::Paid => "paid",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
            Status::Other(s) => s,
        }
    }

    /// Whether the status can never change again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Status::Paid | Status::Expired | Status::Cancelled)
    }
}

/// A payment request as the API returned it.
///
/// Decoded tolerantly: only `id` and `status` are required; a field of an
/// unexpected type reads as `None`; fields added later are in `raw_json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The UUID.
    pub id: String,
    /// The lifecycle stage.
    pub status: Status,
    /// The amount in the smallest currency unit.
    pub amount: Option<i64>,
    /// The ISO 4217 code.
    pub currency: Option<String>,
    /// Where the payer returns after checkout.
    pub redirect_url: Option<String>,
    /// The caller's correlation id.
    pub reference_id: Option<String>,
    /// The hosted checkout page.
    pub checkout_url: Option<String>,
    /// When it was created (RFC 3339, as sent).
    pub created_at: Option<String>,
    /// When it expires (RFC 3339, as sent).
    pub expires_at: Option<String>,
    /// The whole response body, every field included.
    pub raw_json: String,
}

/// Decodes a payment-request resource.
pub(crate) fn decode_payment_request(body: &Value, raw_json: &str) -> Result<PaymentRequest, String> {
    if !matches!(body, Value::Object(_)) {
        return Err(crate::text::cat(&["expected a JSON object, got ", body.type_name()]));
    }
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let id = text("id").ok_or("the resource has no string `id`")?;
    let status = text("status").ok_or("the resource has no string `status`")?;
    Ok(PaymentRequest {
        id,
        status: Status::parse(&status),
        amount: body.get("amount").and_then(Value::as_i64),
        currency: text("currency"),
        redirect_url: text("redirect_url"),
        reference_id: text("reference_id"),
        checkout_url: text("checkout_url"),
        created_at: text("created_at"),
        expires_at: text("expires_at"),
        raw_json: raw_json.to_owned(),
    })
}

/// What an error body said, in whichever of the common shapes it came:
/// `{"error": {"code", "message", "field"}}`, OAuth2's
/// `{"error": "code", "error_description"}`, or `{"code", "message"}`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) field: Option<String>,
}

/// The longest server message kept in an error, in characters.
const MAX_SERVER_MESSAGE: usize = 300;

/// `scrub` is applied to each text before it is clipped (a secret cut in two
/// would not be recognised).
pub(crate) fn decode_error_body(body: &Value, scrub: &dyn Fn(&str) -> String) -> ErrorBody {
    let text = |s: &str| crate::text::clip(&scrub(s), MAX_SERVER_MESSAGE);
    let clip = |v: Option<&Value>| v.and_then(Value::as_str).map(text);
    match body.get("error") {
        Some(inner @ Value::Object(_)) => ErrorBody {
            code: clip(inner.get("code")),
            message: clip(inner.get("message")),
            field: clip(inner.get("field")).map(|f| wire_to_js_field(&f)),
        },
        Some(Value::String(code)) => {
            ErrorBody { code: Some(text(code)), message: clip(body.get("error_description")), field: None }
        }
        _ => ErrorBody { code: clip(body.get("code")), message: clip(body.get("message")), field: None },
    }
}

/// `redirect_url` → `redirectUrl`, so that server-blamed fields read like the caller's.
fn wire_to_js_field(field: &str) -> String {
    crate::text::snake_to_camel(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn resources_decode_tolerantly() {
        let raw = r#"{"id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","status":"refunded","amount":1999,"currency":"USD",
            "redirect_url":"https://shop.example/r","reference_id":null,"checkout_url":"http://x/checkout/1",
            "created_at":"2026-11-23T22:08:46Z","expires_at":5,"new_field":{"a":1}}"#;
        let pr = decode_payment_request(&parse(raw).unwrap(), raw).unwrap();
        assert_eq!(pr.status, Status::Other("refunded".into()));
        assert!(!pr.status.is_terminal());
        assert_eq!(pr.amount, Some(1999));
        assert_eq!(pr.reference_id, None);
        assert_eq!(pr.expires_at, None);
        assert_eq!(pr.raw_json, raw);
        for (s, st) in [
            ("pending", Status::Pending),
            ("paid", Status::Paid),
            ("expired", Status::Expired),
            ("cancelled", Status::Cancelled),
        ] {
            let raw = format!(r#"{{"id":"x","status":"{s}"}}"#);
            let pr = decode_payment_request(&parse(&raw).unwrap(), &raw).unwrap();
            assert_eq!(pr.status, st);
            assert_eq!(pr.status.as_str(), s);
        }
    }

    #[test]
    fn resources_without_id_or_status_are_refused() {
        for raw in [r#"{"status":"paid"}"#, r#"{"id":"x"}"#, r#"{"id":1,"status":"paid"}"#, "[]", "\"x\""] {
            assert!(decode_payment_request(&parse(raw).unwrap(), raw).is_err(), "{raw}");
        }
    }

    fn same(s: &str) -> String {
        s.to_owned()
    }

    #[test]
    fn error_bodies_in_every_common_shape() {
        let nested = decode_error_body(
            &parse(r#"{"error":{"code":"invalid_amount","message":"bad","field":"redirect_url"}}"#).unwrap(),
            &same,
        );
        assert_eq!(nested.code.as_deref(), Some("invalid_amount"));
        assert_eq!(nested.field.as_deref(), Some("redirectUrl"));
        let oauth =
            decode_error_body(&parse(r#"{"error":"invalid_client","error_description":"nope"}"#).unwrap(), &same);
        assert_eq!((oauth.code.as_deref(), oauth.message.as_deref()), (Some("invalid_client"), Some("nope")));
        let flat = decode_error_body(&parse(r#"{"code":"x","message":"y"}"#).unwrap(), &same);
        assert_eq!((flat.code.as_deref(), flat.message.as_deref()), (Some("x"), Some("y")));
        let long = format!(r#"{{"message":"{}"}}"#, "m".repeat(1000));
        assert_eq!(decode_error_body(&parse(&long).unwrap(), &same).message.unwrap().len(), MAX_SERVER_MESSAGE);
        assert_eq!(decode_error_body(&parse("[1]").unwrap(), &same), ErrorBody::default());
        // Scrubbed before the clip: a secret across the 300th character is not cut in two.
        let secret = "tripwire-s3cret";
        let long = format!(r#"{{"message":"{}{secret}"}}"#, "m".repeat(290));
        let scrub = |s: &str| s.replace(secret, "[redacted]");
        let message = decode_error_body(&parse(&long).unwrap(), &scrub).message.unwrap();
        assert!(message.ends_with("m[redacted]") && !message.contains("tripwire"), "{message}");
    }
}
