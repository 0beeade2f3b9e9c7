//! Test helpers: an in-process sandbox per test and a minimal HTTP/1.1 client over std TcpStream.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
pub use serde_json::{json, Value};

pub const RESOURCE: &str = "/payment/request";

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts the standard error shape and returns the error code.
    pub fn error_code(&self) -> String {
        assert_eq!(self.header("content-type"), Some("application/json"), "{self:?}");
        let v = self.json();
        let err = v.get("error").unwrap_or_else(|| panic!("no error object: {v}"));
        let obj = err.as_object().expect("error is an object");
        assert_eq!(obj.len(), 3, "error has exactly code, message, field: {v}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(err["field"].is_null() || err["field"].is_string(), "{v}");
        err["code"].as_str().expect("code is a string").to_owned()
    }

    pub fn error_field(&self) -> Option<String> {
        self.json()["error"]["field"].as_str().map(str::to_owned)
    }
}

/// Sends raw bytes and reads until the server closes the connection.
pub fn raw(addr: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    stream.write_all(request)?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out)?;
    Ok(out)
}

/// Parses a raw response (the body is whatever followed the head, even if short).
pub fn parse(raw: &[u8]) -> Option<Resp> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Resp { status, headers, body: raw[end + 4..].to_vec() })
}

/// Builds an HTTP/1.1 request with `Connection: close` and a Content-Length.
pub fn build(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// `application/x-www-form-urlencoded` encoding of one component.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A correct RFC 6749 §2.3.1 Basic header.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{}:{}", form_encode(id), form_encode(secret))))
}

/// A Basic header with the parts NOT form-urlencoded.
pub fn basic_raw(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub fn valid_body() -> Value {
    json!({"amount": 1999, "currency": "EUR", "redirect_url": "https://shop.example/return?order=42", "reference_id": "order-42"})
}

/// An in-process sandbox on a free port, stopped on drop.
pub struct Server {
    pub handle: payreq_sandbox::Handle,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut all = vec!["payreq-sandbox", "--port", "0"];
        all.extend_from_slice(args);
        let config = payreq_sandbox::Config::from_args(all).expect("valid flags");
        Server { handle: payreq_sandbox::spawn(config).expect("sandbox starts") }
    }

    /// With `--controls`.
    pub fn with_controls(args: &[&str]) -> Server {
        let mut all = vec!["--controls"];
        all.extend_from_slice(args);
        Self::start(&all)
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn try_request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Resp> {
        let bytes = raw(self.addr(), &build(method, path, headers, body))?;
        parse(&bytes).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad response: {bytes:?}")))
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.try_request(method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn token_request(&self, authorization: &str, body: &str) -> Resp {
        self.request(
            "POST",
            "/oauth/token",
            &[("Authorization", authorization), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }

    pub fn token_for(&self, id: &str, secret: &str) -> String {
        let resp = self.token_request(&basic(id, secret), "grant_type=client_credentials");
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["access_token"].as_str().expect("access_token").to_owned()
    }

    pub fn token(&self) -> String {
        self.token_for("sandbox_client", "sandbox_secret")
    }

    pub fn create_with(&self, token: &str, extra: &[(&str, &str)], body: &[u8]) -> Resp {
        let bearer = format!("Bearer {token}");
        let mut headers = vec![("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        self.request("POST", RESOURCE, &headers, body)
    }

    pub fn create(&self, token: &str, body: &Value) -> Resp {
        self.create_with(token, &[], body.to_string().as_bytes())
    }

    /// Creates a valid payment request and returns its resource.
    pub fn create_ok(&self, token: &str) -> Value {
        let resp = self.create(token, &valid_body());
        assert_eq!(resp.status, 201, "{}", resp.text());
        resp.json()
    }

    pub fn get(&self, token: &str, id: &str) -> Resp {
        let bearer = format!("Bearer {token}");
        self.request("GET", &format!("{RESOURCE}/{id}"), &[("Authorization", &bearer)], b"")
    }

    pub fn control(&self, method: &str, path: &str, body: Value) -> Resp {
        let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        self.request(method, path, &[("Content-Type", "application/json")], &body)
    }

    pub fn fault(&self, spec: Value) {
        let resp = self.control("POST", "/_sandbox/faults", spec);
        assert_eq!(resp.status, 201, "{}", resp.text());
    }

    pub fn counters(&self) -> Value {
        let resp = self.control("GET", "/_sandbox/counters", Value::Null);
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()
    }
}

/// Whether a string is a lower-case UUID v4.
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && s.chars().enumerate().all(|(i, c)| [8, 13, 18, 23].contains(&i) || matches!(c, '0'..='9' | 'a'..='f'))
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Whether a string is RFC 3339 UTC with whole seconds, e.g. `2026-11-23T22:08:46Z`.
pub fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// A unique temporary path (not created).
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("payreq-sandbox-{}-{nanos}-{name}", std::process::id()))
}

/// Removes a state database and its WAL, if any.
pub fn remove_state(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let _ = std::fs::remove_file(wal);
}

/// The `payreq-sandbox` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_payreq-sandbox");

/// A `payreq-sandbox` process, killed by pid (SIGKILL) when dropped, also when a test panics.
pub struct Proc {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl Proc {
    /// Starts the binary with `args` and reads the address from its first stdout line.
    pub fn start(args: &[&str]) -> Proc {
        Self::start_with(std::process::Command::new(BIN).args(args))
    }

    /// Starts a prepared command (stdout is piped here, stderr inherited) and reads the address.
    pub fn start_with(command: &mut std::process::Command) -> Proc {
        use std::io::BufRead;
        let child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut proc = Proc { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let stdout = proc.child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let _ = io::BufReader::new(stdout).read_line(&mut line);
        proc.addr = line
            .trim_end()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        proc
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reaps the process.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let bytes =
            raw(self.addr, &build(method, path, headers, body)).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        parse(&bytes).unwrap_or_else(|| panic!("{method} {path}: bad response {bytes:?}"))
    }

    pub fn token_resp(&self) -> Resp {
        let auth = basic("sandbox_client", "sandbox_secret");
        self.request(
            "POST",
            "/oauth/token",
            &[("Authorization", &auth), ("Content-Type", "application/x-www-form-urlencoded")],
            b"grant_type=client_credentials",
        )
    }

    pub fn token(&self) -> String {
        let resp = self.token_resp();
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["access_token"].as_str().expect("access_token").to_owned()
    }

    /// `POST /payment/request` with a valid body and an Idempotency-Key.
    pub fn create_keyed(&self, token: &str, key: &str) -> Resp {
        let bearer = format!("Bearer {token}");
        let body = valid_body().to_string();
        self.request(
            "POST",
            RESOURCE,
            &[("Authorization", &bearer), ("Content-Type", "application/json"), ("Idempotency-Key", key)],
            body.as_bytes(),
        )
    }

    pub fn get(&self, token: &str, id: &str) -> Resp {
        let bearer = format!("Bearer {token}");
        self.request("GET", &format!("{RESOURCE}/{id}"), &[("Authorization", &bearer)], b"")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}
