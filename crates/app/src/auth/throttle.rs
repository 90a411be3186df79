//! The sign-in throttle. Failures are counted per username as typed (whether or not such an
//! account exists, so a lockout reveals nothing) and per client address, in the database so
//! that every server process sees the same counts. A few failures slow the answer down; more
//! lock the key for a while.

use std::time::Duration;

use enamel_store::ThrottleRow;

use super::{AuthSettings, ms};
use crate::{App, AppError, AuditDraft};

/// Failures after which each further attempt waits before it is answered.
const SLOW_DOWN_AFTER: i64 = 3;
/// The longest hold-back, in steps.
const MAX_SLOW_DOWN_STEPS: u32 = 4;

pub(crate) fn username_key(normalized_username: &str) -> [u8; 32] {
    enamel_crypto::OpaqueToken::hash(&format!("sign-in-user:{normalized_username}"))
}

pub(crate) fn ip_key(ip: &str) -> [u8; 32] {
    enamel_crypto::OpaqueToken::hash(&format!("sign-in-ip:{ip}"))
}

/// What a recorded failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailureEffect {
    /// The key just became locked.
    pub(crate) locked_now: bool,
    /// How long to hold the answer back.
    pub(crate) slow_down: Duration,
}

impl App {
    /// Refuses at once while either key is locked.
    pub(crate) async fn throttle_check(&self, keys: &[[u8; 32]]) -> Result<(), AppError> {
        let now = self.clock().now_ms();
        let mut wait_ms = 0;
        for key in keys {
            if let Some(row) = self.db().throttle(key).await?
                && row.locked_until_ms > now
            {
                wait_ms = wait_ms.max(row.locked_until_ms - now);
            }
        }
        if wait_ms > 0 {
            return Err(AppError::TooManyAttempts {
                retry_after_secs: u64::try_from(wait_ms).map_or(1, |ms| ms.div_ceil(1000)),
            });
        }
        Ok(())
    }

    /// Counts one failure under each key; the first key is the account's, the second (if any)
    /// the address's, each with its own limit. The failure's audit entry commits with the
    /// counters, so a failure is never counted without being recorded, nor the other way.
    pub(crate) async fn throttle_failure(
        &self,
        user_key: &[u8; 32],
        ip_key: Option<&[u8; 32]>,
        failure: AuditDraft,
    ) -> Result<FailureEffect, AppError> {
        let settings = self.auth_settings();
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        let (user, locked_now) = bump(
            &mut tx,
            user_key,
            settings.lock_after_failures,
            settings,
            now,
        )
        .await?;
        if let Some(ip_key) = ip_key {
            bump(
                &mut tx,
                ip_key,
                settings.lock_ip_after_failures,
                settings,
                now,
            )
            .await?;
        }
        tx.commit(failure.into()).await?;
        let over = (user.failures - SLOW_DOWN_AFTER).max(0);
        let steps = u32::try_from(over).unwrap_or(0).min(MAX_SLOW_DOWN_STEPS);
        let slow_down = settings.slow_down_step * steps;
        Ok(FailureEffect {
            locked_now,
            slow_down,
        })
    }

    pub(crate) async fn throttle_clear(&self, user_key: &[u8; 32]) -> Result<(), AppError> {
        self.db().clear_throttle(user_key).await?;
        Ok(())
    }
}

async fn bump(
    tx: &mut enamel_store::Tx,
    key: &[u8; 32],
    limit: i64,
    settings: &AuthSettings,
    now: i64,
) -> Result<(ThrottleRow, bool), AppError> {
    let window = ms(settings.throttle_window);
    let mut row = match tx.throttle_for_update(key).await? {
        Some(row) if row.window_start_ms + window > now => row,
        _ => ThrottleRow {
            key_hash: key.to_vec(),
            failures: 0,
            window_start_ms: now,
            locked_until_ms: 0,
        },
    };
    row.failures += 1;
    let locked_now = row.failures >= limit;
    if locked_now {
        row.locked_until_ms = now + ms(settings.lock_duration);
        // Counting starts afresh after the lock, so one mistake then does not lock again.
        row.failures = 0;
        row.window_start_ms = row.locked_until_ms;
    }
    tx.put_throttle(&row).await?;
    Ok((row, locked_now))
}
