//! API tokens for integrations, break-glass emergency grants, a practice's role-matrix
//! overrides and its session settings.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_db_write, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub token_hash: Vec<u8>,
    pub id: String,
    pub practice_id: String,
    pub name: String,
    pub scopes: String,
    pub created_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

const TOKEN_COLUMNS: &str = "token_hash, id, practice_id, name, scopes, created_by, created_ms, \
     expires_ms, revoked_ms, last_used_ms";

macro_rules! token_from_row {
    ($row:expr) => {
        ApiTokenRow {
            token_hash: $row.try_get("token_hash")?,
            id: $row.try_get("id")?,
            practice_id: $row.try_get("practice_id")?,
            name: $row.try_get("name")?,
            scopes: $row.try_get("scopes")?,
            created_by: $row.try_get("created_by")?,
            created_ms: $row.try_get("created_ms")?,
            expires_ms: $row.try_get("expires_ms")?,
            revoked_ms: $row.try_get("revoked_ms")?,
            last_used_ms: $row.try_get("last_used_ms")?,
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyGrantRow {
    pub practice_id: String,
    pub id: String,
    pub user_id: String,
    pub patient_id: String,
    pub key_version: i64,
    pub justification: Vec<u8>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub review_status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_ms: Option<i64>,
}

const GRANT_COLUMNS: &str = "practice_id, id, user_id, patient_id, key_version, justification, \
     created_ms, expires_ms, review_status, reviewed_by, reviewed_ms";

macro_rules! grant_from_row {
    ($row:expr) => {
        EmergencyGrantRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            user_id: $row.try_get("user_id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            justification: $row.try_get("justification")?,
            created_ms: $row.try_get("created_ms")?,
            expires_ms: $row.try_get("expires_ms")?,
            review_status: $row.try_get("review_status")?,
            reviewed_by: $row.try_get("reviewed_by")?,
            reviewed_ms: $row.try_get("reviewed_ms")?,
        }
    };
}

/// One cell of a practice's role matrix that differs from the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOverrideRow {
    pub role: String,
    pub category: String,
    pub action: String,
    pub allowed: bool,
}

/// A practice's own session timeouts; `None` uses the server's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionSettingsRow {
    pub idle_secs: Option<i64>,
    pub absolute_secs: Option<i64>,
}

macro_rules! overrides_from_rows {
    ($rows:expr) => {{
        let mut out = Vec::with_capacity($rows.len());
        for row in $rows {
            let allowed: i64 = row.try_get("allowed")?;
            out.push(PolicyOverrideRow {
                role: row.try_get("role")?,
                category: row.try_get("category")?,
                action: row.try_get("action")?,
                allowed: allowed == 1,
            });
        }
        Ok(out)
    }};
}

impl Tx {
    pub async fn insert_api_token(&mut self, t: &ApiTokenRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        on_tx!(self, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&t.token_hash).bind(&t.id).bind(&t.practice_id).bind(&t.name).bind(&t.scopes)
                .bind(&t.created_by).bind(t.created_ms).bind(t.expires_ms).bind(t.revoked_ms).bind(t.last_used_ms)
                .execute(c).await?;
        });
        Ok(())
    }

    pub async fn revoke_api_token(
        &mut self,
        practice_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $3 WHERE practice_id = $1 AND id = $2 AND revoked_ms IS NULL",
        )
        .bind(practice_id).bind(id).bind(now_ms).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Revokes the tokens a (now disabled) user created.
    pub async fn revoke_api_tokens_created_by(
        &mut self,
        practice_id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $3 WHERE practice_id = $1 AND created_by = $2 AND revoked_ms IS NULL",
        )
        .bind(practice_id).bind(user_id).bind(now_ms).execute(c).await?.rows_affected());
        Ok(n)
    }

    pub async fn insert_emergency_grant(
        &mut self,
        g: &EmergencyGrantRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO emergency_grants ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        on_tx!(self, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&g.practice_id).bind(&g.id).bind(&g.user_id).bind(&g.patient_id).bind(g.key_version)
                .bind(&g.justification).bind(g.created_ms).bind(g.expires_ms).bind(&g.review_status)
                .bind(&g.reviewed_by).bind(g.reviewed_ms)
                .execute(c).await?;
        });
        Ok(())
    }

    /// Records a review of a pending grant; false if it was already reviewed or does not exist.
    pub async fn review_emergency_grant(
        &mut self,
        practice_id: &str,
        id: &str,
        status: &str,
        reviewer: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE emergency_grants SET review_status = $3, reviewed_by = $4, reviewed_ms = $5 \
             WHERE practice_id = $1 AND id = $2 AND review_status = 'pending'",
        )
        .bind(practice_id).bind(id).bind(status).bind(reviewer).bind(now_ms)
        .execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Ends a grant now (a revocation); false if it had already ended or does not exist.
    pub async fn end_emergency_grant(
        &mut self,
        practice_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE emergency_grants SET expires_ms = $3 \
             WHERE practice_id = $1 AND id = $2 AND expires_ms > $3",
        )
        .bind(practice_id).bind(id).bind(now_ms)
        .execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Sets one matrix cell's override; `None` returns the cell to the default.
    pub async fn set_policy_override(
        &mut self,
        practice_id: &str,
        cell: &PolicyOverrideRow,
        keep: bool,
        changed_by: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            if keep {
                sqlx::query(
                    "INSERT INTO policy_overrides (practice_id, role, category, action, allowed, changed_by, changed_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (practice_id, role, category, action) \
                     DO UPDATE SET allowed = $5, changed_by = $6, changed_ms = $7",
                )
                .bind(practice_id).bind(&cell.role).bind(&cell.category).bind(&cell.action)
                .bind(i64::from(cell.allowed)).bind(changed_by).bind(now_ms)
                .execute(c).await?;
            } else {
                sqlx::query(
                    "DELETE FROM policy_overrides WHERE practice_id = $1 AND role = $2 AND category = $3 AND action = $4",
                )
                .bind(practice_id).bind(&cell.role).bind(&cell.category).bind(&cell.action)
                .execute(c).await?;
            }
        });
        Ok(())
    }

    pub async fn policy_overrides_in_tx(
        &mut self,
        practice_id: &str,
    ) -> Result<Vec<PolicyOverrideRow>, StoreError> {
        on_tx!(self, c => {
            let rows = sqlx::query(
                "SELECT role, category, action, allowed FROM policy_overrides WHERE practice_id = $1 \
                 ORDER BY role, category, action",
            )
            .bind(practice_id).fetch_all(c).await?;
            overrides_from_rows!(rows)
        })
    }

    pub async fn set_session_settings(
        &mut self,
        practice_id: &str,
        s: SessionSettingsRow,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE practices SET session_idle_secs = $2, session_absolute_secs = $3 WHERE id = $1",
        )
        .bind(practice_id).bind(s.idle_secs).bind(s.absolute_secs).execute(c).await?.rows_affected());
        crate::users::one_row(n)
    }
}

impl Db {
    pub async fn api_token_by_hash(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<ApiTokenRow>, StoreError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        on_db!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(token_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    pub async fn api_tokens(&self, practice_id: &str) -> Result<Vec<ApiTokenRow>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE practice_id = $1 ORDER BY created_ms DESC"
        );
        on_db!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(practice_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(token_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn touch_api_token(&self, token_hash: &[u8], now_ms: i64) -> Result<(), StoreError> {
        on_db_write!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_ms = $2 WHERE token_hash = $1")
                .bind(token_hash).bind(now_ms).execute(pool).await?;
        });
        Ok(())
    }

    /// The user's unexpired grant for this patient, if any. A grant whose review found
    /// possible misuse (`escalated`) no longer opens anything.
    pub async fn live_emergency_grant(
        &self,
        practice_id: &str,
        user_id: &str,
        patient_id: &str,
        now_ms: i64,
    ) -> Result<Option<EmergencyGrantRow>, StoreError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM emergency_grants WHERE practice_id = $1 AND user_id = $2 \
             AND patient_id = $3 AND created_ms <= $4 AND expires_ms > $4 \
             AND review_status <> 'escalated' ORDER BY expires_ms DESC LIMIT 1"
        );
        on_db!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id).bind(user_id).bind(patient_id).bind(now_ms)
                .fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(grant_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// Whether the user holds a grant for this patient that a reviewer stopped as possible
    /// misuse (`escalated`, which ending a grant early also records).
    pub async fn stopped_emergency_grant_exists(
        &self,
        practice_id: &str,
        user_id: &str,
        patient_id: &str,
    ) -> Result<bool, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT 1 AS one FROM emergency_grants WHERE practice_id = $1 AND user_id = $2 \
                 AND patient_id = $3 AND review_status = 'escalated' LIMIT 1",
            )
            .bind(practice_id).bind(user_id).bind(patient_id)
            .fetch_optional(pool).await?;
            Ok(row.is_some())
        })
    }

    /// One grant of the practice, whatever its review status.
    pub async fn emergency_grant(
        &self,
        practice_id: &str,
        id: &str,
    ) -> Result<Option<EmergencyGrantRow>, StoreError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM emergency_grants WHERE practice_id = $1 AND id = $2"
        );
        on_db!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id).bind(id)
                .fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(grant_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// A page of a practice's grants after the cursor `after` (a grant id; ids are
    /// time-ordered). Pending ones (`pending_only`) come oldest first, so a flood of new grants
    /// cannot push an unreviewed one out of sight; all grants come newest first.
    pub async fn emergency_grants(
        &self,
        practice_id: &str,
        pending_only: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EmergencyGrantRow>, StoreError> {
        let sql = if pending_only {
            format!(
                "SELECT {GRANT_COLUMNS} FROM emergency_grants WHERE practice_id = $1 \
                 AND review_status = 'pending' AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
            )
        } else {
            format!(
                "SELECT {GRANT_COLUMNS} FROM emergency_grants WHERE practice_id = $1 \
                 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
            )
        };
        on_db!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id).bind(after).bind(limit)
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(grant_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn policy_overrides(
        &self,
        practice_id: &str,
    ) -> Result<Vec<PolicyOverrideRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT role, category, action, allowed FROM policy_overrides WHERE practice_id = $1 \
                 ORDER BY role, category, action",
            )
            .bind(practice_id).fetch_all(pool).await?;
            overrides_from_rows!(rows)
        })
    }

    pub async fn session_settings(
        &self,
        practice_id: &str,
    ) -> Result<SessionSettingsRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT session_idle_secs, session_absolute_secs FROM practices WHERE id = $1",
            )
            .bind(practice_id).fetch_optional(pool).await?.ok_or(StoreError::NotFound)?;
            Ok(SessionSettingsRow {
                idle_secs: row.try_get("session_idle_secs")?,
                absolute_secs: row.try_get("session_absolute_secs")?,
            })
        })
    }
}
