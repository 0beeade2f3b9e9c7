//! Connection floods: under a low open-file limit, a thousand idle connections must not lock a
//! real client out, idle and slow connections are closed after the header read timeout, and
//! accept() running out of descriptors neither spins nor stops the server. Every server here is
//! the real binary, started with its own RLIMIT_NOFILE and killed by pid on drop.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// The binary with `args` under an open-file limit of `nofile` (soft and hard).
fn start_with_fd_limit(nofile: u64, args: &[&str]) -> Proc {
    let mut command = Command::new(BIN);
    command.args(args);
    // SAFETY: only the async-signal-safe setrlimit between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: nofile, rlim_max: nofile };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Proc::start_with(&mut command)
}

/// Lets this test process open a few thousand sockets itself.
fn raise_own_fd_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max.min(8192);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    assert!(limit.rlim_cur >= 2048, "this test needs about 1,100 sockets; the hard limit is {}", limit.rlim_max);
}

/// Opens up to `n` connections that send nothing, or only part of a request head (every other
/// one). Stops early when 20 connects in a row fail: the server no longer accepts at all.
fn flood(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut open = Vec::with_capacity(n);
    let mut failed_in_a_row = 0;
    for i in 0..n {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(mut s) => {
                if i % 2 == 1 {
                    // The server may already have closed it: an error here is fine.
                    let _ = s.write_all(b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                }
                open.push(s);
                failed_in_a_row = 0;
            }
            Err(_) if failed_in_a_row >= 20 => break,
            Err(_) => failed_in_a_row += 1,
        }
    }
    open
}

/// A token request that must be answered within `limit`; the time it took.
fn token_within(addr: SocketAddr, limit: Duration) -> (Resp, Duration) {
    let start = Instant::now();
    let auth = basic("sandbox_client", "sandbox_secret");
    let request = build(
        "POST",
        "/oauth/token",
        &[("Authorization", &auth), ("Content-Type", "application/x-www-form-urlencoded")],
        b"grant_type=client_credentials",
    );
    let mut stream = TcpStream::connect_timeout(&addr, limit).expect("connect");
    stream.set_read_timeout(Some(limit)).unwrap();
    stream.write_all(&request).expect("send");
    let mut out = Vec::new();
    if let Err(e) = stream.read_to_end(&mut out) {
        panic!("no answer within {limit:?} ({e}); got {:?}", String::from_utf8_lossy(&out));
    }
    let resp = parse(&out).unwrap_or_else(|| panic!("bad response {out:?}"));
    (resp, start.elapsed())
}

#[test]
fn a_flood_of_idle_connections_does_not_lock_a_client_out() {
    raise_own_fd_limit();
    let srv = start_with_fd_limit(256, &["--port", "0", "--header-read-timeout", "1"]);
    let idle = flood(srv.addr, 1_000);
    // More than 256 descriptors could hold, whatever the server does with them.
    assert!(idle.len() >= 300, "only {} of 1,000 connections were opened", idle.len());
    // Served at once (the idlest connection makes room), at worst once the flood times out.
    let (resp, took) = token_within(srv.addr, Duration::from_secs(6));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(took < Duration::from_secs(6), "{took:?}");
    eprintln!("answered in {took:?} after a flood of {} idle connections", idle.len());
    // A second flood on top of the first: still served.
    let more = flood(srv.addr, 1_000);
    let (resp, _) = token_within(srv.addr, Duration::from_secs(6));
    assert_eq!(resp.status, 200, "{}", resp.text());
    drop((idle, more));
}

/// Whether the server closes `stream` within `limit` (a read sees end of file or a reset).
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue, // a response before the close (408 or the keep-alive answer)
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some(start.elapsed()),
        }
    }
}

#[test]
fn idle_and_slow_connections_are_closed_after_the_header_read_timeout() {
    let srv = start_with_fd_limit(256, &["--port", "0", "--header-read-timeout", "1"]);
    let mut silent = TcpStream::connect(srv.addr).unwrap();
    let mut partial = TcpStream::connect(srv.addr).unwrap();
    partial.write_all(b"GET /checkout/x HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let mut kept_alive = TcpStream::connect(srv.addr).unwrap();
    kept_alive.write_all(b"GET /checkout/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    for (name, stream) in [("silent", &mut silent), ("partial head", &mut partial), ("kept alive", &mut kept_alive)] {
        let took = closed_within(stream, Duration::from_secs(5));
        assert!(took.is_some(), "the {name} connection is still open 5 s after a 1 s header read timeout");
    }
}

/// User + system CPU time of a process, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

#[test]
fn running_out_of_descriptors_neither_spins_nor_stops_the_server() {
    raise_own_fd_limit();
    // A cap far above what 64 descriptors allow: accept() itself fails with EMFILE.
    let srv = start_with_fd_limit(64, &["--port", "0", "--max-connections", "1000", "--header-read-timeout", "30"]);
    let idle = flood(srv.addr, 300);
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_time(srv.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_time(srv.pid()) - before;
    assert!(used < Duration::from_millis(300), "the server used {used:?} of CPU in 1 s with EMFILE pending");
    let (resp, took) = token_within(srv.addr, Duration::from_secs(5));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(idle);
}
