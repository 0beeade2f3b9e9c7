//! In-memory state and counters; changes are written to the [`Store`] before they are applied.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock;
use crate::error::ApiError;
use crate::store::{Change, Memory, Store};

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

    /// The inverse of [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Status::Pending),
            "paid" => Some(Status::Paid),
            "expired" => Some(Status::Expired),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
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
#[derive(Debug)]
pub struct State {
    pub data: Data,
    pub counters: Counters,
    /// Where every change is written before it is applied to `data`.
    store: Box<dyn Store>,
}

impl Default for State {
    fn default() -> Self {
        Self::new(Data::default(), Box::new(Memory))
    }
}

impl State {
    /// State loaded from `store` (`data` is what it holds).
    pub fn new(data: Data, store: Box<dyn Store>) -> Self {
        Self { data, counters: Counters::default(), store }
    }

    /// Writes `change` to the store and, only if that succeeded, applies it in memory. Call it
    /// with the state lock held (it is: `&mut self`), so writes and memory stay in one order.
    ///
    /// # Errors
    ///
    /// The write failed: nothing changed, in the store or in memory, and the request must
    /// fail with this `500 internal_error`.
    pub fn commit(&mut self, change: Change) -> Result<(), ApiError> {
        if let Err(e) = self.store.write(&change) {
            eprintln!("payreq-sandbox: cannot write the state, the request fails: {e}");
            return Err(ApiError::storage());
        }
        self.data.apply(change);
        Ok(())
    }

    /// Clears data and counters (the store through a [`Change::Reset`]).
    ///
    /// # Errors
    ///
    /// As [`State::commit`]; then nothing was cleared.
    pub fn reset(&mut self) -> Result<(), ApiError> {
        self.commit(Change::Reset)?;
        self.counters = Counters::default();
        Ok(())
    }
}
