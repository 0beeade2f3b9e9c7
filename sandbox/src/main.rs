//! `payreq-sandbox` command-line entry point.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use payreq_sandbox::{Args, Config};

fn main() -> ExitCode {
    let args = Args::parse();
    let exit_with_stdin = args.exit_with_stdin;
    let config = match Config::try_from(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("payreq-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("payreq-sandbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let signal = shutdown_signal()?;
        let shutdown = async move {
            tokio::select! {
                () = signal => {}
                () = stdin_closed(exit_with_stdin) => {}
            }
        };
        payreq_sandbox::run(config, shutdown).await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => {
            eprintln!("payreq-sandbox: shut down");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("payreq-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes when standard input reaches end of file, if `enabled`; never otherwise.
async fn stdin_closed(enabled: bool) {
    if !enabled {
        return std::future::pending().await;
    }
    // A blocking read on a plain thread: tokio's stdin would keep the runtime busy on shutdown.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Completes on SIGTERM or SIGINT. The handlers are installed before the server starts.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
