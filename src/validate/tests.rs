use super::*;

fn request(fields: &[(&str, Input)]) -> Input {
    Input::Object(fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

fn valid_with(key: &str, value: Input) -> Input {
    let mut fields = vec![
        ("amount", Input::Number(1999.0)),
        ("currency", Input::from("USD")),
        ("redirectUrl", Input::from("https://shop.example/return")),
    ];
    fields.retain(|(k, _)| *k != key);
    if value != Input::Missing {
        fields.push((key, value));
    }
    request(&fields)
}

/// The codes of every error for `input`, as `field:code`.
fn codes(input: &Input) -> Vec<String> {
    match validate_payment_request(input, &crate::NativeUrls) {
        Ok(_) => vec![],
        Err(ValidationErrors(errors)) => errors.iter().map(|e| format!("{}:{}", e.field, e.code)).collect(),
    }
}

#[test]
fn a_valid_request_is_normalised_and_serialised() {
    let input = request(&[
        ("amount", Input::Number(1999.0)),
        ("currency", "eur".into()),
        ("redirectUrl", "https://Shop.Example:443/return?x=1".into()),
        ("referenceId", "order-42 \"ü\"".into()),
    ]);
    let r = validate_payment_request(&input, &crate::NativeUrls).unwrap();
    assert_eq!(r.amount(), 1999);
    assert_eq!(r.currency(), "EUR");
    assert_eq!(r.redirect_url(), "https://shop.example/return?x=1");
    assert_eq!(
        r.to_json(),
        r#"{"amount":1999,"currency":"EUR","redirect_url":"https://shop.example/return?x=1","reference_id":"order-42 \"ü\""}"#
    );
    let back = json::parse(&r.to_json()).unwrap();
    assert_eq!(back.get("reference_id").and_then(json::Value::as_str), Some("order-42 \"ü\""));
}

#[test]
fn amount_rules_have_a_distinct_code_each() {
    let table: &[(Input, &str)] = &[
        (Input::Missing, "amount_missing"),
        (Input::Null, "amount_missing"),
        (Input::Number(0.0), "amount_zero"),
        (Input::Number(-0.0), "amount_negative_zero"),
        (Input::Number(-5.0), "amount_negative"),
        (Input::Number(19.99), "amount_fraction"),
        (Input::Number(0.5), "amount_fraction"),
        (Input::Number(f64::NAN), "amount_nan"),
        (Input::Number(f64::INFINITY), "amount_infinite"),
        (Input::Number(f64::NEG_INFINITY), "amount_infinite"),
        (Input::Number(9_007_199_254_740_992.0), "amount_unsafe_integer"),
        (Input::Number(1e300), "amount_unsafe_integer"),
        (Input::String("1999".into()), "amount_not_number"),
        (Input::Bool(true), "amount_not_number"),
        (Input::Other("an array"), "amount_not_number"),
        (Input::BigInt("0".into()), "amount_zero"),
        (Input::BigInt("-3".into()), "amount_negative"),
        (Input::BigInt("9223372036854775808".into()), "amount_too_large"),
        (Input::BigInt("99999999999999999999999".into()), "amount_too_large"),
    ];
    for (value, code) in table {
        assert_eq!(codes(&valid_with("amount", value.clone())), vec![format!("amount:{code}")], "{value:?}");
    }
    for (value, expected) in [
        (Input::Number(1.0), 1),
        (Input::Number(MAX_SAFE_INTEGER), 9_007_199_254_740_991),
        (Input::BigInt("1".into()), 1),
        (Input::BigInt("9223372036854775807".into()), i64::MAX as u64),
    ] {
        let r = validate_payment_request(&valid_with("amount", value), &crate::NativeUrls).unwrap();
        assert_eq!(r.amount(), expected);
    }
    let big = validate_payment_request(
        &valid_with("amount", Input::BigInt("9223372036854775807".into())),
        &crate::NativeUrls,
    )
    .unwrap();
    assert!(big.to_json().starts_with(r#"{"amount":9223372036854775807,"#));
}

#[test]
fn fraction_message_uses_the_currency_exponent() {
    let message = |currency: &str| {
        let input = request(&[
            ("amount", Input::Number(12.5)),
            ("currency", currency.into()),
            ("redirectUrl", "https://shop.example/".into()),
        ]);
        validate_payment_request(&input, &crate::NativeUrls).unwrap_err().0[0].message.clone()
    };
    assert!(message("USD").contains("USD has 2 decimal places, so multiply by 100"), "{}", message("USD"));
    assert!(message("BHD").contains("multiply by 1000"));
    assert!(message("JPY").contains("JPY has no minor unit"));
}

#[test]
fn currency_rules() {
    let table: &[(Input, &str)] = &[
        (Input::Missing, "currency_missing"),
        (Input::Number(840.0), "currency_not_string"),
        (Input::from("US"), "currency_malformed"),
        (Input::from("USDX"), "currency_malformed"),
        (Input::from("U5D"), "currency_malformed"),
        (Input::from("ÜSD"), "currency_malformed"),
        (Input::from("ABC"), "currency_unknown"),
        (Input::from("XAU"), "currency_no_minor_unit"),
        (Input::from("XXX"), "currency_no_minor_unit"),
        (Input::from("XTS"), "currency_no_minor_unit"),
        (Input::from("XDR"), "currency_no_minor_unit"),
        (Input::from("HRK"), "currency_withdrawn"),
        (Input::from("hrk"), "currency_withdrawn"),
    ];
    for (value, code) in table {
        assert_eq!(codes(&valid_with("currency", value.clone())), vec![format!("currency:{code}")], "{value:?}");
    }
    let hrk = validate_payment_request(&valid_with("currency", "HRK".into()), &crate::NativeUrls).unwrap_err();
    assert!(hrk.0[0].message.contains("use EUR instead"), "{}", hrk.0[0].message);
    for ok in ["usd", "JPY", "Bhd", "XCG", "CLF"] {
        let r = validate_payment_request(&valid_with("currency", ok.into()), &crate::NativeUrls).unwrap();
        assert_eq!(r.currency(), ok.to_ascii_uppercase());
    }
}

#[test]
fn redirect_url_rules() {
    let long = format!("https://shop.example/{}", "a".repeat(2048));
    let table: &[(&str, &str)] = &[
        ("http://shop.example/return", "redirect_url_not_https"),
        ("javascript:alert(1)", "redirect_url_not_https"),
        ("shop.example/return", "redirect_url_invalid"),
        ("https://", "redirect_url_invalid"),
        ("/return", "redirect_url_invalid"),
        ("https://user:pw@shop.example/", "redirect_url_userinfo"),
        ("https://user@shop.example/", "redirect_url_userinfo"),
        ("https://shop.example/return#done", "redirect_url_fragment"),
        ("https://shop.example/return#", "redirect_url_fragment"),
        (" https://shop.example/", "redirect_url_whitespace"),
        ("https://shop.example/re turn", "redirect_url_whitespace"),
        ("https://shop.example/\treturn", "redirect_url_whitespace"),
        ("https://shop.example/\u{0}", "redirect_url_whitespace"),
        // Beyond ASCII: the byte pre-check must not hide these.
        ("https://shop.example/\u{a0}", "redirect_url_whitespace"),
        ("https://shop.example/ü\u{2028}", "redirect_url_whitespace"),
        ("https://shop.example/\u{85}", "redirect_url_whitespace"),
        ("https://shop.example/\u{3000}x", "redirect_url_whitespace"),
        ("https://shop.example/\u{7f}", "redirect_url_whitespace"),
        ("https:\\\\shop.example\\return", "redirect_url_backslash"),
        ("https://shop.example\\@evil.example/", "redirect_url_backslash"),
        (&long, "redirect_url_too_long"),
    ];
    for (value, code) in table {
        assert_eq!(
            codes(&valid_with("redirectUrl", (*value).into())),
            vec![format!("redirectUrl:{code}")],
            "{value:?}"
        );
    }
    assert_eq!(codes(&valid_with("redirectUrl", Input::Missing)), vec!["redirectUrl:redirect_url_missing"]);
    assert_eq!(codes(&valid_with("redirectUrl", Input::Number(1.0))), vec!["redirectUrl:redirect_url_not_string"]);
    // The parser's serialisation is what is sent.
    for (given, sent) in [
        ("HTTPS://SHOP.EXAMPLE/a/../b?q=ü", "https://shop.example/b?q=%C3%BC"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://shop.example", "https://shop.example/"),
    ] {
        let r = validate_payment_request(&valid_with("redirectUrl", given.into()), &crate::NativeUrls).unwrap();
        assert_eq!(r.redirect_url(), sent);
    }
}

#[test]
fn reference_id_rules() {
    for (value, code) in [
        (Input::from(""), "reference_id_empty"),
        (Input::String("x".repeat(256)), "reference_id_too_long"),
        (Input::from("a\nb"), "reference_id_control_chars"),
        (Input::from("a\u{7f}"), "reference_id_control_chars"),
        (Input::from("ü\u{85}"), "reference_id_control_chars"),
        (Input::from("a\u{9f}b"), "reference_id_control_chars"),
        (Input::Number(42.0), "reference_id_not_string"),
        (Input::InvalidUnicode, "reference_id_invalid_unicode"),
        (Input::TooLong(400_000_000.0), "reference_id_too_long"),
    ] {
        assert_eq!(codes(&valid_with("referenceId", value.clone())), vec![format!("referenceId:{code}")], "{value:?}");
    }
    let max = "ü".repeat(255);
    let r = validate_payment_request(&valid_with("referenceId", max.as_str().into()), &crate::NativeUrls).unwrap();
    assert_eq!(r.reference_id(), Some(max.as_str()));
    let none = validate_payment_request(&valid_with("referenceId", Input::Null), &crate::NativeUrls).unwrap();
    assert_eq!(none.reference_id(), None);
    assert!(!none.to_json().contains("reference_id"));
}

#[test]
fn unknown_fields_suggest_the_right_name() {
    let input = valid_with("redirect_url", "https://shop.example/".into());
    let err = validate_payment_request(&input, &crate::NativeUrls).unwrap_err();
    let unknown = err.0.iter().find(|e| e.code == "unknown_field").unwrap();
    assert_eq!(unknown.field, "redirect_url");
    assert!(unknown.message.contains("did you mean redirectUrl?"), "{}", unknown.message);
    let typo = validate_payment_request(&valid_with("ammount", Input::Number(1.0)), &crate::NativeUrls).unwrap_err();
    assert!(typo.0.iter().any(|e| e.field == "ammount" && e.message.contains("did you mean amount?")));
    let reference = validate_payment_request(&valid_with("reference_id", "x".into()), &crate::NativeUrls).unwrap_err();
    assert!(reference.0[0].message.contains("did you mean referenceId?"));
    let unrelated = validate_payment_request(&valid_with("colour", "red".into()), &crate::NativeUrls).unwrap_err();
    assert!(unrelated.0[0].message.contains("the fields are amount, currency, redirectUrl, referenceId"));
}

#[test]
fn all_errors_are_reported_in_field_order() {
    let input = request(&[("currency", "XYZ".into()), ("amount", Input::Number(-1.0))]);
    assert_eq!(
        codes(&input),
        vec!["amount:amount_negative", "currency:currency_unknown", "redirectUrl:redirect_url_missing"]
    );
    assert_eq!(codes(&Input::Null), vec!["input:input_not_object"]);
    assert_eq!(codes(&Input::from("x")), vec!["input:input_not_object"]);
}

#[test]
fn payment_ids() {
    assert!(validate_payment_id(&Input::Missing).is_err());
    assert_eq!(validate_payment_id(&Input::Number(1.0)).unwrap_err().code, "payment_id_not_string");
    for bad in ["..", "%2e%2e", "a/b", "x?y", ""] {
        assert_eq!(validate_payment_id(&bad.into()).unwrap_err().code, "payment_id_invalid", "{bad}");
    }
}

fn options(base_url: &str) -> Input {
    request(&[("clientId", "id".into()), ("clientSecret", "tripwire-secret".into()), ("baseUrl", base_url.into())])
}

#[test]
fn base_url_rules() {
    for (url, joined) in [
        ("https://api.example.com", "https://api.example.com/oauth/token"),
        ("https://api.example.com/", "https://api.example.com/oauth/token"),
        ("https://api.example.com/v1/", "https://api.example.com/v1/oauth/token"),
        ("http://localhost:8080", "http://localhost:8080/oauth/token"),
        ("http://127.0.0.1:1", "http://127.0.0.1:1/oauth/token"),
        ("http://127.8.9.10", "http://127.8.9.10/oauth/token"),
        ("http://[::1]:9", "http://[::1]:9/oauth/token"),
    ] {
        let config = validate_client_options(&options(url), Environment::default()).unwrap();
        assert_eq!(config.base_url.join("/oauth/token"), joined);
    }
    for (url, code) in [
        ("http://api.example.com", "base_url_not_https"),
        ("http://10.0.0.1", "base_url_not_https"),
        ("http://localhost.evil.example", "base_url_not_https"),
        ("ftp://api.example.com", "base_url_not_https"),
        ("api.example.com", "base_url_invalid"),
        ("https://api.example.com/?env=prod", "base_url_query"),
        ("https://api.example.com/?", "base_url_query"),
        ("https://api.example.com/#x", "base_url_query"),
        ("https://api.example.com/v1/../admin", "base_url_traversal"),
        ("https://api.example.com/v1/%2e%2E/admin", "base_url_traversal"),
        ("https://api.example.com/./v1", "base_url_traversal"),
        ("https://u:p@api.example.com", "base_url_userinfo"),
        ("https://api.example.com/ v1", "base_url_whitespace"),
        ("https://api.example.com\\v1", "base_url_backslash"),
    ] {
        let err = validate_client_options(&options(url), Environment::default()).unwrap_err();
        assert_eq!(err.0.iter().map(|e| e.code).collect::<Vec<_>>(), vec![code], "{url}");
    }
}

#[test]
fn client_option_errors_never_contain_the_secret() {
    let input = request(&[
        ("clientSecret", "tripwire-secret".into()),
        ("baseUrl", "http://example.com".into()),
        ("clientID", "x".into()),
    ]);
    let err = validate_client_options(&input, Environment::default()).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("tripwire"), "{text}");
    assert_eq!(
        err.0.iter().map(|e| format!("{}:{}", e.field, e.code)).collect::<Vec<_>>(),
        vec!["clientID:unknown_field", "clientId:client_id_missing", "baseUrl:base_url_not_https"]
    );
    assert!(err.0[0].message.contains("did you mean clientId?"));
    let ok = validate_client_options(&options("https://api.example.com"), Environment::default()).unwrap();
    assert!(!format!("{ok:?}").contains("tripwire"));
}

#[test]
fn client_option_defaults_and_limits() {
    let with = |key: &str, value: Input| {
        let Input::Object(mut fields) = options("https://api.example.com") else { unreachable!() };
        fields.push((key.to_owned(), value));
        validate_client_options(&Input::Object(fields), Environment::default())
    };
    let config = validate_client_options(&options("https://api.example.com"), Environment::default()).unwrap();
    assert_eq!(
        (config.max_retries, config.timeout_ms, config.total_timeout_ms, config.rate_limit),
        (2, 30_000, None, 5)
    );
    assert_eq!(with("maxRetries", Input::Number(0.0)).unwrap().max_retries, 0);
    assert_eq!(with("rateLimit", Input::Number(0.0)).unwrap().rate_limit, 0);
    assert_eq!(with("totalTimeoutMs", Input::Number(5_000.0)).unwrap().total_timeout_ms, Some(5_000));
    for (key, value) in [
        ("maxRetries", Input::Number(-1.0)),
        ("maxRetries", Input::Number(1.5)),
        ("maxRetries", Input::Number(11.0)),
        ("maxRetries", Input::from("2")),
        ("timeoutMs", Input::Number(0.0)),
        ("timeoutMs", Input::Number(f64::NAN)),
        ("rateLimit", Input::Number(f64::INFINITY)),
        ("dangerouslyAllowBrowser", Input::from("yes")),
        ("onRequest", Input::from("log")),
    ] {
        let err = with(key, value.clone()).unwrap_err();
        assert_eq!((&*err.0[0].field, err.0[0].code), (key, "option_invalid"), "{value:?}");
    }
    assert!(with("onRequest", Input::Function).is_ok());
}

#[test]
fn a_secret_is_refused_in_a_browser_unless_explicitly_allowed() {
    let browser = Environment { browser: true, ..Environment::default() };
    let err = validate_client_options(&options("https://api.example.com"), browser).unwrap_err();
    assert_eq!((&*err.0[0].field, err.0[0].code), ("clientSecret", "secret_in_browser"));
    assert!(!format!("{err:?}").contains("tripwire"));
    let Input::Object(mut fields) = options("http://127.0.0.1:1") else { unreachable!() };
    fields.push(("dangerouslyAllowBrowser".into(), Input::Bool(true)));
    assert!(validate_client_options(&Input::Object(fields), browser).is_ok());
}

#[test]
fn call_options() {
    let call = |pairs: &[(&str, Input)], create| validate_call_options(&request(pairs), create);
    assert_eq!(validate_call_options(&Input::Missing, true).unwrap(), CallOptions::default());
    let ok = call(
        &[
            ("idempotencyKey", "order-42-attempt".into()),
            ("maxRetries", Input::Number(5.0)),
            ("signal", Input::Other("an object")),
        ],
        true,
    )
    .unwrap();
    assert_eq!((ok.idempotency_key.as_deref(), ok.max_retries), (Some("order-42-attempt"), Some(5)));
    for bad in ["", "has space", "é", &"k".repeat(256)] {
        let err = call(&[("idempotencyKey", bad.into())], true).unwrap_err();
        assert_eq!(err.0[0].code, "idempotency_key_invalid", "{bad:?}");
    }
    let err = call(&[("idempotencyKey", "k".into())], false).unwrap_err();
    assert_eq!(err.0[0].code, "unknown_field", "a read takes no idempotency key");
    assert_eq!(call(&[("signal", Input::Bool(true))], true).unwrap_err().0[0].field, "signal");
    assert_eq!(
        call(&[("timeOutMs", Input::Number(1.0))], true).unwrap_err().0[0].message,
        "unknown field `timeOutMs`: did you mean timeoutMs?"
    );
}

#[test]
fn every_field_error_code_is_in_the_typescript_union() {
    let source = include_str!("../validate.rs");
    let types = include_str!("../bindings/types.rs");
    let union = &types[types.find("export type FieldErrorCode").unwrap()..];
    let union = &union[..union.find(';').unwrap()];
    let mut rest = source;
    let mut checked = 0;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let literal = &after[..end];
        rest = &after[end + 1..];
        let is_code = literal.contains('_') && literal.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        // Wire field names appear in the request body, not as codes.
        if is_code && !["redirect_url", "reference_id"].contains(&literal) {
            assert!(union.contains(&format!("\"{literal}\"")), "{literal} is missing from FieldErrorCode");
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
}

#[test]
fn wait_options() {
    assert_eq!(validate_wait_options(&Input::Missing), Ok(DEFAULT_WAIT_MS));
    assert_eq!(validate_wait_options(&request(&[("timeoutMs", Input::Number(1500.0))])), Ok(1500));
    for bad in [Input::Number(0.0), Input::Number(1.5), Input::from("10s")] {
        let err = validate_wait_options(&request(&[("timeoutMs", bad)])).unwrap_err();
        assert_eq!((&*err.0[0].field, err.0[0].code), ("timeoutMs", "option_invalid"));
    }
    let typo = validate_wait_options(&request(&[("timeout", Input::Number(1.0))])).unwrap_err();
    assert!(typo.0[0].message.contains("did you mean timeoutMs?"), "{}", typo.0[0].message);
}
