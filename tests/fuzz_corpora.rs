//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same entry
//! points the fuzz targets use, on stable Rust, in every `make test`; and
//! checks the same entry points with proptest on arbitrary input.
#![cfg(not(target_arch = "wasm32"))]
// A native test, not the wasm: it may format (clippy.toml).
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::path::Path;

use proptest::prelude::*;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panicked", path.display());
        count += 1;
    }
    count
}

#[test]
fn corpora_replay_without_panics() {
    assert!(replay("decoders", payreq::fuzzing::decoders) >= 5);
    assert!(replay("validators", payreq::fuzzing::validators) >= 5);
    assert!(replay("retry_after", payreq::fuzzing::retry_after) >= 5);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn decoders_never_panic(s in "\\PC*") {
        payreq::fuzzing::decoders(s.as_bytes());
    }

    #[test]
    fn decoders_never_panic_on_json_like_text(s in r#"[\[\]{}":,0-9a-z\\ .eE+-]{0,64}"#) {
        payreq::fuzzing::decoders(s.as_bytes());
    }

    #[test]
    fn validators_never_panic(
        amount in prop_oneof![Just("1".to_owned()), "-?[0-9]{1,25}(\\.[0-9]{1,3})?(e[0-9]{1,3})?", Just("\"12n\"".to_owned())],
        currency in "[A-Za-z0-9 ]{0,5}",
        url in "(https?|ftp|javascript)?:?/{0,3}[a-zA-Z0-9.@:%#?/\\\\ -]{0,40}",
        extra in "[a-zA-Z_]{0,12}",
    ) {
        let json = format!(
            r#"{{"amount":{amount},"currency":{currency:?},"redirectUrl":{url:?},"{extra}":null,"baseUrl":{url:?},"clientId":"a","clientSecret":"b"}}"#
        );
        payreq::fuzzing::validators(json.as_bytes());
    }

    #[test]
    fn valid_requests_serialise_to_the_amount_and_currency_given(amount in 1u64..=9_007_199_254_740_991, code in prop::sample::select(vec!["usd", "EUR", "jpy", "Bhd", "XCG"])) {
        let input = payreq::Input::Object(vec![
            ("amount".into(), payreq::Input::Number(amount as f64)),
            ("currency".into(), code.into()),
            ("redirectUrl".into(), "https://shop.example/r".into()),
        ]);
        let request = payreq::validate_payment_request(&input, &payreq::NativeUrls).unwrap();
        prop_assert_eq!(request.amount(), amount);
        let expected = format!(r#"{{"amount":{amount},"currency":"{}","#, code.to_ascii_uppercase());
        prop_assert!(request.to_json().starts_with(&expected));
    }

    #[test]
    fn retry_after_never_panics(s in "\\PC{0,40}") {
        payreq::fuzzing::retry_after(s.as_bytes());
    }
}
