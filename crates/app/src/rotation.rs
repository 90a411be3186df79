//! Data-key rotation: a new field-key version, re-encryption of every sealed row in batches,
//! and retirement of old versions once no row needs them.
//!
//! Rotation never blocks the practice. Writers always seal with the active version, readers
//! open any loaded version, and the sweep re-seals a row only if it is still at the version it
//! read (a concurrent write already used a current key). Each batch is decrypted and
//! re-sealed before its write transaction opens, so the transaction is short.

use enamel_crypto::{CryptoError, PracticeKeys, sealed_key_version};
use enamel_domain::{AuditAction, Outcome, PracticeId, RecordKind};
use enamel_store::specs::ALL;
use enamel_store::{RecordSpec, SealedRow};

use crate::access::Access;
use crate::keyring::{PURPOSE_FIELD, REFRESH_MS, version_u32};
use crate::{App, AppError, RequestOrigin, SystemReason};

/// Rows of one sealed table at one key version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableVersionCount {
    pub table: &'static str,
    pub key_version: i64,
    pub rows: i64,
}

/// One stored field-key version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKeyVersion {
    pub version: i64,
    pub kek_id: String,
    pub created_ms: i64,
}

/// What `enamel keys status` shows for one practice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    pub practice_id: String,
    pub display_name: String,
    pub active_version: i64,
    pub min_version: i64,
    pub field_keys: Vec<FieldKeyVersion>,
    pub rows: Vec<TableVersionCount>,
}

impl KeyStatus {
    /// Rows sealed under a version older than `version`.
    pub fn rows_below(&self, version: i64) -> i64 {
        self.rows
            .iter()
            .filter(|c| c.key_version < version)
            .map(|c| c.rows)
            .sum()
    }
}

/// What a re-encryption sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReencryptReport {
    /// The version every row was brought up to (at least).
    pub target_version: i64,
    pub resealed: u64,
    /// Rows a concurrent write re-sealed first.
    pub skipped_concurrent: u64,
    /// Rows still below the target when the sweep stopped (writers on other servers with a
    /// stale key cache can add a few for up to a refresh interval; run it again).
    pub remaining: i64,
}

/// One page of rows read for re-encryption and re-sealed in memory, not yet written.
#[derive(Debug)]
pub struct ResealBatch {
    table: &'static RecordSpec,
    target: i64,
    /// (re-sealed, as read)
    rows: Vec<(SealedRow, SealedRow)>,
}

impl ResealBatch {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The id of the last row, for paging on.
    pub fn last_id(&self) -> &str {
        self.rows.last().map(|(_, r)| r.id.as_str()).unwrap_or("")
    }
}

/// How long after a rotation its older versions may be retired: twice the key cache's refresh
/// interval, so every server has re-read the active version by then.
pub const RETIRE_AFTER_MS: i64 = 2 * REFRESH_MS;

/// Full passes over the tables before the sweep reports what is left instead of looping.
const MAX_PASSES: usize = 5;

impl App {
    fn rotation_access(&self, practice_id: PracticeId, origin: RequestOrigin) -> Access {
        Access::system_bypassing_policy(practice_id, SystemReason::KeyRotation, origin)
    }

    /// Creates the next field-key version and makes it the one new writes use. Existing rows
    /// stay readable; [`App::reencrypt`] moves them.
    pub async fn rotate_data_key(
        &self,
        practice_id: PracticeId,
        origin: RequestOrigin,
    ) -> Result<i64, AppError> {
        let access = self.rotation_access(practice_id, origin);
        let pid = practice_id.to_string();
        let newest = self
            .db()
            .wrapped_keys(&pid)
            .await?
            .iter()
            .filter(|k| k.purpose == PURPOSE_FIELD)
            .map(|k| k.version)
            .max()
            .unwrap_or(0);
        let version = newest + 1;
        version_u32(version)?;
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        self.keys()
            .insert_new_key(&mut tx, &pid, PURPOSE_FIELD, version, now)
            .await?;
        tx.set_active_key_version(&pid, version).await?;
        let entry = access
            .audit(AuditAction::KeyRotation, Outcome::Allowed)
            .about(
                RecordKind::PracticeKey,
                format!("{PURPOSE_FIELD}:v{version}"),
            );
        tx.commit(entry.into()).await?;
        self.keys().reload(practice_id, now).await?;
        Ok(version)
    }

    /// Re-seals every row below the active version, `batch` rows per transaction, calling
    /// `progress(done, total)` after each batch.
    pub async fn reencrypt(
        &self,
        practice_id: PracticeId,
        origin: RequestOrigin,
        batch: usize,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ReencryptReport, AppError> {
        let access = self.rotation_access(practice_id, origin.clone());
        let keys = self
            .keys()
            .reload(practice_id, self.clock().now_ms())
            .await?;
        let target = i64::from(keys.active_version());
        let limit = i64::try_from(batch.clamp(1, 10_000)).unwrap_or(500);
        let total =
            u64::try_from(self.key_status(practice_id).await?.rows_below(target)).unwrap_or(0);
        let mut report = ReencryptReport {
            target_version: target,
            ..ReencryptReport::default()
        };
        progress(0, total);
        for _pass in 0..MAX_PASSES {
            let before = report.resealed;
            for table in ALL {
                let mut after_id = String::new();
                loop {
                    let Some(batch) = self
                        .read_reseal_batch(practice_id, table, target, &after_id, limit)
                        .await?
                    else {
                        break;
                    };
                    after_id = batch.last_id().to_string();
                    let read = batch.len() as u64;
                    let written = self
                        .write_reseal_batch(practice_id, origin.clone(), batch)
                        .await?;
                    report.resealed += written;
                    report.skipped_concurrent += read - written;
                    progress(report.resealed + report.skipped_concurrent, total);
                }
            }
            report.remaining = self.key_status(practice_id).await?.rows_below(target);
            // Rows skipped because a concurrent write changed them are read again on the next
            // pass; a pass that moved nothing ends the sweep.
            if report.remaining == 0 || report.resealed == before {
                break;
            }
        }
        let entry = access
            .audit(AuditAction::KeyRotation, Outcome::Allowed)
            .about(
                RecordKind::PracticeKey,
                format!("{PURPOSE_FIELD}:v{target}:reencrypted"),
            );
        self.audit().record(entry).await?;
        Ok(report)
    }

    /// Reads up to `limit` rows of `table` sealed below `target` (after `after_id`, in id order)
    /// and re-seals them in memory with the active key. Nothing is written yet: see
    /// [`App::write_reseal_batch`]. `None` when no row is left.
    pub async fn read_reseal_batch(
        &self,
        practice_id: PracticeId,
        table: &'static RecordSpec,
        target: i64,
        after_id: &str,
        limit: i64,
    ) -> Result<Option<ResealBatch>, AppError> {
        let pid = practice_id.to_string();
        let rows = self
            .db()
            .sealed_rows_below(table, &pid, target, after_id, limit)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut keys = self
            .keys()
            .practice(practice_id, self.clock().now_ms())
            .await?;
        let loaded = keys.versions();
        if i64::from(keys.active_version()) < target
            || rows
                .iter()
                .any(|r| !loaded.iter().any(|v| i64::from(*v) == r.key_version))
        {
            // Another server rotated or this cache is stale.
            keys = self
                .keys()
                .reload(practice_id, self.clock().now_ms())
                .await?;
        }
        let mut pairs = Vec::with_capacity(rows.len());
        for row in rows {
            pairs.push((reseal(&keys, table, &row)?, row));
        }
        Ok(Some(ResealBatch {
            table,
            target,
            rows: pairs,
        }))
    }

    /// Writes a batch from [`App::read_reseal_batch`] in one transaction with its audit entry.
    /// A row is written only if it is still exactly as read (key version and sealed bytes): a
    /// concurrent edit or second-factor reset survives, and the row is read again by the next
    /// pass. Returns how many rows were written.
    pub async fn write_reseal_batch(
        &self,
        practice_id: PracticeId,
        origin: RequestOrigin,
        batch: ResealBatch,
    ) -> Result<u64, AppError> {
        let access = self.rotation_access(practice_id, origin);
        // Each batch is a change of sealed rows, so it carries its own entry: a sweep stopped
        // half way still shows which tables it re-encrypted.
        let entry = access
            .audit(AuditAction::KeyRotation, Outcome::Allowed)
            .about(batch.table.kind, format!("v{}:batch", batch.target));
        let mut tx = self.begin_write().await?;
        let written = tx
            .reseal_rows(batch.table, &practice_id.to_string(), &batch.rows)
            .await?;
        tx.commit(entry.into()).await?;
        Ok(written)
    }

    /// Re-wraps every practice's data keys under the key provider's active KEK (`enamel keys
    /// rotate --kek`), one transaction and one `kek_rotation` entry per practice that had a
    /// key to re-wrap. Returns how many keys were re-wrapped.
    pub async fn rewrap_data_keys(&self, origin: RequestOrigin) -> Result<usize, AppError> {
        let mut count = 0;
        for practice in self.db().practices().await? {
            let practice_id: PracticeId = practice
                .id
                .parse()
                .map_err(|_| AppError::Internal("stored practice id is malformed".into()))?;
            let access = self.rotation_access(practice_id, origin.clone());
            let mut tx = self.begin_write().await?;
            let rewrapped = self.keys().rewrap_practice(&mut tx, &practice.id).await?;
            if rewrapped == 0 {
                tx.rollback().await?;
                continue;
            }
            let entry = access
                .audit(AuditAction::KekRotation, Outcome::Allowed)
                .about(RecordKind::PracticeKey, format!("rewrapped:{rewrapped}"));
            tx.commit(entry.into()).await?;
            count += rewrapped;
        }
        Ok(count)
    }

    /// The KEK ids that wrap at least one stored data key.
    pub async fn keks_in_use(&self) -> Result<Vec<String>, AppError> {
        self.keys().keks_in_use().await
    }

    /// Makes versions below `min_version` unusable: refused while any row still needs one, and
    /// until [`RETIRE_AFTER_MS`] has passed since `min_version` (or a newer one) became active.
    ///
    /// Other servers seal with the active version their key cache holds, which may be up to
    /// the refresh interval old. Waiting twice that long after the rotation means every cache
    /// has moved past the old version (with a margin for a write in flight and for clocks a
    /// little apart), and the rows are then counted again inside the retiring transaction, so
    /// a row a stale server wrote before that is found and re-encrypted instead of stranded.
    pub async fn retire_key_versions_below(
        &self,
        practice_id: PracticeId,
        min_version: i64,
        origin: RequestOrigin,
    ) -> Result<(), AppError> {
        let access = self.rotation_access(practice_id, origin);
        let status = self.key_status(practice_id).await?;
        if min_version > status.active_version {
            return Err(AppError::Refused(format!(
                "version {min_version} is newer than the active key version {}",
                status.active_version
            )));
        }
        if min_version <= status.min_version {
            return Ok(());
        }
        // When the last version below `min_version` stopped being the active one.
        let switched_ms = status
            .field_keys
            .iter()
            .filter(|k| k.version >= min_version)
            .map(|k| k.created_ms)
            .min()
            .unwrap_or(i64::MAX);
        let waited_ms = self.clock().now_ms().saturating_sub(switched_ms);
        if waited_ms < RETIRE_AFTER_MS {
            let left_s = (RETIRE_AFTER_MS - waited_ms.max(0) + 999) / 1_000;
            return Err(AppError::Refused(format!(
                "key version {min_version} became active less than {} seconds ago, and other \
                 servers may still be writing with an older key; run `enamel keys rotate \
                 --resume`, then retire again in {left_s} seconds",
                RETIRE_AFTER_MS / 1_000
            )));
        }
        let refuse_left = |left: i64| {
            AppError::Refused(format!(
                "{left} rows still use a key version below {min_version}; run `enamel keys rotate --resume` to re-encrypt them first"
            ))
        };
        let left = status.rows_below(min_version);
        if left > 0 {
            return Err(refuse_left(left));
        }
        let pid = practice_id.to_string();
        let mut tx = self.begin_write().await?;
        tx.set_min_key_version(&pid, min_version).await?;
        // Counted again after the minimum moved, in the same transaction: a row written with
        // an old key since the first count refuses the retirement instead of being stranded.
        let left = tx.rows_below_key_version(&pid, min_version).await?;
        if left > 0 {
            tx.rollback().await?;
            return Err(refuse_left(left));
        }
        let entry = access
            .audit(AuditAction::KeyRetired, Outcome::Allowed)
            .about(
                RecordKind::PracticeKey,
                format!("{PURPOSE_FIELD}:below:v{min_version}"),
            );
        tx.commit(entry.into()).await?;
        self.keys()
            .reload(practice_id, self.clock().now_ms())
            .await?;
        Ok(())
    }

    /// Key versions of one practice and how many rows use each.
    pub async fn key_status(&self, practice_id: PracticeId) -> Result<KeyStatus, AppError> {
        let pid = practice_id.to_string();
        let practice = self.db().practice(&pid).await?;
        let field_keys = self
            .db()
            .wrapped_keys(&pid)
            .await?
            .into_iter()
            .filter(|k| k.purpose == PURPOSE_FIELD)
            .map(|k| FieldKeyVersion {
                version: k.version,
                kek_id: k.kek_id,
                created_ms: k.created_ms,
            })
            .collect();
        let rows = self
            .db()
            .key_version_counts(&pid)
            .await?
            .into_iter()
            .map(|c| TableVersionCount {
                table: c.table,
                key_version: c.key_version,
                rows: c.rows,
            })
            .collect();
        Ok(KeyStatus {
            practice_id: pid,
            display_name: practice.display_name,
            active_version: practice.active_key_version,
            min_version: practice.min_key_version,
            field_keys,
            rows,
        })
    }
}

/// Opens a row's sealed values with whatever version sealed them and seals them again with the
/// active version. The row id and column stay bound as associated data.
fn reseal(keys: &PracticeKeys, table: &RecordSpec, row: &SealedRow) -> Result<SealedRow, AppError> {
    let mut values = Vec::with_capacity(row.values.len());
    for (column, value) in table.sealed.iter().zip(&row.values) {
        let Some(sealed) = value else {
            values.push(None);
            continue;
        };
        let stored_version = sealed_key_version(sealed)?;
        if i64::from(stored_version) != row.key_version {
            return Err(AppError::from(CryptoError::Integrity {
                table: table.table.to_string(),
                column: (*column).to_string(),
            }));
        }
        let plain = keys.open(table.table, column, &row.id, sealed)?;
        values.push(Some(keys.seal(table.table, column, &row.id, &plain)?));
    }
    Ok(SealedRow {
        id: row.id.clone(),
        key_version: i64::from(keys.active_version()),
        values,
    })
}
