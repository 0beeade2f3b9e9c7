//! Per-client sliding-window rate limiter on the monotonic clock.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

/// Admits at most `limit` requests per client in any 1-second sliding window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limit: u32,
    windows: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// A limiter admitting `limit` requests per second per client; 0 disables it.
    pub fn new(limit: u32) -> Self {
        Self { limit, windows: HashMap::new() }
    }

    /// Records an admitted request, or returns the `Retry-After` in whole seconds (>= 1).
    /// Refused requests do not enter the window.
    pub fn check(&mut self, client: &str, now: Instant) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let window = self.windows.entry(client.to_owned()).or_default();
        while window.front().is_some_and(|&t| now.duration_since(t) >= WINDOW) {
            window.pop_front();
        }
        if window.len() < self.limit as usize {
            window.push_back(now);
            return Ok(());
        }
        let wait = window.front().map_or(WINDOW, |&oldest| (oldest + WINDOW).saturating_duration_since(now));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(secs.max(1))
    }

    /// Forgets every window.
    pub fn clear(&mut self) {
        self.windows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let mut rl = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(rl.check("a", t0).is_ok());
        assert!(rl.check("a", t0 + Duration::from_millis(600)).is_ok());
        assert_eq!(rl.check("a", t0 + Duration::from_millis(900)), Err(1));
        assert!(rl.check("b", t0 + Duration::from_millis(900)).is_ok());
        // The refused request did not enter the window: at t0+1s the first slot frees.
        assert!(rl.check("a", t0 + Duration::from_millis(1000)).is_ok());
        assert!(rl.check("a", t0 + Duration::from_millis(1100)).is_err());
        assert!(rl.check("a", t0 + Duration::from_millis(1600)).is_ok());
    }

    #[test]
    fn zero_disables() {
        let mut rl = RateLimiter::new(0);
        let t0 = Instant::now();
        assert!((0..100).all(|_| rl.check("a", t0).is_ok()));
    }
}
