//! The OAuth2 client-credentials exchange: the Basic header and the token cache.

use crate::prelude::*;

use crate::json::Value;
use crate::secret::{AccessToken, ClientSecret};

/// Lifetime assumed when a token response has no usable `expires_in`.
pub const DEFAULT_TOKEN_TTL_MS: u64 = 300_000;
/// How long before its expiry a cached token is replaced.
pub const REFRESH_SKEW_MS: u64 = 30_000;

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, per RFC 6749 §2.3.1.
pub(crate) fn basic_header(client_id: &str, secret: &ClientSecret) -> String {
    let mut credentials = form_urlencode(client_id);
    credentials.push(':');
    credentials.push_str(&form_urlencode(secret.expose()));
    let mut header = String::from("Basic ");
    base64_into(&mut header, credentials.as_bytes());
    header
}

/// application/x-www-form-urlencoded: unreserved bytes stay, space is `+`,
/// everything else is `%XX` of its UTF-8 bytes.
pub(crate) fn form_urlencode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

fn base64_into(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// A token and when to stop using it.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) token: AccessToken,
    /// Replace the token at or after this instant (ms since epoch).
    pub(crate) refresh_at_ms: u64,
}

impl CachedToken {
    pub(crate) fn is_fresh(&self, now_ms: u64) -> bool {
        now_ms < self.refresh_at_ms
    }
}

/// Why a token response is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenDecodeError {
    NotAnObject,
    MissingAccessToken,
    /// Not an RFC 6750 `b64token` (never quoted: it may be a secret).
    InvalidAccessToken,
    WrongTokenType(String),
}

impl TokenDecodeError {
    pub(crate) fn message(&self) -> String {
        match self {
            Self::NotAnObject => "the token response is not a JSON object".to_owned(),
            Self::MissingAccessToken => "the token response has no access_token string".to_owned(),
            Self::InvalidAccessToken => {
                "the access_token has characters a bearer token cannot have (RFC 6750 b64token); it was not used"
                    .to_owned()
            }
            Self::WrongTokenType(t) => crate::text::cat(&["token_type is \"", t, "\", expected \"Bearer\""]),
        }
    }
}

impl core::fmt::Display for TokenDecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Reads `{access_token, token_type, expires_in}` tolerantly: `token_type`
/// compared case-insensitively (and assumed Bearer when absent), `expires_in`
/// a number or a numeric string, missing or unusable meaning the default.
pub(crate) fn decode_token(body: &Value, now_ms: u64) -> Result<CachedToken, TokenDecodeError> {
    if !matches!(body, Value::Object(_)) {
        return Err(TokenDecodeError::NotAnObject);
    }
    let token = match body.get("access_token").and_then(Value::as_str) {
        Some(t) if crate::redact::is_b64token(t) => AccessToken::new(t),
        Some(t) if !t.is_empty() => return Err(TokenDecodeError::InvalidAccessToken),
        _ => return Err(TokenDecodeError::MissingAccessToken),
    };
    if let Some(token_type) = body.get("token_type").and_then(Value::as_str) {
        if !token_type.eq_ignore_ascii_case("bearer") {
            // Quoted only when short: a clipped quote could hold part of a
            // secret, which only a whole one is scrubbed.
            let quoted = if token_type.len() <= 32 { token_type } else { "(a long text)" };
            return Err(TokenDecodeError::WrongTokenType(quoted.to_owned()));
        }
    }
    let ttl_ms = match body.get("expires_in") {
        Some(Value::Number(n) | Value::String(n)) => parse_seconds(n).map(|s| s.saturating_mul(1000)),
        _ => None,
    }
    .filter(|ms| *ms > 0)
    .unwrap_or(DEFAULT_TOKEN_TTL_MS);
    // Refresh a skew before expiry, but never spend more than half a short lifetime on it.
    let skew = REFRESH_SKEW_MS.min(ttl_ms / 2);
    Ok(CachedToken { token, refresh_at_ms: now_ms.saturating_add(ttl_ms - skew) })
}

/// Whole seconds from `"3600"`, `"3600.0"` or `" 3600 "`; fractions are dropped.
fn parse_seconds(text: &str) -> Option<u64> {
    let text = crate::text::trim(text);
    let whole =
        text.split_once(&['.'][..])
            .map_or(text, |(w, frac)| if frac.bytes().all(|b| b.is_ascii_digit()) { w } else { "x" });
    whole.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn basic_header_encodes_each_part_before_base64() {
        // RFC 6749 §2.3.1: form-urlencode id and secret, join with ':', base64.
        let header = basic_header("client id", &ClientSecret::new("s3:cr%t+ü"));
        assert_eq!(header, "Basic Y2xpZW50K2lkOnMzJTNBY3IlMjV0JTJCJUMzJUJD");
        assert_eq!(form_urlencode("s3:cr%t+ü"), "s3%3Acr%25t%2B%C3%BC");
        assert_eq!(basic_header("a", &ClientSecret::new("b")), "Basic YTpi");
    }

    #[test]
    fn base64_pads_correctly() {
        for (input, expected) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")]
        {
            let mut out = String::new();
            base64_into(&mut out, input.as_bytes());
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn token_responses_are_read_tolerantly() {
        let now = 1_000_000;
        let t = decode_token(&parse(r#"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#).unwrap(), now)
            .unwrap();
        assert_eq!(t.token.expose(), "abc");
        assert_eq!(t.refresh_at_ms, now + 3_600_000 - REFRESH_SKEW_MS);
        let s =
            decode_token(&parse(r#"{"access_token":"abc","token_type":"BEARER","expires_in":"120"}"#).unwrap(), now)
                .unwrap();
        assert_eq!(s.refresh_at_ms, now + 120_000 - REFRESH_SKEW_MS);
        let missing = decode_token(&parse(r#"{"access_token":"abc"}"#).unwrap(), now).unwrap();
        assert_eq!(missing.refresh_at_ms, now + DEFAULT_TOKEN_TTL_MS - REFRESH_SKEW_MS);
        let garbage = decode_token(&parse(r#"{"access_token":"abc","expires_in":"soon"}"#).unwrap(), now).unwrap();
        assert_eq!(garbage.refresh_at_ms, missing.refresh_at_ms);
        let short = decode_token(&parse(r#"{"access_token":"abc","expires_in":10}"#).unwrap(), now).unwrap();
        assert_eq!(short.refresh_at_ms, now + 5_000);
        assert!(short.is_fresh(now + 4_999) && !short.is_fresh(now + 5_000));
        let float = decode_token(&parse(r#"{"access_token":"abc","expires_in":60.5}"#).unwrap(), now).unwrap();
        assert_eq!(float.refresh_at_ms, now + 30_000);
    }

    #[test]
    fn unusable_token_responses_are_errors() {
        assert_eq!(decode_token(&parse("[]").unwrap(), 0).unwrap_err(), TokenDecodeError::NotAnObject);
        assert_eq!(
            decode_token(&parse(r#"{"token_type":"Bearer"}"#).unwrap(), 0).unwrap_err(),
            TokenDecodeError::MissingAccessToken
        );
        assert_eq!(
            decode_token(&parse(r#"{"access_token":""}"#).unwrap(), 0).unwrap_err(),
            TokenDecodeError::MissingAccessToken
        );
        assert!(matches!(
            decode_token(&parse(r#"{"access_token":"a","token_type":"mac"}"#).unwrap(), 0),
            Err(TokenDecodeError::WrongTokenType(_))
        ));
        for bad in [r"tripwire-a b", r"tripwire-a\r\nb", r"tripwire-a\u0000", r"tripwire-\u00e4", "tripwire-a,b"] {
            let body = parse(&format!(r#"{{"access_token":"{bad}","token_type":"Bearer"}}"#)).unwrap();
            let error = decode_token(&body, 0).unwrap_err();
            assert_eq!(error, TokenDecodeError::InvalidAccessToken, "{bad}");
            assert!(!error.message().contains("tripwire"));
        }
    }
}
