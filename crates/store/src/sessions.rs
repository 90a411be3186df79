//! Sessions (browser and API), the sign-in throttle, and password-reset tokens. Every secret is
//! looked up by its SHA-256 hash; the store never holds a usable token.

use sqlx::Row;

use crate::users::one_row;
use crate::{Db, StoreError, Tx, on_db, on_db_write, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: Vec<u8>,
    pub id: String,
    pub practice_id: String,
    pub user_id: String,
    /// `web` or `api`.
    pub kind: String,
    /// `password` (second factor pending), `enroll` (second factor being set up) or `active`.
    pub stage: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub idle_ms: i64,
    pub expires_ms: i64,
    pub mfa_ms: Option<i64>,
    pub mfa_failures: i64,
    pub revoked_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session joined with the state of its user, which every request must re-check so that
/// disabling an account takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSession {
    pub session: SessionRow,
    pub user_status: String,
    pub username: String,
    pub display_name: String,
    /// The user's roles in the session's practice, sorted.
    pub roles: Vec<String>,
}

const SESSION_COLUMNS: &str = "s.token_hash, s.id, s.practice_id, s.user_id, s.kind, s.stage, \
     s.created_ms, s.last_seen_ms, s.idle_ms, s.expires_ms, s.mfa_ms, s.mfa_failures, s.revoked_ms, \
     s.client_ip, s.user_agent";

macro_rules! session_from_row {
    ($row:expr) => {
        SessionRow {
            token_hash: $row.try_get("token_hash")?,
            id: $row.try_get("id")?,
            practice_id: $row.try_get("practice_id")?,
            user_id: $row.try_get("user_id")?,
            kind: $row.try_get("kind")?,
            stage: $row.try_get("stage")?,
            created_ms: $row.try_get("created_ms")?,
            last_seen_ms: $row.try_get("last_seen_ms")?,
            idle_ms: $row.try_get("idle_ms")?,
            expires_ms: $row.try_get("expires_ms")?,
            mfa_ms: $row.try_get("mfa_ms")?,
            mfa_failures: $row.try_get("mfa_failures")?,
            revoked_ms: $row.try_get("revoked_ms")?,
            client_ip: $row.try_get("client_ip")?,
            user_agent: $row.try_get("user_agent")?,
        }
    };
}

/// A `ThrottleRow` from a row of `key_hash, failures, window_start_ms, locked_until_ms`.
macro_rules! throttle_from_row {
    ($row:expr) => {
        ThrottleRow {
            key_hash: $row.try_get("key_hash")?,
            failures: $row.try_get("failures")?,
            window_start_ms: $row.try_get("window_start_ms")?,
            locked_until_ms: $row.try_get("locked_until_ms")?,
        }
    };
}

/// Failed sign-ins counted under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    pub key_hash: Vec<u8>,
    pub failures: i64,
    pub window_start_ms: i64,
    pub locked_until_ms: i64,
}

impl Tx {
    pub async fn insert_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, id, practice_id, user_id, kind, stage, created_ms, \
                 last_seen_ms, idle_ms, expires_ms, mfa_ms, mfa_failures, revoked_ms, client_ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&s.token_hash).bind(&s.id).bind(&s.practice_id).bind(&s.user_id)
            .bind(&s.kind).bind(&s.stage).bind(s.created_ms).bind(s.last_seen_ms)
            .bind(s.idle_ms).bind(s.expires_ms).bind(s.mfa_ms).bind(s.mfa_failures)
            .bind(s.revoked_ms).bind(&s.client_ip).bind(&s.user_agent)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Removes a half-finished sign-in once it has been exchanged for a full session, so its
    /// token can never be used twice.
    pub async fn delete_session(&mut self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Ends every session of a user (all devices), except optionally the one asking.
    pub async fn revoke_user_sessions(
        &mut self,
        practice_id: &str,
        user_id: &str,
        except_id: Option<&str>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE sessions SET revoked_ms = $4 WHERE practice_id = $1 AND user_id = $2 \
             AND revoked_ms IS NULL AND ($3 IS NULL OR id <> $3)",
        )
        .bind(practice_id).bind(user_id).bind(except_id).bind(now_ms)
        .execute(c).await?.rows_affected());
        Ok(n)
    }

    pub async fn insert_password_reset(
        &mut self,
        token_hash: &[u8],
        practice_id: &str,
        user_id: &str,
        created_by: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO password_resets (token_hash, practice_id, user_id, created_by, created_ms, expires_ms, used_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            )
            .bind(token_hash).bind(practice_id).bind(user_id).bind(created_by).bind(created_ms).bind(expires_ms)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Records (or refreshes) a user's "forgot password" request for the administrators.
    pub async fn request_password_reset(
        &mut self,
        practice_id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO password_reset_requests (practice_id, user_id, requested_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (practice_id, user_id) DO UPDATE SET requested_ms = $3",
            )
            .bind(practice_id).bind(user_id).bind(now_ms).execute(c).await?;
        });
        Ok(())
    }

    /// Uses a reset token once: returns (practice, user) only if it was unused and unexpired.
    pub async fn take_password_reset(
        &mut self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        on_tx!(self, c => {
            let row = sqlx::query(
                "UPDATE password_resets SET used_ms = $2 WHERE token_hash = $1 AND used_ms IS NULL \
                 AND expires_ms > $2 RETURNING practice_id, user_id",
            )
            .bind(token_hash).bind(now_ms).fetch_optional(c).await?;
            match row {
                Some(row) => Ok(Some((row.try_get("practice_id")?, row.try_get("user_id")?))),
                None => Ok(None),
            }
        })
    }

    /// Invalidates every outstanding reset link of a user (after a reset or when disabled).
    pub async fn expire_password_resets(
        &mut self,
        practice_id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "UPDATE password_resets SET used_ms = $3 WHERE practice_id = $1 AND user_id = $2 AND used_ms IS NULL",
            )
            .bind(practice_id).bind(user_id).bind(now_ms).execute(&mut *c).await?;
            sqlx::query("DELETE FROM password_reset_requests WHERE practice_id = $1 AND user_id = $2")
                .bind(practice_id).bind(user_id).execute(&mut *c).await?;
        });
        Ok(())
    }
}

impl Db {
    /// The account a reset token is for, if it is unused and unexpired, without using it.
    pub async fn password_reset_target(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT practice_id, user_id FROM password_resets WHERE token_hash = $1 \
                 AND used_ms IS NULL AND expires_ms > $2",
            )
            .bind(token_hash).bind(now_ms).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some((row.try_get("practice_id")?, row.try_get("user_id")?))),
                None => Ok(None),
            }
        })
    }

    /// The session behind a token hash, with its user and the user's roles: one statement (a
    /// row per role), since every authenticated request asks.
    pub async fn session_by_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<ResolvedSession>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, u.status AS user_status, u.username, u.display_name, \
             r.role AS role \
             FROM sessions s JOIN users u ON u.practice_id = s.practice_id AND u.id = s.user_id \
             LEFT JOIN user_roles r ON r.practice_id = s.practice_id AND r.user_id = s.user_id \
             WHERE s.token_hash = $1 ORDER BY r.role"
        );
        on_db!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_all(pool).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let mut roles = Vec::with_capacity(rows.len());
            for row in &rows {
                if let Some(role) = row.try_get::<Option<String>, _>("role")? {
                    roles.push(role);
                }
            }
            Ok(Some(ResolvedSession {
                session: session_from_row!(first),
                user_status: first.try_get("user_status")?,
                username: first.try_get("username")?,
                display_name: first.try_get("display_name")?,
                roles,
            }))
        })
    }

    /// Moves the idle clock forward; the caller does it at most every few seconds per session.
    pub async fn touch_session(&self, token_hash: &[u8], now_ms: i64) -> Result<(), StoreError> {
        on_db_write!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_ms = $2 WHERE token_hash = $1 AND last_seen_ms < $2")
                .bind(token_hash).bind(now_ms).execute(pool).await?;
        });
        Ok(())
    }

    /// A fresh second factor (step-up) on this session; its count of failed attempts starts
    /// again.
    pub async fn set_session_mfa(&self, token_hash: &[u8], now_ms: i64) -> Result<(), StoreError> {
        let n = on_db_write!(self, pool => sqlx::query("UPDATE sessions SET mfa_ms = $2, last_seen_ms = $2, mfa_failures = 0 WHERE token_hash = $1")
            .bind(token_hash).bind(now_ms).execute(pool).await?.rows_affected());
        one_row(n)
    }

    /// Reserves one attempt at a second factor (or password) on a session before it is
    /// checked: the counter goes up atomically, and only while it is below `max`. `None`
    /// means the session has no attempts left (or is gone), so the check must not run.
    pub async fn reserve_session_attempt(
        &self,
        token_hash: &[u8],
        max: i64,
    ) -> Result<Option<i64>, StoreError> {
        on_db_write!(self, pool => {
            let row = sqlx::query(
                "UPDATE sessions SET mfa_failures = mfa_failures + 1 \
                 WHERE token_hash = $1 AND mfa_failures < $2 AND revoked_ms IS NULL RETURNING mfa_failures",
            )
            .bind(token_hash).bind(max).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(row.try_get("mfa_failures")?)),
                None => Ok(None),
            }
        })
    }

    /// Gives back an attempt reserved by [`Db::reserve_session_attempt`] that succeeded.
    pub async fn release_session_attempt(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        on_db_write!(self, pool => {
            sqlx::query(
                "UPDATE sessions SET mfa_failures = mfa_failures - 1 WHERE token_hash = $1 AND mfa_failures > 0",
            )
            .bind(token_hash).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn revoke_session(&self, token_hash: &[u8], now_ms: i64) -> Result<bool, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "UPDATE sessions SET revoked_ms = $2 WHERE token_hash = $1 AND revoked_ms IS NULL",
        )
        .bind(token_hash).bind(now_ms).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Revokes one of a user's own sessions by its public id.
    pub async fn revoke_user_session(
        &self,
        practice_id: &str,
        user_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "UPDATE sessions SET revoked_ms = $4 WHERE practice_id = $1 AND user_id = $2 AND id = $3 AND revoked_ms IS NULL",
        )
        .bind(practice_id).bind(user_id).bind(id).bind(now_ms).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// A user's sessions that are still usable at `now_ms`, newest first.
    pub async fn live_sessions(
        &self,
        practice_id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.practice_id = $1 AND s.user_id = $2 \
             AND s.stage = 'active' AND s.revoked_ms IS NULL AND s.expires_ms > $3 \
             AND s.last_seen_ms + s.idle_ms > $3 ORDER BY s.last_seen_ms DESC"
        );
        on_db!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id).bind(user_id).bind(now_ms).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(session_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Deletes sessions that ended long enough ago to be of no further use.
    pub async fn purge_sessions(&self, ended_before_ms: i64) -> Result<u64, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "DELETE FROM sessions WHERE expires_ms < $1 OR revoked_ms < $1 OR last_seen_ms + idle_ms < $1",
        )
        .bind(ended_before_ms).execute(pool).await?.rows_affected());
        Ok(n)
    }

    /// Reserves one attempt under a throttle key before the secret is checked, in one atomic
    /// statement, so parallel guesses are counted exactly like serial ones. The count runs
    /// within `window_ms`; the attempt that brings it to `limit` locks the key for `lock_ms`
    /// (and counting starts afresh after the lock). `None`: the key is locked, nothing was
    /// counted, and the attempt must be refused.
    pub async fn reserve_attempt(
        &self,
        key_hash: &[u8],
        now_ms: i64,
        window_ms: i64,
        limit: i64,
        lock_ms: i64,
    ) -> Result<Option<ThrottleRow>, StoreError> {
        const COUNT: &str = "(CASE WHEN sign_in_throttle.window_start_ms + $3 > $2 \
             THEN sign_in_throttle.failures + 1 ELSE 1 END)";
        let sql = format!(
            "INSERT INTO sign_in_throttle (key_hash, failures, window_start_ms, locked_until_ms) \
             VALUES ($1, CASE WHEN $4 <= 1 THEN 0 ELSE 1 END, CASE WHEN $4 <= 1 THEN $2 + $5 ELSE $2 END, \
             CASE WHEN $4 <= 1 THEN $2 + $5 ELSE 0 END) \
             ON CONFLICT (key_hash) DO UPDATE SET \
             failures = CASE WHEN {COUNT} >= $4 THEN 0 ELSE {COUNT} END, \
             window_start_ms = CASE WHEN {COUNT} >= $4 THEN $2 + $5 \
                 WHEN sign_in_throttle.window_start_ms + $3 > $2 THEN sign_in_throttle.window_start_ms ELSE $2 END, \
             locked_until_ms = CASE WHEN {COUNT} >= $4 THEN $2 + $5 ELSE 0 END \
             WHERE sign_in_throttle.locked_until_ms <= $2 \
             RETURNING key_hash, failures, window_start_ms, locked_until_ms"
        );
        on_db_write!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(key_hash).bind(now_ms).bind(window_ms).bind(limit).bind(lock_ms)
                .fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(throttle_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// Gives back an attempt reserved by [`Db::reserve_attempt`] that succeeded. `reserved`
    /// is the row the reservation returned: if that very attempt locked the key (and nothing
    /// has changed since), the lock is undone and the count goes back to just below `limit`.
    pub async fn release_attempt(
        &self,
        reserved: &ThrottleRow,
        now_ms: i64,
        limit: i64,
    ) -> Result<(), StoreError> {
        on_db_write!(self, pool => {
            if reserved.locked_until_ms > now_ms {
                sqlx::query(
                    "UPDATE sign_in_throttle SET failures = $3, window_start_ms = $4, locked_until_ms = 0 \
                     WHERE key_hash = $1 AND locked_until_ms = $2 AND failures = 0",
                )
                .bind(&reserved.key_hash).bind(reserved.locked_until_ms)
                .bind((limit - 1).max(0)).bind(now_ms)
                .execute(pool).await?;
            } else {
                sqlx::query(
                    "UPDATE sign_in_throttle SET failures = failures - 1 WHERE key_hash = $1 AND failures > 0",
                )
                .bind(&reserved.key_hash).execute(pool).await?;
            }
        });
        Ok(())
    }

    /// Deletes throttle rows that no longer count anything (window over, not locked), so
    /// keys made up by a flood do not pile up.
    pub async fn purge_throttle(&self, now_ms: i64, window_ms: i64) -> Result<u64, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "DELETE FROM sign_in_throttle WHERE locked_until_ms <= $1 AND window_start_ms + $2 <= $1",
        )
        .bind(now_ms).bind(window_ms).execute(pool).await?.rows_affected());
        Ok(n)
    }

    pub async fn clear_throttle(&self, key_hash: &[u8]) -> Result<(), StoreError> {
        on_db_write!(self, pool => {
            sqlx::query("DELETE FROM sign_in_throttle WHERE key_hash = $1")
                .bind(key_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Throttle rows currently locked (for the compliance view of lockouts).
    pub async fn throttle(&self, key_hash: &[u8]) -> Result<Option<ThrottleRow>, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT key_hash, failures, window_start_ms, locked_until_ms FROM sign_in_throttle WHERE key_hash = $1",
            )
            .bind(key_hash).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(throttle_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// Users of a practice who asked for a password reset, with when they asked.
    pub async fn password_reset_requests(
        &self,
        practice_id: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT user_id, requested_ms FROM password_reset_requests WHERE practice_id = $1 ORDER BY requested_ms",
            )
            .bind(practice_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push((row.try_get("user_id")?, row.try_get("requested_ms")?));
            }
            Ok(out)
        })
    }
}
