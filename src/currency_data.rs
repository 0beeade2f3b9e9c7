// TEMPORARY STUB (to be replaced by scripts/gen_currencies.py output)
pub(crate) const ACTIVE: &[(&str, u8)] = &[("BHD", 3), ("CLF", 4), ("EUR", 2), ("JPY", 0), ("USD", 2), ("XCG", 2)];
pub(crate) const NO_MINOR_UNIT: &[&str] = &["XAU", "XDR", "XTS", "XXX"];
pub(crate) const WITHDRAWN: &[(&str, Option<&str>)] = &[("HRK", Some("EUR"))];
