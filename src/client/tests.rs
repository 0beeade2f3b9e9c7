use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use super::*;
use crate::validate::{validate_client_options, validate_payment_id, validate_payment_request, Input};

const SECRET: &str = "tripwire-s3cret";

/// Answers from a script and records what it was sent.
#[derive(Default)]
struct FakeTransport {
    script: RefCell<VecDeque<Result<Response, TransportError>>>,
    sent: RefCell<Vec<Request>>,
    tokens: Cell<u32>,
}

impl FakeTransport {
    fn push(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        self.script.borrow_mut().push_back(Ok(Response {
            status,
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: body.to_owned(),
        }));
    }
    fn push_err(&self, e: TransportError) {
        self.script.borrow_mut().push_back(Err(e));
    }
    fn token(&self, expires_in: u64) {
        self.tokens.set(self.tokens.get() + 1);
        let n = self.tokens.get();
        self.push(
            200,
            &[],
            &format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":{expires_in}}}"#),
        );
    }
    fn paths(&self) -> Vec<String> {
        self.sent.borrow().iter().map(|r| format!("{} {}", r.method.as_str(), r.url)).collect()
    }
}

impl Transport for &FakeTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.sent.borrow_mut().push(request);
        self.script.borrow_mut().pop_front().unwrap_or_else(|| panic!("unscripted request"))
    }
}

struct FakeClock(Cell<u64>);
impl Clock for &FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
}

fn config() -> ClientConfig {
    validate_client_options(&Input::Object(vec![
        ("clientId".into(), "merchant 1".into()),
        ("clientSecret".into(), SECRET.into()),
        ("baseUrl".into(), "https://api.example.com/v1".into()),
    ]))
    .unwrap()
}

fn new_request() -> NewPaymentRequest {
    validate_payment_request(&Input::Object(vec![
        ("amount".into(), Input::Number(1999.0)),
        ("currency".into(), "usd".into()),
        ("redirectUrl".into(), "https://shop.example/return".into()),
        ("referenceId".into(), "order-42".into()),
    ]))
    .unwrap()
}

const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

fn resource(status: &str) -> String {
    format!(
        r#"{{"id":"{ID}","amount":1999,"currency":"USD","redirect_url":"https://shop.example/return","reference_id":"order-42","status":"{status}","checkout_url":"https://pay.example/checkout/{ID}","created_at":"2026-11-23T22:00:00Z","expires_at":"2026-11-23T22:30:00Z"}}"#
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[test]
fn create_exchanges_a_token_then_posts_the_wire_body() {
    let t = FakeTransport::default();
    let clock = FakeClock(Cell::new(1_000));
    t.token(3600);
    t.push(201, &[("x-request-id", "req_1")], &resource("pending"));
    let client = Client::new(config(), &t, &clock);
    let pr = block_on(client.create_payment_request(&new_request())).unwrap();
    assert_eq!(pr.id, ID);
    assert_eq!(pr.status, crate::Status::Pending);
    assert_eq!(pr.amount, Some(1999));
    let sent = t.sent.borrow();
    assert_eq!(sent[0].url, "https://api.example.com/v1/oauth/token");
    assert_eq!(sent[0].body.as_deref(), Some("grant_type=client_credentials"));
    assert_eq!(sent[0].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        sent[0].header("authorization"),
        Some(crate::auth::basic_header("merchant 1", &crate::ClientSecret::new(SECRET)).as_str())
    );
    assert_eq!(sent[1].url, "https://api.example.com/v1/payment/request");
    assert_eq!(sent[1].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(sent[1].header("content-type"), Some("application/json"));
    assert_eq!(
        sent[1].body.as_deref(),
        Some(
            r#"{"amount":1999,"currency":"USD","redirect_url":"https://shop.example/return","reference_id":"order-42"}"#
        )
    );
    // Debug output of a request never shows the credentials.
    let debug = format!("{:?}", *sent);
    assert!(!debug.contains("tok-1") && !debug.contains("Basic "), "{debug}");
}

#[test]
fn the_token_is_cached_until_shortly_before_expiry() {
    let t = FakeTransport::default();
    let clock = FakeClock(Cell::new(0));
    let client = Client::new(config(), &t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(120);
    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("paid"));
    block_on(client.get_payment_request(&id)).unwrap();
    clock.0.set(89_999); // 120 s - 30 s skew - 1 ms
    let paid = block_on(client.get_payment_request(&id)).unwrap();
    assert_eq!(paid.status, crate::Status::Paid);
    assert_eq!(t.sent.borrow().len(), 3, "{:?}", t.paths());
    clock.0.set(90_000);
    t.token(120);
    t.push(200, &[], &resource("paid"));
    block_on(client.get_payment_request(&id)).unwrap();
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 5);
    assert!(sent[3].url.ends_with("/oauth/token"));
    assert_eq!(sent[4].header("authorization"), Some("Bearer tok-2"));
    assert_eq!(sent[4].url, format!("https://api.example.com/v1/payment/request/{ID}"));
}

#[test]
fn a_401_drops_the_token_and_replays_once() {
    let t = FakeTransport::default();
    let clock = FakeClock(Cell::new(0));
    let client = Client::new(config(), &t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    t.push(401, &[], r#"{"error":{"code":"unauthorized","message":"token expired"}}"#);
    t.token(3600);
    t.push(200, &[], &resource("pending"));
    block_on(client.get_payment_request(&id)).unwrap();
    assert_eq!(t.sent.borrow()[3].header("authorization"), Some("Bearer tok-2"));

    // A second 401 in a row is an error, not a loop.
    t.push(401, &[], "{}");
    t.token(3600);
    t.push(401, &[("x-request-id", "req_9")], r#"{"error":{"code":"unauthorized","message":"no"}}"#);
    let err = block_on(client.get_payment_request(&id)).unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.request_id(), Some("req_9"));
    assert_eq!(t.sent.borrow().len(), 7);
}

#[test]
fn every_documented_status_maps_to_a_typed_error() {
    let table: &[(u16, &str, bool)] = &[
        (400, "bad_request", false),
        (404, "not_found", false),
        (409, "idempotency_conflict", false),
        (422, "unprocessable", false),
        (429, "rate_limited", true),
        (500, "server_error", true),
        (503, "server_error", true),
        (501, "server_error", false),
        (418, "unexpected_status", false),
    ];
    for &(status, code, retryable) in table {
        let t = FakeTransport::default();
        let clock = FakeClock(Cell::new(0));
        let client = Client::new(config(), &t, &clock);
        t.token(3600);
        t.push(
            status,
            &[("x-request-id", "req_7"), ("retry-after", "3")],
            r#"{"error":{"code":"server_says","message":"currency XCG is not supported","field":"currency"}}"#,
        );
        let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
        assert_eq!((err.code(), err.status(), err.retryable()), (code, Some(status), retryable), "{status}");
        let Error::Api(api) = &err else { panic!("{err:?}") };
        assert_eq!(api.server_code.as_deref(), Some("server_says"));
        assert_eq!(api.field.as_deref(), Some("currency"));
        assert_eq!(api.retry_after, Some(3));
        let message = err.to_string();
        assert!(message.contains(&format!("POST /payment/request failed with HTTP {status}")), "{message}");
        assert!(message.contains("currency XCG is not supported") && message.contains("req_7"), "{message}");
    }
}

#[test]
fn token_failures_are_typed_and_never_show_the_secret() {
    let t = FakeTransport::default();
    let clock = FakeClock(Cell::new(0));
    let client = Client::new(config(), &t, &clock);
    t.push(403, &[], r#"{"error":{"code":"invalid_client","message":"wrong credentials"}}"#);
    let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("forbidden", false));
    assert!(err.hint().contains("clientId/clientSecret"));
    let everything = format!("{err} {err:?}");
    let basic = crate::auth::basic_header("merchant 1", &crate::ClientSecret::new(SECRET));
    assert!(!everything.contains(SECRET) && !everything.contains(&basic[6..]), "{everything}");
    assert_eq!(t.sent.borrow().len(), 1, "a 403 must not be retried");

    t.push(200, &[], r#"{"access_token":"a","token_type":"mac"}"#);
    let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
    assert_eq!(err.code(), "decode_error");
    assert!(err.to_string().contains("expected \"Bearer\""), "{err}");
}

#[test]
fn unreadable_responses_are_decode_errors() {
    for (status, body, detail) in [
        (201, "<html>gateway hiccup</html>", "not JSON"),
        (201, r#"{"id":"x","sta"#, "not JSON"),
        (201, "", "body is empty"),
        (201, r#"{"id":"x"}"#, "no string `status`"),
    ] {
        let t = FakeTransport::default();
        let clock = FakeClock(Cell::new(0));
        let client = Client::new(config(), &t, &clock);
        t.token(3600);
        t.push(status, &[("x-request-id", "req_3")], body);
        let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
        assert_eq!(err.code(), "decode_error", "{body}");
        assert_eq!(err.request_id(), Some("req_3"));
        assert!(err.to_string().contains(detail), "{err}");
    }
}

#[test]
fn transport_failures_are_network_or_decode_errors() {
    let t = FakeTransport::default();
    let clock = FakeClock(Cell::new(0));
    let client = Client::new(config(), &t, &clock);
    t.push_err(TransportError::Connect { detail: "connection refused".into(), cause: None });
    let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
    assert_eq!((err.code(), err.retryable(), err.status()), ("network_error", true, None));
    assert!(err.to_string().contains("POST /oauth/token: network error: connection refused"));
    t.token(3600);
    t.push_err(TransportError::Body { status: 201, request_id: Some("req_5".into()), detail: "terminated".into() });
    let err = block_on(client.create_payment_request(&new_request())).unwrap_err();
    assert_eq!((err.code(), err.status(), err.request_id()), ("decode_error", Some(201), Some("req_5")));
    assert!(err.to_string().contains("cut off"));
}
