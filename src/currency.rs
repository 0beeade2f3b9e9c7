//! ISO 4217 lookups over the generated table in `currency_data.rs`.
//!
//! The generated slices are read at compile time only: lookups run over the
//! same lists packed into byte arrays (3 bytes a code), because a `&str` in
//! a static table costs the wasm 8 more bytes of pointer and length, which
//! made the lists ~5 KB of data instead of ~1.4 KB (issue 6).

use crate::currency_data::{ACTIVE, NO_MINOR_UNIT, WITHDRAWN};

/// What the ISO 4217 list says about an upper-case three-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Active: the code (static, upper-case) and its number of minor-unit digits.
    Active(&'static str, u8),
    /// Active but without a minor unit (metals, XDR, XTS, XXX, ...).
    NoMinorUnit,
    /// Withdrawn, with its successor where one exists.
    Withdrawn(Option<&'static str>),
    /// Not on the list.
    Unknown,
}

type Code = [u8; 3];

/// No successor.
const NONE: Code = [0; 3];

const fn code(text: &str) -> Code {
    let b = text.as_bytes();
    assert!(b.len() == 3, "an ISO 4217 code has three letters");
    assert!(b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase(), "upper-case ASCII");
    [b[0], b[1], b[2]]
}

static ACTIVE_CODES: [Code; ACTIVE.len()] = {
    let mut out = [NONE; ACTIVE.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = code(ACTIVE[i].0);
        i += 1;
    }
    out
};

static EXPONENTS: [u8; ACTIVE.len()] = {
    let mut out = [0; ACTIVE.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = ACTIVE[i].1;
        i += 1;
    }
    out
};

static NO_MINOR_UNIT_CODES: [Code; NO_MINOR_UNIT.len()] = {
    let mut out = [NONE; NO_MINOR_UNIT.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = code(NO_MINOR_UNIT[i]);
        i += 1;
    }
    out
};

static WITHDRAWN_CODES: [Code; WITHDRAWN.len()] = {
    let mut out = [NONE; WITHDRAWN.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = code(WITHDRAWN[i].0);
        i += 1;
    }
    out
};

/// The successor of each withdrawn code, three bytes each (`\0\0\0`: none).
const SUCCESSOR_BYTES: [u8; 3 * WITHDRAWN.len()] = {
    let mut out = [0; 3 * WITHDRAWN.len()];
    let mut i = 0;
    while i < WITHDRAWN.len() {
        if let Some(successor) = WITHDRAWN[i].1 {
            let c = code(successor);
            out[3 * i] = c[0];
            out[3 * i + 1] = c[1];
            out[3 * i + 2] = c[2];
        }
        i += 1;
    }
    out
};

/// The same as text, checked at compile time (no UTF-8 validation in the wasm).
static SUCCESSORS: &str = match core::str::from_utf8(&SUCCESSOR_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("ISO 4217 codes are ASCII"),
};

/// A code as one integer that sorts as the code does: searching compares
/// integers instead of calling `memcmp` per probe (slow in the wasm).
fn number(code: &Code) -> u32 {
    u32::from_be_bytes([0, code[0], code[1], code[2]])
}

fn find(table: &[Code], key: u32) -> Result<usize, usize> {
    table.binary_search_by_key(&key, number)
}

/// What the list says about a three-letter code, in any case.
pub(crate) fn lookup(code: &str) -> Lookup {
    let Ok(key) = Code::try_from(code.as_bytes()) else {
        return Lookup::Unknown;
    };
    let key = number(&key.map(|b| b.to_ascii_uppercase()));
    if let Ok(i) = find(&ACTIVE_CODES, key) {
        // SAFETY: every code is three ASCII letters (checked at compile time).
        return Lookup::Active(unsafe { core::str::from_utf8_unchecked(&ACTIVE_CODES[i]) }, EXPONENTS[i]);
    }
    if find(&NO_MINOR_UNIT_CODES, key).is_ok() {
        return Lookup::NoMinorUnit;
    }
    if let Ok(i) = find(&WITHDRAWN_CODES, key) {
        return Lookup::Withdrawn(SUCCESSORS.get(3 * i..3 * i + 3).filter(|s| !s.starts_with('\0')));
    }
    Lookup::Unknown
}

/// The number of minor-unit digits of an active ISO 4217 currency
/// (`USD` → 2, `JPY` → 0, `BHD` → 3), in any case; `None` for codes that are
/// not active or have no minor unit.
///
/// ```
/// assert_eq!(payreq::minor_unit_exponent("usd"), Some(2));
/// assert_eq!(payreq::minor_unit_exponent("XAU"), None);
/// ```
pub fn minor_unit_exponent(code: &str) -> Option<u8> {
    match lookup(code) {
        Lookup::Active(_, e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed tables answer exactly as the generated lists do.
    #[test]
    fn packed_lookup_matches_the_generated_lists() {
        for (c, e) in ACTIVE {
            assert_eq!(lookup(c), Lookup::Active(c, *e), "{c}");
            assert_eq!(lookup(&c.to_ascii_lowercase()), Lookup::Active(c, *e), "{c}");
        }
        for c in NO_MINOR_UNIT {
            assert_eq!(lookup(c), Lookup::NoMinorUnit, "{c}");
        }
        for (c, s) in WITHDRAWN {
            assert_eq!(lookup(c), Lookup::Withdrawn(*s), "{c}");
        }
        for c in ["", "US", "USDD", "AAA", "zzz", "\u{e9}UR", "\0\0\0"] {
            assert_eq!(lookup(c), Lookup::Unknown, "{c:?}");
        }
    }
}
