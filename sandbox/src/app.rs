//! Shared application state handed to every request.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::config::Config;
use crate::error::ApiError;
use crate::faults::FaultQueue;
use crate::ratelimit::RateLimiter;
use crate::state::State;

/// Locks a mutex, recovering the data if a panicking handler poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    /// Base of `checkout_url`, without a trailing slash.
    pub base_url: String,
    state: Mutex<State>,
    faults: Mutex<FaultQueue>,
    limiter: Mutex<RateLimiter>,
}

impl App {
    pub fn new(config: Config, base_url: String, state: State) -> Self {
        let limiter = RateLimiter::new(config.rate_limit);
        Self {
            config,
            base_url,
            state: Mutex::new(state),
            faults: Mutex::new(FaultQueue::default()),
            limiter: Mutex::new(limiter),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.faults)
    }

    pub fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    /// Admits one request for `client_id` or answers 429.
    pub fn rate_check(&self, client_id: &str) -> Result<(), ApiError> {
        let verdict = self.limiter().check(client_id, Instant::now());
        verdict.map_err(|retry_after| {
            self.state().counters.rate_limited += 1;
            ApiError::rate_limited(retry_after)
        })
    }

    /// Counts one request under `key` (method + route template).
    pub fn count_request(&self, key: String) {
        *self.state().counters.requests.entry(key).or_insert(0) += 1;
    }
}
