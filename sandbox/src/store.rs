//! Where the state is kept: the boundary between the routes and the storage.
//!
//! Handlers never mutate [`Data`] directly. They describe each state change as one [`Change`],
//! and [`State::commit`](crate::state::State::commit) first writes it to the [`Store`] and only
//! then, if the write succeeded, applies it in memory. A change that cannot be written is
//! therefore neither acknowledged nor kept.
//!
//! Two stores exist: [`Memory`] (no `--state`: nothing to write) and, on native hosts,
//! `Sqlite` (`--state FILE`: one SQLite transaction per change, see `docs/sandbox-state.md`).
//! The routes know only the [`Store`] trait, so the sandbox's routes and state can later be
//! built for wasm with another store.

use std::fmt;

use crate::state::{Data, IdempotencyRecord, Payment, Token};

#[cfg(not(target_arch = "wasm32"))]
mod sqlite;
#[cfg(not(target_arch = "wasm32"))]
pub use sqlite::Sqlite;

/// One state change, written as a whole or not at all.
#[derive(Debug, Clone)]
pub enum Change {
    /// A token was issued.
    IssueToken {
        /// The access token.
        token: String,
        /// Its client and expiry.
        record: Token,
    },
    /// A payment request was created, with its idempotency record if the request had a key.
    CreatePayment {
        /// The new payment request.
        payment: Payment,
        /// `(client_id, Idempotency-Key, record)`.
        idempotency: Option<(String, String, IdempotencyRecord)>,
    },
    /// A stored payment request changed (status, lazy expiry).
    UpdatePayment(Payment),
    /// Every token still valid at `now` now expires at `now`.
    ExpireTokens {
        /// Virtual Unix seconds.
        now: i64,
    },
    /// The virtual clock's offset changed.
    ClockOffset(i64),
    /// Everything was cleared.
    Reset,
}

impl Data {
    /// Applies a change in memory (after the store has written it).
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::IssueToken { token, record } => {
                self.tokens.insert(token, record);
            }
            Change::CreatePayment { payment, idempotency } => {
                if let Some((client_id, key, record)) = idempotency {
                    self.idempotency.entry(client_id).or_default().insert(key, record);
                }
                self.payments.insert(payment.id.clone(), payment);
            }
            Change::UpdatePayment(payment) => {
                self.payments.insert(payment.id.clone(), payment);
            }
            Change::ExpireTokens { now } => {
                for token in self.tokens.values_mut().filter(|t| t.expires_at > now) {
                    token.expires_at = now;
                }
            }
            Change::ClockOffset(offset) => self.clock_offset = offset,
            Change::Reset => *self = Data::default(),
        }
    }
}

/// A failure to open, read or write the state.
#[derive(Debug)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// An error with a complete, human-readable message.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for std::io::Error {
    fn from(e: StoreError) -> Self {
        std::io::Error::other(e.message)
    }
}

/// Durable storage of [`Change`]s.
pub trait Store: Send + fmt::Debug {
    /// Writes one change durably (it must survive the process being killed right after this
    /// returns `Ok`), or leaves the stored state as it was and returns the error.
    ///
    /// # Errors
    ///
    /// The write failed; nothing of `change` is stored.
    fn write(&mut self, change: &Change) -> Result<(), StoreError>;
}

/// The store of the in-memory mode (no `--state`): nothing is written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory;

impl Store for Memory {
    fn write(&mut self, _change: &Change) -> Result<(), StoreError> {
        Ok(())
    }
}
