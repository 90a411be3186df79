//! The practice's time zone: read through a short per-practice cache (pages and record
//! functions ask for it on every request), changed by whoever may edit practice settings with
//! a fresh second factor, and audited. "Today" for a practice comes from here, never from the
//! UTC date.

use std::collections::HashMap;
use std::sync::Mutex;

use enamel_domain::{
    Action, AuditAction, Category, Instant, LocalDateTime, Outcome, PracticeDate, PracticeId,
    PracticeTz, RecordKind,
};

use crate::{Actor, App, AppError};

/// How long a server trusts the zone it read. A change made on this server applies at once
/// (the entry is dropped); other servers of a PostgreSQL cluster follow within this time.
const CACHE_MS: i64 = 30_000;

#[derive(Debug, Default)]
pub(crate) struct TimeZoneCache {
    entries: Mutex<HashMap<PracticeId, (i64, PracticeTz)>>,
}

impl TimeZoneCache {
    fn get(&self, practice: PracticeId, now_ms: i64) -> Option<PracticeTz> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&practice)
            .filter(|(at, _)| (0..CACHE_MS).contains(&(now_ms - at)))
            .map(|(_, tz)| tz.clone())
    }

    fn put(&self, practice: PracticeId, now_ms: i64, tz: PracticeTz) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(practice, (now_ms, tz));
        }
    }

    fn forget(&self, practice: PracticeId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&practice);
        }
    }
}

impl App {
    /// The practice's time zone. Not a record: every signed-in person of the practice sees
    /// dates in it, so it needs no permission and writes no audit entry.
    pub async fn practice_time(&self, practice: PracticeId) -> Result<PracticeTz, AppError> {
        let now = self.clock().now_ms();
        if let Some(tz) = self.time_zone_cache().get(practice, now) {
            return Ok(tz);
        }
        let name = self.db().practice_time_zone(&practice.to_string()).await?;
        // The name was validated when it was written; a name this build's database does not
        // know (a zone removed from a later release, a hand-edited row) is a fault to fix, not
        // a reason to show dates in the wrong zone silently.
        let tz = PracticeTz::parse(&name).map_err(|_| {
            AppError::Internal(format!(
                "the practice's stored time zone {name:?} is not in this build's time zone database"
            ))
        })?;
        self.time_zone_cache().put(practice, now, tz.clone());
        Ok(tz)
    }

    /// Today's date in the practice, from the clock.
    pub async fn practice_today(&self, practice: PracticeId) -> Result<PracticeDate, AppError> {
        let tz = self.practice_time(practice).await?;
        Ok(tz.today(Instant::from_unix_ms(self.clock().now_ms())))
    }

    /// `ms` (unix milliseconds) as the practice's clock showed it.
    pub async fn practice_local(
        &self,
        practice: PracticeId,
        ms: i64,
    ) -> Result<LocalDateTime, AppError> {
        let tz = self.practice_time(practice).await?;
        Ok(tz.local(Instant::from_unix_ms(ms)))
    }

    /// The zone as the settings screen shows it (practice settings, view; audited like the
    /// other settings reads).
    pub async fn practice_time_zone_setting(&self, actor: &Actor) -> Result<PracticeTz, AppError> {
        let access = self
            .authorize(actor, Category::PracticeSettings, Action::View, None)
            .await?;
        access.ensure(Category::PracticeSettings, Action::View, None)?;
        let tz = self.practice_time(actor.practice_id()).await?;
        self.audit()
            .record(
                access
                    .audit(AuditAction::View, Outcome::Allowed)
                    .about(RecordKind::PracticeSettings, actor.practice_id()),
            )
            .await?;
        Ok(tz)
    }

    /// Sets the practice's time zone (practice settings, edit, with a fresh second factor).
    /// Stored instants do not change; dates and times are shown in the new zone from now on.
    /// The audit entry names the old and the new zone (practice settings, not PHI).
    pub async fn set_practice_time_zone(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<PracticeTz, AppError> {
        let access = self
            .authorize(actor, Category::PracticeSettings, Action::Edit, None)
            .await?;
        access.ensure(Category::PracticeSettings, Action::Edit, None)?;
        self.require_fresh_mfa(actor)?;
        let tz = PracticeTz::parse(name).map_err(|p| AppError::Invalid(vec![p]))?;
        let practice_id = actor.practice_id().to_string();
        let mut tx = self.begin_write().await?;
        let before = tx.set_practice_time_zone(&practice_id, tz.name()).await?;
        let mut entry = access
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RecordKind::PracticeSettings, &practice_id);
        entry.reason = Some(format!("time_zone {before} -> {}", tz.name()));
        tx.commit(entry.into()).await?;
        self.time_zone_cache().forget(actor.practice_id());
        Ok(tz)
    }
}
