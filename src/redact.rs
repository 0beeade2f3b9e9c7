//! What the client accepts of a server's answer, and what it may say of it
//! without repeating what it must not (issue 16). A server may echo the
//! credentials it was sent (in an error body, a request id) and a platform
//! may quote a header it refused: [`scrub`] replaces each secret the client
//! holds with `[redacted]` in such a text (`Core::scrub` in `flow.rs` knows
//! the secrets; [`error`] applies it to every text of the error a call ends
//! with). Tokens must be [`is_b64token`]; a checkout URL must be a link
//! ([`is_checkout_url`]); a redirect is named by its origin only (`origin`).

use crate::prelude::*;

use crate::error::Error;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// How many bearer tokens a client remembers to scrub: the current one and
/// the last few before it (a server may echo an expired one).
pub(crate) const PAST_TOKENS: usize = 4;

/// The shortest secret [`scrub`] looks for, in bytes. A shorter one is too
/// likely to occur by chance in a platform's or a server's message (a client
/// secret "s" is in "NetworkError when attempting to fetch resource."), and
/// scrubbing it would mangle every message and drop platform errors that
/// never held it; real client secrets and tokens are far longer.
pub(crate) const MIN_SECRET_BYTES: usize = 8;

/// `text` with every occurrence of each secret (of [`MIN_SECRET_BYTES`] or
/// more) replaced by [`REDACTED`]; overlapping or adjacent occurrences become
/// one. The occurrences are found in `text` itself, so a replacement never
/// creates a match, and a match of valid UTF-8 in valid UTF-8 starts and ends
/// on character boundaries.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let bytes = text.as_bytes();
    let mut hidden = vec![false; bytes.len()];
    let mut any = false;
    for secret in secrets {
        let needle = secret.as_bytes();
        if needle.len() < MIN_SECRET_BYTES {
            continue;
        }
        let mut at = 0;
        while let Some(window) = bytes.get(at..at + needle.len()) {
            if window == needle {
                any = true;
                for h in hidden.get_mut(at..at + needle.len()).into_iter().flatten() {
                    *h = true;
                }
            }
            at += 1;
        }
    }
    if !any {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if hidden.get(i) == Some(&true) {
            out.push_str(text.get(start..i).unwrap_or_default());
            out.push_str(REDACTED);
            while hidden.get(i) == Some(&true) {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out
}

/// Applies `scrub` to every text `error` carries from outside (server
/// codes, messages, fields, request ids, redirect origins, platform details).
/// A platform error (`cause`) whose description had a secret is dropped: it
/// holds the secret too, and no scrubbing can reach into it.
pub(crate) fn error(error: &mut Error, scrub: &dyn Fn(&str) -> String) {
    let texts: [&mut Option<String>; 4] = match error {
        Error::Api(e) => [&mut e.server_code, &mut e.server_message, &mut e.field, &mut e.request_id],
        Error::Decode { detail, request_id, .. } => {
            *detail = scrub(detail);
            return self::error_texts([request_id], scrub);
        }
        Error::Network { detail, cause, .. } => {
            let clean = scrub(detail);
            if clean != *detail {
                *cause = None;
            }
            *detail = clean;
            return;
        }
        Error::OutcomeUnknown { source, .. } => return self::error(source, scrub),
        _ => return,
    };
    error_texts(texts, scrub);
}

fn error_texts<const N: usize>(texts: [&mut Option<String>; N], scrub: &dyn Fn(&str) -> String) {
    for text in texts.into_iter().flatten() {
        *text = scrub(text);
    }
}

/// Whether `token` is an RFC 6750 `b64token`:
/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. Any
/// other token could not be sent as `Bearer <token>` (a CR, LF or NUL
/// breaks the header, and the platform's error quotes it) or is not one.
pub(crate) fn is_b64token(token: &str) -> bool {
    let bytes = token.as_bytes();
    let end = bytes.iter().position(|&b| b == b'=').unwrap_or(bytes.len());
    let (body, padding) = (bytes.get(..end).unwrap_or_default(), bytes.get(end..).unwrap_or_default());
    !body.is_empty()
        && body.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
        && padding.iter().all(|&b| b == b'=')
}

/// Printable ASCII without space or backslash: what a URL serializer emits
/// (WHATWG's `href` is ASCII), and nothing a URL parser would strip, remove
/// or read as a separator before it reads the scheme.
fn plain(text: &str) -> bool {
    text.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\')
}

/// Whether `text` may reach the caller as the checkout link: an absolute
/// `https:` URL, or `http:` on a loopback host (`localhost`, 127.0.0.0/8,
/// `[::1]`: the sandbox), written plainly ([`plain`]). Checked on the text
/// itself, without a URL parser: whatever a parser does with such a text, its
/// scheme is the one it starts with, so a `javascript:` or `data:` URL can
/// never pass.
pub(crate) fn is_checkout_url(text: &str) -> bool {
    let starts = |prefix: &str| text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    if !plain(text) {
        return false;
    }
    if starts("https://") {
        return text.len() > "https://".len();
    }
    let authority = text.get("http://".len()..).unwrap_or_default().split(&['/', '?', '#'][..]).next();
    let authority = authority.filter(|_| starts("http://")).unwrap_or_default();
    // The host, without a `:port` of digits (`[::1]` has colons of its own).
    let host = match authority.bytes().rposition(|b| b == b':') {
        Some(i) if authority.bytes().skip(i + 1).all(|b| b.is_ascii_digit()) => authority.get(..i).unwrap_or_default(),
        _ => authority,
    };
    !crate::text::has_byte(authority, b'@') && crate::urls::is_loopback(host)
}

/// The origin (`scheme://host[:port]`) of an absolute URL, without a user
/// name or password, path, query or fragment; empty when `url` is not an
/// absolute `scheme://` URL. What an error may say of a redirect's
/// `Location`, whose path and query may carry secrets. (In wasm, `js/core.js`
/// passes the host `URL`'s exact `origin` instead: this is for Rust transports.)
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn origin(url: &str) -> String {
    let url = crate::text::trim(url);
    let bytes = url.as_bytes();
    let Some(scheme_end) = (0..bytes.len()).find(|&i| bytes.get(i..i + 3) == Some(b"://")) else {
        return String::new();
    };
    let rest = url.get(scheme_end + 3..).unwrap_or_default();
    let authority = rest.split(&['/', '?', '#', '\\'][..]).next().unwrap_or_default();
    let at = authority.bytes().rposition(|b| b == b'@').map_or(0, |i| i + 1);
    let host = authority.get(at..).unwrap_or_default();
    let scheme = url.get(..scheme_end).unwrap_or_default();
    if !plain(scheme) || !plain(host) || host.is_empty() {
        return String::new();
    }
    crate::text::cat(&[scheme, "://", host])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_replaced_once_per_run() {
        let secrets = ["tripwire-s3cret", "dHJpcHdpcmU=", "tok-8byte"];
        assert_eq!(scrub("no secret here", &secrets), "no secret here");
        assert_eq!(scrub("a tripwire-s3cret b", &secrets), "a [redacted] b");
        assert_eq!(scrub("tripwire-s3crettripwire-s3cret", &secrets), "[redacted]");
        assert_eq!(scrub("Basic dHJpcHdpcmU=,tok-8byte.tok-8byte", &secrets), "Basic [redacted],[redacted].[redacted]");
        // Overlapping secrets, non-ASCII around them.
        assert_eq!(scrub("ütripwire-s3cret-tokü", &["tripwire-s3cret", "cret-tok"]), "ü[redacted]ü");
        assert_eq!(scrub("", &secrets), "");
        assert_eq!(scrub("redacted", &["[redacted]", "redacted"]), "[redacted]");
        // Shorter than MIN_SECRET_BYTES (or empty): not looked for.
        let message = "NetworkError when attempting to fetch resource.";
        assert_eq!(scrub(message, &["s", "YTpz", "", "resourc"]), message);
    }

    #[test]
    fn errors_are_scrubbed_and_a_cause_that_held_a_secret_is_dropped() {
        use crate::error::{Cause, Operation};
        let scrub = |t: &str| scrub(t, &["tripwire-tok"]);
        let network = |detail: &str| Error::Network {
            operation: Operation::GetPaymentRequest,
            detail: detail.to_owned(),
            cause: Some(Cause(Box::new(1u8))),
        };
        let mut leaky = Error::OutcomeUnknown {
            idempotency_key: "k".to_owned(),
            source: Box::new(network("invalid header value: Bearer tripwire-tok\r\n")),
        };
        error(&mut leaky, &scrub);
        let Error::OutcomeUnknown { source, .. } = leaky else { unreachable!() };
        let Error::Network { detail, cause, .. } = *source else { unreachable!() };
        assert_eq!((detail.as_str(), cause.is_none()), ("invalid header value: Bearer [redacted]\r\n", true));
        let mut clean = network("fetch failed (ECONNREFUSED)");
        error(&mut clean, &scrub);
        assert!(matches!(clean, Error::Network { cause: Some(_), .. }), "a clean cause is kept");
    }

    #[test]
    fn b64tokens() {
        for yes in ["abc", "a-b.c_d~e+f/g", "abc==", "A1=", "eyJhbGciOi.eyJzdWIiOi.c2ln"] {
            assert!(is_b64token(yes), "{yes}");
        }
        for no in ["", "=", "==abc", "ab=c", "a b", "a\r\nb", "a\nb", "a\0b", "tök", "a,b", "a\"b", "a\tb", " ab"] {
            assert!(!is_b64token(no), "{no:?}");
        }
    }

    #[test]
    fn checkout_urls() {
        for yes in [
            "https://pay.example/checkout/1",
            "HTTPS://pay.example",
            "http://127.0.0.1:8080/checkout/1",
            "http://localhost/checkout",
            "http://[::1]:9/x",
            "http://127.9.9.9?x",
        ] {
            assert!(is_checkout_url(yes), "{yes}");
        }
        for no in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,x",
            "http://evil.example/",
            "http://127.0.0.1.evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://evil.example\\@127.0.0.1/",
            "http://127.0.0.1:80x/",
            "https://",
            " https://pay.example",
            "https://pay.example/ x",
            "//pay.example",
            "",
        ] {
            assert!(!is_checkout_url(no), "{no:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn origins_only() {
        assert_eq!(origin("https://evil.example:8443/a/tripwire-x?token=tripwire-y#f"), "https://evil.example:8443");
        assert_eq!(origin("https://user:tripwire-pw@evil.example/x"), "https://evil.example");
        assert_eq!(origin("http://[::1]:9"), "http://[::1]:9");
        for none in ["/relative/tripwire-x", "", "null", "https://", "javascript:alert(1)"] {
            assert_eq!(origin(none), "", "{none}");
        }
    }
}
