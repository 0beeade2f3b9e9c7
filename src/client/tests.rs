use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;

use super::*;
use crate::http::NeverAborted;
use crate::http::{Host, Request, RequestEvent, Response, ResponseEvent, TransportError};
use crate::limiter::LocalLimiter;
use crate::validate::{validate_client_options, validate_payment_id, validate_payment_request, Environment, Input};

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
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.script.borrow_mut().pop_front().unwrap_or_else(|| panic!("unscripted request"))
    }
}

/// Virtual time: `sleep` advances the clock at once and is recorded.
struct FakeClock(Cell<u64>, RefCell<Vec<u64>>);

impl FakeClock {
    fn at(ms: u64) -> Self {
        FakeClock(Cell::new(ms), RefCell::default())
    }
    fn slept(&self) -> Vec<u64> {
        self.1.borrow().clone()
    }
}

impl Platform for &FakeClock {
    async fn sleep(&self, ms: u64) {
        self.1.borrow_mut().push(ms);
        self.0.set(self.0.get() + ms);
    }
}

impl Host for &FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        buf.fill(0); // jitter 0: the shortest back-off
    }
}

type TestClient<'a> = Client<&'a FakeTransport, &'a FakeClock, LocalLimiter>;

fn client<'a>(t: &'a FakeTransport, clock: &'a FakeClock) -> TestClient<'a> {
    Client::new(config(), t, clock, LocalLimiter::new(0, 1_000))
}

fn create(c: &TestClient<'_>) -> Result<PaymentRequest, Error> {
    block_on(c.create_payment_request(&new_request(), &CallOptions::default(), &NeverAborted))
}

fn get(c: &TestClient<'_>, id: &PaymentId) -> Result<PaymentRequest, Error> {
    block_on(c.get_payment_request(id, &CallOptions::default(), &NeverAborted))
}

fn config() -> ClientConfig {
    validate_client_options(
        &Input::Object(vec![
            ("clientId".into(), "merchant 1".into()),
            ("clientSecret".into(), SECRET.into()),
            ("baseUrl".into(), "https://api.example.com/v1".into()),
        ]),
        Environment::default(),
    )
    .unwrap()
}

fn new_request() -> NewPaymentRequest {
    validate_payment_request(
        &Input::Object(vec![
            ("amount".into(), Input::Number(1999.0)),
            ("currency".into(), "usd".into()),
            ("redirectUrl".into(), "https://shop.example/return".into()),
            ("referenceId".into(), "order-42".into()),
        ]),
        &crate::NativeUrls,
    )
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
    let clock = FakeClock::at(1_000);
    t.token(3600);
    t.push(201, &[("x-request-id", "req_1")], &resource("pending"));
    let client = client(&t, &clock);
    let pr = create(&client).unwrap();
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
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(120);
    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("paid"));
    get(&client, &id).unwrap();
    clock.0.set(89_999); // 120 s - 30 s skew - 1 ms
    let paid = get(&client, &id).unwrap();
    assert_eq!(paid.status, crate::Status::Paid);
    assert_eq!(t.sent.borrow().len(), 3, "{:?}", t.paths());
    clock.0.set(90_000);
    t.token(120);
    t.push(200, &[], &resource("paid"));
    get(&client, &id).unwrap();
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 5);
    assert!(sent[3].url.ends_with("/oauth/token"));
    assert_eq!(sent[4].header("authorization"), Some("Bearer tok-2"));
    assert_eq!(sent[4].url, format!("https://api.example.com/v1/payment/request/{ID}"));
}

#[test]
fn a_401_drops_the_token_and_replays_once() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    t.push(401, &[], r#"{"error":{"code":"unauthorized","message":"token expired"}}"#);
    t.token(3600);
    t.push(200, &[], &resource("pending"));
    get(&client, &id).unwrap();
    assert_eq!(t.sent.borrow()[3].header("authorization"), Some("Bearer tok-2"));

    // A second 401 in a row is an error, not a loop.
    t.push(401, &[], "{}");
    t.token(3600);
    t.push(401, &[("x-request-id", "req_9")], r#"{"error":{"code":"unauthorized","message":"no"}}"#);
    let err = get(&client, &id).unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.request_id(), Some("req_9"));
    assert_eq!(t.sent.borrow().len(), 7);
}

const NO_RETRY: CallOptions =
    CallOptions { max_retries: Some(0), timeout_ms: None, total_timeout_ms: None, idempotency_key: None };

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
    let id = validate_payment_id(&ID.into()).unwrap();
    for &(status, code, retryable) in table {
        let t = FakeTransport::default();
        let clock = FakeClock::at(0);
        let client = client(&t, &clock);
        t.token(3600);
        t.push(
            status,
            &[("x-request-id", "req_7"), ("retry-after", "3")],
            r#"{"error":{"code":"server_says","message":"currency XCG is not supported","field":"currency"}}"#,
        );
        let err = block_on(client.get_payment_request(&id, &NO_RETRY, &NeverAborted)).unwrap_err();
        assert_eq!((err.code(), err.status(), err.retryable()), (code, Some(status), retryable), "{status}");
        let Error::Api(api) = &err else { panic!("{err:?}") };
        assert_eq!(api.server_code.as_deref(), Some("server_says"));
        assert_eq!(api.field.as_deref(), Some("currency"));
        assert_eq!(api.retry_after, Some(3));
        let message = err.to_string();
        assert!(message.contains(&format!("GET /payment/request/{{id}} failed with HTTP {status}")), "{message}");
        assert!(message.contains("currency XCG is not supported") && message.contains("req_7"), "{message}");
    }
}

fn idempotency_keys(t: &FakeTransport) -> Vec<String> {
    t.sent.borrow().iter().filter_map(|r| r.header("idempotency-key").map(str::to_owned)).collect()
}

#[test]
fn server_errors_are_retried_with_back_off_and_the_same_idempotency_key() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    t.token(3600);
    t.push(500, &[], "{}");
    t.push(503, &[], "{}");
    t.push(201, &[], &resource("pending"));
    let pr = create(&client).unwrap();
    assert_eq!(pr.id, ID);
    let keys = idempotency_keys(&t);
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(crate::uuid::canonical(&keys[0]).as_deref(), Some(keys[0].as_str()), "a UUID");
    assert_eq!(&keys[0][14..15], "4", "version 4");
    assert_eq!(clock.slept(), [250, 500], "equal-jitter back-off with jitter 0");
}

#[test]
fn an_exhausted_create_says_the_outcome_is_unknown_and_carries_the_key() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    t.token(3600);
    for _ in 0..3 {
        t.push(500, &[("x-request-id", "req_5")], "{}");
    }
    let options = CallOptions { idempotency_key: Some("order-42-create".into()), ..CallOptions::default() };
    let err = block_on(client.create_payment_request(&new_request(), &options, &NeverAborted)).unwrap_err();
    let Error::OutcomeUnknown { idempotency_key, source } = &err else { panic!("{err:?}") };
    assert_eq!(idempotency_key, "order-42-create");
    assert_eq!(source.status(), Some(500));
    assert_eq!(
        (err.code(), err.status(), err.request_id(), err.retryable()),
        ("server_error", Some(500), Some("req_5"), true)
    );
    assert!(err.to_string().contains("idempotencyKey \"order-42-create\""), "{err}");
    assert_eq!(idempotency_keys(&t), ["order-42-create"; 3]);

    // A lost connection after the body was sent is just as unknown.
    t.push_err(TransportError::Connect { detail: "socket hang up".into(), cause: None });
    let err = block_on(client.create_payment_request(&new_request(), &NO_RETRY, &NeverAborted)).unwrap_err();
    assert!(matches!(&err, Error::OutcomeUnknown { source, .. } if source.code() == "network_error"), "{err:?}");
    // A 4xx is not: nothing was created.
    t.push(422, &[], "{}");
    let err = create(&client).unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
}

#[test]
fn retry_after_is_honoured_in_both_forms_and_a_long_one_stops() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(784_111_777_000); // Sun, 06 Nov 1994 08:49:37 GMT
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    t.push(429, &[("retry-after", "2")], "{}");
    t.push(503, &[("retry-after", "Sun, 06 Nov 1994 08:49:49 GMT")], "{}");
    t.push(200, &[], &resource("pending"));
    get(&client, &id).unwrap();
    assert_eq!(clock.slept(), [2_000, 10_000]);
    for bad in ["-3", "1.5", "soon"] {
        t.push(429, &[("retry-after", bad)], "{}");
        t.push(200, &[], &resource("pending"));
        get(&client, &id).unwrap();
    }
    assert_eq!(clock.slept()[2..], [250, 250, 250], "malformed values fall back to the back-off");
    t.push(429, &[("retry-after", "120")], "{}");
    let err = get(&client, &id).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("rate_limited", true));
    let Error::Api(api) = err else { unreachable!() };
    assert_eq!(api.retry_after, Some(120));
    assert_eq!(t.script.borrow().len(), 0);
}

#[test]
fn a_401_replay_does_not_spend_a_retry_and_403_is_never_retried() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    t.push(401, &[], "{}");
    t.token(3600);
    t.push(500, &[], "{}");
    t.push(200, &[], &resource("paid"));
    let one_retry = CallOptions { max_retries: Some(1), ..CallOptions::default() };
    assert_eq!(
        block_on(client.get_payment_request(&id, &one_retry, &NeverAborted)).unwrap().status,
        crate::Status::Paid
    );

    let t = FakeTransport::default();
    let client = self::client(&t, &clock);
    t.push(403, &[], "{}");
    assert_eq!(get(&client, &id).unwrap_err().code(), "forbidden");
    assert_eq!(t.sent.borrow().len(), 1);
}

/// Never answers: for timeouts.
struct Hang;
impl Transport for &Hang {
    async fn send(&self, _: &Request) -> Result<Response, TransportError> {
        std::future::pending().await
    }
}

#[test]
fn attempts_time_out_and_the_deadline_bounds_the_whole_call() {
    let clock = FakeClock::at(0);
    let hang = Hang;
    let mut config = config();
    config.timeout_ms = 1_000;
    let client = Client::new(config.clone(), &hang, &clock, LocalLimiter::new(0, 1_000));
    let id = validate_payment_id(&ID.into()).unwrap();
    let err = get_with(&client, &id, &CallOptions::default()).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("timeout", true));
    assert_eq!(clock.slept(), [1_000, 250, 1_000, 500, 1_000], "three attempts of 1 s with back-off between");
    let err =
        get_with(&client, &id, &CallOptions { total_timeout_ms: Some(1_500), ..CallOptions::default() }).unwrap_err();
    assert!(matches!(err, Error::Timeout { timeout_ms: 1_500, .. }), "{err:?}");
    assert_eq!(clock.slept()[5..], [1_000, 250, 250], "the second attempt gets only what is left of the deadline");
}

fn get_with<T: Transport>(
    c: &Client<T, &FakeClock, LocalLimiter>,
    id: &PaymentId,
    o: &CallOptions,
) -> Result<PaymentRequest, Error> {
    block_on(c.get_payment_request(id, o, &NeverAborted))
}

/// Fires once the virtual clock reaches a time.
struct AbortAt<'a>(&'a FakeClock, u64);
impl Signal for AbortAt<'_> {
    fn is_aborted(&self) -> bool {
        self.0 .0.get() >= self.1
    }
    async fn aborted(&self) {
        std::future::poll_fn(|_| if self.is_aborted() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending })
            .await
    }
}

#[test]
fn an_abort_stops_everything_after_it() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    // Already aborted: nothing is sent.
    let err = block_on(client.get_payment_request(&id, &CallOptions::default(), &AbortAt(&clock, 0))).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("aborted", false));
    assert!(t.sent.borrow().is_empty());
    // Aborted while sleeping between retries: no further attempt.
    t.token(3600);
    t.push(500, &[], "{}");
    let err = block_on(client.get_payment_request(&id, &CallOptions::default(), &AbortAt(&clock, 100))).unwrap_err();
    assert_eq!(err.code(), "aborted");
    assert_eq!(t.sent.borrow().len(), 2, "the token and one attempt");
}

#[test]
fn the_limiter_paces_every_send_including_tokens_and_retries() {
    /// Records the virtual time of each send.
    struct Stamp<'a>(&'a FakeTransport, &'a FakeClock, RefCell<Vec<u64>>);
    impl Transport for &Stamp<'_> {
        async fn send(&self, r: &Request) -> Result<Response, TransportError> {
            self.2.borrow_mut().push(self.1 .0.get());
            (&self.0).send(r).await
        }
    }
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let stamp = Stamp(&t, &clock, RefCell::default());
    let client = Client::new(config(), &stamp, &clock, LocalLimiter::new(5, 1_000));
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    for i in 0..14 {
        t.push(if i % 4 == 3 { 503 } else { 200 }, &[("retry-after", "0")], &resource("pending"));
    }
    for _ in 0..11 {
        get_with(&client, &id, &CallOptions::default()).unwrap();
    }
    let sends = stamp.2.borrow();
    assert_eq!(sends.len(), 15);
    for (i, &start) in sends.iter().enumerate() {
        let in_window = sends[i..].iter().filter(|&&s| s < start + 1_000).count();
        assert!(in_window <= 5, "{sends:?}");
    }
    assert_eq!(sends[14], 2_000, "5 per second, no slower: {sends:?}");
}

#[test]
fn concurrent_calls_on_a_cold_cache_make_one_token_request() {
    /// Answers on the second poll, so that calls interleave.
    struct Slow<'a>(&'a FakeTransport);
    impl Transport for &Slow<'_> {
        async fn send(&self, r: &Request) -> Result<Response, TransportError> {
            let mut yielded = false;
            std::future::poll_fn(|cx| {
                if yielded {
                    std::task::Poll::Ready(())
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await;
            (&self.0).send(r).await
        }
    }
    /// Time stands still and timers never fire, so only the calls' interleaving matters.
    struct Frozen;
    impl Platform for &Frozen {
        async fn sleep(&self, _: u64) {
            std::future::pending().await
        }
    }
    impl Host for &Frozen {
        fn now_ms(&self) -> u64 {
            0
        }
        fn fill_random(&self, buf: &mut [u8]) {
            buf.fill(7);
        }
    }
    let t = FakeTransport::default();
    let slow = Slow(&t);
    let client = Client::new(config(), &slow, &Frozen, LocalLimiter::new(0, 1_000));
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    for _ in 0..50 {
        t.push(200, &[], &resource("pending"));
    }
    let options = CallOptions::default();
    let mut calls: Vec<_> =
        (0..50).map(|_| Box::pin(client.get_payment_request(&id, &options, &NeverAborted))).collect();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut done = 0;
    let mut results = vec![None; calls.len()];
    while done < calls.len() {
        for (i, call) in calls.iter_mut().enumerate() {
            if results[i].is_none() {
                if let std::task::Poll::Ready(r) = call.as_mut().poll(&mut cx) {
                    results[i] = Some(r.map_err(|e| e.to_string()).map(|_| ()));
                    done += 1;
                }
            }
        }
    }
    assert!(results.iter().all(|r| *r == Some(Ok(()))), "{results:?}");
    let tokens = t.sent.borrow().iter().filter(|r| r.url.ends_with("/oauth/token")).count();
    assert_eq!(tokens, 1);
}

#[test]
fn token_failures_are_typed_and_never_show_the_secret() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    t.push(403, &[], r#"{"error":{"code":"invalid_client","message":"wrong credentials"}}"#);
    let err = create(&client).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("forbidden", false));
    assert!(err.hint().contains("clientId/clientSecret"));
    let everything = format!("{err} {err:?}");
    let basic = crate::auth::basic_header("merchant 1", &crate::ClientSecret::new(SECRET));
    assert!(!everything.contains(SECRET) && !everything.contains(&basic[6..]), "{everything}");
    assert_eq!(t.sent.borrow().len(), 1, "a 403 must not be retried");

    t.push(200, &[], r#"{"access_token":"a","token_type":"mac"}"#);
    let err = create(&client).unwrap_err();
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
        let clock = FakeClock::at(0);
        let client = client(&t, &clock);
        t.token(3600);
        t.push(status, &[("x-request-id", "req_3")], body);
        let err = create(&client).unwrap_err();
        assert_eq!(err.code(), "decode_error", "{body}");
        assert_eq!(err.request_id(), Some("req_3"));
        assert!(err.to_string().contains(detail), "{err}");
    }
}

#[test]
fn transport_failures_are_network_or_decode_errors() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    t.push_err(TransportError::Connect { detail: "connection refused".into(), cause: None });
    let err = block_on(client.create_payment_request(&new_request(), &NO_RETRY, &NeverAborted)).unwrap_err();
    assert_eq!((err.code(), err.retryable(), err.status()), ("network_error", true, None));
    assert!(err.to_string().contains("POST /oauth/token: network error: connection refused"), "{err}");
    t.token(3600);
    t.push_err(TransportError::Body { status: 201, request_id: Some("req_5".into()), detail: "terminated".into() });
    let err = block_on(client.create_payment_request(&new_request(), &NO_RETRY, &NeverAborted)).unwrap_err();
    assert_eq!((err.code(), err.status(), err.request_id()), ("decode_error", Some(201), Some("req_5")));
    assert!(err.to_string().contains("cut off"));
}

#[test]
fn wait_for_payment_polls_with_growing_pauses_until_terminal() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    let id = validate_payment_id(&ID.into()).unwrap();
    t.token(3600);
    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("cancelled"));
    let done = block_on(client.wait_for_payment(&id, 60_000, &NeverAborted)).unwrap();
    assert_eq!(done.status, crate::Status::Cancelled);
    assert_eq!(clock.slept(), [1_000, 1_500, 2_250]);

    t.push(200, &[], &resource("pending"));
    t.push(200, &[], &resource("pending"));
    let err = block_on(client.wait_for_payment(&id, 2_000, &NeverAborted)).unwrap_err();
    assert!(matches!(err, Error::Timeout { timeout_ms: 2_000, .. }), "{err:?}");
    assert_eq!(t.script.borrow().len(), 0, "stopped polling at the deadline");
}

#[test]
fn observers_hear_every_attempt_but_no_credentials() {
    #[derive(Default)]
    struct Log(RefCell<Vec<String>>);
    impl Observer for std::rc::Rc<Log> {
        fn on_request(&self, e: &RequestEvent) {
            self.0.borrow_mut().push(format!("{e:?}"));
        }
        fn on_response(&self, e: &ResponseEvent) {
            self.0
                .borrow_mut()
                .push(format!("{} {} #{} -> {:?} {:?}", e.method, e.path, e.attempt, e.status, e.request_id));
        }
    }
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let log = std::rc::Rc::new(Log::default());
    let client = client(&t, &clock).with_observer(Box::new(log.clone()));
    t.token(3600);
    t.push(503, &[("x-request-id", "req_1")], "{}");
    t.push(201, &[("x-request-id", "req_2")], &resource("pending"));
    create(&client).unwrap();
    let lines = log.0.borrow();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[1], "POST /oauth/token #1 -> Some(200) None");
    assert_eq!(lines[3], "POST /payment/request #1 -> Some(503) Some(\"req_1\")");
    assert_eq!(lines[5], "POST /payment/request #2 -> Some(201) Some(\"req_2\")");
    let all = lines.join("\n");
    assert!(
        !all.contains(SECRET) && !all.contains("tok-") && !all.contains("Bearer") && !all.contains("amount"),
        "{all}"
    );
}

#[test]
fn a_create_stays_unknown_when_an_earlier_attempt_may_have_succeeded() {
    let t = FakeTransport::default();
    let clock = FakeClock::at(0);
    let client = client(&t, &clock);
    t.token(3600);
    t.push_err(TransportError::Connect { detail: "reset after the body was read".into(), cause: None });
    t.push(429, &[("retry-after", "0")], "{}");
    t.push(429, &[("retry-after", "0")], "{}");
    let err = create(&client).unwrap_err();
    let Error::OutcomeUnknown { source, .. } = &err else { panic!("{err:?}") };
    assert_eq!((source.code(), err.code()), ("rate_limited", "rate_limited"));
    // Only 4xx from the first attempt on: nothing can have been created.
    t.push(429, &[("retry-after", "0")], "{}");
    t.push(429, &[("retry-after", "0")], "{}");
    t.push(429, &[("retry-after", "0")], "{}");
    assert!(matches!(create(&client).unwrap_err(), Error::Api(_)));
}
