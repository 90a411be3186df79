//! Turning a presented token into an [`Actor`] on every request, and the session chores around
//! it: sign-out (here or everywhere), the list of one's sessions, step-up, timeouts.

use enamel_crypto::OpaqueToken;
use enamel_domain::{Action, AuditAction, Category, Outcome, PracticeId, RecordKind, Role};
use enamel_store::SessionSettingsRow;

use super::ms;
use super::signin::SESSION_PREFIX;
use super::tokens::API_TOKEN_PREFIX;
use crate::access::{Principal, SessionKind, SessionRef};
use crate::{Actor, App, AppError, RequestOrigin};

/// A practice's effective session timeouts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    /// True when the practice set its own values rather than using the server's.
    pub practice_specific: bool,
}

/// Limits a practice may choose within: HIPAA expects automatic logoff, so idle may not be
/// switched off.
pub const IDLE_MINUTES_RANGE: std::ops::RangeInclusive<i64> = 1..=60;
pub const ABSOLUTE_HOURS_RANGE: std::ops::RangeInclusive<i64> = 1..=24;

/// One of a person's sessions, as their "where you are signed in" list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: String,
    pub kind: SessionKind,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

/// Move the idle clock only this often: one write per session per interval, not per request.
const TOUCH_EVERY_MS: i64 = 5_000;

/// The sessions whose idle clock this process has just moved. The requests of one session that
/// arrive together all read the old `last_seen_ms`; without this, each queued its own write
/// behind the others' (26 writes at once, 32 ms each, under 64 concurrent searches).
#[derive(Debug, Default)]
pub(crate) struct RecentTouches(std::sync::Mutex<std::collections::HashMap<[u8; 32], i64>>);

/// Forget touches older than the interval once this many sessions are remembered.
const MAX_REMEMBERED_TOUCHES: usize = 10_000;

impl RecentTouches {
    /// Whether this request should write the touch: no other request of this process has
    /// written one for the session within `every_ms`.
    fn claim(&self, token_hash: [u8; 32], now: i64, every_ms: i64) -> bool {
        let Ok(mut touched) = self.0.lock() else {
            return true;
        };
        if touched.len() >= MAX_REMEMBERED_TOUCHES {
            touched.retain(|_, at| now - *at < every_ms);
        }
        match touched.get(&token_hash) {
            Some(at) if now - *at < every_ms => false,
            _ => {
                touched.insert(token_hash, now);
                true
            }
        }
    }
}

impl App {
    pub(crate) async fn session_settings_for(
        &self,
        practice_id: &str,
    ) -> Result<SessionSettings, AppError> {
        let row = self.db().session_settings(practice_id).await?;
        let settings = self.auth_settings();
        Ok(SessionSettings {
            idle_secs: row
                .idle_secs
                .unwrap_or(ms(settings.idle_timeout) / 1000)
                .max(1),
            absolute_secs: row
                .absolute_secs
                .unwrap_or(ms(settings.absolute_lifetime) / 1000)
                .max(1),
            practice_specific: row.idle_secs.is_some() || row.absolute_secs.is_some(),
        })
    }

    /// The timeouts that apply to the actor's practice (not PHI; pages show them).
    pub async fn session_timeouts(&self, actor: &Actor) -> Result<SessionSettings, AppError> {
        self.session_settings_for(&actor.practice_id().to_string())
            .await
    }

    /// The actor behind a session token (cookie or bearer). Expired, idle, revoked, unknown or
    /// tampered tokens, and sessions of disabled users, are all simply unauthenticated.
    pub async fn resolve_session(
        &self,
        token: &str,
        origin: RequestOrigin,
    ) -> Result<Actor, AppError> {
        if !token.starts_with(SESSION_PREFIX) || token.len() > 128 {
            return Err(AppError::Unauthenticated);
        }
        let hash = OpaqueToken::hash(token);
        let now = self.clock().now_ms();
        let Some(found) = self.db().session_by_token(&hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        let s = &found.session;
        let live = s.stage == "active"
            && s.revoked_ms.is_none()
            && now < s.expires_ms
            && now < s.last_seen_ms + s.idle_ms
            && found.user_status == "active";
        if !live {
            return Err(AppError::Unauthenticated);
        }
        let every = TOUCH_EVERY_MS.min(s.idle_ms / 10);
        if now - s.last_seen_ms >= every && self.recent_touches().claim(hash, now, every) {
            self.db().touch_session(&hash, now).await?;
        }
        let practice_id: PracticeId = s
            .practice_id
            .parse()
            .map_err(|_| AppError::Internal("stored practice id is malformed".into()))?;
        let roles = found.roles.iter().filter_map(|r| Role::parse(r)).collect();
        let kind = if s.kind == "api" {
            SessionKind::Api
        } else {
            SessionKind::Web
        };
        Ok(Actor {
            practice_id,
            principal: Principal::Staff {
                user_id: s.user_id.clone(),
                roles,
                session: SessionRef {
                    token_hash: hash,
                    id: s.id.clone(),
                    kind,
                    mfa_ms: s.mfa_ms,
                },
            },
            username: found.username,
            display_name: found.display_name,
            origin,
        })
    }

    /// The actor behind an `Authorization: Bearer` value: an API session or an integration token.
    pub async fn resolve_bearer(
        &self,
        token: &str,
        origin: RequestOrigin,
    ) -> Result<Actor, AppError> {
        if token.starts_with(API_TOKEN_PREFIX) {
            self.resolve_api_token(token, origin).await
        } else {
            self.resolve_session(token, origin).await
        }
    }

    /// Ends the actor's own session.
    pub async fn sign_out(&self, actor: &Actor) -> Result<(), AppError> {
        let Some(session) = actor.session() else {
            return Err(AppError::Refused(
                "An integration token is not a session; revoke it instead.".into(),
            ));
        };
        self.db()
            .revoke_session(&session.token_hash, self.clock().now_ms())
            .await?;
        self.audit()
            .record(
                actor
                    .audit(AuditAction::SignOut, Outcome::Allowed)
                    .about(RecordKind::Session, &session.id),
            )
            .await?;
        Ok(())
    }

    /// Ends every session of the actor, on every device, this one included.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<u64, AppError> {
        let user_id = actor.user_id().ok_or(AppError::Forbidden)?;
        let mut tx = self.begin_write().await?;
        let n = tx
            .revoke_user_sessions(
                &actor.practice_id().to_string(),
                user_id,
                None,
                self.clock().now_ms(),
            )
            .await?;
        let entry = actor
            .audit(AuditAction::SignOut, Outcome::Allowed)
            .about(RecordKind::Session, "*");
        tx.commit(entry.into()).await?;
        Ok(n)
    }

    pub async fn my_sessions(&self, actor: &Actor) -> Result<Vec<SessionSummary>, AppError> {
        let user_id = actor.user_id().ok_or(AppError::Forbidden)?;
        let rows = self
            .db()
            .live_sessions(
                &actor.practice_id().to_string(),
                user_id,
                self.clock().now_ms(),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| SessionSummary {
                current: actor.session_id() == Some(r.id.as_str()),
                kind: if r.kind == "api" {
                    SessionKind::Api
                } else {
                    SessionKind::Web
                },
                id: r.id,
                created_ms: r.created_ms,
                last_seen_ms: r.last_seen_ms,
                client_ip: r.client_ip,
                user_agent: r.user_agent,
            })
            .collect())
    }

    /// Ends one of the actor's own sessions by its id (another device).
    pub async fn revoke_my_session(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let user_id = actor.user_id().ok_or(AppError::Forbidden)?;
        let done = self
            .db()
            .revoke_user_session(
                &actor.practice_id().to_string(),
                user_id,
                id,
                self.clock().now_ms(),
            )
            .await?;
        if !done {
            return Err(AppError::NotFound);
        }
        self.audit()
            .record(
                actor
                    .audit(AuditAction::SessionRevoked, Outcome::Allowed)
                    .about(RecordKind::Session, id),
            )
            .await?;
        Ok(())
    }

    /// Recent failed sign-ins, wrong codes and locks of the actor's own account (newest
    /// first), so people notice someone trying their account.
    pub async fn my_sign_in_problems(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(i64, AuditAction)>, AppError> {
        let Some(user_id) = actor.user_id() else {
            return Ok(Vec::new());
        };
        let since = self.clock().now_ms() - 30 * 86_400_000;
        let mut out = Vec::new();
        for action in [
            AuditAction::SignInFailed,
            AuditAction::MfaFailed,
            AuditAction::AccountLocked,
        ] {
            let entries = self
                .db()
                .audit_entries(&enamel_store::AuditQuery {
                    practice_id: Some(actor.practice_id().to_string()),
                    actor_id: Some(user_id.to_string()),
                    patient_id: None,
                    action: Some(action.as_str().into()),
                    outcome: None,
                    from_ms: Some(since),
                    to_ms: None,
                    after_seq: None,
                    limit: 50,
                })
                .await?;
            out.extend(entries.into_iter().map(|e| (e.time_ms, action)));
        }
        out.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        out.truncate(50);
        Ok(out)
    }

    /// A fresh second factor on the current session, required before administrative changes.
    /// Refused while the account or the client is locked; the session ends after
    /// `max_code_failures` wrong codes.
    pub async fn step_up(&self, actor: &Actor, code: &str) -> Result<(), AppError> {
        let (Some(user_id), Some(session)) = (actor.user_id(), actor.session()) else {
            return Err(AppError::Forbidden);
        };
        let user = self
            .db()
            .user(&actor.practice_id().to_string(), user_id)
            .await?;
        // Counted before the code is checked, with sign-in's limits: a stolen session cannot
        // guess codes faster than a stolen password could, and it ends after a few misses.
        let attempt = self
            .throttle_reserve_in_session(&session.token_hash, &user.username, actor.origin())
            .await?;
        let (checked, attempt) = self
            .judged(attempt, self.check_second_factor(&user, code).await)
            .await?;
        if !checked {
            let locked = actor
                .audit(AuditAction::AccountLocked, Outcome::Denied)
                .about(RecordKind::User, user_id);
            self.throttle_failed(
                attempt,
                actor.audit(AuditAction::StepUp, Outcome::Denied),
                Some(locked),
            )
            .await?;
            return Err(AppError::SecondFactorFailed);
        }
        self.throttle_release(attempt).await?;
        self.db()
            .set_session_mfa(&session.token_hash, self.clock().now_ms())
            .await?;
        self.audit()
            .record(actor.audit(AuditAction::StepUp, Outcome::Allowed))
            .await?;
        Ok(())
    }

    /// Refuses unless the actor proved their second factor within the step-up window.
    pub(crate) fn require_fresh_mfa(&self, actor: &Actor) -> Result<(), AppError> {
        let window = ms(self.auth_settings().step_up_window);
        match actor.session().and_then(|s| s.mfa_ms) {
            Some(at) if self.clock().now_ms() - at <= window => Ok(()),
            _ => Err(AppError::StepUpRequired),
        }
    }

    /// Changes one's own password: the current one is checked (throttled with sign-in, wrong
    /// ones audited; the session ends after `max_code_failures` of them), every other
    /// session ends.
    pub async fn change_my_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        let (Some(user_id), Some(session)) = (actor.user_id(), actor.session()) else {
            return Err(AppError::Forbidden);
        };
        let practice_id = actor.practice_id().to_string();
        let user = self.db().user(&practice_id, user_id).await?;
        // Counted like a sign-in before the password is checked: a stolen session cannot
        // guess the password faster than sign-in could, and it ends after a few misses.
        let attempt = self
            .throttle_reserve_in_session(&session.token_hash, &user.username, actor.origin())
            .await?;
        let verified = self
            .password_pool()
            .verify(Some(user.password_hash.clone()), current)
            .await;
        let (matches, attempt) = self.judged(attempt, verified).await?;
        if !matches {
            let mut failure = actor
                .audit(AuditAction::PasswordChanged, Outcome::Denied)
                .about(RecordKind::User, user_id);
            failure.reason = Some("wrong current password".into());
            let locked = actor
                .audit(AuditAction::AccountLocked, Outcome::Denied)
                .about(RecordKind::User, user_id);
            self.throttle_failed(attempt, failure, Some(locked)).await?;
            return Err(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                "current_password",
                "This is not your current password.",
            )]));
        }
        self.throttle_release(attempt).await?;
        enamel_crypto::check_new_password(new, &user.username).map_err(|p| {
            AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                "new_password",
                p.message(),
            )])
        })?;
        let hash = self.password_pool().hash(new).await?;
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        tx.set_password_hash(&practice_id, user_id, &hash, now)
            .await?;
        tx.revoke_user_sessions(&practice_id, user_id, actor.session_id(), now)
            .await?;
        let entry = actor
            .audit(AuditAction::PasswordChanged, Outcome::Allowed)
            .about(RecordKind::User, user_id);
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// The practice's session timeouts (practice settings, view).
    pub async fn practice_session_settings(
        &self,
        actor: &Actor,
    ) -> Result<SessionSettings, AppError> {
        let access = self
            .authorize(actor, Category::PracticeSettings, Action::View, None)
            .await?;
        access.ensure(Category::PracticeSettings, Action::View, None)?;
        let settings = self
            .session_settings_for(&actor.practice_id().to_string())
            .await?;
        self.audit()
            .record(
                access
                    .audit(AuditAction::View, Outcome::Allowed)
                    .about(RecordKind::PracticeSettings, actor.practice_id()),
            )
            .await?;
        Ok(settings)
    }

    /// Sets the practice's own timeouts (minutes idle, hours absolute); `None` returns to the
    /// server default. Applies to sessions started afterwards.
    pub async fn set_practice_session_settings(
        &self,
        actor: &Actor,
        idle_minutes: Option<i64>,
        absolute_hours: Option<i64>,
    ) -> Result<SessionSettings, AppError> {
        let access = self
            .authorize(actor, Category::PracticeSettings, Action::Edit, None)
            .await?;
        access.ensure(Category::PracticeSettings, Action::Edit, None)?;
        self.require_fresh_mfa(actor)?;
        let mut problems = Vec::new();
        if idle_minutes.is_some_and(|m| !IDLE_MINUTES_RANGE.contains(&m)) {
            problems.push(enamel_domain::FieldProblem::new(
                "idle_minutes",
                "Choose between 1 and 60 minutes.",
            ));
        }
        if absolute_hours.is_some_and(|h| !ABSOLUTE_HOURS_RANGE.contains(&h)) {
            problems.push(enamel_domain::FieldProblem::new(
                "absolute_hours",
                "Choose between 1 and 24 hours.",
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let practice_id = actor.practice_id().to_string();
        let mut tx = self.begin_write().await?;
        tx.set_session_settings(
            &practice_id,
            SessionSettingsRow {
                idle_secs: idle_minutes.map(|m| m * 60),
                absolute_secs: absolute_hours.map(|h| h * 3600),
            },
        )
        .await?;
        let entry = access
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RecordKind::PracticeSettings, &practice_id);
        tx.commit(entry.into()).await?;
        self.session_settings_for(&practice_id).await
    }
}
