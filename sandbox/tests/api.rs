//! The public API over real HTTP: tokens, Basic encoding, payment requests, validation, idempotency,
//! rate limiting, CORS, request ids and hostile bodies.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;

#[test]
fn token_is_issued_with_documented_fields() {
    let srv = Server::start(&[]);
    let resp = srv.token_request(&basic("sandbox_client", "sandbox_secret"), "grant_type=client_credentials");
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v = resp.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    let token = v["access_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    assert_ne!(token, srv.token(), "tokens are random");
}

#[test]
fn token_errors_403_and_400() {
    let srv = Server::start(&[]);
    let grant = "grant_type=client_credentials";
    for auth in [
        basic("sandbox_client", "wrong"),
        basic("nobody", "sandbox_secret"),
        "Basic !!!not-base64".to_owned(),
        format!("Basic {}", "c2FuZGJveF9jbGllbnQ"), // no colon inside
        "Bearer sandbox_secret".to_owned(),
        basic("sandbox_client", "sandbox_secret").replacen("Basic ", "Basic", 1),
    ] {
        let resp = srv.token_request(&auth, grant);
        assert_eq!(resp.status, 403, "{auth}: {}", resp.text());
        assert_eq!(resp.error_code(), "invalid_client");
    }
    let resp = srv.request("POST", "/oauth/token", &[], grant.as_bytes());
    assert_eq!((resp.status, resp.error_code().as_str()), (403, "invalid_client"), "missing header");

    let good = basic("sandbox_client", "sandbox_secret");
    for body in ["", "grant_type=password", "grant_type=client_credentialsx", "scope=x", "grant_type=%zz"] {
        let resp = srv.token_request(&good, body);
        assert_eq!(resp.status, 400, "{body:?}");
        assert_eq!(resp.error_code(), "unsupported_grant_type");
        assert_eq!(resp.error_field().as_deref(), Some("grant_type"));
    }
    let resp = srv.request("GET", "/oauth/token", &[], b"");
    assert_eq!((resp.status, resp.error_code().as_str()), (405, "method_not_allowed"));
    assert!(resp.header("allow").is_some_and(|a| a.contains("POST")));
}

#[test]
fn basic_credentials_are_form_urlencoded_before_base64() {
    let secret = "s3:cr%t+ü";
    let srv = Server::start(&[
        "--client-id",
        "first",
        "--client-secret",
        "one",
        "--client-id",
        "my:client id",
        "--client-secret",
        secret,
    ]);
    // Correctly encoded: works (and so does the first configured pair).
    srv.token_for("my:client id", secret);
    srv.token_for("first", "one");
    // The encoding really is what the wire carries.
    assert_eq!(form_encode(secret), "s3%3Acr%25t%2B%C3%BC");
    // The same secret sent raw (unencoded) is refused.
    let resp = srv.token_request(&basic_raw("first", secret), "grant_type=client_credentials");
    assert_eq!(resp.status, 403);
    let resp = srv.token_request(&basic(&form_encode("my:client id"), secret), "grant_type=client_credentials");
    assert_eq!(resp.status, 403, "double-encoded id is a different id");
    let raw_header = format!("Basic {}", {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("my%3Aclient+id:{secret}"))
    });
    let resp = srv.token_request(&raw_header, "grant_type=client_credentials");
    assert_eq!(resp.status, 403, "raw secret with an encoded id is refused");
    assert_eq!(resp.error_code(), "invalid_client");
    // The default pair is gone once pairs are configured.
    let resp = srv.token_request(&basic("sandbox_client", "sandbox_secret"), "grant_type=client_credentials");
    assert_eq!(resp.status, 403);
}

#[test]
fn create_and_get_a_payment_request() {
    let srv = Server::start(&[]);
    let token = srv.token();
    let resp = srv.create(&token, &valid_body());
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v = resp.json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(is_uuid_v4(&id), "{id}");
    assert_eq!(v["amount"], 1999);
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["redirect_url"], "https://shop.example/return?order=42");
    assert_eq!(v["reference_id"], "order-42");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["checkout_url"], format!("{}/checkout/{id}", srv.url()));
    let created = v["created_at"].as_str().unwrap();
    let expires = v["expires_at"].as_str().unwrap();
    assert!(is_rfc3339_utc(created) && is_rfc3339_utc(expires), "{created} {expires}");
    assert!(expires > created);
    assert_eq!(resp.header("location"), Some(format!("/payment/request/{id}").as_str()));
    assert!(resp.header("idempotent-replayed").is_none());

    let got = srv.get(&token, &id);
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), v);

    // reference_id omitted or null -> null; unknown fields ignored; max amount accepted.
    let resp = srv.create(
        &token,
        &json!({"amount": i64::MAX, "currency": "JPY", "redirect_url": "https://a.example", "extra": [1, {"x": null}]}),
    );
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.json()["reference_id"], Value::Null);
    assert_eq!(resp.json()["amount"], i64::MAX);
    assert!(resp.json().get("extra").is_none());

    // Resources are visible to every client.
    let srv2 = Server::start(&["--client-id", "a", "--client-secret", "1", "--client-id", "b", "--client-secret", "2"]);
    let made = srv2.create_ok(&srv2.token_for("a", "1"));
    let other = srv2.get(&srv2.token_for("b", "2"), made["id"].as_str().unwrap());
    assert_eq!(other.status, 200);
}

#[test]
fn not_found_for_unknown_or_malformed_ids() {
    let srv = Server::start(&[]);
    let token = srv.token();
    for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "%ff%00", "a;b"] {
        let resp = srv.get(&token, id);
        assert_eq!(resp.status, 404, "{id}");
        assert_eq!(resp.error_code(), "not_found");
    }
    for path in ["/", "/nope", "/payment/request/", "/payment/request/x/y", "/oauth/token/", "/_sandbox/counters"] {
        let resp = srv.request("GET", path, &[], b"");
        assert_eq!((resp.status, resp.error_code().as_str()), (404, "not_found"), "{path}");
    }
}

#[test]
fn bearer_is_required_401() {
    let srv = Server::start(&[]);
    let token = srv.token();
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
    let body = valid_body().to_string();
    let basic_header = basic("sandbox_client", "sandbox_secret");
    for auth in [None, Some("Bearer nope".to_owned()), Some(format!("Token {token}")), Some(basic_header)] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let resp = srv.request("POST", RESOURCE, &headers, body.as_bytes());
        assert_eq!(resp.status, 401, "{auth:?}");
        assert_eq!(resp.error_code(), "unauthorized");
        assert_eq!(resp.header("www-authenticate"), Some("Bearer"));
        let resp = srv.request("GET", &format!("{RESOURCE}/{id}"), &headers, b"");
        assert_eq!(resp.status, 401, "{auth:?}");
    }
    // Case-insensitive scheme.
    let resp = srv.request("GET", &format!("{RESOURCE}/{id}"), &[("Authorization", &format!("bearer {token}"))], b"");
    assert_eq!(resp.status, 200);
}

#[test]
fn validation_errors_400_and_422() {
    let srv = Server::start(&["--rate-limit", "0"]);
    let token = srv.token();
    let url = "https://shop.example/r";
    let cases: Vec<(Vec<u8>, u16, &str, Option<&str>)> = vec![
        (b"".to_vec(), 400, "invalid_json", None),
        (b"{".to_vec(), 400, "invalid_json", None),
        (b"{\"amount\": 1,}".to_vec(), 400, "invalid_json", None),
        (b"[1,2]".to_vec(), 400, "invalid_json", None),
        (b"\"str\"".to_vec(), 400, "invalid_json", None),
        (b"null".to_vec(), 400, "invalid_json", None),
        (
            json!({"currency": "EUR", "redirect_url": url}).to_string().into_bytes(),
            400,
            "missing_field",
            Some("amount"),
        ),
        (json!({"amount": 1, "redirect_url": url}).to_string().into_bytes(), 400, "missing_field", Some("currency")),
        (json!({"amount": 1, "currency": "EUR"}).to_string().into_bytes(), 400, "missing_field", Some("redirect_url")),
        (
            json!({"amount": "100", "currency": "EUR", "redirect_url": url}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("amount"),
        ),
        (
            json!({"amount": null, "currency": "EUR", "redirect_url": url}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("amount"),
        ),
        (
            json!({"amount": 1, "currency": 978, "redirect_url": url}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("currency"),
        ),
        (
            json!({"amount": 1, "currency": "EUR", "redirect_url": {}}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("redirect_url"),
        ),
        (
            json!({"amount": 1, "currency": "EUR", "redirect_url": url, "reference_id": 7}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("reference_id"),
        ),
        (
            json!({"amount": 0, "currency": "EUR", "redirect_url": url}).to_string().into_bytes(),
            422,
            "invalid_amount",
            Some("amount"),
        ),
        (
            json!({"amount": -5, "currency": "EUR", "redirect_url": url}).to_string().into_bytes(),
            422,
            "invalid_amount",
            Some("amount"),
        ),
        (
            b"{\"amount\": 1.5, \"currency\": \"EUR\", \"redirect_url\": \"https://a.b\"}".to_vec(),
            422,
            "invalid_amount",
            Some("amount"),
        ),
        (
            b"{\"amount\": 9223372036854775808, \"currency\": \"EUR\", \"redirect_url\": \"https://a.b\"}".to_vec(),
            422,
            "invalid_amount",
            Some("amount"),
        ),
        (
            json!({"amount": 1, "currency": "eur", "redirect_url": url}).to_string().into_bytes(),
            422,
            "unsupported_currency",
            Some("currency"),
        ),
        (
            json!({"amount": 1, "currency": "XCG", "redirect_url": url}).to_string().into_bytes(),
            422,
            "unsupported_currency",
            Some("currency"),
        ),
        (
            json!({"amount": 1, "currency": "EUR", "redirect_url": "http://shop.example/r"}).to_string().into_bytes(),
            422,
            "invalid_redirect_url",
            Some("redirect_url"),
        ),
        (
            json!({"amount": 1, "currency": "EUR", "redirect_url": "/relative"}).to_string().into_bytes(),
            422,
            "invalid_redirect_url",
            Some("redirect_url"),
        ),
        (
            json!({"amount": 1, "currency": "EUR", "redirect_url": url, "reference_id": "x".repeat(256)})
                .to_string()
                .into_bytes(),
            422,
            "invalid_reference_id",
            Some("reference_id"),
        ),
        // Type errors (400) are reported before business rules (422).
        (
            json!({"amount": -1, "currency": 1, "redirect_url": url}).to_string().into_bytes(),
            400,
            "invalid_type",
            Some("currency"),
        ),
    ];
    for (body, status, code, field) in cases {
        let resp = srv.create_with(&token, &[], &body);
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        assert_eq!(resp.status, status, "{shown}: {}", resp.text());
        assert_eq!(resp.error_code(), code, "{shown}");
        assert_eq!(resp.error_field().as_deref(), field, "{shown}");
    }
    let ok = json!({"amount": 1, "currency": "EUR", "redirect_url": url, "reference_id": "x".repeat(255)});
    assert_eq!(srv.create(&token, &ok).status, 201);

    let custom = Server::start(&["--currencies", "XCG,usd"]);
    let token = custom.token();
    let resp = custom.create(&token, &json!({"amount": 1, "currency": "XCG", "redirect_url": url}));
    assert_eq!(resp.status, 201);
    let resp = custom.create(&token, &json!({"amount": 1, "currency": "EUR", "redirect_url": url}));
    assert_eq!(resp.status, 422);
}

#[test]
fn token_expiry_by_ttl_control_and_clock() {
    // The sandbox's clock counts whole seconds (as a JWT `exp` does): a token
    // of N seconds lives between N-1 and N seconds, so every step below
    // leaves a second of slack for a clock tick during the test.
    let srv = Server::with_controls(&["--token-ttl", "2"]);
    let resp = srv.token_request(&basic("sandbox_client", "sandbox_secret"), "grant_type=client_credentials");
    assert_eq!(resp.json()["expires_in"], 2);
    let token = resp.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(srv.create(&token, &valid_body()).status, 201);
    sleep(Duration::from_millis(3100));
    let resp = srv.create(&token, &valid_body());
    assert_eq!((resp.status, resp.error_code().as_str()), (401, "unauthorized"), "expired by --token-ttl");

    let srv = Server::with_controls(&[]);
    let token = srv.token();
    assert_eq!(srv.create(&token, &valid_body()).status, 201);
    let resp = srv.control("POST", "/_sandbox/tokens/expire", Value::Null);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["expired"], 1);
    assert_eq!(srv.create(&token, &valid_body()).status, 401, "expired by control");
    let fresh = srv.token();
    assert_eq!(srv.create(&fresh, &valid_body()).status, 201, "new tokens still work");

    let resp = srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 3598}));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(srv.create(&fresh, &valid_body()).status, 201, "one to two seconds left");
    srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 3}));
    assert_eq!(srv.create(&fresh, &valid_body()).status, 401, "expired by clock advance");
}

#[test]
fn idempotent_replay_and_key_reuse_conflict() {
    let srv = Server::with_controls(&["--rate-limit", "0"]);
    let token = srv.token();
    let body1 = br#"{"amount": 500, "currency": "USD", "redirect_url": "https://a.example/r", "reference_id": null}"#;
    let body1_reordered =
        br#"{"reference_id":null,"redirect_url":"https://a.example/r","currency":"USD","amount":500}"#;
    let key = [("Idempotency-Key", "order-7 attempt/1")];
    let first = srv.create_with(&token, &key, body1);
    assert_eq!(first.status, 201);
    assert!(first.header("idempotent-replayed").is_none());
    let replay = srv.create_with(&token, &key, body1_reordered);
    assert_eq!(replay.status, 201, "{}", replay.text());
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), first.json());
    assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));

    let conflict =
        srv.create_with(&token, &key, br#"{"amount": 501, "currency": "USD", "redirect_url": "https://a.example/r"}"#);
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.error_code(), "idempotency_key_reused");

    // A different key creates a new resource.
    let other = srv.create_with(&token, &[("Idempotency-Key", "other")], body1);
    assert_ne!(other.json()["id"], first.json()["id"]);

    // Errors do not store the key.
    let bad = srv.create_with(
        &token,
        &[("Idempotency-Key", "k2")],
        br#"{"amount": -1, "currency": "USD", "redirect_url": "https://a.example/r"}"#,
    );
    assert_eq!(bad.status, 422);
    let good = srv.create_with(&token, &[("Idempotency-Key", "k2")], body1);
    assert_eq!(good.status, 201);
    assert!(good.header("idempotent-replayed").is_none());

    // Invalid keys.
    let long = "k".repeat(256);
    for k in ["", long.as_str(), "caf\u{e9}", "tab\there"] {
        let resp = srv.create_with(&token, &[("Idempotency-Key", k)], body1);
        assert_eq!(resp.status, 400, "{k:?}");
        assert_eq!(resp.error_code(), "invalid_idempotency_key");
    }
    assert_eq!(srv.create_with(&token, &[("Idempotency-Key", &"k".repeat(255))], body1).status, 201);

    let c = srv.counters();
    assert_eq!(c["payment_requests_created"], 4);
    assert_eq!(c["idempotent_replays"], 1);
}

#[test]
fn idempotency_keys_are_scoped_per_client() {
    let srv = Server::start(&["--client-id", "a", "--client-secret", "1", "--client-id", "b", "--client-secret", "2"]);
    let key = [("Idempotency-Key", "same")];
    let body = valid_body().to_string();
    let a = srv.create_with(&srv.token_for("a", "1"), &key, body.as_bytes());
    let b = srv.create_with(&srv.token_for("b", "2"), &key, body.as_bytes());
    assert_eq!((a.status, b.status), (201, 201));
    assert_ne!(a.json()["id"], b.json()["id"]);
    assert!(b.header("idempotent-replayed").is_none());
}

#[test]
fn rate_limit_per_client_sliding_window() {
    let srv = Server::with_controls(&[
        "--client-id",
        "a",
        "--client-secret",
        "1",
        "--client-id",
        "b",
        "--client-secret",
        "2",
    ]);
    let token = srv.token_for("a", "1"); // request 1 for client a
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned(); // 2
    for _ in 0..3 {
        assert_eq!(srv.get(&token, &id).status, 200); // 3, 4, 5
    }
    let resp = srv.get(&token, &id); // 6th within the window
    assert_eq!(resp.status, 429, "{}", resp.text());
    assert_eq!(resp.error_code(), "rate_limited");
    let retry: u64 = resp.header("retry-after").expect("Retry-After").parse().expect("integer seconds");
    assert!(retry >= 1);
    // Token requests with valid credentials count too.
    let resp = srv.token_request(&basic("a", "1"), "grant_type=client_credentials");
    assert_eq!(resp.status, 429);
    // Another client is not affected.
    let other = srv.token_for("b", "2");
    assert_eq!(srv.get(&other, &id).status, 200);
    // Unidentified requests are not limited.
    assert_eq!(srv.token_request(&basic("a", "wrong"), "grant_type=client_credentials").status, 403);
    assert_eq!(srv.get("bogus", &id).status, 401);
    // Refused requests do not extend the window: after 1 s the client is admitted again.
    sleep(Duration::from_millis(1100));
    assert_eq!(srv.get(&token, &id).status, 200);
    assert_eq!(srv.counters()["rate_limited"], 2);

    let unlimited = Server::start(&["--rate-limit", "0"]);
    let token = unlimited.token();
    assert!((0..12).all(|_| unlimited.get(&token, &id).status == 404));
}

#[test]
fn cors_preflight_and_headers_on_every_response() {
    let srv = Server::with_controls(&[]);
    for path in ["/payment/request", "/oauth/token", "/anything/at/all", "/_sandbox/faults"] {
        let resp = srv.request(
            "OPTIONS",
            path,
            &[("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST")],
            b"",
        );
        assert_eq!(resp.status, 204, "{path}");
        assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
        assert_eq!(resp.header("access-control-allow-methods"), Some("GET, POST, DELETE, OPTIONS"));
        assert_eq!(resp.header("access-control-allow-headers"), Some("Authorization, Content-Type, Idempotency-Key"));
        assert_eq!(resp.header("access-control-max-age"), Some("600"));
        assert!(resp.header("x-request-id").is_some());
    }
    // Preflights are not rate-limited and do not count.
    let token = srv.token();
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
    let checkout = format!("/checkout/{id}");
    let responses = vec![
        srv.token_request(&basic("sandbox_client", "sandbox_secret"), "grant_type=client_credentials"),
        srv.get(&token, &id),
        srv.get(&token, "missing"),
        srv.request("GET", &checkout, &[], b""),
        srv.request("GET", "/nope", &[], b""),
        srv.request("BREW", "/oauth/token", &[], b""),
        srv.control("GET", "/_sandbox/counters", Value::Null),
    ];
    let mut ids = std::collections::HashSet::new();
    for resp in responses {
        assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            resp.header("access-control-expose-headers"),
            Some("X-Request-Id, Retry-After, Idempotent-Replayed")
        );
        let rid = resp.header("x-request-id").expect("X-Request-Id").to_owned();
        let hex = rid.strip_prefix("req_").expect("req_ prefix");
        assert!(hex.len() >= 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()), "{rid}");
        assert!(ids.insert(rid), "request ids are unique");
    }
}

#[test]
fn hostile_bodies_and_requests_do_not_crash() {
    let srv = Server::start(&["--rate-limit", "0"]);
    let token = srv.token();
    // Over 64 KiB -> 413.
    let mut big = br#"{"amount": 1, "currency": "EUR", "redirect_url": "https://a.b", "pad": ""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 70 * 1024));
    big.extend_from_slice(b"\"}");
    let resp = srv.create_with(&token, &[], &big);
    assert_eq!((resp.status, resp.error_code().as_str()), (413, "payload_too_large"));
    // A body of exactly 64 KiB is accepted.
    let mut exact = br#"{"amount": 1, "currency": "EUR", "redirect_url": "https://a.b", "pad": ""#.to_vec();
    let pad = 64 * 1024 - exact.len() - 2;
    exact.extend(std::iter::repeat_n(b'x', pad));
    exact.extend_from_slice(b"\"}");
    assert_eq!(exact.len(), 64 * 1024);
    assert_eq!(srv.create_with(&token, &[], &exact).status, 201);
    // Very large declared length is refused at once.
    let resp = srv.request("POST", "/oauth/token", &[("Content-Length", "999999999")], b"");
    assert!(resp.status == 413 || resp.status == 400, "{}", resp.status);
    // Invalid UTF-8 -> 400.
    let resp =
        srv.create_with(&token, &[], b"{\"amount\": 1, \"currency\": \"\xff\xfe\", \"redirect_url\": \"https://a.b\"}");
    assert_eq!((resp.status, resp.error_code().as_str()), (400, "invalid_json"));
    // Deep nesting -> 400.
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let resp = srv.create_with(&token, &[], deep.as_bytes());
    assert_eq!((resp.status, resp.error_code().as_str()), (400, "invalid_json"));
    let deep_obj = format!("{{\"amount\": {}1{}}}", "{\"a\":".repeat(500), "}".repeat(500));
    assert_eq!(srv.create_with(&token, &[], deep_obj.as_bytes()).status, 400);
    // Garbage methods, paths and request lines.
    assert_eq!(srv.request("DELETE", RESOURCE, &[], b"").status, 405);
    assert_eq!(srv.request("PATCH", "/payment/request/x", &[], b"").status, 405);
    assert_eq!(srv.request("FOO", "/zzz", &[], b"").status, 404);
    assert_eq!(srv.request("GET", "/%00%ff/../..", &[], b"").status, 404);
    let junk = raw(srv.addr(), b"\x00\x01garbage\r\n\r\n").unwrap_or_default();
    assert!(junk.is_empty() || junk.starts_with(b"HTTP/1.1 4"), "{:?}", String::from_utf8_lossy(&junk));
    let junk = raw(srv.addr(), b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").unwrap_or_default();
    assert!(junk.is_empty() || junk.starts_with(b"HTTP/1.1 4"));
    // Still serving.
    assert_eq!(srv.create(&token, &valid_body()).status, 201);
}
