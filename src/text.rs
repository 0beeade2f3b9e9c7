//! Text without `core::fmt`. Every message of the SDK is built by concatenation ([`cat`],
//! [`decimal`]), so the wasm build carries no format machinery for them (issue 6: bytes are paid
//! for on every isolate). A check, not a convention: `clippy.toml` disallows `format!`,
//! `to_string()`, `write!` to a `String`, `assert_eq!` and the print macros in the library.
//!
//! Likewise, but not linted, to keep generic std paths out of the wasm: a string is split or
//! searched with a `&[char]` pattern (`s.split(&['.'][..])`), which shares one searcher, never
//! with a `char` (its searcher links `memchr`); a text is clipped with [`clip`]; a list is joined
//! by a loop, not `join`; and a slice of a `str` is taken with `get`, since `&s[..i]`'s panic path
//! links core's formatter (+3.6 KB).

use crate::prelude::*;

/// `parts`, concatenated.
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `s.to_owned()` in one call to the allocator, not through `Vec`'s layers of
/// generic code (each a call in the size-optimised wasm): for the strings
/// made on every validation (the snapshot's keys and texts, a URL's parts).
pub(crate) fn owned(s: &str) -> String {
    let len = s.len();
    if len == 0 {
        return String::new();
    }
    let layout = core::alloc::Layout::for_value(s);
    // SAFETY: `layout` is `len` (not 0) bytes aligned to 1, as `String`
    // allocates them; the block, once allocated, holds a copy of `s` (UTF-8)
    // and is owned by the `String` alone, its capacity `len`.
    unsafe {
        let block = alloc::alloc::alloc(layout);
        if block.is_null() {
            alloc::alloc::handle_alloc_error(layout);
        }
        core::ptr::copy_nonoverlapping(s.as_ptr(), block, len);
        String::from_raw_parts(block, len, len)
    }
}

/// The decimal digits of `n`.
pub(crate) fn decimal(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(digits.len() - i);
    for &d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(d));
    }
    out
}

/// The first `n` characters of `s` (all of it if shorter), owned: one
/// function for every clipped text instead of a `chars().take(n).collect()`
/// each. (`get`, not `&s[..end]`: a slice's panic path links core's formatter.)
pub(crate) fn clip(s: &str, n: usize) -> String {
    s.char_indices().nth(n).and_then(|(end, _)| s.get(..end)).unwrap_or(s).to_owned()
}

/// `s.trim()` (Unicode white space at both ends), in one forward pass:
/// `str::trim` walks back from the end, which links a reverse UTF-8 decoder.
pub(crate) fn trim(s: &str) -> &str {
    let mut start = None;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if !c.is_whitespace() {
            start.get_or_insert(i);
            end = i + c.len_utf8();
        }
    }
    s.get(start.unwrap_or(0)..end).unwrap_or_default()
}

/// Appends `n` as exactly four lower-case hex digits (`n` < 0x10000).
pub(crate) fn push_hex4(out: &mut String, n: u32) {
    for shift in [12, 8, 4, 0] {
        out.push(char::from(b"0123456789abcdef"[((n >> shift) & 0xf) as usize]));
    }
}

/// The number of Unicode scalar values in `s` (the bytes that do not
/// continue a UTF-8 sequence).
pub(crate) fn char_count(s: &str) -> usize {
    s.bytes().filter(|b| b & 0xc0 != 0x80).count()
}

/// Whether `s` holds the ASCII character `b`: a byte loop, where a `char`
/// search makes a searcher call per char in the size-optimised wasm.
pub(crate) fn has_byte(s: &str, b: u8) -> bool {
    s.bytes().any(|x| x == b)
}

/// snake_case to camelCase: `redirect_url` to `redirectUrl`. Only ASCII
/// letters change case (every name the API or the SDK uses is ASCII).
pub(crate) fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_the_formatter() {
        for n in [0, 1, 9, 10, 99, 100, 1_999, 65_535, u64::from(u32::MAX), i64::MAX as u64, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn owned_copies_exactly() {
        for s in ["", "a", "https://shop.example/return", "ünï 😀"] {
            let o = owned(s);
            assert_eq!((o.as_str(), o.capacity()), (s, s.len()));
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(cat(&["a", "", "bc", "d"]), "abcd");
        let mut s = String::new();
        push_hex4(&mut s, 0x1f);
        push_hex4(&mut s, 0xbeef);
        assert_eq!(s, "001fbeef");
        assert_eq!(char_count("aé€😀"), 4);
        assert!(has_byte("a\\b", b'\\') && has_byte("é#", b'#') && !has_byte("é", b'#') && !has_byte("", b'#'));
        assert_eq!(snake_to_camel("redirect_url"), "redirectUrl");
        assert_eq!(snake_to_camel("a__b_"), "aB");
        assert_eq!(snake_to_camel("referenceId"), "referenceId");
        for s in ["", " ", "a", " a ", "\u{a0}120\u{2003}", "\t\n x y \r\n", "é ", " \u{3000}"] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }
}
