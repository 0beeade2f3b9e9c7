//! Routing and the public API handlers: token issuance and payment requests.

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CACHE_CONTROL, LOCATION};
use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::app::App;
use crate::basic;
use crate::checkout::{self, Action};
use crate::controls::{self, Control};
use crate::error::{json_response, ApiError};
use crate::ids;
use crate::state::{IdempotencyRecord, Payment, Status, Token};
use crate::store::Change;
use crate::validate;

/// A resolved route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Token,
    CreatePayment,
    GetPayment(String),
    Checkout(String),
    CheckoutAction(String, Action),
    Control(Control),
    MethodNotAllowed(&'static str),
    NotFound,
}

impl Route {
    /// Resolves a method and path.
    pub fn resolve(method: &Method, path: &str, controls_enabled: bool) -> Route {
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let is = |m: Method| *method == m;
        match segments.as_slice() {
            ["oauth", "token"] if is(Method::POST) => Route::Token,
            ["oauth", "token"] => Route::MethodNotAllowed("POST, OPTIONS"),
            ["payment", "request"] if is(Method::POST) => Route::CreatePayment,
            ["payment", "request"] => Route::MethodNotAllowed("POST, OPTIONS"),
            ["payment", "request", id] if !id.is_empty() && is(Method::GET) => Route::GetPayment((*id).to_owned()),
            ["payment", "request", id] if !id.is_empty() => Route::MethodNotAllowed("GET, OPTIONS"),
            ["checkout", id] if !id.is_empty() && is(Method::GET) => Route::Checkout((*id).to_owned()),
            ["checkout", id] if !id.is_empty() => Route::MethodNotAllowed("GET, OPTIONS"),
            ["checkout", id, action] if !id.is_empty() => match Action::parse(action) {
                Some(a) if is(Method::POST) => Route::CheckoutAction((*id).to_owned(), a),
                Some(_) => Route::MethodNotAllowed("POST, OPTIONS"),
                None => Route::NotFound,
            },
            ["_sandbox", rest @ ..] if controls_enabled => controls::resolve(method, rest),
            _ => Route::NotFound,
        }
    }

    /// Counter key: method + route template with the id segments collapsed, e.g. `GET /payment/request`.
    /// `None` for controls, 404s and 405s, which are not counted.
    pub fn counter_key(&self, method: &Method) -> Option<String> {
        let template = match self {
            Route::Token => "/oauth/token",
            Route::CreatePayment | Route::GetPayment(_) => "/payment/request",
            Route::Checkout(_) => "/checkout",
            Route::CheckoutAction(_, Action::Pay) => "/checkout/pay",
            Route::CheckoutAction(_, Action::Cancel) => "/checkout/cancel",
            Route::Control(_) | Route::MethodNotAllowed(_) | Route::NotFound => return None,
        };
        Some(format!("{method} {template}"))
    }

    /// Whether faults may apply (never to controls).
    pub fn faultable(&self) -> bool {
        !matches!(self, Route::Control(_))
    }
}

/// Handles a resolved route with its fully read body.
pub fn handle(app: &App, route: Route, headers: &HeaderMap, body: &Bytes) -> Response<Bytes> {
    let result = match route {
        Route::Token => issue_token(app, headers, body),
        Route::CreatePayment => create_payment(app, headers, body),
        Route::GetPayment(id) => get_payment(app, headers, &id),
        Route::Checkout(id) => return checkout::page(app, &id),
        Route::CheckoutAction(id, action) => return checkout::act(app, &id, action),
        Route::Control(c) => controls::handle(app, c, body),
        Route::MethodNotAllowed(allow) => Err(ApiError::method_not_allowed(allow)),
        Route::NotFound => Err(ApiError::not_found()),
    };
    result.unwrap_or_else(ApiError::into_response)
}

fn issue_token(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<Response<Bytes>, ApiError> {
    let (id, secret) = headers
        .get(AUTHORIZATION)
        .and_then(|h| basic::parse_basic(h.as_bytes()))
        .ok_or_else(ApiError::invalid_client)?;
    if !app.config.clients.iter().any(|(i, s)| *i == id && *s == secret) {
        return Err(ApiError::invalid_client());
    }
    app.rate_check(&id)?;
    let grant = basic::parse_form(body).and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "grant_type"));
    if grant.is_none_or(|(_, v)| v != "client_credentials") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials.",
        )
        .with_field("grant_type"));
    }
    let token = ids::access_token();
    let mut st = app.state();
    let expires_at = st.data.now().saturating_add_unsigned(app.config.token_ttl);
    st.commit(Change::IssueToken { token: token.clone(), record: Token { client_id: id, expires_at } })?;
    st.counters.tokens_issued += 1;
    drop(st);
    let mut resp = json_response(
        StatusCode::OK,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": app.config.token_ttl}),
    );
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Authenticates a Bearer token and applies the rate limit; returns the token's client_id.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .ok_or_else(ApiError::unauthorized)?;
    let client_id = {
        let st = app.state();
        let now = st.data.now();
        st.data
            .tokens
            .get(&token)
            .filter(|t| now < t.expires_at)
            .map(|t| t.client_id.clone())
            .ok_or_else(ApiError::unauthorized)?
    };
    app.rate_check(&client_id)?;
    Ok(client_id)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else { return Ok(None) };
    let bytes = raw.as_bytes();
    if (1..=255).contains(&bytes.len()) && bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
        )
        .with_field("Idempotency-Key"))
    }
}

fn created(body: &Value, id: &str, replayed: bool) -> Response<Bytes> {
    let mut resp = json_response(StatusCode::CREATED, body);
    if let Ok(loc) = HeaderValue::from_str(&format!("/payment/request/{id}")) {
        resp.headers_mut().insert(LOCATION, loc);
    }
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

fn create_payment(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<Response<Bytes>, ApiError> {
    let client_id = authenticate(app, headers)?;
    let key = idempotency_key(headers)?;
    let request: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_json(format!("The request body is not valid JSON: {e}.")))?;
    let new = validate::new_payment(&request, &app.config.currencies)?;

    let mut st = app.state();
    if let Some(key) = &key {
        if let Some(record) = st.data.idempotency.get(&client_id).and_then(|m| m.get(key)) {
            if record.request != request {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used with a different request body.",
                )
                .with_field("Idempotency-Key"));
            }
            let resp = created(&record.response, &record.payment_id, true);
            st.counters.idempotent_replays += 1;
            return Ok(resp);
        }
    }
    let now = st.data.now();
    let payment = Payment {
        id: ids::uuid_v4(),
        amount: new.amount,
        currency: new.currency,
        redirect_url: new.redirect_url,
        reference_id: new.reference_id,
        status: Status::Pending,
        created_at: now,
        expires_at: now.saturating_add_unsigned(app.config.payment_ttl),
        client_id: client_id.clone(),
    };
    let response = payment.to_json(&app.base_url);
    let idempotency = key.map(|key| {
        let record = IdempotencyRecord { request, payment_id: payment.id.clone(), response: response.clone() };
        (client_id, key, record)
    });
    let id = payment.id.clone();
    st.commit(Change::CreatePayment { payment, idempotency })?;
    st.counters.payment_requests_created += 1;
    Ok(created(&response, &id, false))
}

fn get_payment(app: &App, headers: &HeaderMap, id: &str) -> Result<Response<Bytes>, ApiError> {
    authenticate(app, headers)?;
    let body = with_payment(app, id, |p| p.to_json(&app.base_url))?.ok_or_else(ApiError::not_found)?;
    Ok(json_response(StatusCode::OK, &body))
}

/// Looks up a payment request, applies lazy expiry, runs `f` on a copy, and commits the copy
/// if its status changed. `Ok(None)`: no such payment request.
///
/// # Errors
///
/// The status change could not be written: the stored payment request is unchanged and the
/// request must fail with this error.
pub fn with_payment<T>(app: &App, id: &str, f: impl FnOnce(&mut Payment) -> T) -> Result<Option<T>, ApiError> {
    let mut st = app.state();
    let now = st.data.now();
    let Some(stored) = st.data.payments.get(id) else { return Ok(None) };
    let before = stored.status;
    let mut payment = stored.clone();
    payment.refresh(now);
    let out = f(&mut payment);
    if payment.status != before {
        st.commit(Change::UpdatePayment(payment))?;
    }
    Ok(Some(out))
}
