use std::sync::atomic::{AtomicI64, Ordering};

/// Time as a parameter: timeouts, retention and audit timestamps are testable.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> i64;

    /// The date in UTC. Not the practice's "today": a practice's dates (ages, minors, the day
    /// of an appointment) come from `App::practice_today`, which uses its time zone. Kept only
    /// for callers that have not moved over yet (see docs/design/practice-time.md).
    fn today(&self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp(self.now_ms().div_euclid(1000))
            .map(|t| t.date())
            .unwrap_or(time::Date::MIN)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now_ms(&self) -> i64 {
        let now = time::OffsetDateTime::now_utc();
        i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// A clock that tests move by hand.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(now_ms: i64) -> Self {
        FixedClock(AtomicI64::new(now_ms))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
