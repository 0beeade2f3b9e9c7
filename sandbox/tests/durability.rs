//! `--state`: an acknowledged change is durable, a change that cannot be written is neither
//! acknowledged nor kept, a write costs the same however many payments are stored, and an old
//! JSON state file is refused. Every server here is the real binary, killed by pid on drop.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Sets the file-size limit (RLIMIT_FSIZE) of a running process. Root is subject to it too: a
/// write that would grow a file past it fails with EFBIG, a real storage failure.
fn set_file_size_limit(pid: u32, bytes: Option<u64>) {
    let value = bytes.unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit { rlim_cur: value, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: plain system call on another process; `limit` outlives it, the old value is not read.
    let rc = unsafe { libc::prlimit(pid as libc::pid_t, libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

fn file_len(path: &Path, suffix: &str) -> u64 {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// The sandbox with `--state`, with SIGXFSZ ignored so that exceeding the file-size limit is a
/// failed write (EFBIG) rather than the death of the process.
fn start_ignoring_sigxfsz(state: &str) -> Proc {
    let mut command = Command::new(BIN);
    command.args(["--port", "0", "--rate-limit", "0", "--state", state]);
    // SAFETY: only async-signal-safe `signal` between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    Proc::start_with(&mut command)
}

#[test]
fn a_failed_write_is_not_acknowledged_and_not_kept() {
    let path = temp_path("fail.db");
    let state = path.to_str().unwrap().to_owned();
    let mut srv = start_ignoring_sigxfsz(&state);
    let token = srv.token();
    let first = srv.create_keyed(&token, "key-a");
    assert_eq!(first.status, 201, "{}", first.text());
    let id_a = first.json()["id"].as_str().unwrap().to_owned();

    // From now on no state file may grow: the next write fails for real (EFBIG).
    let size = [file_len(&path, ""), file_len(&path, "-wal")].into_iter().max().unwrap();
    set_file_size_limit(srv.pid(), Some(size));
    let failed = srv.create_keyed(&token, "key-b");
    assert_eq!(failed.status, 500, "a create that was not written is not acknowledged: {}", failed.text());
    assert_eq!(failed.error_code(), "internal_error");
    let again = srv.create_keyed(&token, "key-b");
    assert_eq!(again.status, 500, "nothing of the failed create was kept in memory: {}", again.text());
    assert_eq!(srv.token_resp().status, 500, "a token that cannot be stored is not issued");
    assert_eq!(srv.get(&token, &id_a).status, 200, "reads still work");

    // The storage recovers: the key creates its payment now, once.
    set_file_size_limit(srv.pid(), None);
    let created = srv.create_keyed(&token, "key-b");
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("idempotent-replayed"), None, "the failed attempts stored nothing to replay");
    let id_b = created.json()["id"].as_str().unwrap().to_owned();
    srv.kill9();

    let srv = Proc::start(&["--port", "0", "--rate-limit", "0", "--state", &state]);
    for (key, id) in [("key-a", &id_a), ("key-b", &id_b)] {
        let replay = srv.create_keyed(&token, key);
        assert_eq!(replay.status, 201, "{}", replay.text());
        assert_eq!(replay.header("idempotent-replayed"), Some("true"), "{key}: no second payment");
        assert_eq!(replay.json()["id"], id.as_str(), "{key}");
        assert_eq!(srv.get(&token, id).status, 200, "{key}: {id} survives the restart");
    }
    drop(srv);
    remove_state(&path);
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let path = temp_path("kill.db");
    let state = path.to_str().unwrap().to_owned();
    let args = ["--port", "0", "--rate-limit", "0", "--controls", "--state", &state];
    let mut srv = Proc::start(&args);
    let token = srv.token();
    let advanced = srv.request("POST", "/_sandbox/clock/advance", &[], br#"{"seconds": 90}"#);
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    // A burst from four clients at once; everything acknowledged is recorded.
    let acknowledged: Vec<(String, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (srv, token) = (&srv, &token);
                s.spawn(move || {
                    (0..40)
                        .map(|i| {
                            let key = format!("burst-{t}-{i}");
                            let resp = srv.create_keyed(token, &key);
                            assert_eq!(resp.status, 201, "{}", resp.text());
                            (key, resp.json()["id"].as_str().unwrap().to_owned())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let paid = &acknowledged[0].1;
    assert_eq!(srv.request("POST", &format!("/checkout/{paid}/pay"), &[], b"").status, 303);
    srv.kill9();

    let srv = Proc::start(&args);
    assert_eq!(srv.get(&token, paid).json()["status"], "paid", "the acknowledged status change survives");
    let clock = srv.request("POST", "/_sandbox/clock/advance", &[], br#"{"seconds": 0}"#);
    assert_eq!(clock.json()["offset_seconds"], 90, "the clock offset survives");
    for (key, id) in &acknowledged {
        assert_eq!(srv.get(&token, id).status, 200, "{id} was acknowledged, so it survives kill -9");
        let replay = srv.create_keyed(&token, key);
        assert_eq!(replay.header("idempotent-replayed"), Some("true"), "{key}: {}", replay.text());
        assert_eq!(replay.json()["id"], id.as_str(), "{key}: the same payment, not a second one");
    }
    drop(srv);
    remove_state(&path);
}

/// Median time of `n` sequential creates, each on a new connection.
fn median_create(srv: &Proc, token: &str, prefix: &str, n: usize) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let start = Instant::now();
            let resp = srv.create_keyed(token, &format!("{prefix}-{i}"));
            let elapsed = start.elapsed();
            assert_eq!(resp.status, 201, "{}", resp.text());
            elapsed
        })
        .collect();
    times.sort();
    times[n / 2]
}

#[test]
fn write_cost_does_not_grow_with_the_stored_payments() {
    const TARGET: usize = 5_000;
    const STEP: usize = 500;
    let path = temp_path("cost.db");
    let state = path.to_str().unwrap().to_owned();
    let srv = Proc::start(&["--port", "0", "--rate-limit", "0", "--state", &state]);
    let token = srv.token();
    let _warm_up = median_create(&srv, &token, "warm", 10);
    let small = median_create(&srv, &token, "small", 31);
    let mut stored = 10 + 31;
    // Fill in steps (four clients at once), checking as it goes, so that a write cost that grows
    // with the size fails early instead of taking minutes to reach the target.
    while stored < TARGET {
        std::thread::scope(|s| {
            for t in 0..4 {
                let (srv, token) = (&srv, &token);
                s.spawn(move || {
                    for i in 0..STEP / 4 {
                        let resp = srv.create_keyed(token, &format!("fill-{stored}-{t}-{i}"));
                        assert_eq!(resp.status, 201, "{}", resp.text());
                    }
                });
            }
        });
        stored += STEP;
        let now = median_create(&srv, &token, &format!("at-{stored}"), 15);
        stored += 15;
        assert!(
            now <= small * 6,
            "a create costs {now:?} at {stored} stored payments, {small:?} at 10: the cost grows with the size"
        );
    }
    let large = median_create(&srv, &token, "large", 31);
    eprintln!("median create: {small:?} at ~10 stored payments, {large:?} at {stored}");
    assert!(large <= small * 3, "a create costs {large:?} at {stored} stored payments, {small:?} at 10");
    drop(srv);
    remove_state(&path);
}

#[test]
fn an_old_json_state_file_is_refused() {
    let path = temp_path("old.json");
    let old = r#"{
  "payments": {},
  "tokens": {},
  "idempotency": {},
  "clock_offset": 0
}"#;
    std::fs::write(&path, old).unwrap();
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--state", path.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = status.expect("the sandbox refuses to start on a JSON state file, it does not serve");
    assert!(!status.success(), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let expected =
        format!("{} is a JSON state file from an older payreq-sandbox; remove it or pass a new path", path.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), old, "the old file is left as it was");
    let _ = std::fs::remove_file(&path);
}
