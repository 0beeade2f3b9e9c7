//! ISO 4217 lookups over the generated table in `currency_data.rs`.

use crate::currency_data::{ACTIVE, NO_MINOR_UNIT, WITHDRAWN};

/// What the ISO 4217 list says about an upper-case three-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Active, with this many minor-unit digits.
    Active(u8),
    /// Active but without a minor unit (metals, XDR, XTS, XXX, ...).
    NoMinorUnit,
    /// Withdrawn, with its successor where one exists.
    Withdrawn(Option<&'static str>),
    /// Not on the list.
    Unknown,
}

pub(crate) fn lookup(code: &str) -> Lookup {
    if let Ok(i) = ACTIVE.binary_search_by(|(c, _)| (*c).cmp(code)) {
        return Lookup::Active(ACTIVE[i].1);
    }
    if NO_MINOR_UNIT.binary_search(&code).is_ok() {
        return Lookup::NoMinorUnit;
    }
    if let Ok(i) = WITHDRAWN.binary_search_by(|(c, _)| (*c).cmp(code)) {
        return Lookup::Withdrawn(WITHDRAWN[i].1);
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
    match lookup(&code.to_ascii_uppercase()) {
        Lookup::Active(e) => Some(e),
        _ => None,
    }
}
