//! The JavaScript surface: every `#[wasm_bindgen]` item of the crate.
//!
//! This layer only converts: JS values into [`Input`], core results into JS
//! objects, core errors into the `Error` subclasses of `errors.js`. All rules
//! live in the core.

mod convert;
mod fetch;

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::client::Client;
use crate::error::Error;
use crate::validate::{validate_client_options, validate_payment_id, validate_payment_request};
use convert::{error_to_js, payment_request_to_js, to_input, validation_result_to_js};
use fetch::{FetchTransport, JsClock};

/// A payment-request API client for server-side code.
#[wasm_bindgen]
pub struct PaymentClient {
    inner: Rc<Client<FetchTransport, JsClock>>,
}

#[wasm_bindgen]
impl PaymentClient {
    /// Creates a client from `{ clientId, clientSecret, baseUrl }`.
    ///
    /// # Errors
    /// Throws a `ValidationError` naming each invalid option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<PaymentClient, JsValue> {
        let config = validate_client_options(&to_input(&options)).map_err(|e| error_to_js(Error::Validation(e)))?;
        Ok(PaymentClient { inner: Rc::new(Client::new(config, FetchTransport, JsClock)) })
    }

    /// Validates `input` and creates a payment request; resolves to the resource.
    ///
    /// # Errors
    /// Rejects with a `ValidationError` before any network call, or with the
    /// typed error of the failed call.
    #[wasm_bindgen(js_name = createPaymentRequest)]
    pub fn create_payment_request(&self, input: JsValue) -> js_sys::Promise {
        let request = validate_payment_request(&to_input(&input));
        let client = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let request = request.map_err(|e| error_to_js(Error::Validation(e)))?;
            let created = client.create_payment_request(&request).await.map_err(error_to_js)?;
            Ok(payment_request_to_js(&created))
        })
    }

    /// Reads a payment request by its UUID (any case).
    ///
    /// # Errors
    /// Rejects with a `ValidationError` for an id that is not a UUID, before
    /// any network call, or with the typed error of the failed call.
    #[wasm_bindgen(js_name = getPaymentRequest)]
    pub fn get_payment_request(&self, id: JsValue) -> js_sys::Promise {
        let id = validate_payment_id(&to_input(&id));
        let client = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let id = id.map_err(|e| error_to_js(Error::Validation(crate::ValidationErrors(vec![e]))))?;
            let found = client.get_payment_request(&id).await.map_err(error_to_js)?;
            Ok(payment_request_to_js(&found))
        })
    }
}

/// Checks a payment request without a network call or a secret:
/// `{ ok: true, value }` or `{ ok: false, errors: [{ field, code, message }] }`.
#[wasm_bindgen(js_name = validatePaymentRequest)]
pub fn validate_payment_request_js(input: JsValue) -> JsValue {
    validation_result_to_js(validate_payment_request(&to_input(&input)))
}
