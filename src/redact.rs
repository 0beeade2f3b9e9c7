//! What the client accepts of a server's answer, and what it may say of it
//! without repeating what it must not (issue 16): a checkout URL that is a
//! link ([`is_checkout_url`]), the origin of a redirect's `Location`.

// (In wasm only `origin` needs it, and it is native only.)
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use crate::prelude::*;

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
