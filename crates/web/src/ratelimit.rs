//! A keyed rate limiter (GCRA: one "theoretical arrival time" per key), in memory per server
//! process. Sign-in throttling, which must hold across processes, lives in the database; this
//! one only keeps a single client or token from monopolising a server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    /// Time between requests at the sustained rate.
    interval: Duration,
    /// How far ahead of the sustained rate a key may run (the burst).
    tolerance: Duration,
    state: Mutex<HashMap<String, Instant>>,
}

/// Keys above this count trigger a sweep of idle keys, bounding memory under address floods.
const SWEEP_ABOVE: usize = 100_000;

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        RateLimiter {
            interval,
            // A key may be `burst - 1` intervals ahead: `burst` requests at once, then one per
            // interval.
            tolerance: interval * (burst.max(1) - 1),
            state: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` if a request under `key` may go ahead now, else how long to wait.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        if state.len() > SWEEP_ABOVE {
            state.retain(|_, tat| *tat > now);
        }
        let tat = state.get(key).copied().unwrap_or(now).max(now);
        let allow_at = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now < allow_at {
            return Err(allow_at - now);
        }
        state.insert(key.to_string(), tat + self.interval);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_then_allowed_again_after_the_interval() {
        let limiter = RateLimiter::new(10, 5);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(limiter.check("a", t0).is_ok());
        }
        let wait = limiter
            .check("a", t0)
            .expect_err("the sixth request exceeds the burst");
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100));
        assert!(limiter.check("b", t0).is_ok(), "keys are independent");
        assert!(limiter.check("a", t0 + Duration::from_millis(100)).is_ok());
    }
}
