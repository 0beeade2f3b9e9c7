//! The `payreq-sandbox` binary: first stdout line, serving, `--help`, bad flags, clean exit on SIGTERM/SIGINT.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_payreq-sandbox");

/// Kills the child by pid on drop, including when a test panics.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ChildGuard {
    fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill").arg(format!("-{sig}")).arg(self.0.id().to_string()).status().unwrap();
        assert!(status.success());
    }
}

fn spawn(args: &[&str]) -> (ChildGuard, SocketAddr) {
    let child =
        Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("binary starts");
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (guard, addr)
}

fn get(addr: SocketAddr, path: &str) -> Resp {
    parse(&raw(addr, &build("GET", path, &[], b"")).unwrap()).unwrap()
}

#[test]
fn prints_address_serves_and_exits_cleanly_on_sigterm() {
    let (mut child, addr) = spawn(&["--port", "0", "--controls"]);
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let auth = basic("sandbox_client", "sandbox_secret");
    let resp = parse(
        &raw(addr, &build("POST", "/oauth/token", &[("Authorization", &auth)], b"grant_type=client_credentials"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(get(addr, "/_sandbox/counters").status, 200);
    child.signal("TERM");
    let status = child.wait_timeout(Duration::from_secs(10)).expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn exits_cleanly_on_sigint() {
    let (mut child, addr) = spawn(&["--port", "0"]);
    assert_eq!(get(addr, "/_sandbox/counters").status, 404, "controls are off by default");
    child.signal("INT");
    let status = child.wait_timeout(Duration::from_secs(10)).expect("exits after SIGINT");
    assert!(status.success(), "{status:?}");
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--port",
        "--client-id",
        "--client-secret",
        "--token-ttl",
        "--payment-ttl",
        "--rate-limit",
        "--currencies",
        "--public-url",
        "--controls",
        "--state",
        "--max-connections",
        "--header-read-timeout",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
    assert!(help.contains("sandbox_client") && help.contains("3600") && help.contains("1800"));
}

#[test]
fn bad_flags_are_refused() {
    for args in [
        &["--client-id", "only-an-id"][..],
        &["--currencies", ""],
        &["--port", "x"],
        &["--public-url", "nope"],
        &["--max-connections", "0"],
        &["--header-read-timeout", "0"],
        &["--header-read-timeout", "-1"],
        &["--header-read-timeout", "NaN"],
    ] {
        let out = Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
        assert!(!out.success(), "{args:?}");
    }
}

#[test]
fn public_url_sets_checkout_base() {
    let (_child, addr) = spawn(&["--port", "0", "--public-url", "https://sandbox.example/base/"]);
    let auth = basic("sandbox_client", "sandbox_secret");
    let token = parse(
        &raw(addr, &build("POST", "/oauth/token", &[("Authorization", &auth)], b"grant_type=client_credentials"))
            .unwrap(),
    )
    .unwrap()
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let body = valid_body().to_string();
    let resp =
        parse(&raw(addr, &build("POST", RESOURCE, &[("Authorization", &bearer)], body.as_bytes())).unwrap()).unwrap();
    let v = resp.json();
    assert_eq!(v["checkout_url"], format!("https://sandbox.example/base/checkout/{}", v["id"].as_str().unwrap()));
}

#[test]
fn exits_when_stdin_closes_with_exit_with_stdin() {
    let child = Command::new(BIN)
        .args(["--port", "0", "--exit-with-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    assert!(guard.wait_timeout(Duration::from_millis(300)).is_none(), "still serving while stdin is open");
    drop(guard.0.stdin.take());
    let status = guard.wait_timeout(Duration::from_secs(10)).expect("exits after stdin closes");
    assert!(status.success(), "{status:?}");
}
