//! The form in which the wasm build reads a JS input: `js/objects.js`
//! `snapshot` reads the top level of a value in one call, and writes one
//! text (every key and string value, concatenated, as UTF-8) and a list of
//! numbers into the wasm's memory, instead of one call (and one string) per
//! key and value. This module decodes them; it is plain Rust, tested
//! natively, and decides nothing: the rules stay in `validate`.
//!
//! The numbers: how many there are (dropped before [`decode`]), the text's
//! length, then one value: its kind (the numbers of `js/objects.js` `kind`:
//! 0 undefined, 1 null, 2 false, 3 true, 4 number, 5 string, 6 BigInt, 7
//! array, 8 function, 9 symbol, 10 object, 11 unreadable: a throwing getter
//! or Proxy trap, 12 a string with a lone surrogate, 13 a string longer than
//! 65,536 UTF-16 units (neither crosses: 13 is followed by its length), followed for a number by the number itself, for a string
//! or a BigInt (its decimal digits) by the length of its text. An object at
//! the top level is followed, per own key in order, by the length of the
//! key's text and the key's value.
//!
//! Lengths are in UTF-16 units, which JS knows without a scan. The text
//! arrives as UTF-8, in which each lone surrogate has become U+FFFD, also one
//! unit, so counting UTF-16 units over the UTF-8 finds the same ends; when
//! the text has as many bytes as units, it is ASCII and no scan is needed.
//!
//! Results go back as [`Texts`]: two numbers a text, and one UTF-8 text that
//! holds those not known at compile time; `js/objects.js` `texts` decodes it
//! once and, when it is ASCII (as many UTF-16 units as bytes), cuts it with
//! `slice` at the byte lengths (else it decodes each part on its own). A
//! static text (every code, most fields and messages of a validation error)
//! goes by its address instead: JS decodes each only the first time it sees
//! it.

use crate::prelude::*;

use alloc::borrow::Cow;

use crate::validate::Input;

/// Texts for `js/objects.js` `texts`: per text two numbers, (-address,
/// length in bytes) for a static one, (0, length in bytes) for the next part
/// of `text`, (0, -1) for none (`null`), (0, -2) for the href of the last
/// `parseUrl`, which JS still has, and (1, x) for the number x.
#[derive(Default)]
pub(crate) struct Texts {
    /// Two numbers a text.
    pub(crate) numbers: Vec<f64>,
    /// The texts that are not static, concatenated.
    pub(crate) text: String,
}

impl Texts {
    /// Room for `count` texts: growing from empty would copy them several times.
    pub(crate) fn new(count: usize) -> Self {
        Texts { numbers: Vec::with_capacity(2 * count), text: String::with_capacity(64 * count) }
    }

    /// Appends `s`: by its address when it is static.
    #[allow(clippy::ptr_arg)] // Not `&str`: whether it is borrowed is what matters.
    pub(crate) fn push(&mut self, s: &Cow<'static, str>) {
        match s {
            Cow::Borrowed(s) => self.push_static(s),
            Cow::Owned(s) => self.push_str(s),
        }
    }

    /// Appends a static text, by its address.
    pub(crate) fn push_static(&mut self, s: &'static str) {
        self.numbers.extend_from_slice(&[-(s.as_ptr() as usize as f64), s.len() as f64]);
    }

    /// Appends `s` to `text`.
    pub(crate) fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        self.numbers.extend_from_slice(&[0.0, s.len() as f64]);
    }

    /// Appends the href of the last URL the host parsed (`js/objects.js`
    /// `parseUrl`): JS has it already, so it neither crosses nor is decoded.
    pub(crate) fn push_last_href(&mut self) {
        self.numbers.extend_from_slice(&[0.0, -2.0]);
    }

    /// Appends a number (JS gets it as a number, not a text).
    pub(crate) fn push_number(&mut self, x: f64) {
        self.numbers.extend_from_slice(&[1.0, x]);
    }

    /// Appends `s`, or none.
    pub(crate) fn push_opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.push_str(s),
            None => self.numbers.extend_from_slice(&[0.0, -1.0]),
        }
    }
}

/// The input that `text` and `numbers` describe (the numbers after their
/// count). Decoding is total: an ill-formed snapshot, which `snapshot` never
/// writes, reads as some value (a missing number as 0, a text cut short as
/// what there is), never as a panic.
pub(crate) fn decode(text: &str, numbers: &[f64]) -> Input {
    let mut reader = Reader { text, numbers: numbers.iter(), ascii: false };
    reader.ascii = reader.number() == text.len() as f64;
    let kind = reader.number();
    if kind != 10.0 {
        return reader.value(kind);
    }
    let mut fields = Vec::new();
    // Each field takes at least one number, so this ends.
    while reader.numbers.len() > 0 {
        let key = reader.text();
        let kind = reader.number();
        fields.push((key, reader.value(kind)));
    }
    Input::Object(fields)
}

/// What is not yet read.
struct Reader<'a> {
    text: &'a str,
    numbers: core::slice::Iter<'a, f64>,
    /// The text has as many bytes as UTF-16 units.
    ascii: bool,
}

impl Reader<'_> {
    fn number(&mut self) -> f64 {
        self.numbers.next().copied().unwrap_or_default()
    }

    /// The next text, its length in UTF-16 units read from the numbers.
    fn text(&mut self) -> String {
        let units = self.number() as usize;
        let mut end = units;
        if !self.ascii {
            // A lead byte starts a char of one UTF-16 unit, two for a
            // four-byte char; continuation bytes add none.
            let bytes = self.text.as_bytes();
            let (mut i, mut seen) = (0, 0);
            while let Some(&b) = bytes.get(i) {
                if b & 0xc0 != 0x80 {
                    if seen >= units {
                        break;
                    }
                    seen += if b >= 0xf0 { 2 } else { 1 };
                }
                i += 1;
            }
            end = i;
        }
        let (head, rest) = self.text.split_at_checked(end).unwrap_or((self.text, ""));
        self.text = rest;
        crate::text::owned(head)
    }

    /// A value of `kind` (nested: an object is only described).
    fn value(&mut self, kind: f64) -> Input {
        match kind as u8 {
            0 => Input::Missing,
            1 => Input::Null,
            2 => Input::Bool(false),
            3 => Input::Bool(true),
            4 => Input::Number(self.number()),
            5 => Input::String(self.text()),
            6 => Input::BigInt(self.text()),
            7 => Input::Other("an array"),
            8 => Input::Function,
            9 => Input::Other("a symbol"),
            10 => Input::Other("an object"),
            12 => Input::InvalidUnicode,
            13 => Input::TooLong(self.number()),
            _ => Input::Other("an unreadable value"),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    const UNREADABLE: Input = Input::Other("an unreadable value");

    /// What `js/objects.js` `snapshot` returns and writes for a value of
    /// `kind` whose numbers (after the kind) are `numbers`.
    fn snap(text: &str, numbers: &[f64]) -> Input {
        let mut all = vec![text.encode_utf16().count() as f64];
        all.extend_from_slice(numbers);
        decode(text, &all)
    }

    #[test]
    fn scalars() {
        assert_eq!(snap("", &[0.0]), Input::Missing);
        assert_eq!(snap("", &[1.0]), Input::Null);
        assert_eq!(snap("", &[2.0]), Input::Bool(false));
        assert_eq!(snap("", &[3.0]), Input::Bool(true));
        assert_eq!(snap("", &[7.0]), Input::Other("an array"));
        assert_eq!(snap("", &[8.0]), Input::Function);
        assert_eq!(snap("", &[9.0]), Input::Other("a symbol"));
        assert_eq!(snap("", &[11.0]), UNREADABLE);
        assert_eq!(snap("", &[12.0]), Input::InvalidUnicode);
        assert_eq!(snap("", &[13.0, 400_000_000.0]), Input::TooLong(400_000_000.0));
        assert_eq!(snap("abc", &[5.0, 3.0]), Input::String("abc".into()));
        assert_eq!(snap("", &[5.0, 0.0]), Input::String(String::new()));
        assert_eq!(snap("9007199254740993", &[6.0, 16.0]), Input::BigInt("9007199254740993".into()));
        assert_eq!(snap("-5", &[6.0, 2.0]), Input::BigInt("-5".into()));
    }

    #[test]
    fn numbers_keep_every_bit() {
        for n in [1999.0, 19.99, 0.0, f64::INFINITY, f64::NEG_INFINITY, 2f64.powi(60), -5.0, f64::MIN_POSITIVE] {
            assert_eq!(snap("", &[4.0, n]), Input::Number(n), "{n}");
        }
        let Input::Number(z) = snap("", &[4.0, -0.0]) else { panic!() };
        assert!(z == 0.0 && z.is_sign_negative());
        let Input::Number(nan) = snap("", &[4.0, f64::NAN]) else { panic!() };
        assert!(nan.is_nan());
    }

    #[test]
    fn objects_in_key_order_with_any_text() {
        // 😀 is two UTF-16 units and four UTF-8 bytes; a lone surrogate
        // arrives as U+FFFD, one unit.
        let keys_and_values = [
            ("amount", &[4.0, 1999.0][..], Input::Number(1999.0)),
            ("currency", &[5.0, 3.0], "usd".into()),
            ("redirectUrl", &[5.0, 26.0], "https://shop.example/ünï,1".into()),
            ("referenceId", &[5.0, 5.0], "ünï😀".into()),
            ("a😀", &[11.0], UNREADABLE),
            ("\u{fffd}", &[10.0], Input::Other("an object")),
            ("", &[0.0], Input::Missing),
        ];
        let texts = ["", "usd", "https://shop.example/ünï,1", "ünï😀", "", "", ""];
        let mut text = String::new();
        let mut numbers = vec![10.0];
        for ((key, rest, _), value) in keys_and_values.iter().zip(texts) {
            text.push_str(key);
            text.push_str(value);
            numbers.push(key.encode_utf16().count() as f64);
            numbers.extend_from_slice(rest);
        }
        let fields: Vec<_> = keys_and_values.iter().map(|(k, _, v)| (k.to_string(), v.clone())).collect();
        assert_eq!(snap(&text, &numbers), Input::Object(fields));
        assert_eq!(snap("", &[10.0]), Input::Object(vec![]));
        // All ASCII: as many bytes as units.
        let long = "x".repeat(3000);
        let text = ["id", &long].concat();
        assert_eq!(snap(&text, &[10.0, 2.0, 5.0, 3000.0]), Input::Object(vec![("id".into(), long.as_str().into())]));
    }

    #[test]
    fn ill_formed_snapshots_read_as_some_value_not_a_panic() {
        for (text, numbers, input) in [
            ("", &[][..], Input::Missing),
            ("", &[0.0], Input::Missing),
            ("", &[0.0, 4.0], Input::Number(0.0)),
            ("ab", &[2.0, 5.0, 3.0], "ab".into()),
            ("ab", &[2.0, 5.0, f64::NAN], "".into()),
            ("ab", &[2.0, 10.0, 2.0], Input::Object(vec![("ab".into(), Input::Missing)])),
            ("😀", &[2.0, 5.0, 1.0], "😀".into()),
            ("😀", &[4.0, 5.0, 1.0], "😀".into()), // claims ASCII; cuts a char
            ("é", &[1.0, 5.0, 1e300], "é".into()),
            ("", &[0.0, 14.0], UNREADABLE),
            ("", &[0.0, 13.0], Input::TooLong(0.0)),
            ("", &[0.0, -1.0], Input::Missing),
            ("", &[0.0, 1.5], Input::Null),
            ("", &[0.0, f64::NAN], Input::Missing),
        ] {
            assert_eq!(decode(text, numbers), input, "{text:?} {numbers:?}");
        }
    }

    #[test]
    fn results_carry_static_texts_by_address_and_others_by_length() {
        static CODE: &str = "amount_zero";
        let mut out = Texts::new(1);
        out.push_static(CODE);
        for s in ["USD", "", "https://a/,1", "ünï 😀", "\u{fffd}"] {
            out.push(&Cow::Owned(s.into()));
        }
        out.push_opt(None);
        out.push_last_href();
        out.push(&Cow::Borrowed(CODE));
        out.push_number(-1.5);
        assert_eq!(out.text, "USDhttps://a/,1ünï 😀\u{fffd}");
        let address = -(CODE.as_ptr() as usize as f64);
        assert!(address < 0.0);
        assert_eq!(
            out.numbers,
            [
                address, 11.0, 0.0, 3.0, 0.0, 0.0, 0.0, 12.0, 0.0, 10.0, 0.0, 3.0, 0.0, -1.0, 0.0, -2.0, address, 11.0,
                1.0, -1.5
            ]
        );
    }
}
