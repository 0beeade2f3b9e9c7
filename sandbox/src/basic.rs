//! HTTP Basic client authentication (RFC 6749 §2.3.1) and `application/x-www-form-urlencoded` decoding.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Decodes an `Authorization: Basic ...` header value into `(client_id, client_secret)`.
///
/// The credentials are base64-decoded, split on the FIRST `:`, and each part is then
/// form-urldecoded (`+` is a space, `%XX` a byte) and must be UTF-8. Returns `None` for
/// anything malformed.
pub fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let id = form_urldecode(&decoded[..colon])?;
    let secret = form_urldecode(&decoded[colon + 1..])?;
    Some((id, secret))
}

/// Decodes one `application/x-www-form-urlencoded` component. Returns `None` for a malformed
/// `%` escape or a result that is not UTF-8.
pub fn form_urldecode(input: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_val(*input.get(i + 1)?)?;
                let lo = hex_val(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a form body into name/value pairs; `None` if any component is malformed.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            Some((form_urldecode(name)?, form_urldecode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(raw)).into_bytes()
    }

    #[test]
    fn decodes_each_part_after_splitting_on_first_colon() {
        let got = parse_basic(&basic("my%3Aid:s3%3Acr%25t%2B%C3%BC+x"));
        assert_eq!(got, Some(("my:id".to_owned(), "s3:cr%t+ü x".to_owned())));
        assert_eq!(parse_basic(&basic("a:b:c")), Some(("a".to_owned(), "b:c".to_owned())));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(parse_basic(b"Bearer abc"), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        assert_eq!(parse_basic(&basic("nocolon")), None);
        assert_eq!(parse_basic(&basic("a:%zz")), None);
        assert_eq!(parse_basic(&basic("a:%C3")), None);
    }

    #[test]
    fn parses_forms() {
        assert_eq!(
            parse_form(b"grant_type=client_credentials&x=a+b"),
            Some(vec![("grant_type".into(), "client_credentials".into()), ("x".into(), "a b".into())])
        );
        assert_eq!(parse_form(b"a=%"), None);
    }
}
