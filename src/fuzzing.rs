//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_corpora.rs`,
//! which replays their corpora on every `make test`. Each takes arbitrary
//! bytes and must never panic. Not part of the supported API.

// Native only (src/lib.rs), never in the wasm: it may format (clippy.toml).
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use crate::json::{self, Value};
use crate::validate::{self, Environment, Input};

/// Reads JSON and runs every response decoder over it.
pub fn decoders(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = json::parse(text) else { return };
    let _ = crate::wire::decode_payment_request(&value, text);
    let _ = crate::wire::decode_error_body(&value, &|s: &str| s.to_owned());
    let _ = crate::auth::decode_token(&value, 0);
    // Whatever parses must survive a write-and-read round trip of its strings.
    if let Value::String(s) = &value {
        let mut out = String::new();
        json::write_string(&mut out, s);
        assert_eq!(json::parse(&out).ok(), Some(value.clone()));
    }
}

/// Reads JSON, turns it into caller input, and runs every validator over it.
pub fn validators(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let input = match json::parse(text) {
        Ok(value) => to_input(&value, true),
        Err(_) => Input::String(text.to_owned()),
    };
    if let Ok(request) = validate::validate_payment_request(&input, &crate::NativeUrls) {
        // What passes validation must serialise to JSON that parses back.
        assert!(json::parse(&request.to_json()).is_ok());
        assert!(request.amount() >= 1);
    }
    for browser in [false, true] {
        let _ = validate::validate_client_options(&input, Environment { browser, urls: &crate::NativeUrls });
    }
    let _ = validate::validate_call_options(&input, true);
    if let Ok(id) = validate::validate_payment_id(&input) {
        assert!(id.as_str().bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
    }
}

/// Parses `Retry-After` values.
pub fn retry_after(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::retry::parse_retry_after(text, 1_767_225_600_000);
    }
}

fn to_input(value: &Value, top: bool) -> Input {
    match value {
        Value::Null => Input::Null,
        Value::Bool(b) => Input::Bool(*b),
        // Integers with a trailing `n` stand for BigInts in the corpora.
        Value::Number(n) => Input::Number(n.parse().unwrap_or(f64::NAN)),
        Value::String(s) => match s.strip_suffix('n') {
            Some(digits)
                if !digits.is_empty() && digits.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) =>
            {
                Input::BigInt(digits.to_owned())
            }
            _ => Input::String(s.clone()),
        },
        Value::Array(_) => Input::Other("an array"),
        Value::Object(members) if top => {
            Input::Object(members.iter().map(|(k, v)| (k.clone(), to_input(v, false))).collect())
        }
        Value::Object(_) => Input::Other("an object"),
    }
}
