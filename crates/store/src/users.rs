//! Staff accounts, their roles and second-factor material. TOTP secrets arrive sealed; the
//! store sees only ciphertext and hashes.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_db_write, on_tx};

/// A staff account as stored. `username` is lower-case and unique across the server. Its
/// `Debug` shows ids and states only: never the password hash or the sealed TOTP secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    pub practice_id: String,
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub status: String,
    pub key_version: i64,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("practice_id", &self.practice_id)
            .field("id", &self.id)
            .field("status", &self.status)
            .field("key_version", &self.key_version)
            .field("totp_enrolled", &self.totp_secret.is_some())
            .field("totp_pending", &self.totp_pending.is_some())
            .finish_non_exhaustive()
    }
}

const USER_COLUMNS: &str = "practice_id, id, username, display_name, password_hash, status, \
     key_version, totp_secret, totp_pending, totp_last_step, created_ms, updated_ms";

macro_rules! user_from_row {
    ($row:expr) => {
        UserRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            username: $row.try_get("username")?,
            display_name: $row.try_get("display_name")?,
            password_hash: $row.try_get("password_hash")?,
            status: $row.try_get("status")?,
            key_version: $row.try_get("key_version")?,
            totp_secret: $row.try_get("totp_secret")?,
            totp_pending: $row.try_get("totp_pending")?,
            totp_last_step: $row.try_get("totp_last_step")?,
            created_ms: $row.try_get("created_ms")?,
            updated_ms: $row.try_get("updated_ms")?,
        }
    };
}

/// A role held by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRoleRow {
    pub user_id: String,
    pub role: String,
}

impl Tx {
    pub async fn insert_user(&mut self, u: &UserRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        on_tx!(self, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&u.practice_id)
                .bind(&u.id)
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(&u.password_hash)
                .bind(&u.status)
                .bind(u.key_version)
                .bind(&u.totp_secret)
                .bind(&u.totp_pending)
                .bind(u.totp_last_step)
                .bind(u.created_ms)
                .bind(u.updated_ms)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// The user row, locked for the rest of the transaction on PostgreSQL (SQLite's write
    /// transactions are already exclusive).
    pub async fn user_for_update(
        &mut self,
        practice_id: &str,
        id: &str,
    ) -> Result<UserRow, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE practice_id = $1 AND id = $2");
        match self {
            Tx::Sqlite(tx) => {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(practice_id)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(user_from_row!(row))
            }
            Tx::Postgres(tx) => {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{sql} FOR UPDATE")))
                    .bind(practice_id)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(user_from_row!(row))
            }
        }
    }

    pub async fn set_user_status(
        &mut self,
        practice_id: &str,
        id: &str,
        status: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET status = $3, updated_ms = $4 WHERE practice_id = $1 AND id = $2",
        )
        .bind(practice_id).bind(id).bind(status).bind(now_ms)
        .execute(c).await?.rows_affected());
        one_row(n)
    }

    pub async fn set_password_hash(
        &mut self,
        practice_id: &str,
        id: &str,
        hash: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET password_hash = $3, updated_ms = $4 WHERE practice_id = $1 AND id = $2",
        )
        .bind(practice_id).bind(id).bind(hash).bind(now_ms)
        .execute(c).await?.rows_affected());
        one_row(n)
    }

    /// Rewrites both sealed TOTP columns under one key version (a row has one `key_version`,
    /// so they are always sealed together).
    pub async fn set_user_totp(
        &mut self,
        practice_id: &str,
        id: &str,
        key_version: i64,
        totp_secret: Option<&[u8]>,
        totp_pending: Option<&[u8]>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET key_version = $3, totp_secret = $4, totp_pending = $5, updated_ms = $6 \
             WHERE practice_id = $1 AND id = $2",
        )
        .bind(practice_id).bind(id).bind(key_version).bind(totp_secret).bind(totp_pending).bind(now_ms)
        .execute(c).await?.rows_affected());
        one_row(n)
    }

    /// Like [`Tx::set_user_totp`], but only while the account has no confirmed second factor:
    /// false (and nothing written) once one is enrolled. Enrollment steps use it so that a
    /// sign-in that began before someone else finished enrolling cannot replace their
    /// authenticator.
    pub async fn set_user_totp_if_unenrolled(
        &mut self,
        practice_id: &str,
        id: &str,
        key_version: i64,
        totp_secret: Option<&[u8]>,
        totp_pending: Option<&[u8]>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET key_version = $3, totp_secret = $4, totp_pending = $5, updated_ms = $6 \
             WHERE practice_id = $1 AND id = $2 AND totp_secret IS NULL",
        )
        .bind(practice_id).bind(id).bind(key_version).bind(totp_secret).bind(totp_pending).bind(now_ms)
        .execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_user_role(
        &mut self,
        practice_id: &str,
        user_id: &str,
        role: &str,
        granted_by: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO user_roles (practice_id, user_id, role, granted_by, granted_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(practice_id).bind(user_id).bind(role).bind(granted_by).bind(now_ms)
            .execute(c).await?;
        });
        Ok(())
    }

    pub async fn delete_user_role(
        &mut self,
        practice_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<bool, StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "DELETE FROM user_roles WHERE practice_id = $1 AND user_id = $2 AND role = $3",
        )
        .bind(practice_id).bind(user_id).bind(role)
        .execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn user_roles_in_tx(
        &mut self,
        practice_id: &str,
        user_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        on_tx!(self, c => {
            let rows = sqlx::query(
                "SELECT role FROM user_roles WHERE practice_id = $1 AND user_id = $2 ORDER BY role",
            )
            .bind(practice_id).bind(user_id)
            .fetch_all(c).await?;
            rows.iter().map(|r| r.try_get("role").map_err(StoreError::from)).collect()
        })
    }

    /// Serializes the changes that decide who may do what in a practice (role assignments and
    /// role-matrix changes), so a check of one sees the other: locks the practice's row on
    /// PostgreSQL (SQLite's write transactions are already exclusive).
    pub async fn lock_practice_roles(&mut self, practice_id: &str) -> Result<(), StoreError> {
        let sql = "SELECT id FROM practices WHERE id = $1";
        let found = match self {
            Tx::Sqlite(tx) => sqlx::query(sql)
                .bind(practice_id)
                .fetch_optional(&mut **tx)
                .await?
                .is_some(),
            Tx::Postgres(tx) => sqlx::query(sqlx::AssertSqlSafe(format!("{sql} FOR UPDATE")))
                .bind(practice_id)
                .fetch_optional(&mut **tx)
                .await?
                .is_some(),
        };
        if found {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Every role assignment of a practice, read inside the transaction.
    pub async fn practice_user_roles_in_tx(
        &mut self,
        practice_id: &str,
    ) -> Result<Vec<UserRoleRow>, StoreError> {
        on_tx!(self, c => {
            let rows = sqlx::query(
                "SELECT user_id, role FROM user_roles WHERE practice_id = $1 ORDER BY user_id, role",
            )
            .bind(practice_id)
            .fetch_all(c).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(UserRoleRow { user_id: row.try_get("user_id")?, role: row.try_get("role")? });
            }
            Ok(out)
        })
    }

    pub async fn replace_recovery_codes(
        &mut self,
        practice_id: &str,
        user_id: &str,
        hashes: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query("DELETE FROM recovery_codes WHERE practice_id = $1 AND user_id = $2")
                .bind(practice_id).bind(user_id)
                .execute(&mut *c).await?;
            for hash in hashes {
                sqlx::query(
                    "INSERT INTO recovery_codes (practice_id, user_id, code_hash, used_ms) VALUES ($1, $2, $3, NULL)",
                )
                .bind(practice_id).bind(user_id).bind(hash.as_slice())
                .execute(&mut *c).await?;
            }
        });
        Ok(())
    }
}

impl Db {
    pub async fn user(&self, practice_id: &str, id: &str) -> Result<UserRow, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE practice_id = $1 AND id = $2");
        on_db!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id).bind(id)
                .fetch_optional(pool).await?
                .ok_or(StoreError::NotFound)?;
            Ok(user_from_row!(row))
        })
    }

    /// The account with this (lower-case) username, in whichever practice it is.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        on_db!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(user_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    pub async fn users(&self, practice_id: &str) -> Result<Vec<UserRow>, StoreError> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE practice_id = $1 ORDER BY username");
        on_db!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(practice_id)
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(user_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn user_roles(
        &self,
        practice_id: &str,
        user_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT role FROM user_roles WHERE practice_id = $1 AND user_id = $2 ORDER BY role",
            )
            .bind(practice_id).bind(user_id)
            .fetch_all(pool).await?;
            rows.iter().map(|r| r.try_get("role").map_err(StoreError::from)).collect()
        })
    }

    /// Every role assignment of a practice (for the user list).
    pub async fn practice_user_roles(
        &self,
        practice_id: &str,
    ) -> Result<Vec<UserRoleRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT user_id, role FROM user_roles WHERE practice_id = $1 ORDER BY user_id, role",
            )
            .bind(practice_id)
            .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(UserRoleRow { user_id: row.try_get("user_id")?, role: row.try_get("role")? });
            }
            Ok(out)
        })
    }

    /// Records that TOTP step `step` was used, unless it (or a later one) already was: the
    /// compare-and-set that makes a code single-use even across server processes.
    pub async fn claim_totp_step(
        &self,
        practice_id: &str,
        user_id: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "UPDATE users SET totp_last_step = $3 WHERE practice_id = $1 AND id = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $3)",
        )
        .bind(practice_id).bind(user_id).bind(step)
        .execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Marks a recovery code used if it exists and was unused; true when this call used it.
    pub async fn use_recovery_code(
        &self,
        practice_id: &str,
        user_id: &str,
        hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_db_write!(self, pool => sqlx::query(
            "UPDATE recovery_codes SET used_ms = $4 WHERE practice_id = $1 AND user_id = $2 \
             AND code_hash = $3 AND used_ms IS NULL",
        )
        .bind(practice_id).bind(user_id).bind(hash.as_slice()).bind(now_ms)
        .execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn unused_recovery_codes(
        &self,
        practice_id: &str,
        user_id: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM recovery_codes WHERE practice_id = $1 AND user_id = $2 AND used_ms IS NULL",
            )
            .bind(practice_id).bind(user_id)
            .fetch_one(pool).await?;
            Ok(row.try_get("n")?)
        })
    }
}

pub(crate) fn one_row(n: u64) -> Result<(), StoreError> {
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::UserRow;

    #[test]
    fn l13_user_row_debug_shows_no_password_hash_or_secret() {
        let row = UserRow {
            practice_id: "p-1".into(),
            id: "u-1".into(),
            username: "secret-username".into(),
            display_name: "Secret Person".into(),
            password_hash: "$argon2id$v=19$secret-hash".into(),
            status: "active".into(),
            key_version: 1,
            totp_secret: Some(vec![0xAB; 4]),
            totp_pending: Some(vec![0xCD; 4]),
            totp_last_step: Some(7),
            created_ms: 1,
            updated_ms: 2,
        };
        let shown = format!("{row:?}");
        assert!(shown.contains("u-1") && shown.contains("totp_enrolled: true"));
        for hidden in [
            "argon2id",
            "secret-hash",
            "171",
            "205",
            "secret-username",
            "Secret Person",
        ] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }
}
