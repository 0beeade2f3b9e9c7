//! In-memory state, counters and the optional atomically written state file.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock;

/// Lifecycle status of a payment request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Paid,
    Expired,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Paid => "paid",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        self != Status::Pending
    }
}

/// A stored payment request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub redirect_url: String,
    pub reference_id: Option<String>,
    pub status: Status,
    /// Virtual Unix seconds.
    pub created_at: i64,
    /// Virtual Unix seconds.
    pub expires_at: i64,
    /// The client that created it (resources are visible to every client).
    pub client_id: String,
}

impl Payment {
    /// Applies lazy expiry; returns true if the status changed.
    pub fn refresh(&mut self, now: i64) -> bool {
        if self.status == Status::Pending && now >= self.expires_at {
            self.status = Status::Expired;
            true
        } else {
            false
        }
    }

    /// The wire representation.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "id": self.id,
            "amount": self.amount,
            "currency": self.currency,
            "redirect_url": self.redirect_url,
            "reference_id": self.reference_id,
            "status": self.status.as_str(),
            "checkout_url": format!("{base_url}/checkout/{}", self.id),
            "created_at": clock::rfc3339(self.created_at),
            "expires_at": clock::rfc3339(self.expires_at),
        })
    }
}

/// An issued access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub client_id: String,
    /// Virtual Unix seconds; the token is invalid from this instant on.
    pub expires_at: i64,
}

/// A stored idempotent creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The parsed request body, compared as a JSON value.
    pub request: Value,
    pub payment_id: String,
    /// The 201 response body that is replayed.
    pub response: Value,
}

/// Everything that `--state` persists.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    #[serde(default)]
    pub payments: HashMap<String, Payment>,
    #[serde(default)]
    pub tokens: HashMap<String, Token>,
    /// client_id -> Idempotency-Key -> record.
    #[serde(default)]
    pub idempotency: HashMap<String, HashMap<String, IdempotencyRecord>>,
    #[serde(default)]
    pub clock_offset: i64,
}

impl Data {
    /// Current virtual time.
    pub fn now(&self) -> i64 {
        clock::now(self.clock_offset)
    }

    /// Loads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> io::Result<Self> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the state atomically: temp file in the same directory, fsync, rename, fsync the directory.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
        let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            // Best effort: makes the rename itself durable.
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Request and event counters (not persisted).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    /// Keyed by method + route template with ids collapsed, e.g. `GET /payment/request`.
    pub requests: BTreeMap<String, u64>,
    pub tokens_issued: u64,
    pub payment_requests_created: u64,
    pub idempotent_replays: u64,
    pub rate_limited: u64,
}

/// Mutable server state behind one lock.
#[derive(Debug, Default)]
pub struct State {
    pub data: Data,
    pub counters: Counters,
}
