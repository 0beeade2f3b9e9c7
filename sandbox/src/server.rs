//! The HTTP layer: accept loop, connection cap and timeouts, per-connection control (resets,
//! truncation), body limits, fault injection, panic isolation, and the headers every response
//! carries.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::app::{lock, App};
use crate::error::{html_response, ApiError};
use crate::faults::FaultKind;
use crate::ids;
use crate::routes::{self, Route};

/// Largest accepted request body.
pub const MAX_BODY: usize = 64 * 1024;
/// Oversized bodies up to this size are drained before answering 413, so the client reliably
/// receives the response; larger declared bodies are refused at once.
const DRAIN_LIMIT: usize = 4 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Response body type: a full body, or a deliberately truncated one.
pub type ResBody = BoxBody<Bytes, BoxError>;

/// Per-connection handle that lets a handler abort its connection, and the accept loop close
/// it when it is idle and a new connection needs its place.
struct Conn {
    kill: Notify,
    /// A duplicate of the socket, used to set `SO_LINGER 0` so closing sends a TCP RST.
    socket: Option<std::net::TcpStream>,
    /// Requests of this connection being handled now; 0 means idle (before its first request,
    /// between keep-alive requests, or sending headers, maybe slowly).
    busy: AtomicUsize,
    /// When it last became idle, in milliseconds since the server started.
    idle_since: AtomicU64,
    /// Closed to make room for a new connection; its task is ending.
    closing: AtomicBool,
}

impl Conn {
    fn reset(&self) {
        if let Some(s) = &self.socket {
            let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
        }
        self.kill.notify_one();
    }

    /// Closes the connection (a FIN, not a reset): the connection task ends at once.
    fn close(&self) {
        self.kill.notify_one();
    }
}

/// Marks a connection busy while a request of it is handled, idle again when dropped.
struct Busy<'a> {
    conn: &'a Conn,
    slots: &'a Slots,
}

impl<'a> Busy<'a> {
    fn new(conn: &'a Conn, slots: &'a Slots) -> Self {
        conn.busy.fetch_add(1, Ordering::SeqCst);
        Self { conn, slots }
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.conn.idle_since.store(self.slots.now_ms(), Ordering::SeqCst);
        self.conn.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The open connections: at most `max`, each holding a permit of `permits` until its task ends
/// (and its descriptors are closed), so descriptors stay bounded even under a fast flood.
struct Slots {
    permits: Arc<Semaphore>,
    start: Instant,
    inner: Mutex<SlotsInner>,
}

#[derive(Default)]
struct SlotsInner {
    next_id: u64,
    open: HashMap<u64, Arc<Conn>>,
}

impl Slots {
    fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))),
            start: Instant::now(),
            inner: Mutex::new(SlotsInner::default()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A free slot for a new connection. When none is free, closes the connection idle the
    /// longest and waits for it to end; when every connection is busy with a request, waits
    /// (trying again as they turn idle).
    async fn permit(&self) -> OwnedSemaphorePermit {
        loop {
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                return permit;
            }
            let wait = if self.evict() { Duration::from_secs(1) } else { Duration::from_millis(50) };
            if let Ok(Ok(permit)) = tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
                return permit;
            }
        }
    }

    fn register(&self, socket: Option<std::net::TcpStream>) -> (u64, Arc<Conn>) {
        let conn = Arc::new(Conn {
            kill: Notify::new(),
            socket,
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now_ms()),
            closing: AtomicBool::new(false),
        });
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        inner.open.insert(id, conn.clone());
        (id, conn)
    }

    /// Closes the connection idle the longest (not already closing); false if none is idle.
    fn evict(&self) -> bool {
        let inner = lock(&self.inner);
        let idlest = inner
            .open
            .values()
            .filter(|c| c.busy.load(Ordering::SeqCst) == 0 && !c.closing.load(Ordering::SeqCst))
            .min_by_key(|c| c.idle_since.load(Ordering::SeqCst));
        match idlest {
            Some(conn) => {
                conn.closing.store(true, Ordering::SeqCst);
                conn.close();
                true
            }
            None => false,
        }
    }
}

/// A connection's place: leaves the registry and frees its permit when its task ends.
struct Slot {
    id: u64,
    slots: Arc<Slots>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.slots.inner).open.remove(&self.id);
    }
}

/// What processing a request produced.
enum Outcome {
    Normal(Response<Bytes>),
    Truncated(Response<Bytes>),
    Reset,
}

/// Accepts connections until `shutdown` completes.
///
/// At most `--max-connections` are open at once: when the cap is reached, a new connection
/// closes the one idle the longest (not in the middle of a request) and takes its place, so a
/// flood of idle connections cannot lock a real client out; when every connection is busy, the
/// new one waits for a place. When accept() fails (out of file descriptors: EMFILE), the
/// idlest connection is closed, and the loop pauses briefly before accepting again instead of
/// spinning.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let slots = Arc::new(Slots::new(app.config.max_connections));
    let mut last_error_log: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let permit = tokio::select! {
                    () = &mut shutdown => break,
                    permit = slots.permit() => permit,
                };
                let Ok((stream, dup)) = with_duplicate(stream) else { continue };
                let (id, conn) = slots.register(dup);
                let slot = Slot { id, slots: slots.clone(), _permit: permit };
                tokio::spawn(connection(stream, conn, slot, app.clone()));
            }
            Err(e) => {
                if last_error_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("payreq-sandbox: accept failed: {e}");
                    last_error_log = Some(Instant::now());
                }
                // An evicted connection frees its descriptors as soon as its task runs.
                let pause = if slots.evict() { 5 } else { 50 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }
}

fn with_duplicate(stream: TcpStream) -> std::io::Result<(TcpStream, Option<std::net::TcpStream>)> {
    let std_stream = stream.into_std()?;
    let dup = std_stream.try_clone().ok();
    Ok((TcpStream::from_std(std_stream)?, dup))
}

async fn connection(stream: TcpStream, conn: Arc<Conn>, slot: Slot, app: Arc<App>) {
    let _ = stream.set_nodelay(true);
    let service_conn = conn.clone();
    let slots = slot.slots.clone();
    let header_read_timeout = app.config.header_read_timeout;
    let service = service_fn(move |req| {
        let app = app.clone();
        let conn = service_conn.clone();
        let slots = slots.clone();
        async move {
            let _busy = Busy::new(&conn, &slots);
            Ok::<_, Infallible>(dispatch(app, conn.clone(), req).await)
        }
    });
    // The header read timeout runs from the moment hyper waits for a request head: it limits
    // both a slow head and the idle time before the first and between keep-alive requests.
    let http = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = http => {}
        () = conn.kill.notified() => {}
    }
    // Dropping the connection future closed hyper's socket; the duplicate closes with the last
    // `conn`, and only then is the slot (and its permit) given back.
    drop(conn);
    drop(slot);
}

async fn dispatch(app: Arc<App>, conn: Arc<Conn>, req: Request<Incoming>) -> Response<ResBody> {
    let request_id = ids::request_id();
    let outcome = if req.method() == Method::OPTIONS {
        Outcome::Normal(preflight())
    } else {
        // A separate task isolates handler panics: they become a 500 instead of killing anything.
        match tokio::spawn(process(app, req)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Normal(ApiError::internal().into_response()),
        }
    };
    let (mut resp, truncate) = match outcome {
        Outcome::Normal(r) => (r, false),
        Outcome::Truncated(r) => (r, true),
        Outcome::Reset => {
            conn.reset();
            // Never answer: the connection task drops this future together with the socket.
            return std::future::pending().await;
        }
    };
    add_common_headers(&mut resp, &request_id);
    let (parts, body) = resp.into_parts();
    let body = if truncate {
        let len = body.len();
        let mut parts = parts;
        parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        let half = body.slice(..len / 2);
        let truncated = HalfBody {
            data: Some(half),
            len: len as u64,
            delay: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
        };
        return Response::from_parts(parts, truncated.boxed());
    } else {
        Full::new(body).map_err(|never| match never {}).boxed()
    };
    Response::from_parts(parts, body)
}

async fn process(app: Arc<App>, req: Request<Incoming>) -> Outcome {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let route = Route::resolve(&parts.method, path, app.config.controls);
    if let Some(key) = route.counter_key(&parts.method) {
        app.count_request(key);
    }
    let fault = if route.faultable() && !path.starts_with("/_sandbox/") {
        app.faults().take(parts.method.as_str(), path)
    } else {
        None
    };
    if let Some(ms) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.as_ref().is_some_and(|f| f.kind == FaultKind::ResetBefore) {
        return Outcome::Reset;
    }
    let body = match read_body(body, declared_length(&parts.headers)).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return Outcome::Normal(ApiError::payload_too_large(MAX_BODY).into_response()),
        Err(BodyError::Broken) => return Outcome::Reset,
    };
    if let Some(fault) = &fault {
        match fault.kind {
            FaultKind::Status => {
                let status = fault
                    .status
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut err = ApiError::injected(status);
                if let Some(r) = &fault.retry_after {
                    err.retry_after = Some(r.clone());
                }
                return Outcome::Normal(err.into_response());
            }
            FaultKind::NonJson => {
                return Outcome::Normal(html_response(StatusCode::OK, "<html>gateway hiccup</html>".to_owned()))
            }
            FaultKind::Panic => panic!("injected panic fault on {} {}", parts.method, path),
            FaultKind::Redirect => {
                let status = fault.status.and_then(|s| StatusCode::from_u16(s).ok());
                let mut resp = Response::new(Bytes::new());
                *resp.status_mut() = status.unwrap_or(StatusCode::TEMPORARY_REDIRECT);
                if let Some(location) = fault.location.as_deref().and_then(|l| HeaderValue::from_str(l).ok()) {
                    resp.headers_mut().insert(hyper::header::LOCATION, location);
                }
                return Outcome::Normal(resp);
            }
            FaultKind::Delay | FaultKind::ResetBefore | FaultKind::ResetAfter | FaultKind::Truncated => {}
        }
    }
    let resp = routes::handle(&app, route, &parts.headers, &body);
    match fault.map(|f| f.kind) {
        Some(FaultKind::ResetAfter) => Outcome::Reset,
        Some(FaultKind::Truncated) => Outcome::Truncated(resp),
        _ => Outcome::Normal(resp),
    }
}

enum BodyError {
    TooLarge,
    Broken,
}

fn declared_length(headers: &hyper::HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Reads the body up to [`MAX_BODY`]; an oversized body is drained (up to a limit) and refused.
async fn read_body(mut body: Incoming, declared: Option<u64>) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|n| n > DRAIN_LIMIT as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total > DRAIN_LIMIT {
                return Err(BodyError::TooLarge);
            }
            if total <= MAX_BODY {
                buf.extend_from_slice(&data);
            }
        }
    }
    if total > MAX_BODY {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(buf))
}

fn preflight() -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, DELETE, OPTIONS"));
    h.insert("access-control-allow-headers", HeaderValue::from_static("Authorization, Content-Type, Idempotency-Key"));
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    resp
}

fn add_common_headers(resp: &mut Response<Bytes>, request_id: &str) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-Request-Id, Retry-After, Idempotent-Replayed"),
    );
}

/// A body that yields its first half, waits briefly so it is flushed, then fails, which makes
/// hyper abort the connection short of the declared Content-Length.
struct HalfBody {
    data: Option<Bytes>,
    len: u64,
    delay: Pin<Box<tokio::time::Sleep>>,
}

impl Body for HalfBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        ready!(self.delay.as_mut().poll(cx));
        Poll::Ready(Some(Err("response truncated by an injected fault".into())))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
