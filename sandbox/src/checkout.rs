//! The hosted checkout page and its pay/cancel form targets.

use bytes::Bytes;
use hyper::header::{HeaderValue, LOCATION};
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::error::html_response;
use crate::routes::with_payment;
use crate::state::{Payment, Status};

/// A checkout form action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pay,
    Cancel,
}

impl Action {
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "pay" => Some(Action::Pay),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }

    fn target(self) -> Status {
        match self {
            Action::Pay => Status::Paid,
            Action::Cancel => Status::Cancelled,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}\
         dl{{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}}dt{{font-weight:600}}\
         form{{display:inline-block;margin-right:.5rem}}button{{font-size:1rem;padding:.5rem 1.2rem}}\
         </style></head><body><main>{body}</main></body></html>\n",
        title = escape(title),
    )
}

fn page_html(p: &Payment) -> String {
    let id = escape(&p.id);
    let reference = p.reference_id.as_deref().map(escape).unwrap_or_else(|| "\u{2014}".to_owned());
    let actions = if p.status == Status::Pending {
        format!(
            "<form method=\"post\" action=\"/checkout/{id}/pay\"><button type=\"submit\" id=\"pay\">Pay</button></form>\
             <form method=\"post\" action=\"/checkout/{id}/cancel\"><button type=\"submit\" id=\"cancel\">Cancel</button></form>"
        )
    } else {
        format!("<p id=\"final\">This payment request is {}.</p>", p.status.as_str())
    };
    let body = format!(
        "<h1>Checkout</h1><dl>\
         <dt>Amount</dt><dd id=\"amount\">{amount}</dd>\
         <dt>Currency</dt><dd id=\"currency\">{currency}</dd>\
         <dt>Reference</dt><dd id=\"reference\">{reference}</dd>\
         <dt>Status</dt><dd id=\"status\">{status}</dd>\
         </dl>{actions}",
        amount = p.amount,
        currency = escape(&p.currency),
        status = p.status.as_str(),
    );
    document("Checkout", &body)
}

fn not_found() -> Response<Bytes> {
    html_response(
        StatusCode::NOT_FOUND,
        document("Not found", "<h1>Not found</h1><p>This payment request does not exist.</p>"),
    )
}

/// `GET /checkout/{id}`.
pub fn page(app: &App, id: &str) -> Response<Bytes> {
    match with_payment(app, id, |p| page_html(p)) {
        Ok(Some(html)) => html_response(StatusCode::OK, html),
        Ok(None) => not_found(),
        Err(e) => e.into_response(),
    }
}

/// Appends `payment_request_id` and `status` to a URL's query, keeping any query and fragment.
pub fn redirect_target(redirect_url: &str, id: &str, status: Status) -> String {
    let (base, fragment) = match redirect_url.find('#') {
        Some(i) => redirect_url.split_at(i),
        None => (redirect_url, ""),
    };
    let sep = match base.find('?') {
        None => "?",
        Some(i) if i + 1 == base.len() || base.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{base}{sep}payment_request_id={id}&status={}{fragment}", status.as_str())
}

/// `POST /checkout/{id}/pay` and `POST /checkout/{id}/cancel`.
pub fn act(app: &App, id: &str, action: Action) -> Response<Bytes> {
    let outcome = with_payment(app, id, |p| {
        if p.status.is_terminal() {
            Err(p.status)
        } else {
            p.status = action.target();
            Ok(redirect_target(&p.redirect_url, &p.id, p.status))
        }
    });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return e.into_response(),
    };
    match outcome {
        None => not_found(),
        Some(Err(status)) => html_response(
            StatusCode::CONFLICT,
            document(
                "Conflict",
                &format!(
                    "<h1>Already {s}</h1><p id=\"status\">{s}</p><p>This payment request can no longer be changed.</p>",
                    s = status.as_str()
                ),
            ),
        ),
        Some(Ok(location)) => {
            let link = escape(&location);
            let mut resp = html_response(
                StatusCode::SEE_OTHER,
                document("Redirecting", &format!("<p>Redirecting to <a href=\"{link}\">{link}</a>.</p>")),
            );
            // A URL with non-ASCII characters is sent in its percent-encoded form.
            let header = HeaderValue::from_str(&location)
                .ok()
                .or_else(|| url::Url::parse(&location).ok().and_then(|u| HeaderValue::from_str(u.as_str()).ok()));
            match header {
                Some(v) => {
                    resp.headers_mut().insert(LOCATION, v);
                }
                None => *resp.status_mut() = StatusCode::OK,
            }
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_query() {
        let t = |u| redirect_target(u, "X", Status::Paid);
        assert_eq!(t("https://a.b/r"), "https://a.b/r?payment_request_id=X&status=paid");
        assert_eq!(t("https://a.b/r?x=1"), "https://a.b/r?x=1&payment_request_id=X&status=paid");
        assert_eq!(t("https://a.b/r?"), "https://a.b/r?payment_request_id=X&status=paid");
        assert_eq!(t("https://a.b/r?x=1&"), "https://a.b/r?x=1&payment_request_id=X&status=paid");
        assert_eq!(t("https://a.b/r?x=1#frag"), "https://a.b/r?x=1&payment_request_id=X&status=paid#frag");
        assert_eq!(t("https://a.b#f?g"), "https://a.b?payment_request_id=X&status=paid#f?g");
    }
}
