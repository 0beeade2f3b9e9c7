//! What the client may say of a server's answer without repeating what it
//! must not (issue 16): here, the origin of a redirect's `Location`.

use crate::prelude::*;

/// Printable ASCII without space or backslash: what a URL serializer emits
/// (WHATWG's `href` is ASCII), and nothing a URL parser would strip, remove
/// or read as a separator before it reads the scheme.
fn plain(text: &str) -> bool {
    text.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\')
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
    fn origins_only() {
        assert_eq!(origin("https://evil.example:8443/a/tripwire-x?token=tripwire-y#f"), "https://evil.example:8443");
        assert_eq!(origin("https://user:tripwire-pw@evil.example/x"), "https://evil.example");
        assert_eq!(origin("http://[::1]:9"), "http://[::1]:9");
        for none in ["/relative/tripwire-x", "", "null", "https://", "javascript:alert(1)"] {
            assert_eq!(origin(none), "", "{none}");
        }
    }
}
