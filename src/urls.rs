//! URL parsing belongs to the host: the WHATWG `URL` class in every JS runtime
//! (so the wasm carries no URL parser or IDNA tables), the `url` crate (the
//! same WHATWG rules) natively. Validation reads only what is here.

use crate::prelude::*;

/// What validation needs of a parsed absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    /// The parser's serialisation (WHATWG `href`).
    pub href: String,
    /// The scheme without its colon, lower-case: `https`.
    pub scheme: String,
    /// Whether a user name or password is present.
    pub has_userinfo: bool,
    /// The serialised host: a lower-case domain (punycode), a dotted IPv4
    /// address, a bracketed IPv6 address, or empty.
    pub hostname: String,
}

/// Parses absolute URLs by the WHATWG URL Standard.
pub trait UrlParser {
    /// Parses `text`.
    ///
    /// # Errors
    /// The parser's reason when `text` is not a valid absolute URL.
    fn parse(&self, text: &str) -> Result<ParsedUrl, String>;
}

/// The `url` crate, for native builds and tests.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeUrls;

// Native only, never in the wasm: the `url` crate's error is formatted (clippy.toml).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_methods)]
impl UrlParser for NativeUrls {
    fn parse(&self, text: &str) -> Result<ParsedUrl, String> {
        let url = url::Url::parse(text).map_err(|e| e.to_string())?;
        Ok(ParsedUrl {
            scheme: url.scheme().to_owned(),
            has_userinfo: !url.username().is_empty() || url.password().is_some(),
            hostname: url.host_str().unwrap_or_default().to_owned(),
            href: url.into(),
        })
    }
}

/// A URL of `text` as `js/objects.js` `parseUrl` gives it: `returned` is
/// its href, empty when that is `text`, and `at` holds 1 when it has a user
/// name or password (else 0), the length of its scheme, and where its
/// hostname starts in the href and its length; or `at[0]` is 2 and
/// `returned` is the parser's message. Positions out of range read as empty
/// parts, never as a panic.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn decode_parsed(text: &str, returned: String, at: [f64; 4]) -> Result<ParsedUrl, String> {
    if at[0] == 2.0 {
        return Err(returned);
    }
    let href = if returned.is_empty() { crate::text::owned(text) } else { returned };
    let part = |start: f64, len: f64| {
        let start = start as usize;
        crate::text::owned(href.get(start..start.saturating_add(len as usize)).unwrap_or_default())
    };
    Ok(ParsedUrl { scheme: part(0.0, at[1]), has_userinfo: at[0] == 1.0, hostname: part(at[2], at[3]), href })
}

/// `localhost`, 127.0.0.0/8 or `[::1]`, on a serialised host.
pub(crate) fn is_loopback(hostname: &str) -> bool {
    if hostname.eq_ignore_ascii_case("localhost") || hostname == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = hostname.split(&['.'][..]).collect();
    octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| o.parse::<u8>().is_ok())
}

/// Whether the raw text has a `#`: in a URL without whitespace or
/// backslashes, the first one always starts the fragment.
pub(crate) fn has_fragment(raw: &str) -> bool {
    crate::text::has_byte(raw, b'#')
}

/// Whether the raw text has a `?` before any fragment: a query, even an empty one.
pub(crate) fn has_query(raw: &str) -> bool {
    raw.split(&['#'][..]).next().is_some_and(|before| before.contains(&['?'][..]))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in ["localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "[::1]"] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in ["localhost.evil.example", "128.0.0.1", "127.0.0", "127.0.0.256", "[::2]", "", "127.0.0.1.nip.io"] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn native_parser_normalises_like_whatwg() {
        let p = NativeUrls.parse("HTTPS://u@Bücher.Example:443/a/../b?q#f").unwrap();
        assert_eq!(p.href, "https://u@xn--bcher-kva.example/b?q#f");
        assert_eq!((p.scheme.as_str(), p.has_userinfo, p.hostname.as_str()), ("https", true, "xn--bcher-kva.example"));
        assert_eq!(NativeUrls.parse("http://2130706433/").unwrap().hostname, "127.0.0.1");
        assert!(NativeUrls.parse("/relative").is_err());
        assert!(has_query("https://a/?") && !has_query("https://a/#?") && has_fragment("https://a/#"));
    }

    #[test]
    fn decodes_what_parse_url_gives() {
        let text = "https://shop.example/return";
        let p = decode_parsed(text, String::new(), [0.0, 5.0, 8.0, 12.0]).unwrap();
        assert_eq!(
            p,
            ParsedUrl {
                href: text.into(),
                scheme: "https".into(),
                has_userinfo: false,
                hostname: "shop.example".into()
            }
        );
        let p =
            decode_parsed("https://u:p@[::1]:8443", "https://u:p@[::1]:8443/".into(), [1.0, 5.0, 12.0, 5.0]).unwrap();
        assert_eq!((p.scheme.as_str(), p.has_userinfo, p.hostname.as_str()), ("https", true, "[::1]"));
        assert_eq!(p.href, "https://u:p@[::1]:8443/");
        let p = decode_parsed("file:///tmp/x", String::new(), [0.0, 4.0, 0.0, 0.0]).unwrap();
        assert_eq!((p.scheme.as_str(), p.hostname.as_str(), p.href.as_str()), ("file", "", "file:///tmp/x"));
        assert_eq!(decode_parsed("x", "Invalid URL".into(), [2.0, 0.0, 0.0, 0.0]), Err("Invalid URL".to_owned()));
        // Out of range (parseUrl never writes these): empty parts, not a panic.
        for at in
            [[0.0, 99.0, 0.0, 0.0], [0.0, 5.0, 1e300, 3.0], [0.0, 5.0, 8.0, f64::INFINITY], [0.0, -1.0, f64::NAN, -3.0]]
        {
            let p = decode_parsed(text, String::new(), at).unwrap();
            assert!(p.scheme.is_empty() || p.hostname.is_empty(), "{at:?}");
        }
        let p = decode_parsed("é", String::new(), [0.0, 1.0, 0.0, 1.0]).unwrap();
        assert_eq!((p.scheme.as_str(), p.hostname.as_str()), ("", ""), "not a char boundary");
    }
}
