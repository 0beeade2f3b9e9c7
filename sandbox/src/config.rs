//! Command-line flags and the validated server configuration.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The currencies accepted when `--currencies` is not given.
pub const DEFAULT_CURRENCIES: &str = "USD,EUR,GBP,JPY,CHF,CAD,AUD,NZD,SEK,NOK,DKK,PLN";

/// Raw command-line flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "payreq-sandbox",
    version,
    about = "A stateful local emulator of the payment-request API, bound to 127.0.0.1.",
    long_about = "A stateful local emulator of the payment-request API, bound to 127.0.0.1.\n\n\
        The first line printed on stdout is `listening on http://127.0.0.1:PORT`. \
        The server exits cleanly on SIGTERM or SIGINT."
)]
pub struct Args {
    /// TCP port to listen on at 127.0.0.1 (0 picks any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// OAuth client id; repeat together with --client-secret to configure several pairs, in order.
    /// [default: sandbox_client]
    #[arg(long = "client-id", value_name = "ID")]
    pub client_ids: Vec<String>,

    /// OAuth client secret for the --client-id at the same position. [default: sandbox_secret]
    #[arg(long = "client-secret", value_name = "SECRET")]
    pub client_secrets: Vec<String>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub token_ttl: u64,

    /// Time after creation at which a pending payment request expires, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub payment_ttl: u64,

    /// Maximum requests per client_id in any 1-second sliding window (0 disables limiting).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub rate_limit: u32,

    /// Comma-separated list of supported currency codes, compared exactly.
    #[arg(long, value_name = "CODES", value_delimiter = ',', default_value = DEFAULT_CURRENCIES)]
    pub currencies: Vec<String>,

    /// Base URL used in checkout_url. [default: http://127.0.0.1:PORT]
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Enable the test control API under /_sandbox/ (otherwise those paths answer 404).
    #[arg(long)]
    pub controls: bool,

    /// Persist state (payment requests, idempotency records, tokens, clock offset) in this SQLite
    /// database, created if missing; every change is saved before it is answered.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Most connections open at once. When full, a new connection takes the place of the one
    /// idle the longest (closing it); if every connection is in the middle of a request, it
    /// waits. [default: what the open-file limit allows: (limit - 64) / 2, at most 1024]
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// Seconds a connection may take to send a request's headers, and may stay idle between
    /// requests, before it is closed (fractions allowed, e.g. 0.5).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub header_read_timeout: f64,

    /// Shut down when standard input closes: a test harness that starts the sandbox with a
    /// piped stdin cannot leak it, even if the harness itself is killed.
    #[arg(long)]
    pub exit_with_stdin: bool,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port to bind on 127.0.0.1; 0 means any free port.
    pub port: u16,
    /// Accepted `(client_id, client_secret)` pairs, in the order given.
    pub clients: Vec<(String, String)>,
    /// Token lifetime in seconds.
    pub token_ttl: u64,
    /// Payment request lifetime in seconds.
    pub payment_ttl: u64,
    /// Requests per second per client; 0 disables the limiter.
    pub rate_limit: u32,
    /// Supported currency codes.
    pub currencies: Vec<String>,
    /// Base URL for checkout links, without a trailing slash.
    pub public_url: Option<String>,
    /// Whether `/_sandbox/` controls are enabled.
    pub controls: bool,
    /// Optional state file.
    pub state_file: Option<PathBuf>,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and for idling between requests.
    pub header_read_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        // Parsing the program name alone cannot fail: every flag has a default.
        Self::from_args(["payreq-sandbox"]).unwrap_or_else(|e| unreachable!("default flags are valid: {e}"))
    }
}

impl Config {
    /// Parses command-line style arguments (the first item is the program name).
    pub fn from_args<I, T>(args: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = Args::try_parse_from(args).map_err(|e| e.to_string())?;
        Self::try_from(args)
    }
}

impl TryFrom<Args> for Config {
    type Error = String;

    fn try_from(args: Args) -> Result<Self, String> {
        if args.client_ids.len() != args.client_secrets.len() {
            return Err(format!(
                "--client-id and --client-secret must be given in pairs (got {} ids and {} secrets)",
                args.client_ids.len(),
                args.client_secrets.len()
            ));
        }
        let clients = if args.client_ids.is_empty() {
            vec![("sandbox_client".to_owned(), "sandbox_secret".to_owned())]
        } else {
            args.client_ids.into_iter().zip(args.client_secrets).collect()
        };
        let currencies: Vec<String> =
            args.currencies.into_iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
        if currencies.is_empty() {
            return Err("--currencies must list at least one currency code".to_owned());
        }
        let public_url = match args.public_url {
            Some(u) => {
                let parsed = url::Url::parse(&u).map_err(|e| format!("--public-url {u:?} is not a URL: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(format!("--public-url {u:?} must be an absolute http(s) URL"));
                }
                Some(u.trim_end_matches('/').to_owned())
            }
            None => None,
        };
        let max_connections = match args.max_connections {
            Some(0) => return Err("--max-connections must be at least 1".to_owned()),
            Some(n) => n,
            None => default_max_connections(),
        };
        let header_read_timeout = Duration::try_from_secs_f64(args.header_read_timeout)
            .ok()
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(3600))
            .ok_or_else(|| {
                format!(
                    "--header-read-timeout {} must be more than 0 and at most 3600 seconds",
                    args.header_read_timeout
                )
            })?;
        Ok(Config {
            port: args.port,
            clients,
            token_ttl: args.token_ttl,
            payment_ttl: args.payment_ttl,
            rate_limit: args.rate_limit,
            currencies,
            public_url,
            controls: args.controls,
            state_file: args.state,
            max_connections,
            header_read_timeout,
        })
    }
}

/// File descriptors kept for everything but connections: standard streams, the listener, the
/// runtime's epoll and wakers, the state database and its WAL, and slack.
const RESERVED_FDS: u64 = 64;
/// Each connection holds two descriptors: its socket and the duplicate that can reset it.
const FDS_PER_CONNECTION: u64 = 2;
/// The default cap when the open-file limit is high (or unknown).
const MAX_DEFAULT_CONNECTIONS: u64 = 1024;

/// `--max-connections` when not given: what the open-file limit leaves for connections, so the
/// cap is reached before accept() runs out of descriptors.
pub fn default_max_connections() -> usize {
    let limit = open_file_limit().unwrap_or(u64::MAX);
    let fit = limit.saturating_sub(RESERVED_FDS) / FDS_PER_CONNECTION;
    // At least one, at most MAX_DEFAULT_CONNECTIONS: the conversion cannot truncate.
    fit.clamp(1, MAX_DEFAULT_CONNECTIONS) as usize
}

/// The soft RLIMIT_NOFILE, if known and finite.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    #[allow(clippy::useless_conversion)] // rlim_t is u64 on Linux, not on every unix
    let soft = u64::try_from(limit.rlim_cur).ok()?;
    (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(soft)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}
