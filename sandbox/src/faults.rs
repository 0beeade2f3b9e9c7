//! Injected faults: a FIFO queue of rules matched against incoming requests.

use std::collections::VecDeque;

use hyper::header::HeaderValue;
use serde::{Deserialize, Serialize};

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` and the standard error body, without processing.
    Status,
    /// Sleep `delay_ms`, then handle normally.
    Delay,
    /// Abort the connection (TCP RST) without reading the body or changing state.
    ResetBefore,
    /// Process the request fully, then abort the connection without responding.
    ResetAfter,
    /// Process normally, send the real Content-Length but only half of the body, then close.
    Truncated,
    /// Answer 200 `text/html` `<html>gateway hiccup</html>` without processing.
    NonJson,
    /// Panic inside the handler (proves a handler panic answers 500 and does not kill the server).
    Panic,
    /// Answer `status` (a 3xx, 307 when absent) with `Location: location`
    /// without processing: a server that redirects (a client must not follow).
    Redirect,
}

/// A queued fault rule, as accepted by `POST /_sandbox/faults` and listed by `GET /_sandbox/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Exact path, or a prefix when it ends with `/*`.
    pub path: String,
    /// Method to match; any method (except OPTIONS preflights) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// How many matching requests this rule applies to (remaining).
    #[serde(default = "one")]
    pub count: u32,
    pub kind: FaultKind,
    /// Status code for kind `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Raw `Retry-After` header value sent with kind `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// Delay before handling; combines with any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// The `Location` of kind `redirect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Parses and validates a fault rule from its JSON body.
    pub fn from_json(value: serde_json::Value) -> Result<Self, String> {
        let mut fault: Fault = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if !fault.path.starts_with('/') {
            return Err("path must start with '/'".to_owned());
        }
        if fault.count == 0 {
            return Err("count must be at least 1".to_owned());
        }
        if let Some(m) = &mut fault.method {
            m.make_ascii_uppercase();
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err("method must be an HTTP method name such as POST".to_owned());
            }
        }
        match (fault.kind, fault.status) {
            (FaultKind::Status, None) => return Err("kind status needs a status".to_owned()),
            (FaultKind::Status, Some(s)) if !(400..=599).contains(&s) => {
                return Err("status must be between 400 and 599".to_owned())
            }
            (FaultKind::Redirect, Some(s)) if !(300..=399).contains(&s) => {
                return Err("status must be between 300 and 399 for kind redirect".to_owned())
            }
            _ => {}
        }
        match (&fault.kind, &fault.location) {
            (FaultKind::Redirect, None) => return Err("kind redirect needs a location".to_owned()),
            (FaultKind::Redirect, Some(l)) => {
                HeaderValue::from_str(l).map_err(|_| "location must be a valid header value".to_owned())?;
            }
            _ => {}
        }
        if fault.kind == FaultKind::Delay && fault.delay_ms.is_none() {
            return Err("kind delay needs delay_ms".to_owned());
        }
        if fault.delay_ms.is_some_and(|d| d > 60_000) {
            return Err("delay_ms must be at most 60000".to_owned());
        }
        if let Some(r) = &fault.retry_after {
            HeaderValue::from_str(r).map_err(|_| "retry_after must be a valid header value".to_owned())?;
        }
        Ok(fault)
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = match &self.method {
            Some(m) => m == method,
            None => method != "OPTIONS",
        };
        let path_ok = match self.path.strip_suffix("/*") {
            Some(prefix) => path.starts_with(prefix) && path[prefix.len()..].starts_with('/'),
            None => self.path == path,
        };
        method_ok && path_ok
    }
}

/// FIFO queue of fault rules.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: VecDeque<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        self.queue.push_back(fault);
    }

    pub fn clear(&mut self) -> usize {
        let n = self.queue.len();
        self.queue.clear();
        n
    }

    pub fn list(&self) -> Vec<Fault> {
        self.queue.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Consumes one use of the first queued rule matching the request, if any.
    pub fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let idx = self.queue.iter().position(|f| f.matches(method, path))?;
        let rule = self.queue.get_mut(idx)?;
        rule.count -= 1;
        let mut taken = rule.clone();
        taken.count = 1;
        if rule.count == 0 {
            self.queue.remove(idx);
        }
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fifo_count_and_prefix() {
        let mut q = FaultQueue::default();
        q.push(Fault::from_json(json!({"path": "/payment/*", "kind": "non_json", "count": 2})).unwrap());
        q.push(
            Fault::from_json(json!({"path": "/oauth/token", "method": "post", "kind": "status", "status": 500}))
                .unwrap(),
        );
        assert!(q.take("GET", "/payment").is_none());
        assert!(q.take("POST", "/paymentx/request").is_none());
        assert!(q.take("OPTIONS", "/payment/request").is_none());
        assert!(q.take("GET", "/oauth/token").is_none());
        assert_eq!(q.take("POST", "/payment/request").map(|f| f.kind), Some(FaultKind::NonJson));
        assert_eq!(q.take("GET", "/payment/request/x").map(|f| f.kind), Some(FaultKind::NonJson));
        assert!(q.take("GET", "/payment/request/x").is_none());
        assert_eq!(q.take("POST", "/oauth/token").and_then(|f| f.status), Some(500));
        assert!(q.is_empty());
    }

    #[test]
    fn validation() {
        assert!(Fault::from_json(json!({"path": "/x", "kind": "status"})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "status", "status": 200})).is_err());
        assert!(Fault::from_json(json!({"path": "x", "kind": "truncated"})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "bogus"})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "delay"})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "redirect"})).is_err(), "needs a location");
        assert!(Fault::from_json(json!({"path": "/x", "kind": "redirect", "location": "/y", "status": 200})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "redirect", "location": "http://a/\n"})).is_err());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "redirect", "location": "http://a/b", "status": 308}))
            .is_ok());
        assert!(Fault::from_json(json!({"path": "/x", "kind": "truncated", "count": 0})).is_err());
    }
}
