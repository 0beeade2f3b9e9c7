//! The transport: the global `fetch`, with one `AbortController` per attempt.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Cause;
use crate::http::{Request, Response, Transport, TransportError};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, looked up at call time (so it works in Workers,
    /// Node, Deno, Bun and browsers, none of which need a `window`).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;

    type FetchResponse;
    #[wasm_bindgen(method, getter)]
    fn status(this: &FetchResponse) -> u16;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &FetchResponse) -> FetchHeaders;
    #[wasm_bindgen(method)]
    fn text(this: &FetchResponse) -> js_sys::Promise;

    type AbortController;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<AbortController, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);

    type FetchHeaders;
    #[wasm_bindgen(method)]
    fn get(this: &FetchHeaders, name: &str) -> Option<String>;
}

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `object[key] = value` on a fresh plain object (no `Reflect.set`
    /// wrapper that catches exceptions that cannot happen).
    fn put(object: &js_sys::Object, key: &str, value: &JsValue);
}

/// Sends requests with the global `fetch`.
pub(crate) struct FetchTransport;

/// The message of a JS error and of its `cause` (Node's `fetch failed`
/// hides the reason, e.g. ECONNREFUSED, there).
fn describe(error: &JsValue) -> String {
    let text =
        |v: &JsValue, key: &str| js_sys::Reflect::get(v, &JsValue::from_str(key)).ok().and_then(|m| m.as_string());
    let mut detail = text(error, "message").unwrap_or_else(|| "fetch failed".to_owned());
    if let Ok(cause) = js_sys::Reflect::get(error, &JsValue::from_str("cause")) {
        if let Some(reason) = text(&cause, "code").or_else(|| text(&cause, "message")) {
            detail.push_str(" (");
            detail.push_str(&reason);
            detail.push(')');
        }
    }
    detail
}

use put as set;

impl Transport for FetchTransport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let init = js_sys::Object::new();
        set(&init, "method", &JsValue::from_str(request.method.as_str()));
        let headers = js_sys::Object::new();
        for (name, value) in &request.headers {
            set(&headers, name, &JsValue::from_str(value));
        }
        set(&init, "headers", &headers);
        if let Some(body) = &request.body {
            set(&init, "body", &JsValue::from_str(body));
        }
        // One controller per attempt: when the core drops this future (a
        // timeout, the caller's abort), the guard aborts the request itself.
        let guard = AbortOnDrop(AbortController::new().ok());
        if let Some(controller) = &guard.0 {
            set(&init, "signal", &controller.signal());
        }
        let connect = |e: JsValue| TransportError::Connect { detail: describe(&e), cause: Some(Cause(Box::new(e))) };
        let promise = global_fetch(&request.url, &init).map_err(connect)?;
        let response: FetchResponse = super::platform::settled(&promise).await.map_err(connect)?.unchecked_into();
        let status = response.status();
        let js_headers = response.headers();
        // Only the headers the core reads: each copied string costs.
        let headers = crate::http::READ_HEADERS
            .iter()
            .filter_map(|&name| Some((name.to_owned(), js_headers.get(name)?)))
            .collect();
        let body = super::platform::settled(&response.text()).await.map_err(|e| TransportError::Body {
            status,
            request_id: js_headers.get(crate::http::REQUEST_ID[0]),
            detail: describe(&e),
        })?;
        guard.disarm();
        Ok(Response { status, headers, body: body.as_string().unwrap_or_default() })
    }
}

struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}
