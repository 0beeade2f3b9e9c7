//! The form in which the wasm build reads a JS input: `js/objects.js`
//! `snapshot` reads the top level of a value in one call, and hands over one
//! string (every key and string value, concatenated) and a list of numbers,
//! instead of one call (and one string) per key and value. This module
//! decodes them; it is plain Rust, tested natively, and decides nothing: the
//! rules stay in `validate`.
//!
//! The numbers: how many there are (dropped before [`decode`]), the text's
//! length, then one value: its kind (the numbers of `js/objects.js` `kind`:
//! 0 undefined, 1 null, 2 false, 3 true, 4 number, 5 string, 6 BigInt, 7
//! array, 8 function, 9 symbol, 10 object, 11 unreadable: a throwing getter
//! or Proxy trap), followed for a number by the number itself, for a string
//! or a BigInt (its decimal digits) by the length of its text. An object at
//! the top level is followed, per own key in order, by the length of the
//! key's text and the key's value.
//!
//! Lengths are in UTF-16 units, which JS knows without a scan. The text
//! arrives as UTF-8, in which each lone surrogate has become U+FFFD, also one
//! unit, so counting UTF-16 units over the UTF-8 finds the same ends; when
//! the text has as many bytes as units, it is ASCII and no scan is needed.
//!
//! Results go back as [`Texts`]: strings one after another in one text, and
//! their lengths in UTF-16 units as numbers; `js/objects.js` `fieldErrors`
//! splits them apart with `slice`: one string to decode in JS for a whole
//! result instead of one per field.

use crate::prelude::*;

use crate::error::FieldError;
use crate::validate::Input;

/// The length of `s` in UTF-16 units, from its UTF-8 bytes: one unit per
/// char (a byte that is not a continuation byte), two for a four-byte char.
pub(crate) fn utf16_len(s: &str) -> f64 {
    let (bytes, mut i, mut n) = (s.as_bytes(), 0, 0);
    while let Some(&b) = bytes.get(i) {
        n += u32::from(b & 0xc0 != 0x80) + u32::from(b >= 0xf0);
        i += 1;
    }
    f64::from(n)
}

/// Strings for `js/objects.js` `fieldErrors`: their texts one after another, and
/// the length of each in UTF-16 units, so that JS decodes one string for a
/// whole result and splits it with `slice`.
#[derive(Default)]
pub(crate) struct Texts {
    /// The texts, concatenated.
    pub(crate) text: String,
    /// The length of each text in UTF-16 units.
    pub(crate) lengths: Vec<f64>,
}

impl Texts {
    /// Appends `s`.
    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.lengths.push(utf16_len(s));
    }

    /// Field, code and message of each error, in order (`js/objects.js` `fieldErrors`).
    pub(crate) fn errors(errors: &[FieldError]) -> Self {
        // Room for the usual error (under 256 bytes): growing from empty by
        // doubling would copy the text several times.
        let mut out = Texts { text: String::with_capacity(256 * errors.len()), lengths: Vec::new() };
        for e in errors {
            out.push(&e.field);
            out.push(e.code);
            out.push(&e.message);
        }
        out
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
        head.to_owned()
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
            ("", &[0.0, 12.0], UNREADABLE),
            ("", &[0.0, -1.0], Input::Missing),
            ("", &[0.0, 1.5], Input::Null),
            ("", &[0.0, f64::NAN], Input::Missing),
        ] {
            assert_eq!(decode(text, numbers), input, "{text:?} {numbers:?}");
        }
    }

    #[test]
    fn utf16_lengths_match_encode_utf16() {
        let pieces =
            ["a", "é", "€", "😀", "\u{7f}", "\u{80}", "\u{7ff}", "\u{800}", "\u{ffff}", "\u{10000}", "\u{10ffff}"];
        for len in 0..20 {
            for (i, p) in pieces.iter().enumerate() {
                let s: String = (0..len).map(|j| pieces[(i + j) % pieces.len()]).chain([*p, "xyz"]).collect();
                assert_eq!(utf16_len(&s), s.encode_utf16().count() as f64, "{s:?}");
            }
        }
    }

    #[test]
    fn results_carry_lengths_in_utf16_units() {
        let mut out = Texts::default();
        for s in ["USD", "", "https://a/,1", "ünï 😀", "\u{fffd}"] {
            out.push(s);
        }
        assert_eq!(out.text, "USDhttps://a/,1ünï 😀\u{fffd}");
        assert_eq!(out.lengths, [3.0, 0.0, 12.0, 6.0, 1.0]);
        let errors = [
            FieldError::new("amount", "amount_zero", "amount is 0"),
            FieldError::new("a,b😀", "unknown_field", "unknown field `a,b😀`: …"),
        ];
        let out = Texts::errors(&errors);
        assert_eq!(out.text, "amountamount_zeroamount is 0a,b😀unknown_fieldunknown field `a,b😀`: …");
        assert_eq!(out.lengths, [6.0, 11.0, 11.0, 5.0, 13.0, 24.0]);
        assert_eq!(Texts::errors(&[]).lengths, []);
    }
}
