//! Checkout lifecycle, the control API, injected faults, counters and persistence over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Extracts the `action` of the form whose button has the given id.
fn form_action(html: &str, button_id: &str) -> Option<String> {
    let button = html.find(&format!("id=\"{button_id}\""))?;
    let form = html[..button].rfind("<form")?;
    let tag = &html[form..button];
    assert!(tag.contains("method=\"post\""), "{tag}");
    let start = tag.find("action=\"")? + "action=\"".len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

fn checkout(srv: &Server, id: &str) -> Resp {
    srv.request("GET", &format!("/checkout/{id}"), &[], b"")
}

#[test]
fn pay_through_the_checkout_form() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    let resp = srv.create(
        &token,
        &json!({"amount": 1999, "currency": "EUR", "redirect_url": "https://shop.example/return?order=42#top", "reference_id": "<order & 42>"}),
    );
    let v = resp.json();
    let id = v["id"].as_str().unwrap().to_owned();
    let checkout_url = v["checkout_url"].as_str().unwrap();
    let path = checkout_url.strip_prefix(&srv.url()).unwrap();

    let page = srv.request("GET", path, &[], b"");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("1999") && html.contains("EUR") && html.contains("pending"), "{html}");
    assert!(html.contains("&lt;order &amp; 42&gt;"), "reference is shown, escaped: {html}");
    assert!(!html.contains("<order"), "no raw injection");
    assert!(!html.contains("http://") && !html.contains("https://"), "self-contained, no external assets");
    assert_eq!(form_action(&html, "pay").as_deref(), Some(format!("/checkout/{id}/pay").as_str()));
    assert_eq!(form_action(&html, "cancel").as_deref(), Some(format!("/checkout/{id}/cancel").as_str()));

    let action = form_action(&html, "pay").unwrap();
    let resp = srv.request("POST", &action, &[("Content-Type", "application/x-www-form-urlencoded")], b"");
    assert_eq!(resp.status, 303, "{}", resp.text());
    assert_eq!(
        resp.header("location"),
        Some(format!("https://shop.example/return?order=42&payment_request_id={id}&status=paid#top").as_str())
    );
    assert!(resp.header("x-request-id").is_some());
    assert_eq!(srv.get(&token, &id).json()["status"], "paid");

    // Terminal: page without buttons, POSTs 409, control 409, clock cannot expire it.
    let html = checkout(&srv, &id).text();
    assert!(html.contains("paid") && form_action(&html, "pay").is_none() && !html.contains("<button"));
    for action in ["pay", "cancel"] {
        let resp = srv.request("POST", &format!("/checkout/{id}/{action}"), &[], b"");
        assert_eq!(resp.status, 409);
        assert!(resp.header("content-type").unwrap().starts_with("text/html"));
    }
    let resp = srv.control("POST", &format!("/_sandbox/payment/request/{id}/status"), json!({"status": "cancelled"}));
    assert_eq!(resp.status, 409);
    srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 100_000}));
    assert_eq!(srv.get(&srv.token(), &id).json()["status"], "paid");
}

#[test]
fn cancel_through_the_checkout_form() {
    let srv = Server::start(&[]);
    let token = srv.token();
    let resp =
        srv.create(&token, &json!({"amount": 5, "currency": "USD", "redirect_url": "https://shop.example/done"}));
    let id = resp.json()["id"].as_str().unwrap().to_owned();
    let html = checkout(&srv, &id).text();
    let resp = srv.request("POST", &form_action(&html, "cancel").unwrap(), &[], b"");
    assert_eq!(resp.status, 303);
    assert_eq!(
        resp.header("location"),
        Some(format!("https://shop.example/done?payment_request_id={id}&status=cancelled").as_str())
    );
    assert_eq!(srv.get(&token, &id).json()["status"], "cancelled");
    assert_eq!(srv.request("POST", &format!("/checkout/{id}/pay"), &[], b"").status, 409);
    // Unknown ids are 404 HTML.
    for path in ["/checkout/nope", "/checkout/nope/pay"] {
        let method = if path.ends_with("pay") { "POST" } else { "GET" };
        let resp = srv.request(method, path, &[], b"");
        assert_eq!(resp.status, 404, "{path}");
        assert!(resp.header("content-type").unwrap().starts_with("text/html"));
    }
}

#[test]
fn pending_requests_expire_on_the_virtual_clock() {
    let srv = Server::with_controls(&["--payment-ttl", "60", "--token-ttl", "100000"]);
    let token = srv.token();
    let v = srv.create_ok(&token);
    let id = v["id"].as_str().unwrap();
    // The clock counts whole seconds: 58 leaves one to two seconds, so a
    // tick of the real clock during the test cannot expire it early.
    srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 58}));
    assert_eq!(srv.get(&token, id).json()["status"], "pending");
    let resp = srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 2}));
    assert_eq!(resp.json()["offset_seconds"], 60);
    assert_eq!(srv.get(&token, id).json()["status"], "expired");
    let html = checkout(&srv, id).text();
    assert!(html.contains("expired") && !html.contains("<button"));
    assert_eq!(srv.request("POST", &format!("/checkout/{id}/pay"), &[], b"").status, 409);
    // New resources are stamped with the virtual clock.
    let later = srv.create_ok(&token);
    assert!(later["created_at"].as_str().unwrap() >= v["expires_at"].as_str().unwrap());
    for bad in [json!({"seconds": -1}), json!({"seconds": "1"}), json!({}), json!([1])] {
        assert_eq!(srv.control("POST", "/_sandbox/clock/advance", bad.clone()).status, 400, "{bad}");
    }
}

#[test]
fn control_sets_status_once() {
    let srv = Server::with_controls(&["--rate-limit", "0"]);
    let token = srv.token();
    for status in ["paid", "cancelled", "expired"] {
        let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
        let path = format!("/_sandbox/payment/request/{id}/status");
        let resp = srv.control("POST", &path, json!({"status": status}));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.json()["status"], status);
        assert_eq!(srv.get(&token, &id).json()["status"], status);
        let resp = srv.control("POST", &path, json!({"status": "paid"}));
        assert_eq!(resp.status, 409);
    }
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
    let path = format!("/_sandbox/payment/request/{id}/status");
    assert_eq!(srv.control("POST", &path, json!({"status": "pending"})).status, 400);
    assert_eq!(srv.control("POST", &path, json!({})).status, 400);
    let resp = srv.control("POST", "/_sandbox/payment/request/nope/status", json!({"status": "paid"}));
    assert_eq!(resp.status, 404);
}

#[test]
fn controls_are_404_unless_enabled() {
    let srv = Server::start(&[]);
    for (method, path) in [
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
        ("POST", "/_sandbox/tokens/expire"),
        ("POST", "/_sandbox/clock/advance"),
        ("GET", "/_sandbox/counters"),
        ("POST", "/_sandbox/reset"),
    ] {
        let resp = srv.control(method, path, json!({"seconds": 1}));
        assert_eq!((resp.status, resp.error_code().as_str()), (404, "not_found"), "{method} {path}");
    }
}

#[test]
fn injected_status_faults() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "method": "POST", "kind": "status", "status": 500}));
    srv.fault(json!({"path": "/payment/request", "kind": "status", "status": 429, "retry_after": "2"}));
    srv.fault(json!({"path": "/payment/request", "kind": "status", "status": 503}));
    let resp = srv.create(&token, &valid_body());
    assert_eq!((resp.status, resp.error_code().as_str()), (500, "internal_error"));
    assert!(resp.header("x-request-id").is_some());
    let resp = srv.create(&token, &valid_body());
    assert_eq!((resp.status, resp.error_code().as_str()), (429, "rate_limited"));
    assert_eq!(resp.header("retry-after"), Some("2"));
    let resp = srv.create(&token, &valid_body());
    assert_eq!(resp.status, 503);
    resp.error_code();
    assert_eq!(srv.create(&token, &valid_body()).status, 201, "faults are consumed");
    let c = srv.counters();
    assert_eq!(c["payment_requests_created"], 1);
    assert_eq!(c["requests"]["POST /payment/request"], 4, "faulted requests still count");
}

#[test]
fn fault_matching_prefix_method_count_and_fifo() {
    let srv = Server::with_controls(&["--rate-limit", "0"]);
    let token = srv.token();
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
    srv.fault(json!({"path": "/payment/*", "method": "get", "kind": "status", "status": 502, "count": 2}));
    srv.fault(json!({"path": "/payment/request/*", "kind": "non_json"}));
    srv.fault(json!({"path": "/_sandbox/*", "kind": "status", "status": 500}));
    let listed = srv.control("GET", "/_sandbox/faults", Value::Null).json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 3);
    assert_eq!(srv.create(&token, &valid_body()).status, 201, "POST does not match the GET rule");
    assert_eq!(srv.get(&token, &id).status, 502);
    assert_eq!(srv.get(&token, &id).status, 502);
    let resp = srv.get(&token, &id);
    assert_eq!(resp.status, 200);
    assert!(resp.header("content-type").unwrap().starts_with("text/html"), "next rule in FIFO order");
    let resp = srv.get(&token, &id);
    assert_eq!((resp.status, resp.header("content-type")), (200, Some("application/json")));
    assert_eq!(srv.counters()["requests"]["GET /payment/request"], 4, "controls are never faulted");
    let resp = srv.control("DELETE", "/_sandbox/faults", Value::Null);
    assert_eq!(resp.json()["cleared"], 1);
    for bad in [
        json!({"path": "/x", "kind": "status"}),
        json!({"path": "/x", "kind": "explode"}),
        json!({"kind": "truncated"}),
        json!({"path": "/x", "kind": "delay"}),
    ] {
        assert_eq!(srv.control("POST", "/_sandbox/faults", bad.clone()).status, 400, "{bad}");
    }
}

#[test]
fn non_json_prefix_fault() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "non_json"}));
    let resp = srv.create(&token, &valid_body());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(resp.text(), "<html>gateway hiccup</html>");
    assert!(resp.header("x-request-id").is_some());
    assert_eq!(srv.counters()["payment_requests_created"], 0, "not processed");
}

#[test]
fn delay_fault_then_normal_handling() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "delay", "delay_ms": 300}));
    let start = Instant::now();
    let resp = srv.create(&token, &valid_body());
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status, 201);
    let start = Instant::now();
    srv.fault(json!({"path": "/payment/request", "kind": "status", "status": 500, "delay_ms": 200}));
    assert_eq!(srv.create(&token, &valid_body()).status, 500);
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn reset_before_leaves_no_resource() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "reset_before"}));
    let key = [("Idempotency-Key", "retry-me")];
    let body = valid_body().to_string();
    let result =
        srv.try_request("POST", RESOURCE, &[("Authorization", &format!("Bearer {token}")), key[0]], body.as_bytes());
    assert!(result.is_err(), "no response: {result:?}");
    let c = srv.counters();
    assert_eq!(c["payment_requests_created"], 0);
    assert_eq!(c["requests"]["POST /payment/request"], 1);
    // The key was not stored: the retry creates the resource for the first time.
    let retry = srv.create_with(&token, &key, body.as_bytes());
    assert_eq!(retry.status, 201);
    assert!(retry.header("idempotent-replayed").is_none());
}

#[test]
fn reset_after_leaves_the_resource_created() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "reset_after"}));
    let key = [("Idempotency-Key", "retry-me")];
    let body = valid_body().to_string();
    let bearer = format!("Bearer {token}");
    let result = srv.try_request("POST", RESOURCE, &[("Authorization", &bearer), key[0]], body.as_bytes());
    assert!(result.is_err(), "no response: {result:?}");
    assert_eq!(srv.counters()["payment_requests_created"], 1);
    let retry = srv.create_with(&token, &key, body.as_bytes());
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"), "the key was stored");
    let id = retry.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(srv.get(&token, &id).status, 200);
}

#[test]
fn truncated_response_has_real_length_and_half_body() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "truncated"}));
    let resp = srv.create(&token, &valid_body());
    assert_eq!(resp.status, 201);
    let declared: usize = resp.header("content-length").unwrap().parse().unwrap();
    assert!(declared > 100);
    assert_eq!(resp.body.len(), declared / 2);
    assert!(serde_json::from_slice::<Value>(&resp.body).is_err());
    assert_eq!(srv.counters()["payment_requests_created"], 1, "processed normally");
}

#[test]
fn handler_panic_answers_500_and_server_survives() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    srv.fault(json!({"path": "/payment/request", "kind": "panic"}));
    let resp = srv.create(&token, &valid_body());
    assert_eq!((resp.status, resp.error_code().as_str()), (500, "internal_error"));
    assert_eq!(srv.create(&token, &valid_body()).status, 201);
}

#[test]
fn counters_and_reset() {
    let srv = Server::with_controls(&[]);
    let token = srv.token();
    let id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
    srv.create_with(&token, &[("Idempotency-Key", "a")], valid_body().to_string().as_bytes());
    srv.create_with(&token, &[("Idempotency-Key", "a")], valid_body().to_string().as_bytes());
    srv.get(&token, &id);
    srv.get(&token, "missing");
    checkout(&srv, &id);
    srv.request("POST", &format!("/checkout/{id}/pay"), &[], b"");
    srv.request("OPTIONS", RESOURCE, &[], b"");
    let c = srv.counters();
    assert_eq!(
        c,
        json!({
            "requests": {
                "POST /oauth/token": 1,
                "POST /payment/request": 3,
                "GET /payment/request": 2,
                "GET /checkout": 1,
                "POST /checkout/pay": 1,
            },
            "tokens_issued": 1,
            "payment_requests_created": 2,
            "idempotent_replays": 1,
            "rate_limited": 1,
        })
    );
    srv.fault(json!({"path": "/payment/request", "kind": "status", "status": 500}));
    let resp = srv.control("POST", "/_sandbox/reset", Value::Null);
    assert_eq!(resp.status, 200);
    let c = srv.counters();
    assert_eq!(c["tokens_issued"], 0);
    assert_eq!(c["requests"], json!({}));
    assert_eq!(srv.get(&token, &id).status, 401, "tokens cleared");
    let token = srv.token();
    assert_eq!(srv.get(&token, &id).status, 404, "payments cleared");
    assert_eq!(srv.create(&token, &valid_body()).status, 201, "faults cleared");
}

#[test]
fn state_survives_a_restart() {
    let path = temp_path("state.db");
    let state = path.to_str().unwrap().to_owned();
    let (token, pending_id, paid_id, replay_body) = {
        let srv = Server::with_controls(&["--state", &state, "--rate-limit", "0"]);
        let token = srv.token();
        srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 120}));
        let body = valid_body().to_string();
        let first = srv.create_with(&token, &[("Idempotency-Key", "persist")], body.as_bytes());
        let pending_id = first.json()["id"].as_str().unwrap().to_owned();
        let paid_id = srv.create_ok(&token)["id"].as_str().unwrap().to_owned();
        assert_eq!(srv.request("POST", &format!("/checkout/{paid_id}/pay"), &[], b"").status, 303);
        (token, pending_id, paid_id, first.json())
    };
    let head = std::fs::read(&path).unwrap();
    assert!(head.starts_with(b"SQLite format 3\0"), "the state file is an SQLite database");

    let srv = Server::with_controls(&["--state", &state]);
    let mut got = srv.get(&token, &pending_id).json();
    let mut expected = replay_body.clone();
    for v in [&mut got, &mut expected] {
        v.as_object_mut().unwrap().remove("checkout_url"); // the port differs after a restart
    }
    assert_eq!(got, expected, "token and resource survive");
    assert_eq!(srv.get(&token, &paid_id).json()["status"], "paid");
    let replay = srv.create_with(&token, &[("Idempotency-Key", "persist")], valid_body().to_string().as_bytes());
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()["id"], pending_id.as_str());
    let clock = srv.control("POST", "/_sandbox/clock/advance", json!({"seconds": 0}));
    assert_eq!(clock.json()["offset_seconds"], 120, "clock offset survives");
    drop(srv);

    // Without --state nothing is kept.
    let srv = Server::start(&[]);
    assert_eq!(srv.get(&token, &pending_id).status, 401);
    remove_state(&path);
}
