//! The attempt throttle behind every check of a secret: passwords at sign-in and when changing
//! one's own, second-factor codes at sign-in and at step-up, reset links. Attempts are counted
//! per username as typed (whether or not such an account exists, so a lockout reveals nothing)
//! and per client network, in the database so that every server process sees the same counts.
//!
//! An attempt is *reserved* before the secret is checked: one atomic statement counts it and
//! refuses once the key is locked, so a burst of parallel guesses gets exactly as many tries
//! as the same guesses one after another, and a request abandoned half-way still counts. A
//! success gives its attempt back. A few failures slow the answer down; more lock the key.

use std::net::IpAddr;
use std::time::Duration;

use enamel_store::ThrottleRow;

use super::ms;
use crate::kernel::{Entries, no_entries};
use crate::{App, AppError, AuditDraft, RequestOrigin};

/// Failures after which each further attempt waits before it is answered.
const SLOW_DOWN_AFTER: i64 = 3;
/// The longest hold-back, in steps.
const MAX_SLOW_DOWN_STEPS: u32 = 4;
/// "Forgot password" requests per username (as typed) within the throttle window: each one
/// that names an account leaves an audit entry that can never be deleted.
const RESET_REQUESTS_PER_USERNAME: i64 = 3;
/// "Forgot password" requests per client within the throttle window.
const RESET_REQUESTS_PER_CLIENT: i64 = 10;
/// How often a server process deletes throttle rows that no longer count anything.
const PURGE_EVERY_MS: i64 = 60_000;

/// The network a client is counted under: its IPv4 address, or the /64 of its IPv6 address
/// (one subscriber usually holds a whole /64, so counting single IPv6 addresses would give a
/// client billions of keys). IPv4-mapped IPv6 addresses count as the IPv4 address. Both the
/// sign-in throttle and the web server's per-address limit use this.
pub fn client_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// [`client_network`] of an address as text; text that is not an address is its own key.
fn client_network_of(ip: &str) -> String {
    ip.parse::<IpAddr>()
        .map_or_else(|_| ip.to_string(), client_network)
}

/// One counter of attempts and the count that locks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThrottleKey {
    hash: [u8; 32],
    limit: i64,
}

impl ThrottleKey {
    fn new(name: &str, limit: i64) -> ThrottleKey {
        ThrottleKey {
            hash: enamel_crypto::OpaqueToken::hash(name),
            limit: limit.max(1),
        }
    }
}

impl App {
    /// Attempts at one account's secrets (password, codes), by username as typed.
    pub(crate) fn account_key(&self, normalized_username: &str) -> ThrottleKey {
        ThrottleKey::new(
            &format!("sign-in-user:{normalized_username}"),
            self.auth_settings().lock_after_failures,
        )
    }

    /// Attempts from one client (its address, or its /64 for IPv6).
    pub(crate) fn client_key(&self, client_ip: Option<&str>) -> Option<ThrottleKey> {
        client_ip.map(|ip| {
            ThrottleKey::new(
                &format!("sign-in-ip:{}", client_network_of(ip)),
                self.auth_settings().lock_ip_after_failures,
            )
        })
    }

    /// "Forgot password" requests: per username as typed, then per client.
    pub(crate) fn reset_request_keys(
        &self,
        normalized_username: &str,
        client_ip: Option<&str>,
    ) -> Vec<ThrottleKey> {
        let mut keys = vec![ThrottleKey::new(
            &format!("reset-request-user:{normalized_username}"),
            RESET_REQUESTS_PER_USERNAME,
        )];
        keys.extend(client_ip.map(|ip| {
            ThrottleKey::new(
                &format!("reset-request-ip:{}", client_network_of(ip)),
                RESET_REQUESTS_PER_CLIENT,
            )
        }));
        keys
    }
}

/// Attempts reserved under their keys, the account's (if any) first.
#[derive(Debug)]
#[must_use = "a reservation is either given back (success) or recorded as a failure"]
pub(crate) struct Reservation {
    held: Vec<(ThrottleKey, ThrottleRow)>,
    now_ms: i64,
    /// The session the attempt was made in, and its count of attempts including this one.
    session: Option<([u8; 32], i64)>,
}

impl Reservation {
    /// The attempt stays counted whatever its outcome (a request rather than a guess).
    pub(crate) fn keep(self) {}

    /// The first key (the account's) was locked by this very attempt.
    fn locked_now(&self) -> bool {
        self.held
            .first()
            .is_some_and(|(_, row)| row.locked_until_ms > self.now_ms)
    }

    fn slow_down(&self, step: Duration) -> Duration {
        let steps = match self.held.first() {
            _ if self.locked_now() => MAX_SLOW_DOWN_STEPS,
            Some((_, row)) => u32::try_from((row.failures - SLOW_DOWN_AFTER).max(0))
                .unwrap_or(0)
                .min(MAX_SLOW_DOWN_STEPS),
            None => 0,
        };
        step * steps
    }
}

impl App {
    /// Reserves one attempt under each key before a secret is checked. Refuses, counting
    /// nothing, while any key is locked: then even the right secret is not looked at.
    pub(crate) async fn throttle_reserve(
        &self,
        keys: &[ThrottleKey],
    ) -> Result<Reservation, AppError> {
        let settings = self.auth_settings();
        let now = self.clock().now_ms();
        self.purge_spent_throttles(now).await?;
        let mut reservation = Reservation {
            held: Vec::with_capacity(keys.len()),
            now_ms: now,
            session: None,
        };
        for key in keys {
            let reserved = self
                .db()
                .reserve_attempt(
                    &key.hash,
                    now,
                    ms(settings.throttle_window),
                    key.limit,
                    ms(settings.lock_duration),
                )
                .await?;
            match reserved {
                Some(row) => reservation.held.push((*key, row)),
                None => {
                    // Locked: the attempts already reserved under the other keys go back.
                    self.throttle_release(reservation).await?;
                    let until = self
                        .db()
                        .throttle(&key.hash)
                        .await?
                        .map_or(0, |row| row.locked_until_ms);
                    let wait_ms = (until - now).max(1);
                    return Err(AppError::TooManyAttempts {
                        retry_after_secs: u64::try_from(wait_ms).map_or(1, |ms| ms.div_ceil(1000)),
                    });
                }
            }
        }
        Ok(reservation)
    }

    /// Reserves an attempt made within a session (a half-finished sign-in's code, or a
    /// signed-in person's step-up code or current password): first on the session itself,
    /// which ends after `max_code_failures` failures, then under the account's and the
    /// client's keys, shared with sign-in.
    pub(crate) async fn throttle_reserve_in_session(
        &self,
        session_hash: &[u8; 32],
        username: &str,
        origin: &RequestOrigin,
    ) -> Result<Reservation, AppError> {
        let max = self.auth_settings().max_code_failures;
        let Some(count) = self.db().reserve_session_attempt(session_hash, max).await? else {
            self.db()
                .revoke_session(session_hash, self.clock().now_ms())
                .await?;
            return Err(AppError::Unauthenticated);
        };
        let mut keys = vec![self.account_key(username)];
        keys.extend(self.client_key(origin.client_ip.as_deref()));
        match self.throttle_reserve(&keys).await {
            Ok(mut reservation) => {
                reservation.session = Some((*session_hash, count));
                Ok(reservation)
            }
            Err(e) => {
                // Refused unchecked (the account or the client is locked): nothing was guessed,
                // so the session's own count goes back. Otherwise strangers locking a username
                // from outside would also end the sessions of its signed-in owner.
                self.db().release_session_attempt(session_hash).await?;
                Err(e)
            }
        }
    }

    /// Now and then (once a minute per process) deletes the rows of keys whose window is over
    /// and that are not locked, so names made up by a flood do not pile up.
    async fn purge_spent_throttles(&self, now: i64) -> Result<(), AppError> {
        use std::sync::atomic::Ordering;
        let last = self.throttle_purged_ms().load(Ordering::Relaxed);
        if now - last < PURGE_EVERY_MS
            || self
                .throttle_purged_ms()
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        self.db()
            .purge_throttle(now, ms(self.auth_settings().throttle_window))
            .await?;
        Ok(())
    }

    /// The outcome of checking a secret under `attempt`. An error from the check itself (the
    /// hashing pool busy, the database down) means the guess was never judged, so its attempt
    /// goes back before the error is answered.
    pub(crate) async fn judged<T>(
        &self,
        attempt: Reservation,
        checked: Result<T, AppError>,
    ) -> Result<(T, Reservation), AppError> {
        match checked {
            Ok(value) => Ok((value, attempt)),
            Err(e) => {
                self.throttle_release(attempt).await?;
                Err(e)
            }
        }
    }

    /// The secret was right (or was never checked): the reserved attempts go back.
    pub(crate) async fn throttle_release(&self, reservation: Reservation) -> Result<(), AppError> {
        for (key, row) in &reservation.held {
            self.db()
                .release_attempt(row, reservation.now_ms, key.limit)
                .await?;
        }
        if let Some((hash, _)) = &reservation.session {
            self.db().release_session_attempt(hash).await?;
        }
        Ok(())
    }

    /// The secret was wrong: the attempt stays counted, the failure is audited (with
    /// `locked`, when given, if the account's key just locked), a session out of attempts
    /// ends, and the answer is held back a little after the first few failures.
    pub(crate) async fn throttle_failed(
        &self,
        reservation: Reservation,
        failure: AuditDraft,
        locked: Option<AuditDraft>,
    ) -> Result<(), AppError> {
        let mut entries = vec![failure];
        if reservation.locked_now() {
            entries.extend(locked);
        }
        let tx = self.begin_write().await?;
        tx.commit(Entries::from_vec(entries).ok_or_else(no_entries)?)
            .await?;
        if let Some((hash, count)) = &reservation.session
            && *count >= self.auth_settings().max_code_failures
        {
            self.db()
                .revoke_session(hash, self.clock().now_ms())
                .await?;
        }
        tokio::time::sleep(reservation.slow_down(self.auth_settings().slow_down_step)).await;
        Ok(())
    }

    /// A full sign-in succeeded: the account's failures are forgotten.
    pub(crate) async fn throttle_clear(&self, key: &ThrottleKey) -> Result<(), AppError> {
        self.db().clear_throttle(&key.hash).await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn l7_ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:fffe".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_network(a), "2001:db8:1:2::/64");
        assert_eq!(client_network(a), client_network(b));
        assert_ne!(client_network(a), client_network(other));
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_network(v4), "192.0.2.1");
        assert_eq!(client_network(mapped), "192.0.2.1");
        assert_eq!(client_network_of("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_eq!(client_network_of("not an address"), "not an address");
    }
}
