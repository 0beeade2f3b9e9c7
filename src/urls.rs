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

#[cfg(not(target_arch = "wasm32"))]
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

/// A URL as `js/objects.js` `parseUrl` writes it: `1` or `0` (whether it has
/// a user name or password), the protocol with its colon, the hostname, a
/// space and the href; or `!` and the parser's message, `?` for none.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn decode_parsed(text: &str) -> Result<ParsedUrl, String> {
    let (flag, rest) = text.split_at_checked(1).unwrap_or(("?", ""));
    match flag {
        "0" | "1" => {}
        "!" => return Err(rest.to_owned()),
        _ => return Err("invalid URL".to_owned()),
    }
    // The protocol ends at the first colon, the hostname at the first space.
    let (scheme, rest) = rest.split_once(&[':'][..]).unwrap_or_default();
    let (hostname, href) = rest.split_once(&[' '][..]).unwrap_or_default();
    Ok(ParsedUrl {
        href: href.to_owned(),
        scheme: scheme.to_owned(),
        has_userinfo: flag == "1",
        hostname: hostname.to_owned(),
    })
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
    fn decodes_what_parse_url_writes() {
        let p = decode_parsed("0https:shop.example https://shop.example/a b?x=1:2").unwrap();
        assert_eq!(p.href, "https://shop.example/a b?x=1:2");
        assert_eq!((p.scheme.as_str(), p.has_userinfo, p.hostname.as_str()), ("https", false, "shop.example"));
        let p = decode_parsed("1https:[::1] https://u:p@[::1]:8443/").unwrap();
        assert_eq!((p.scheme.as_str(), p.has_userinfo, p.hostname.as_str()), ("https", true, "[::1]"));
        assert_eq!(p.href, "https://u:p@[::1]:8443/");
        let p = decode_parsed("0file: file:///tmp/x").unwrap();
        assert_eq!((p.scheme.as_str(), p.hostname.as_str(), p.href.as_str()), ("file", "", "file:///tmp/x"));
        assert_eq!(decode_parsed("!Invalid URL"), Err("Invalid URL".to_owned()));
        assert_eq!(decode_parsed("!"), Err(String::new()));
        for bad in ["?", "", "x", "é"] {
            assert_eq!(decode_parsed(bad), Err("invalid URL".to_owned()), "{bad:?}");
        }
        // Ill-formed (parseUrl never writes these): empty parts, not a panic.
        for odd in ["0https:host-without-href", "0 https", "0"] {
            let p = decode_parsed(odd).unwrap();
            assert!(p.href.is_empty() || p.hostname.is_empty(), "{odd:?}");
        }
    }
}
