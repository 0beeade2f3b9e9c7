//! Client-side validation: every rule runs before any network call, and each
//! failure names the field (as the caller spells it) and says how to fix it.

use crate::prelude::*;

use alloc::borrow::Cow;

use crate::currency::{self, Lookup};
use crate::error::{FieldError, ValidationErrors};
use crate::json;
use crate::secret::ClientSecret;
use crate::text::{cat, decimal};
use crate::urls::{self, UrlParser};

/// The largest integer a JS number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// The longest `redirectUrl` accepted, in bytes.
pub const MAX_REDIRECT_URL_BYTES: usize = 2048;
/// The longest `referenceId` accepted, in characters (Unicode scalar values).
pub const MAX_REFERENCE_ID_CHARS: usize = 255;

/// A value as the caller passed it, before validation: the shape of a JS value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Input {
    /// Absent, or `undefined`.
    Missing,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A JS number (any `f64`, including NaN, infinities and -0).
    Number(f64),
    /// A JS BigInt, as its decimal text (`-` and digits).
    BigInt(String),
    /// A string.
    String(String),
    /// A plain object: its own enumerable keys and values, in order.
    Object(Vec<(String, Input)>),
    /// A function (a callback option).
    Function,
    /// Anything else (an array, a function, a symbol, a nested object): its
    /// description for messages, e.g. "an array".
    Other(&'static str),
    /// A JS string that is not well-formed UTF-16 (it holds a lone
    /// surrogate), which UTF-8 cannot carry: sent, it would silently become
    /// U+FFFD. Never read into Rust.
    InvalidUnicode,
    /// A JS string longer than the JS side reads (65,536 UTF-16 units,
    /// `js/objects.js` `MAX_READ_UNITS`, above every length a field allows):
    /// refused before it crosses into Rust. Its length in UTF-16 units.
    TooLong(f64),
}

impl Input {
    fn describe(&self) -> &'static str {
        match self {
            Input::Missing => "undefined",
            Input::Null => "null",
            Input::Bool(_) => "a boolean",
            Input::Number(_) => "a number",
            Input::BigInt(_) => "a bigint",
            Input::String(_) => "a string",
            Input::Object(_) => "an object",
            Input::Function => "a function",
            Input::Other(what) => what,
            Input::InvalidUnicode => "a string with a lone surrogate (not valid Unicode)",
            Input::TooLong(_) => "a string over 65536 characters",
        }
    }

    /// The member `key` of an object input; `Missing` otherwise.
    fn field(&self, key: &str) -> &Input {
        match self {
            Input::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map_or(&Input::Missing, |(_, v)| v),
            _ => &Input::Missing,
        }
    }
}

impl From<&str> for Input {
    fn from(s: &str) -> Self {
        Input::String(s.to_owned())
    }
}

impl From<i64> for Input {
    fn from(n: i64) -> Self {
        Input::BigInt(if n < 0 { cat(&["-", &decimal(n.unsigned_abs())]) } else { decimal(n as u64) })
    }
}

/// A payment request that passed every client-side rule, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentRequest {
    amount: u64,
    currency: &'static str,
    redirect_url: String,
    reference_id: Option<String>,
}

impl NewPaymentRequest {
    /// The amount in the smallest currency unit, in `1..=2^63-1`.
    pub fn amount(&self) -> u64 {
        self.amount
    }
    /// The upper-case ISO 4217 code.
    pub fn currency(&self) -> &'static str {
        self.currency
    }
    /// The redirect URL as the WHATWG URL parser serialises it.
    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }
    /// The caller's correlation id, if any.
    pub fn reference_id(&self) -> Option<&str> {
        self.reference_id.as_deref()
    }

    /// The request body in the API's wire format (snake_case JSON).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"amount\":");
        out.push_str(&decimal(self.amount));
        out.push_str(",\"currency\":");
        json::write_string(&mut out, self.currency);
        out.push_str(",\"redirect_url\":");
        json::write_string(&mut out, &self.redirect_url);
        if let Some(reference_id) = &self.reference_id {
            out.push_str(",\"reference_id\":");
            json::write_string(&mut out, reference_id);
        }
        out.push('}');
        out
    }
}

/// The fields of a payment request, as the caller spells them.
pub const PAYMENT_REQUEST_FIELDS: &[&str] = &["amount", "currency", "redirectUrl", "referenceId"];

/// Validates a payment request given as an object of
/// `{ amount, currency, redirectUrl, referenceId? }`.
///
/// ```
/// use payreq::{validate_payment_request, Input, NativeUrls};
/// let input = Input::Object(vec![
///     ("amount".into(), Input::Number(1999.0)),
///     ("currency".into(), "usd".into()),
///     ("redirectUrl".into(), "https://shop.example/return".into()),
/// ]);
/// let request = validate_payment_request(&input, &NativeUrls).unwrap();
/// assert_eq!(request.currency(), "USD");
/// assert_eq!(request.to_json(), r#"{"amount":1999,"currency":"USD","redirect_url":"https://shop.example/return"}"#);
/// ```
///
/// # Errors
/// Every rule that fails, each naming its field, with a stable code and a
/// message that says how to fix it.
pub fn validate_payment_request(input: &Input, urls: &dyn UrlParser) -> Result<NewPaymentRequest, ValidationErrors> {
    let mut errors = Vec::new();
    let Input::Object(fields) = input else {
        return Err(ValidationErrors(vec![built(
            "input",
            "input_not_object",
            &[
                "the payment request must be an object like { amount: 1999, currency: \"USD\", redirectUrl: \"https://…\" }, not ",
                input.describe(),
            ],
        )]));
    };
    // Errors in field order (amount, currency, redirectUrl, referenceId, then
    // unknown keys); the amount's message needs the currency, checked first.
    let currency = check_currency(input.field("currency"));
    let known = currency.as_ref().ok().copied();
    let amount = check_amount(input.field("amount"), known).map_err(|e| errors.push(e)).ok();
    let currency = currency.map(|(code, _)| code).map_err(|e| errors.push(e)).ok();
    let redirect_url = check_redirect_url(input.field("redirectUrl"), urls).map_err(|e| errors.push(e)).ok();
    let reference_id = check_reference_id(input.field("referenceId")).map_err(|e| errors.push(e)).ok();
    unknown_fields(fields, PAYMENT_REQUEST_FIELDS, &mut errors);
    match (amount, currency, redirect_url, reference_id) {
        (Some(amount), Some(currency), Some(redirect_url), Some(reference_id)) if errors.is_empty() => {
            Ok(NewPaymentRequest { amount, currency, redirect_url, reference_id })
        }
        _ => Err(ValidationErrors(errors)),
    }
}

fn unknown_fields(fields: &[(String, Input)], known: &[&str], errors: &mut Vec<FieldError>) {
    for (key, _) in fields {
        if known.contains(&key.as_str()) {
            continue;
        }
        let camel = crate::text::snake_to_camel(key);
        let suggestion = known.iter().find(|k| **k == camel).or_else(|| {
            known
                .iter()
                .map(|k| (k, edit_distance(key, k)))
                .filter(|(_, d)| *d <= 2)
                .min_by_key(|(_, d)| *d)
                .map(|(k, _)| k)
        });
        let message = match suggestion {
            Some(s) => cat(&["unknown field `", key, "`: did you mean ", s, "?"]),
            None => {
                // A loop, not `known.join(", ")`: the same text with less code.
                let mut message = cat(&["unknown field `", key, "`: the fields are "]);
                for (i, k) in known.iter().enumerate() {
                    if i > 0 {
                        message.push_str(", ");
                    }
                    message.push_str(k);
                }
                message
            }
        };
        errors.push(FieldError { field: Cow::Owned(key.clone()), code: "unknown_field", message: message.into() });
    }
}

/// An error on a field named at compile time, with a static message.
#[inline(never)]
fn error(field: &'static str, code: &'static str, message: &'static str) -> FieldError {
    FieldError { field: Cow::Borrowed(field), code, message: Cow::Borrowed(message) }
}

/// An error on a field named at compile time, with a message made at run time of `parts`.
#[inline(never)]
fn built(field: &'static str, code: &'static str, parts: &[&str]) -> FieldError {
    FieldError { field: Cow::Borrowed(field), code, message: Cow::Owned(cat(parts)) }
}

/// Levenshtein distance, ignoring ASCII case, over bytes: the known names
/// are ASCII, so a byte-wise distance ranks suggestions as well as a
/// per-character one, with less code.
///
/// One row, updated in place (no allocation): `row[j]` is the distance from
/// the prefix of `a` read so far to the first `j` bytes of `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        // `diagonal`: the previous row's value left of the cell being updated.
        let mut diagonal = i;
        let mut left = i + 1;
        for (cell, cb) in row.iter_mut().skip(1).zip(b.bytes()) {
            let cost = usize::from(!ca.eq_ignore_ascii_case(&cb));
            let next = (diagonal + cost).min(*cell + 1).min(left + 1);
            diagonal = *cell;
            *cell = next;
            left = next;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Whether `n` is a whole number (`n.trunc() == n`, which `core` lacks):
/// every finite float of magnitude 2^52 or more is whole, and below that the
/// cast to i64 is exact for whole numbers only. False for NaN; true for
/// infinities, like `trunc`.
fn is_integral(n: f64) -> bool {
    let magnitude = if n < 0.0 { -n } else { n };
    magnitude >= 4_503_599_627_370_496.0 || n as i64 as f64 == n
}

/// `$before` followed by the example amount, as one static text.
macro_rules! example {
    ($($before:literal),*) => {
        concat!($($before,)* "e.g. 1999 for 19.99 USD")
    };
}

fn check_amount(input: &Input, currency: Option<(&str, u8)>) -> Result<u64, FieldError> {
    let err = |code, message: &'static str| Err(error("amount", code, message));
    match input {
        Input::Missing | Input::Null => {
            err("amount_missing", example!("amount is required: an integer in the smallest currency unit, "))
        }
        Input::String(_) => err(
            "amount_not_number",
            concat!(example!("amount must be a number, not a string: pass 1999, not \"1999\" ("), ")"),
        ),
        Input::Number(n) => {
            let n = *n;
            if n.is_nan() {
                err("amount_nan", example!("amount is NaN: pass an integer in the smallest currency unit, "))
            } else if n.is_infinite() {
                err("amount_infinite", "amount must be finite: pass an integer in the smallest currency unit")
            } else if n == 0.0 && n.is_sign_negative() {
                err("amount_negative_zero", "amount is -0: it must be a positive integer, at least 1")
            } else if n == 0.0 {
                err("amount_zero", "amount is 0: it must be a positive integer, at least 1")
            } else if n < 0.0 {
                err("amount_negative", "amount is negative: it must be a positive integer, at least 1")
            } else if !is_integral(n) {
                let message: Cow<'static, str> = match currency {
                    Some((code, 0)) => cat(&[
                        "amount must be a whole number: ",
                        code,
                        " has no minor unit, so pass whole ",
                        code,
                        " units",
                    ])
                    .into(),
                    Some((code, e)) => cat(&[
                        "amount must be a whole number in the smallest unit of ",
                        code,
                        ": ",
                        code,
                        " has ",
                        &decimal(u64::from(e)),
                        " decimal places, so multiply by ",
                        &decimal(10u64.pow(u32::from(e))),
                        " and pass an integer",
                    ])
                    .into(),
                    None => example!("amount must be a whole number in the smallest currency unit, ").into(),
                };
                Err(FieldError { field: Cow::Borrowed("amount"), code: "amount_fraction", message })
            } else if n > MAX_SAFE_INTEGER {
                err(
                    "amount_unsafe_integer",
                    "amount is above Number.MAX_SAFE_INTEGER (2^53-1) and may have lost precision: pass it as a BigInt, e.g. 9007199254740993n",
                )
            } else {
                // In 1..=2^53-1 and integral: exact as u64.
                Ok(n as u64)
            }
        }
        Input::BigInt(text) => {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.as_str()),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return err("amount_not_number", "amount is not a valid BigInt");
            }
            let zero = digits.bytes().all(|b| b == b'0');
            if zero {
                err("amount_zero", "amount is 0n: it must be a positive integer, at least 1")
            } else if negative {
                err("amount_negative", "amount is negative: it must be a positive integer, at least 1")
            } else {
                match digits.parse::<u64>() {
                    Ok(v) if v <= i64::MAX as u64 => Ok(v),
                    _ => err(
                        "amount_too_large",
                        "amount is above 2^63-1 (9223372036854775807n), the largest amount the API takes",
                    ),
                }
            }
        }
        other => Err(built(
            "amount",
            "amount_not_number",
            &["amount must be a number or a BigInt, not ", other.describe(), example!(": ")],
        )),
    }
}

/// The upper-case code of an active currency, and its minor-unit exponent.
fn check_currency(input: &Input) -> Result<(&'static str, u8), FieldError> {
    let err = |code, message: &'static str| Err(error("currency", code, message));
    let built = |code, parts: &[&str]| Err(built("currency", code, parts));
    let text = match input {
        Input::Missing | Input::Null => {
            return err("currency_missing", "currency is required: a three-letter ISO 4217 code such as \"USD\"")
        }
        Input::String(s) => s,
        other => {
            return built("currency_not_string", &["currency must be a string such as \"USD\", not ", other.describe()])
        }
    };
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return err("currency_malformed", "currency must be a three-letter ISO 4217 code such as \"USD\" or \"EUR\"");
    }
    let lookup = currency::lookup(text);
    if let Lookup::Active(code, exponent) = lookup {
        return Ok((code, exponent));
    }
    let code = text.to_ascii_uppercase();
    match lookup {
        Lookup::NoMinorUnit => built(
            "currency_no_minor_unit",
            &[&code, " has no minor unit in ISO 4217 (metals, SDR, test and fund codes), so no amount in a smallest unit exists for it: use a national currency such as USD"],
        ),
        Lookup::Withdrawn(Some(successor)) => built(
            "currency_withdrawn",
            &[&code, " was withdrawn from ISO 4217: use ", successor, " instead"],
        ),
        Lookup::Withdrawn(None) => built("currency_withdrawn", &[&code, " was withdrawn from ISO 4217 and has no successor code"]),
        _ => built(
            "currency_unknown",
            &[&code, " is not an ISO 4217 currency code: use a code such as USD, EUR or GBP"],
        ),
    }
}

/// Checks a URL's raw text for what the WHATWG parser would silently repair.
/// `codes` are the field's codes for whitespace and for a backslash.
fn check_raw_url(field: &'static str, codes: [&'static str; 2], text: &str) -> Result<(), FieldError> {
    // Bytes first: in the size-optimised wasm a byte loop is several times
    // faster than decoding chars, and ASCII text with no byte up to a space
    // and none from DEL up has no white space or control character.
    if text.bytes().any(|b| !(b'!'..0x7f).contains(&b)) && text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(built(
            field,
            codes[0],
            &[field, " contains whitespace or control characters: percent-encode them or remove them"],
        ));
    }
    if crate::text::has_byte(text, b'\\') {
        return Err(built(field, codes[1], &[field, " contains a backslash: use forward slashes"]));
    }
    Ok(())
}

fn check_redirect_url(input: &Input, urls: &dyn UrlParser) -> Result<String, FieldError> {
    const F: &str = "redirectUrl";
    let err = |code, message: &'static str| Err(error(F, code, message));
    let text = match input {
        Input::Missing | Input::Null => {
            return err(
                "redirect_url_missing",
                "redirectUrl is required: the https:// page the payer returns to after checkout",
            )
        }
        Input::String(s) => s,
        Input::InvalidUnicode => {
            return err(
                "redirect_url_invalid_unicode",
                "redirectUrl has a lone surrogate, which UTF-8 cannot carry: fix it",
            )
        }
        Input::TooLong(_) => return err("redirect_url_too_long", "redirectUrl is longer than 2048 bytes: shorten it"),
        other => {
            return Err(built(
                F,
                "redirect_url_not_string",
                &["redirectUrl must be a string such as \"https://shop.example/return\", not ", other.describe()],
            ))
        }
    };
    if text.len() > MAX_REDIRECT_URL_BYTES {
        return err("redirect_url_too_long", "redirectUrl is longer than 2048 bytes: shorten it");
    }
    check_raw_url(F, ["redirect_url_whitespace", "redirect_url_backslash"], text)?;
    let url = match urls.parse(text) {
        Ok(url) => url,
        Err(e) => {
            return Err(built(
                F,
                "redirect_url_invalid",
                &[
                    "redirectUrl is not a valid absolute URL (",
                    &e,
                    "): use a full URL such as \"https://shop.example/return\"",
                ],
            ))
        }
    };
    if url.scheme != "https" {
        return err("redirect_url_not_https", "redirectUrl must use https: (the payer is sent there after checkout)");
    }
    if url.hostname.is_empty() {
        return err("redirect_url_no_host", "redirectUrl must have a host, e.g. https://shop.example/return");
    }
    if url.has_userinfo {
        return err("redirect_url_userinfo", "redirectUrl must not contain a user name or password");
    }
    if urls::has_fragment(text) {
        return err("redirect_url_fragment", "redirectUrl must not contain a #fragment: the API appends its own query");
    }
    if url.href.len() > MAX_REDIRECT_URL_BYTES {
        return err("redirect_url_too_long", "redirectUrl is longer than 2048 bytes once normalised: shorten it");
    }
    Ok(url.href)
}

fn check_reference_id(input: &Input) -> Result<Option<String>, FieldError> {
    const F: &str = "referenceId";
    let text = match input {
        Input::Missing | Input::Null => return Ok(None),
        Input::String(s) => s,
        Input::InvalidUnicode => {
            return Err(error(
                F,
                "reference_id_invalid_unicode",
                "referenceId has a lone surrogate, which UTF-8 cannot carry: fix it (or use toWellFormed())",
            ))
        }
        Input::TooLong(_) => {
            return Err(error(F, "reference_id_too_long", "referenceId is longer than 255 characters: shorten it"))
        }
        other => {
            return Err(built(
                F,
                "reference_id_not_string",
                &["referenceId must be a string (your order id, say), not ", other.describe()],
            ))
        }
    };
    if text.is_empty() {
        return Err(error(F, "reference_id_empty", "referenceId is empty: leave it out or pass 1 to 255 characters"));
    }
    if crate::text::char_count(text) > MAX_REFERENCE_ID_CHARS {
        return Err(error(F, "reference_id_too_long", "referenceId is longer than 255 characters: shorten it"));
    }
    if text.bytes().any(|b| !(b' '..0x7f).contains(&b)) && text.chars().any(char::is_control) {
        return Err(error(
            F,
            "reference_id_control_chars",
            "referenceId contains control characters (such as newlines or tabs): remove them",
        ));
    }
    Ok(Some(crate::text::owned(text)))
}

/// A payment request id in canonical lower-case UUID form, safe to put in a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentId(String);

impl PaymentId {
    /// The canonical lower-case UUID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates a payment id: a UUID in any case, returned lower-case.
///
/// ```
/// let id = payreq::validate_payment_id(&"3F2504E0-4F89-41D3-9A0C-0305E82C3301".into()).unwrap();
/// assert_eq!(id.as_str(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
/// assert!(payreq::validate_payment_id(&"../oauth/token".into()).is_err());
/// ```
///
/// # Errors
/// A field error on `id` when the input is not a string holding a UUID.
pub fn validate_payment_id(input: &Input) -> Result<PaymentId, FieldError> {
    match input {
        Input::String(s) => crate::uuid::canonical(s).map(PaymentId).ok_or_else(|| {
            error(
                "id",
                "payment_id_invalid",
                "id must be the UUID of a payment request, e.g. \"3f2504e0-4f89-41d3-9a0c-0305e82c3301\" (use pr.id from createPaymentRequest)",
            )
        }),
        Input::Missing | Input::Null => Err(error("id", "payment_id_missing", "id is required: pass pr.id from createPaymentRequest")),
        other => Err(built(
            "id",
            "payment_id_not_string",
            &["id must be a string UUID, not ", other.describe()],
        )),
    }
}

/// The API's base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// The base URL, e.g. `https://api.example.com/v1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full URL of an endpoint path that starts with `/`.
    pub fn join(&self, path: &str) -> String {
        let mut url = String::with_capacity(self.0.len() + path.len());
        url.push_str(&self.0);
        url.push_str(path);
        url
    }
}

fn check_base_url(input: &Input, urls: &dyn UrlParser) -> Result<BaseUrl, FieldError> {
    const F: &str = "baseUrl";
    let err = |code, message: &'static str| Err(error(F, code, message));
    let text = match input {
        Input::Missing | Input::Null => {
            return err(
                "base_url_missing",
                "baseUrl is required: the API's base URL for your environment (sandbox or production), e.g. \"https://api.example.com\"",
            )
        }
        Input::String(s) => s,
        other @ (Input::InvalidUnicode | Input::TooLong(_)) => {
            return Err(built(F, "base_url_invalid", &["baseUrl must be a URL, not ", other.describe()]))
        }
        other => {
            return Err(built(F, "base_url_not_string", &["baseUrl must be a string, not ", other.describe()]))
        }
    };
    check_raw_url(F, ["base_url_whitespace", "base_url_backslash"], text)?;
    let url = match urls.parse(text) {
        Ok(url) => url,
        Err(e) => {
            return Err(built(
                F,
                "base_url_invalid",
                &["baseUrl is not a valid absolute URL (", &e, "), e.g. \"https://api.example.com\""],
            ))
        }
    };
    match url.scheme.as_str() {
        "https" => {}
        "http" if urls::is_loopback(&url.hostname) => {}
        "http" => {
            return err(
                "base_url_not_https",
                "baseUrl must use https: (http: is allowed only for localhost, 127.0.0.0/8 and [::1])",
            )
        }
        _ => return err("base_url_not_https", "baseUrl must be an https: URL"),
    }
    if url.hostname.is_empty() {
        return err("base_url_invalid", "baseUrl must have a host");
    }
    if url.has_userinfo {
        return err(
            "base_url_userinfo",
            "baseUrl must not contain a user name or password: pass clientId and clientSecret instead",
        );
    }
    if urls::has_query(text) || urls::has_fragment(text) {
        return err("base_url_query", "baseUrl must not contain a ?query or #fragment");
    }
    // The parser resolves dot segments silently; refuse them in the raw text instead.
    let after_scheme = match text.as_bytes().windows(2).position(|w| w == b"//") {
        Some(i) => text.get(i + 2..).unwrap_or_default(),
        None => text.as_str(),
    };
    if let Some(slash) = after_scheme.bytes().position(|b| b == b'/') {
        let traversal = after_scheme.get(slash..).unwrap_or_default().split(&['/'][..]).any(|segment| {
            // `.` or `..`, each dot possibly written %2e or %2E.
            let s = segment.to_ascii_lowercase();
            matches!(s.as_str(), "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e.")
        });
        if traversal {
            return err("base_url_traversal", "baseUrl must not contain . or .. path segments");
        }
    }
    Ok(BaseUrl(url.href.trim_end_matches(&['/'][..]).to_owned()))
}

/// Validated options of a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret.
    pub client_secret: ClientSecret,
    /// Where the API lives.
    pub base_url: BaseUrl,
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// The limit for one attempt, in ms (default 30 000).
    pub timeout_ms: u64,
    /// The limit for a whole call with its retries, in ms (default: none).
    pub total_timeout_ms: Option<u64>,
    /// Requests per second per clientId, token requests and retries included
    /// (default 5, the API's limit; 0 turns client-side limiting off).
    pub rate_limit: u32,
}

/// The default limit for one attempt.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// The most retries one call may be given.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// The options of a client, as the caller spells them.
pub const CLIENT_OPTIONS: &[&str] = &[
    "clientId",
    "clientSecret",
    "baseUrl",
    "maxRetries",
    "timeoutMs",
    "totalTimeoutMs",
    "rateLimit",
    "rateLimiter",
    "dangerouslyAllowBrowser",
    "onRequest",
    "onResponse",
];

/// Where the client is being constructed.
#[derive(Clone, Copy)]
pub struct Environment<'a> {
    /// A browser page: a `window` and a `document` are present (not Workers,
    /// Deno, Bun or Node).
    pub browser: bool,
    /// The host's URL parser.
    pub urls: &'a dyn UrlParser,
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for Environment<'static> {
    /// A server (not a browser) parsing URLs with the `url` crate.
    fn default() -> Self {
        Environment { browser: false, urls: &urls::NativeUrls }
    }
}

fn check_integer(field: &'static str, input: &Input, min: u64, max: u64) -> Result<Option<u64>, FieldError> {
    let bad = || {
        built(
            field,
            "option_invalid",
            &[field, " must be an integer from ", &decimal(min), " to ", &decimal(max), ", or left out"],
        )
    };
    match input {
        Input::Missing | Input::Null => Ok(None),
        Input::Number(n) if is_integral(*n) && *n >= min as f64 && *n <= max as f64 => Ok(Some(*n as u64)),
        _ => Err(bad()),
    }
}

/// Validates `{ clientId, clientSecret, baseUrl, maxRetries?, timeoutMs?,
/// totalTimeoutMs?, rateLimit?, rateLimiter?, dangerouslyAllowBrowser?, onRequest?, onResponse? }`.
///
/// ```
/// use payreq::{validate_client_options, Environment, Input};
/// let options = Input::Object(vec![
///     ("clientId".into(), "id".into()),
///     ("clientSecret".into(), "s3cret".into()),
///     ("baseUrl".into(), "http://127.0.0.1:8080/".into()),
/// ]);
/// let config = validate_client_options(&options, Environment::default()).unwrap();
/// assert_eq!(config.base_url.join("/oauth/token"), "http://127.0.0.1:8080/oauth/token");
/// assert_eq!((config.max_retries, config.rate_limit), (2, 5));
/// ```
///
/// # Errors
/// Every option that fails, each naming its field. Messages never contain
/// the secret. In a browser, a secret is refused unless
/// `dangerouslyAllowBrowser: true`.
pub fn validate_client_options(input: &Input, env: Environment<'_>) -> Result<ClientConfig, ValidationErrors> {
    let mut errors = Vec::new();
    let Input::Object(fields) = input else {
        return Err(ValidationErrors(vec![built(
            "options",
            "options_not_object",
            &["client options must be an object like { clientId, clientSecret, baseUrl }, not ", input.describe()],
        )]));
    };
    unknown_fields(fields, CLIENT_OPTIONS, &mut errors);
    let client_id = match input.field("clientId") {
        Input::String(s) if !s.is_empty() && !s.chars().any(char::is_control) => Some(s.clone()),
        Input::String(_) | Input::InvalidUnicode | Input::TooLong(_) => {
            errors.push(error(
                "clientId",
                "client_id_invalid",
                "clientId must be a non-empty string without control characters",
            ));
            None
        }
        _ => {
            errors.push(error(
                "clientId",
                "client_id_missing",
                "clientId is required: the client id from the dashboard",
            ));
            None
        }
    };
    let allow_browser = match input.field("dangerouslyAllowBrowser") {
        Input::Missing | Input::Null => false,
        Input::Bool(b) => *b,
        _ => {
            errors.push(error(
                "dangerouslyAllowBrowser",
                "option_invalid",
                "dangerouslyAllowBrowser must be true or false",
            ));
            false
        }
    };
    let client_secret = match input.field("clientSecret") {
        Input::String(_) if env.browser && !allow_browser => {
            errors.push(error(
                "clientSecret",
                "secret_in_browser",
                "a client secret must never be shipped to a browser, where every visitor can read it: create payment \
                 requests on your server and use validatePaymentRequest in the page. For tests against a local \
                 sandbox only, pass dangerouslyAllowBrowser: true",
            ));
            None
        }
        Input::String(s) if !s.is_empty() => Some(ClientSecret::new(s.clone())),
        Input::InvalidUnicode | Input::TooLong(_) => {
            errors.push(error(
                "clientSecret",
                "client_secret_invalid",
                "clientSecret has a lone surrogate or is too long: copy it from the dashboard again",
            ));
            None
        }
        _ => {
            errors.push(error(
                "clientSecret",
                "client_secret_missing",
                "clientSecret is required: the client secret from the dashboard, read from a server-side secret store",
            ));
            None
        }
    };
    let base_url = check_base_url(input.field("baseUrl"), env.urls).map_err(|e| errors.push(e)).ok();
    let mut integer =
        |field, min, max| check_integer(field, input.field(field), min, max).map_err(|e| errors.push(e)).ok().flatten();
    let max_retries = integer("maxRetries", 0, u64::from(MAX_RETRIES_LIMIT)).map_or(2, |n| n as u32);
    let timeout_ms = integer("timeoutMs", 1, 600_000).unwrap_or(DEFAULT_TIMEOUT_MS);
    let total_timeout_ms = integer("totalTimeoutMs", 1, 3_600_000);
    let rate_limit = integer("rateLimit", 0, 10_000).map_or(crate::limiter::DEFAULT_LIMIT, |n| n as u32);
    for hook in ["onRequest", "onResponse"] {
        if !matches!(input.field(hook), Input::Missing | Input::Null | Input::Function) {
            errors.push(built(hook, "option_invalid", &[hook, " must be a function"]));
        }
    }
    // A shared store ({ reserve(key, nowMs), release(key, atMs) }); its methods are checked where it is used.
    if matches!(input.field("rateLimiter"), Input::Bool(_) | Input::Number(_) | Input::String(_) | Input::BigInt(_)) {
        errors.push(error(
            "rateLimiter",
            "option_invalid",
            "rateLimiter must be an object with reserve(key, nowMs) and release(key, atMs)",
        ));
    }
    match (client_id, client_secret, base_url) {
        (Some(client_id), Some(client_secret), Some(base_url)) if errors.is_empty() => Ok(ClientConfig {
            client_id,
            client_secret,
            base_url,
            max_retries,
            timeout_ms,
            total_timeout_ms,
            rate_limit,
        }),
        _ => Err(ValidationErrors(errors)),
    }
}

/// How long `waitForPayment` waits by default, in ms.
pub const DEFAULT_WAIT_MS: u64 = 300_000;

/// Validates the options of `waitForPayment`, `{ timeoutMs?, signal? }`, and
/// returns the wait in ms (default [`DEFAULT_WAIT_MS`], at most a day).
///
/// # Errors
/// Every option that fails, each naming its field.
pub fn validate_wait_options(input: &Input) -> Result<u64, ValidationErrors> {
    let mut errors = Vec::new();
    if let Input::Object(fields) = input {
        unknown_fields(fields, &["timeoutMs", "signal"], &mut errors);
    } else if !matches!(input, Input::Missing | Input::Null) {
        errors.push(error("options", "options_not_object", "waitForPayment options must be an object"));
    }
    let timeout =
        check_integer("timeoutMs", input.field("timeoutMs"), 1, 86_400_000).map_err(|e| errors.push(e)).ok().flatten();
    if errors.is_empty() {
        Ok(timeout.unwrap_or(DEFAULT_WAIT_MS))
    } else {
        Err(ValidationErrors(errors))
    }
}

/// Per-call options, each overriding the client's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// The limit for one attempt, in ms.
    pub timeout_ms: Option<u64>,
    /// The limit for the whole call with its retries, in ms.
    pub total_timeout_ms: Option<u64>,
    /// The `Idempotency-Key` of a create (a UUID v4 is drawn when absent).
    pub idempotency_key: Option<String>,
}

/// The options of `createPaymentRequest`; `getPaymentRequest` takes the same less `idempotencyKey`.
pub const CALL_OPTIONS: &[&str] = &["idempotencyKey", "signal", "maxRetries", "timeoutMs", "totalTimeoutMs"];

/// Validates per-call options `{ idempotencyKey?, signal?, maxRetries?, timeoutMs?, totalTimeoutMs? }`.
/// `signal` is checked by the caller (it must be an `AbortSignal`); here it
/// only has to be an object.
///
/// # Errors
/// Every option that fails, each naming its field.
pub fn validate_call_options(input: &Input, create: bool) -> Result<CallOptions, ValidationErrors> {
    let mut errors = Vec::new();
    let fields = match input {
        Input::Missing | Input::Null => return Ok(CallOptions::default()),
        Input::Object(fields) => fields,
        other => {
            return Err(ValidationErrors(vec![built(
                "options",
                "options_not_object",
                &["call options must be an object, not ", other.describe()],
            )]))
        }
    };
    let known = if create { CALL_OPTIONS } else { CALL_OPTIONS.get(1..).unwrap_or_default() };
    unknown_fields(fields, known, &mut errors);
    let idempotency_key = match input.field("idempotencyKey") {
        Input::Missing | Input::Null => None,
        Input::String(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)) => {
            Some(k.clone())
        }
        _ => {
            errors.push(error(
                "idempotencyKey",
                "idempotency_key_invalid",
                "idempotencyKey must be 1 to 255 printable ASCII characters without spaces, e.g. a UUID",
            ));
            None
        }
    };
    if matches!(
        input.field("signal"),
        Input::Bool(_) | Input::Number(_) | Input::String(_) | Input::BigInt(_) | Input::Function
    ) {
        errors.push(error("signal", "option_invalid", "signal must be an AbortSignal"));
    }
    let mut integer =
        |field, min, max| check_integer(field, input.field(field), min, max).map_err(|e| errors.push(e)).ok().flatten();
    let max_retries = integer("maxRetries", 0, u64::from(MAX_RETRIES_LIMIT)).map(|n| n as u32);
    let timeout_ms = integer("timeoutMs", 1, 600_000);
    let total_timeout_ms = integer("totalTimeoutMs", 1, 3_600_000);
    if errors.is_empty() {
        Ok(CallOptions { max_retries, timeout_ms, total_timeout_ms, idempotency_key })
    } else {
        Err(ValidationErrors(errors))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
