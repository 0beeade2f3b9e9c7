//! payreq: a client for the payment-request API, built as a pure Rust core
//! and compiled to WebAssembly for every JavaScript runtime.
//!
//! The core (validation, wire format, token cache, error mapping) has no
//! JavaScript dependency and runs natively; the platform enters through the
//! [`Transport`], [`Platform`], [`Signal`] and [`limiter::RateLimiter`] traits. Everything `#[wasm_bindgen]` lives in
//! the `bindings` module, compiled only for `wasm32`.
//!
//! ```
//! use payreq::{validate_payment_request, Input, NativeUrls};
//! let input = Input::Object(vec![
//!     ("amount".into(), Input::Number(19.99)),
//!     ("currency".into(), "USD".into()),
//!     ("redirectUrl".into(), "http://shop.example/return".into()),
//! ]);
//! let errors = validate_payment_request(&input, &NativeUrls).unwrap_err();
//! let codes: Vec<_> = errors.0.iter().map(|e| e.code).collect();
//! assert_eq!(codes, ["amount_fraction", "redirect_url_not_https"]);
//! ```
#![deny(missing_docs)]
// Every public fallible or panicking function says when, in `# Errors` / `# Panics`.
#![deny(clippy::missing_errors_doc, clippy::missing_panics_doc)]
// No unwrap()/expect() outside tests: a panic traps and poisons the wasm instance.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// No core::fmt in the library (format!, write!, to_string(), ...): clippy.toml
// lists what links it and what to use instead; tests format freely.
#![cfg_attr(test, allow(clippy::disallowed_macros, clippy::disallowed_methods))]
// The npm package's wasm is built without the `std` feature: no std, so no
// panic or formatting machinery of std in the bytes every Worker ships.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

/// What std's prelude would give, for the `no_std` wasm build.
#[allow(unused_imports)]
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec;
    pub(crate) use alloc::vec::Vec;
}

/// A panic traps (`unreachable`), as `panic = "abort"` does with std; the
/// JS side re-instantiates the module after a trap (js/core.js).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod auth;
mod client;
mod currency;
mod currency_data;
mod error;
pub mod flow;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod fuzzing;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod heap;
mod http;
mod json;
pub mod limiter;
mod race;
mod redact;
pub mod retry;
mod secret;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod snapshot;
mod text;
mod urls;
mod uuid;
mod validate;
mod wire;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub use bindings::{step, validate_payment_request_js, PaymentClient};

pub use auth::{DEFAULT_TOKEN_TTL_MS, REFRESH_SKEW_MS};
pub use client::Client;
pub use currency::minor_unit_exponent;
pub use error::{ApiError, ApiErrorKind, Cause, Error, FieldError, Operation, ValidationErrors};
pub use flow::{Action, Core, Event, Flow, POLL_INITIAL_MS, POLL_MAX_MS};
pub use http::{
    Host, Method, NeverAborted, Observer, Platform, Request, RequestEvent, Response, ResponseEvent, Signal, Transport,
    TransportError, MAX_RESPONSE_BYTES,
};
pub use secret::{AccessToken, ClientSecret};
#[cfg(not(target_arch = "wasm32"))]
pub use urls::NativeUrls;
pub use urls::{ParsedUrl, UrlParser};
pub use validate::{
    validate_call_options, validate_client_options, validate_payment_id, validate_payment_request,
    validate_wait_options, BaseUrl, CallOptions, ClientConfig, Environment, Input, NewPaymentRequest, PaymentId,
    CALL_OPTIONS, CLIENT_OPTIONS, DEFAULT_TIMEOUT_MS, DEFAULT_WAIT_MS, MAX_REDIRECT_URL_BYTES, MAX_REFERENCE_ID_CHARS,
    MAX_RETRIES_LIMIT, MAX_SAFE_INTEGER, PAYMENT_REQUEST_FIELDS,
};
pub use wire::{PaymentRequest, Status};
