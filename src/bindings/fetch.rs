//! The transport: the global `fetch`, with one `AbortController` per attempt.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Cause;
use crate::http::{Request, Response, Transport, TransportError};

#[wasm_bindgen]
extern "C" {
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
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);

    type FetchHeaders;
    #[wasm_bindgen(method)]
    fn get(this: &FetchHeaders, name: &str) -> Option<String>;
}

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `fetch(url, { method, headers, body, signal: controller?.signal })`
    /// with the global `fetch`, looked up at call time (so it works in
    /// Workers, Node, Deno, Bun and browsers, none of which need a
    /// `window`). The strings come as one `text`, joined by NULs: the URL,
    /// the method, each header's name and value, and the body if there is
    /// one more: one string to decode, not a dozen.
    #[wasm_bindgen(catch)]
    fn send(text: &str, controller: Option<&AbortController>) -> Result<js_sys::Promise, JsValue>;
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

impl Transport for FetchTransport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        // One controller per attempt: when the core drops this future (a
        // timeout, the caller's abort), the guard aborts the request itself.
        let guard = AbortOnDrop(AbortController::new().ok());
        let connect = |e: JsValue| TransportError::Connect { detail: describe(&e), cause: Some(Cause(Box::new(e))) };
        // No NUL can be in the URL (a parsed URL's href), a header name, the
        // JSON body or the validated idempotency key; a token with one could
        // not be sent either (`fetch` refuses NULs in header values).
        if request.headers.iter().any(|(_, value)| value.bytes().any(|b| b == 0)) {
            return Err(TransportError::Connect { detail: "NUL in a header value".to_owned(), cause: None });
        }
        let mut text = request.url.clone();
        let mut add = |piece: &str| {
            text.push('\0');
            text.push_str(piece);
        };
        add(request.method.as_str());
        for (name, value) in &request.headers {
            add(name);
            add(value);
        }
        if let Some(body) = &request.body {
            add(body);
        }
        let promise = send(&text, guard.0.as_ref()).map_err(connect)?;
        drop(text);
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
