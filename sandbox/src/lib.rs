//! `payreq-sandbox`: a stateful loopback emulator of the payment-request API.
//!
//! Start it in-process with [`spawn`] (a background thread with its own runtime) or
//! [`Sandbox::bind`] + [`Sandbox::serve`], or run the `payreq-sandbox` binary.

pub mod app;
pub mod basic;
pub mod checkout;
pub mod clock;
pub mod config;
pub mod controls;
pub mod error;
pub mod faults;
pub mod ids;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod validate;

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::{Args, Config};

use app::App;
use state::State;

/// A bound, not yet serving, sandbox.
pub struct Sandbox {
    listener: TcpListener,
    app: Arc<App>,
    addr: SocketAddr,
}

impl Sandbox {
    /// Opens the state database (if any) and binds 127.0.0.1:`config.port`.
    pub async fn bind(config: Config) -> io::Result<Self> {
        let state = match &config.state_file {
            Some(path) => {
                let (store, data) = store::Sqlite::open(path)?;
                State::new(data, Box::new(store))
            }
            None => State::default(),
        };
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        Ok(Self { listener, app: Arc::new(App::new(config, base_url, state)), addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        server::serve(self.listener, self.app, shutdown).await;
    }
}

/// Binds, prints `listening on http://127.0.0.1:PORT` as the first stdout line, and serves
/// until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> io::Result<()> {
    let sandbox = Sandbox::bind(config).await?;
    let mut out = io::stdout().lock();
    writeln!(out, "listening on http://{}", sandbox.local_addr())?;
    out.flush()?;
    drop(out);
    sandbox.serve(shutdown).await;
    Ok(())
}

/// A sandbox running on a background thread; dropping it stops the server.
pub struct Handle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts a sandbox on a background thread with its own single-threaded runtime.
pub fn spawn(config: Config) -> io::Result<Handle> {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("payreq-sandbox".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = addr_tx.send(Err(e));
                return;
            }
        };
        runtime.block_on(async move {
            match Sandbox::bind(config).await {
                Ok(sandbox) => {
                    let _ = addr_tx.send(Ok(sandbox.local_addr()));
                    sandbox
                        .serve(async {
                            let _ = stop_rx.await;
                        })
                        .await;
                }
                Err(e) => {
                    let _ = addr_tx.send(Err(e));
                }
            }
        });
    })?;
    let addr = addr_rx.recv().map_err(|_| io::Error::other("the sandbox thread exited early"))??;
    Ok(Handle { addr, stop: Some(stop_tx), thread: Some(thread) })
}
