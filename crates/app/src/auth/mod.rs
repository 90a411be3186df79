//! Staff sign-in and everything that hangs off an identity: passwords (Argon2id in a bounded
//! pool), the second factor (TOTP with single-use steps, recovery codes), sessions with idle
//! and absolute timeouts, the sign-in throttle, password resets, user administration with
//! separation of duties, API tokens, the practice's role matrix, break-glass access and the
//! audit-log viewer.
//!
//! Every function that changes who may do what requires a fresh second factor (step-up) and
//! writes its audit entry in the same transaction as the change.

mod admin;
mod emergency;
mod passwords;
mod policy;
mod resets;
mod sessions;
mod signin;
mod throttle;
mod tokens;

use std::time::Duration;

use enamel_domain::ExclusiveRoles;

pub use admin::{CreatedUser, NewUser, UserSummary};
pub use emergency::{EmergencyDecision, EmergencyGrant, EmergencyReviewItem, MAX_REVIEW_PAGE};
pub(crate) use passwords::PasswordPool;
pub(crate) use policy::PolicyCache;
pub use policy::PolicyView;
pub(crate) use sessions::RecentTouches;
pub use sessions::{SessionSettings, SessionSummary};
pub use signin::{Enrollment, NewSession, PendingSignIn};
pub use throttle::client_network;
pub use tokens::{ApiTokenSummary, CreatedApiToken};

/// Sign-in and session rules; the binary fills them from configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Idle timeout for practices that have not set their own.
    pub idle_timeout: Duration,
    /// Absolute session lifetime for practices that have not set their own.
    pub absolute_lifetime: Duration,
    /// How long the state between password and second factor lasts.
    pub pending_lifetime: Duration,
    /// How recent a second factor must be for administrative changes.
    pub step_up_window: Duration,
    /// Failures of one username within `throttle_window` before it is locked.
    pub lock_after_failures: i64,
    /// Failures from one address within `throttle_window` before it is locked.
    pub lock_ip_after_failures: i64,
    pub throttle_window: Duration,
    pub lock_duration: Duration,
    /// Each failure beyond the third holds the answer back this much longer (up to four steps).
    pub slow_down_step: Duration,
    /// Wrong second-factor codes before a half-finished sign-in is thrown away.
    pub max_code_failures: i64,
    /// Password hashes computed at once; the rest wait (bounded) so sign-in floods cannot
    /// starve other requests of CPU.
    pub hashing_permits: usize,
    pub hashing_queue_wait: Duration,
    pub emergency_window: Duration,
    pub reset_link_lifetime: Duration,
    pub setup_link_lifetime: Duration,
    pub exclusive_roles: ExclusiveRoles,
    /// Name shown in authenticator apps.
    pub totp_issuer: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        AuthSettings {
            idle_timeout: Duration::from_secs(15 * 60),
            absolute_lifetime: Duration::from_secs(12 * 3600),
            pending_lifetime: Duration::from_secs(5 * 60),
            step_up_window: Duration::from_secs(5 * 60),
            lock_after_failures: 10,
            lock_ip_after_failures: 50,
            throttle_window: Duration::from_secs(15 * 60),
            lock_duration: Duration::from_secs(15 * 60),
            slow_down_step: Duration::from_secs(1),
            max_code_failures: 5,
            // Half the cores: the other half keeps serving everyone else.
            hashing_permits: (cores / 2).max(1),
            hashing_queue_wait: Duration::from_secs(10),
            emergency_window: Duration::from_secs(60 * 60),
            reset_link_lifetime: Duration::from_secs(60 * 60),
            setup_link_lifetime: Duration::from_secs(72 * 3600),
            exclusive_roles: ExclusiveRoles::default(),
            totp_issuer: "Enamel".into(),
        }
    }
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Usernames are compared in lower case and without surrounding spaces.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}
