//! The test control API under `/_sandbox/` (enabled by `--controls`).

use bytes::Bytes;
use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::app::App;
use crate::clock;
use crate::error::{json_response, ApiError};
use crate::faults::Fault;
use crate::routes::{with_payment, Route};
use crate::state::Status;
use crate::store::Change;

/// A control endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    AddFault,
    ListFaults,
    ClearFaults,
    ExpireTokens,
    AdvanceClock,
    SetStatus(String),
    Counters,
    Reset,
}

/// Resolves the path segments after `/_sandbox/`.
pub fn resolve(method: &Method, rest: &[&str]) -> Route {
    let control = |allowed: &[(Method, Control)], allow: &'static str| {
        allowed
            .iter()
            .find(|(m, _)| m == method)
            .map_or(Route::MethodNotAllowed(allow), |(_, c)| Route::Control(c.clone()))
    };
    match rest {
        ["faults"] => control(
            &[
                (Method::POST, Control::AddFault),
                (Method::GET, Control::ListFaults),
                (Method::DELETE, Control::ClearFaults),
            ],
            "GET, POST, DELETE, OPTIONS",
        ),
        ["tokens", "expire"] => control(&[(Method::POST, Control::ExpireTokens)], "POST, OPTIONS"),
        ["clock", "advance"] => control(&[(Method::POST, Control::AdvanceClock)], "POST, OPTIONS"),
        ["payment", "request", id, "status"] if !id.is_empty() => {
            control(&[(Method::POST, Control::SetStatus((*id).to_owned()))], "POST, OPTIONS")
        }
        ["counters"] => control(&[(Method::GET, Control::Counters)], "GET, OPTIONS"),
        ["reset"] => control(&[(Method::POST, Control::Reset)], "POST, OPTIONS"),
        _ => Route::NotFound,
    }
}

fn invalid_value(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_value", message).with_field(field)
}

fn json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::invalid_json("The request body must be a JSON object.")),
        Err(e) => Err(ApiError::invalid_json(format!("The request body is not valid JSON: {e}."))),
    }
}

/// Handles a control request.
pub fn handle(app: &App, control: Control, body: &Bytes) -> Result<Response<Bytes>, ApiError> {
    let ok = |v: Value| Ok(json_response(StatusCode::OK, &v));
    match control {
        Control::AddFault => {
            let obj = json_object(body)?;
            let fault = Fault::from_json(Value::Object(obj)).map_err(|m| invalid_value("fault", m))?;
            let mut faults = app.faults();
            faults.push(fault.clone());
            Ok(json_response(StatusCode::CREATED, &json!({"fault": fault, "queued": faults.len()})))
        }
        Control::ListFaults => ok(json!({"faults": app.faults().list()})),
        Control::ClearFaults => ok(json!({"cleared": app.faults().clear()})),
        Control::ExpireTokens => {
            let mut st = app.state();
            let now = st.data.now();
            let expired = st.data.tokens.values().filter(|t| t.expires_at > now).count();
            st.commit(Change::ExpireTokens { now })?;
            ok(json!({"expired": expired}))
        }
        Control::AdvanceClock => {
            let obj = json_object(body)?;
            let seconds = match obj.get("seconds") {
                None => return Err(ApiError::missing_field("seconds")),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .filter(|s| *s >= 0)
                    .ok_or_else(|| invalid_value("seconds", "seconds must be a non-negative integer."))?,
                Some(_) => return Err(ApiError::invalid_type("seconds", "a non-negative integer")),
            };
            let mut st = app.state();
            let offset = st.data.clock_offset.saturating_add(seconds);
            st.commit(Change::ClockOffset(offset))?;
            let now = st.data.now();
            ok(json!({"offset_seconds": st.data.clock_offset, "now": clock::rfc3339(now)}))
        }
        Control::SetStatus(id) => {
            let obj = json_object(body)?;
            let status = match obj.get("status") {
                None => return Err(ApiError::missing_field("status")),
                Some(Value::String(s)) => match s.as_str() {
                    "paid" => Status::Paid,
                    "cancelled" => Status::Cancelled,
                    "expired" => Status::Expired,
                    _ => return Err(invalid_value("status", "status must be paid, cancelled or expired.")),
                },
                Some(_) => return Err(ApiError::invalid_type("status", "a string")),
            };
            let outcome = with_payment(app, &id, |p| {
                if p.status.is_terminal() {
                    Err(p.status)
                } else {
                    p.status = status;
                    Ok(p.to_json(&app.base_url))
                }
            })?;
            match outcome {
                None => Err(ApiError::not_found()),
                Some(Err(current)) => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "invalid_state",
                    format!("The payment request is already {} and can no longer change.", current.as_str()),
                )
                .with_field("status")),
                Some(Ok(resource)) => ok(resource),
            }
        }
        Control::Counters => {
            let counters = app.state().counters.clone();
            ok(serde_json::to_value(counters).unwrap_or(Value::Null))
        }
        Control::Reset => {
            app.state().reset()?;
            app.faults().clear();
            app.limiter().clear();
            ok(json!({"reset": true}))
        }
    }
}
