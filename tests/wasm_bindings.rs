//! wasm-bindgen tests of `src/bindings/` (JS value conversions, error objects,
//! the flows' `begin`/`step` contract, the browser guard). The calls here are
//! driven by `call` below, a test-only stand-in for js/core.js's driver
//! (which the JS suites test in every runtime). `make test-wasm` runs this file with
//! `wasm-pack test --node`, `--headless --chrome` and `--headless --firefox`
//! (scripts/test-wasm.sh; `WASM_BINDGEN_USE_BROWSER=1` for the browsers, since
//! the file is not pinned to one runtime).
#![cfg(target_arch = "wasm32")]
// A test (a wasm of its own, not the package's): it may format (clippy.toml).
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// True in a page (Chromium, Firefox), false under Node.
fn in_browser() -> bool {
    let global: JsValue = js_sys::global().into();
    !get(&global, "window").is_undefined() && !get(&global, "document").is_undefined()
}

/// Client options with a secret; in a browser they also carry
/// `dangerouslyAllowBrowser: true`, without which the client refuses the secret.
fn client_options(base_url: &str) -> JsValue {
    let mut pairs = vec![
        ("clientId", JsValue::from_str("a")),
        ("clientSecret", JsValue::from_str("s")),
        ("baseUrl", JsValue::from_str(base_url)),
    ];
    if in_browser() {
        pairs.push(("dangerouslyAllowBrowser", JsValue::TRUE));
    }
    object(&pairs)
}

fn order(amount: JsValue) -> JsValue {
    object(&[
        ("amount", amount),
        ("currency", JsValue::from_str("usd")),
        ("redirectUrl", JsValue::from_str("https://shop.example/return")),
    ])
}

/// Sends one request as js/core.js's driver does (without its timer), and
/// answers with `step`'s event, status, text and value.
fn send_function() -> js_sys::Function {
    js_sys::Function::new_with_args(
        "text, signal",
        r#"
        const [, url, method, ...rest] = text.split("\0");
        if (signal?.aborted) return Promise.resolve([8, 0, "", undefined]);
        const init = { method, headers: {} };
        if (rest.length & 1) init.body = rest.pop();
        for (let i = 0; i < rest.length; i += 2) init.headers[rest[i]] = rest[i + 1];
        return fetch(url, init).then(
          (r) => r.text().then((body) => {
            const h = (n) => r.headers.get(n) ?? "";
            // The fourth text is a redirect's Location origin (none here).
            return [4, r.status, [h("retry-after"), h("x-request-id"), h("request-id"), "", body].join("\0"), undefined];
          }),
          (e) => [5, 0, "", e],
        );
        "#,
    )
}

/// Runs call `kind` (0 create, 1 get) of `client` to its end: `begin`, then
/// `step` until it returns the resource or throws; sends and waits for real.
async fn call(
    client: &payreq::PaymentClient,
    kind: u32,
    target: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let signal = if options.is_object() { get(&options, "signal") } else { JsValue::UNDEFINED };
    let id = client.begin(kind, target, options)?;
    let send = send_function();
    let (mut event, mut status, mut text, mut value) = (0, 0.0, String::new(), JsValue::UNDEFINED);
    loop {
        let action = payreq::step(id, event, status, text, value)?;
        if let Some(request) = action.as_string() {
            let answer =
                JsFuture::from(js_sys::Promise::from(send.call2(&JsValue::NULL, &request.into(), &signal)?)).await?;
            let answer = js_sys::Array::from(&answer);
            event = answer.get(0).as_f64().unwrap() as u32;
            status = answer.get(1).as_f64().unwrap();
            text = answer.get(2).as_string().unwrap();
            value = answer.get(3);
        } else if let Some(ms) = action.as_f64() {
            assert!(ms >= 0.0, "no shared limiter and one call at a time: {ms}");
            let sleep = js_sys::Promise::new(&mut |resolve, _| {
                let set_timeout: js_sys::Function = get(&js_sys::global().into(), "setTimeout").into();
                set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms)).unwrap();
            });
            JsFuture::from(sleep).await?;
            (event, status, text, value) = (2, 0.0, String::new(), JsValue::UNDEFINED);
        } else {
            return Ok(action);
        }
    }
}

/// The codes of `validatePaymentRequest(input)`, empty when valid.
fn codes(input: JsValue) -> Vec<String> {
    let result = payreq::validate_payment_request_js(input);
    if get(&result, "ok") == JsValue::TRUE {
        return vec![];
    }
    js_sys::Array::from(&get(&result, "errors")).iter().map(|e| get(&e, "code").as_string().unwrap()).collect()
}

#[wasm_bindgen_test]
fn js_numbers_cross_the_boundary_exactly() {
    // NaN, -0, fractions and huge numbers would all be silently changed by an
    // integer parameter; they arrive as f64 and are refused by name.
    assert_eq!(codes(order(JsValue::from_f64(f64::NAN))), ["amount_nan"]);
    assert_eq!(codes(order(JsValue::from_f64(-0.0))), ["amount_negative_zero"]);
    assert_eq!(codes(order(JsValue::from_f64(0.5))), ["amount_fraction"]);
    assert_eq!(codes(order(JsValue::from_f64(9_007_199_254_740_992.0))), ["amount_unsafe_integer"]);
    assert_eq!(codes(order(JsValue::from_str("1999"))), ["amount_not_number"]);
    assert_eq!(codes(order(JsValue::from(js_sys::Symbol::for_("x")))), ["amount_not_number"]);
    assert!(codes(order(JsValue::from_f64(1999.0))).is_empty());
}

#[wasm_bindgen_test]
fn bigints_are_read_and_returned_exactly() {
    let big = js_sys::BigInt::from(i64::MAX);
    let result = payreq::validate_payment_request_js(order(big.clone().into()));
    let amount = get(&get(&result, "value"), "amount");
    assert!(amount.is_bigint());
    assert_eq!(amount, JsValue::from(big));
    let over = js_sys::BigInt::from(i64::MAX as u64 + 1);
    assert_eq!(codes(order(over.into())), ["amount_too_large"]);
    let small = payreq::validate_payment_request_js(order(js_sys::BigInt::from(5).into()));
    assert_eq!(get(&get(&small, "value"), "amount"), JsValue::from_f64(5.0), "safe integers come back as numbers");
}

#[wasm_bindgen_test]
fn non_objects_and_nested_values_are_described() {
    assert_eq!(codes(JsValue::UNDEFINED), ["input_not_object"]);
    assert_eq!(codes(js_sys::Array::new().into()), ["input_not_object"]);
    let nested = object(&[("amount", object(&[]))]);
    let all = codes(nested);
    assert_eq!(all[0], "amount_not_number");
}

#[wasm_bindgen_test]
fn constructor_errors_are_typed_js_errors() {
    let options = client_options("http://evil.example");
    let err = payreq::PaymentClient::new(options).err().unwrap();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "name"), JsValue::from_str("ValidationError"));
    assert_eq!(get(&err, "code"), JsValue::from_str("validation_failed"));
    assert_eq!(get(&err, "field"), JsValue::from_str("baseUrl"));
    assert_eq!(get(&err, "retryable"), JsValue::FALSE);
    assert_eq!(get(&err, "status"), JsValue::NULL);
}

#[wasm_bindgen_test]
async fn invalid_input_rejects_the_promise_without_a_request() {
    // Nothing listens here; a request would fail as a network error instead.
    let options = client_options("http://127.0.0.1:1");
    let client = payreq::PaymentClient::new(options).unwrap();
    let none = JsValue::UNDEFINED;
    let err = call(&client, 0, order(JsValue::from_f64(-1.0)), none.clone()).await.unwrap_err();
    assert_eq!(get(&err, "code"), JsValue::from_str("validation_failed"));
    let errors = js_sys::Array::from(&get(&err, "errors"));
    assert_eq!(get(&errors.get(0), "code"), JsValue::from_str("amount_negative"));
    let err = call(&client, 1, JsValue::from_str("../x"), none).await.unwrap_err();
    assert_eq!(get(&err, "field"), JsValue::from_str("id"));
    let no_retry = object(&[("maxRetries", JsValue::from_f64(0.0))]);
    let net = call(&client, 1, JsValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), no_retry).await.unwrap_err();
    assert_eq!(get(&net, "code"), JsValue::from_str("network_error"));
    assert!(get(&net, "cause").dyn_ref::<js_sys::Error>().is_some(), "fetch's own error is the cause");
}

#[wasm_bindgen_test]
fn an_unknown_or_out_of_place_event_ends_the_call_with_a_typed_internal_error() {
    // Nothing listens here: nothing is sent before the first step's answer. No
    // limiter, so the token request is the first step's answer whatever ran before.
    let options = client_options("http://127.0.0.1:1");
    js_sys::Reflect::set(&options, &JsValue::from_str("rateLimit"), &JsValue::from_f64(0.0)).unwrap();
    let client = payreq::PaymentClient::new(options).unwrap();
    let id = |kind| client.begin(kind, JsValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), JsValue::UNDEFINED);
    // An event number the core does not know, first: never read as a start.
    let err = payreq::step(id(1).unwrap(), 99, 0.0, String::new(), JsValue::UNDEFINED).unwrap_err();
    assert_eq!(get(&err, "code"), JsValue::from_str("internal_error"));
    assert_eq!(get(&err, "name"), JsValue::from_str("PayreqError"));
    assert!(get(&err, "message").as_string().unwrap().contains("unknown event 99"));
    // A wait's end (2) while the token request is in flight: not a timeout, so not retried.
    let flow = id(1).unwrap();
    assert!(payreq::step(flow, 0, 0.0, String::new(), JsValue::UNDEFINED).unwrap().is_string(), "a send");
    let err = payreq::step(flow, 2, 0.0, String::new(), JsValue::UNDEFINED).unwrap_err();
    assert_eq!(get(&err, "code"), JsValue::from_str("internal_error"));
    assert_eq!(get(&err, "retryable"), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn an_aborted_signal_rejects_with_an_abort_error_and_its_reason() {
    let options = client_options("http://127.0.0.1:1");
    let client = payreq::PaymentClient::new(options).unwrap();
    let controller = web_abort_controller();
    let reason = JsValue::from_str("user left the page");
    js_sys::Reflect::apply(&get(&controller, "abort").into(), &controller, &js_sys::Array::of1(&reason)).unwrap();
    let options = object(&[("signal", get(&controller, "signal"))]);
    let err = call(&client, 1, JsValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), options).await.unwrap_err();
    assert_eq!(get(&err, "name"), JsValue::from_str("AbortError"));
    assert_eq!(get(&err, "code"), JsValue::from_str("aborted"));
    assert_eq!(get(&err, "cause"), reason);
    let bad = object(&[("signal", JsValue::from_str("soon"))]);
    let err = call(&client, 1, JsValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), bad).await.unwrap_err();
    assert_eq!(get(&err, "field"), JsValue::from_str("signal"));
}

#[wasm_bindgen_test]
fn a_secret_is_refused_in_a_page_and_accepted_on_a_server() {
    let options = object(&[
        ("clientId", JsValue::from_str("a")),
        ("clientSecret", JsValue::from_str("tripwire-wasm-secret")),
        ("baseUrl", JsValue::from_str("http://127.0.0.1:1")),
    ]);
    let result = payreq::PaymentClient::new(options);
    if in_browser() {
        let err = result.err().unwrap();
        assert_eq!(get(&err, "name"), JsValue::from_str("ValidationError"));
        assert_eq!(get(&err, "field"), JsValue::from_str("clientSecret"));
        let errors = js_sys::Array::from(&get(&err, "errors"));
        assert_eq!(get(&errors.get(0), "code"), JsValue::from_str("secret_in_browser"));
        let message = get(&err, "message").as_string().unwrap();
        assert!(message.contains("dangerouslyAllowBrowser") && !message.contains("tripwire"), "{message}");
    } else {
        assert!(result.is_ok(), "a server runtime takes the secret without dangerouslyAllowBrowser");
    }
}

fn web_abort_controller() -> JsValue {
    let ctor: js_sys::Function = get(&js_sys::global().into(), "AbortController").into();
    js_sys::Reflect::construct(&ctor, &js_sys::Array::new()).unwrap()
}

/// A fake `fetch` for the host `https://fake.payreq.test` (anything else goes
/// to the real one): a token, and a payment request for every create and read.
/// Returns the function that puts the real `fetch` back.
fn install_fake_fetch() -> js_sys::Function {
    let install = js_sys::Function::new_no_args(
        r#"
        const real = globalThis.fetch;
        const base = "https://fake.payreq.test";
        const resource = JSON.stringify({
          id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", status: "pending", amount: 1999, currency: "USD",
          redirect_url: "https://shop.example/return", checkout_url: base + "/checkout/x",
          created_at: "2026-01-01T00:00:00Z", expires_at: "2026-01-01T01:00:00Z",
        });
        const token = JSON.stringify({ access_token: "fake-token", token_type: "Bearer", expires_in: 3600 });
        globalThis.fetch = (url, init) => {
          url = String(url);
          if (!url.startsWith(base + "/")) return real(url, init);
          const body = url === base + "/oauth/token" ? token : resource;
          const status = init.method === "POST" && body === resource ? 201 : 200;
          const headers = new Headers({ "content-type": "application/json", "x-request-id": "req-1" });
          return Promise.resolve({ status, headers, text: () => Promise.resolve(body) });
        };
        return () => { globalThis.fetch = real; };
        "#,
    );
    install.call0(&JsValue::UNDEFINED).unwrap().unchecked_into()
}

/// The size of the wasm linear memory, which only ever grows (by 64 KiB pages).
fn wasm_memory_bytes() -> f64 {
    get(&get(&wasm_bindgen::memory(), "buffer"), "byteLength").as_f64().unwrap()
}

/// One request: a create or a read, with or without an `AbortSignal`.
async fn one_request(client: &payreq::PaymentClient, i: u32) {
    let options = if i % 2 == 0 {
        object(&[("signal", get(&web_abort_controller(), "signal"))])
    } else {
        object(&[("timeoutMs", JsValue::from_f64(20_000.0))])
    };
    let pr = if i % 3 == 0 {
        call(client, 1, JsValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), options).await
    } else {
        call(client, 0, order(JsValue::from_f64(1999.0)), options).await
    };
    let pr = pr.unwrap();
    assert_eq!(get(&pr, "status"), JsValue::from_str("pending"));
}

#[wasm_bindgen_test]
async fn requests_release_their_flows_and_signals() {
    // Every request holds a flow, its client and the caller's signal in the
    // wasm; all of them must be freed when it ends, or the wasm memory grows
    // with every request.
    let restore = install_fake_fetch();
    let options = client_options("https://fake.payreq.test");
    js_sys::Reflect::set(&options, &JsValue::from_str("rateLimit"), &JsValue::from_f64(0.0)).unwrap();
    let client = payreq::PaymentClient::new(options).unwrap();
    // Warm-up: the token, the allocator's free lists, the flows' slots.
    for i in 0..300 {
        one_request(&client, i).await;
    }
    let before = wasm_memory_bytes();
    const REQUESTS: u32 = 2_000;
    for i in 0..REQUESTS {
        one_request(&client, i).await;
    }
    let after = wasm_memory_bytes();
    restore.call0(&JsValue::UNDEFINED).unwrap();
    assert_eq!(
        after,
        before,
        "wasm memory grew by {} bytes over {REQUESTS} requests after warm-up: something a request made was not freed",
        after - before
    );
}
