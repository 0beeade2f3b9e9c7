//! UUIDs: parsing ids in any case into their canonical lower-case form.

use crate::prelude::*;

/// Parses a UUID in the hyphenated form (`8-4-4-4-12` hex digits, any case)
/// and returns its canonical lower-case form, or `None`.
pub(crate) fn canonical(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut out = String::with_capacity(36);
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            out.push('-');
        } else if b.is_ascii_hexdigit() {
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            return None;
        }
    }
    Some(out)
}

/// A version 4 (random) UUID from 16 random bytes, lower-case hyphenated.
pub(crate) fn v4(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{canonical, v4};

    #[test]
    fn v4_sets_version_and_variant() {
        assert_eq!(v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(canonical(&v4([0xa5; 16])).as_deref(), Some(v4([0xa5; 16]).as_str()));
    }

    #[test]
    fn canonicalises_any_case() {
        assert_eq!(
            canonical("3F2504E0-4F89-41D3-9A0C-0305E82C3301").as_deref(),
            Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
        );
        assert_eq!(
            canonical("3f2504e0-4f89-41d3-9a0c-0305e82c3301").as_deref(),
            Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "..",
            "%2e%2e",
            "a/b",
            "x?y",
            "3f2504e0-4f89-41d3-9a0c-0305e82c330",
            "3f2504e0-4f89-41d3-9a0c-0305e82c33011",
            "3f2504e04f8941d39a0c0305e82c3301",
            "3f2504e0_4f89_41d3_9a0c_0305e82c3301",
            "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
            "../../../oauth/token/aaaaaaaaaaaaaaaa",
            "3f2504e0-4f89-41d3-9a0c-0305e82c33/1",
            "{3f2504e0-4f89-41d3-9a0c-0305e82c33}",
            "3f2504e0-4f89-41d3-9a0c-0305e82c33é",
        ] {
            assert_eq!(canonical(bad), None, "accepted {bad:?}");
        }
    }
}
