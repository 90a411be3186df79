//! Password reset links: issued by an administrator (or, for the account an administrator may
//! not reset, by the host's operator), requested at the sign-in page, and completed by their
//! holder. A link is a bearer secret: single-use, expiring, stored as its SHA-256, and never
//! logged (it travels after `#`).

use enamel_crypto::OpaqueToken;
use enamel_domain::{
    AuditAction, AuditSubject, FieldProblem, Outcome, PracticeId, RecordKind, Role,
};
use zeroize::Zeroizing;

use super::admin::{NO_PASSWORD, RESET_PREFIX};
use super::{CreatedUser, ms, normalize_username};
use crate::access::Access;
use crate::{Actor, App, AppError, AuditDraft, RequestOrigin, SystemReason};

impl App {
    /// A single-use link for a user to choose a new password. With `reset_second_factor`
    /// (a lost phone) the user also enrolls a new authenticator at their next sign-in: the
    /// authenticator, the recovery codes and the password all stop working now, so the old
    /// password (perhaps saved on the lost phone) cannot lead to enrolling a new authenticator;
    /// only the link can.
    ///
    /// A link that needs no second factor to follow (a second-factor reset, or any link for an
    /// account without a working authenticator: its owner enrolls at the next sign-in) hands
    /// whoever holds it the account itself. For separation of duties the issuer then counts as
    /// holding the account's roles too: a user administrator cannot issue such a link for
    /// someone who uses the audit log (the host's operator can, with `enamel users
    /// reset-link`).
    pub async fn issue_password_reset(
        &self,
        actor: &Actor,
        user_id: &str,
        reset_second_factor: bool,
    ) -> Result<CreatedUser, AppError> {
        let access = self.admin_edit(actor, user_id).await?;
        let duty_conflict = self.reset_duty_conflict(&access, user_id).await?;
        self.write_password_reset(&access, user_id, reset_second_factor, duty_conflict)
            .await
    }

    /// For the host's operator (`enamel users reset-link`): a link for the account named
    /// `username` in `practice_id`, recorded in the practice's log as the system's, with its
    /// reason. The way back in for someone no administrator of the practice may reset.
    pub async fn issue_password_reset_as_system(
        &self,
        practice_id: PracticeId,
        username: &str,
        reset_second_factor: bool,
    ) -> Result<CreatedUser, AppError> {
        let access = Access::system_bypassing_policy(
            practice_id,
            SystemReason::AccountRecovery,
            RequestOrigin::cli(),
        );
        let user = self
            .db()
            .user_by_username(&normalize_username(username))
            .await?
            .filter(|u| u.practice_id == practice_id.to_string())
            .ok_or(AppError::NotFound)?;
        self.write_password_reset(&access, &user.id, reset_second_factor, false)
            .await
    }

    /// Whether becoming the account `user_id` would put the issuer on both sides of a
    /// separation-of-duties rule.
    async fn reset_duty_conflict(&self, access: &Access, user_id: &str) -> Result<bool, AppError> {
        let actor = access.actor();
        let practice = actor.practice_id();
        let mut roles = actor.roles().to_vec();
        roles.extend(
            self.db()
                .user_roles(&practice.to_string(), user_id)
                .await?
                .iter()
                .filter_map(|r| Role::parse(r)),
        );
        Ok(self
            .policy(practice)
            .await?
            .person_duty_conflict(&roles)
            .is_some())
    }

    /// The audited refusal of a link that would hand its issuer an account across a
    /// separation-of-duties rule.
    async fn refuse_reset_across_duties(
        &self,
        access: &Access,
        user_id: &str,
    ) -> Result<CreatedUser, AppError> {
        let mut entry = access
            .audit(AuditAction::PasswordResetIssued, Outcome::Denied)
            .about(RecordKind::User, user_id);
        entry.reason = Some("reset across separation of duties".into());
        self.audit().record(entry).await?;
        Err(AppError::Refused(
            "You cannot give a sign-in link to someone who can read the audit log while they have \
             no working authenticator, or reset their authenticator: whoever holds the link could \
             then both manage users and read the log. Ask whoever runs the Enamel server to do it."
                .into(),
        ))
    }

    async fn write_password_reset(
        &self,
        access: &Access,
        user_id: &str,
        reset_second_factor: bool,
        duty_conflict: bool,
    ) -> Result<CreatedUser, AppError> {
        let practice_id = access.practice_id().to_string();
        let now = self.clock().now_ms();
        let (token, hash) = OpaqueToken::generate(RESET_PREFIX)?;
        let expires = now + ms(self.auth_settings().reset_link_lifetime);
        let mut tx = self.begin_write().await?;
        let user = tx.user_for_update(&practice_id, user_id).await?;
        // Decided on the locked row: the account's state, not only the kind of link, says
        // whether following the link needs the owner's authenticator.
        let needs_no_second_factor =
            reset_second_factor || user.password_hash == NO_PASSWORD || user.totp_secret.is_none();
        if duty_conflict && needs_no_second_factor {
            tx.rollback().await?;
            return self.refuse_reset_across_duties(access, user_id).await;
        }
        tx.expire_password_resets(&practice_id, user_id, now)
            .await?;
        tx.insert_password_reset(
            &hash,
            &practice_id,
            user_id,
            &access.actor().audit_id(),
            now,
            expires,
        )
        .await?;
        if reset_second_factor {
            tx.set_user_totp(&practice_id, user_id, user.key_version, None, None, now)
                .await?;
            tx.replace_recovery_codes(&practice_id, user_id, &[])
                .await?;
            tx.set_password_hash(&practice_id, user_id, NO_PASSWORD, now)
                .await?;
            tx.revoke_user_sessions(&practice_id, user_id, None, now)
                .await?;
        }
        let mut entry = access
            .audit(AuditAction::PasswordResetIssued, Outcome::Allowed)
            .about(RecordKind::User, user_id);
        if reset_second_factor {
            entry.reason = Some("second factor reset".into());
        }
        tx.commit(entry.into()).await?;
        Ok(CreatedUser {
            user_id: user_id.to_string(),
            setup_token: Zeroizing::new(token),
            setup_expires_ms: expires,
        })
    }

    /// "Forgot password" at the sign-in page: the practice's administrators see the request.
    /// Answers the same whether or not the account exists; throttled per username and client.
    pub async fn request_password_reset(
        &self,
        username: &str,
        origin: &RequestOrigin,
    ) -> Result<(), AppError> {
        let username = normalize_username(username);
        if username.is_empty() || username.len() > 254 {
            return Ok(());
        }
        // Each request naming an account adds an audit entry nobody may delete: a few per
        // username and per client, then `429` (for existing and unknown names alike).
        self.throttle_reserve(&self.reset_request_keys(&username, origin.client_ip.as_deref()))
            .await?
            .keep();
        // The same work for every name (the throttle's write, then one transaction with its
        // audit entry), so the time taken does not tell whether the account exists.
        let user = self
            .db()
            .user_by_username(&username)
            .await?
            .filter(|u| u.status == "active");
        let now = self.clock().now_ms();
        let mut entry = AuditDraft {
            practice_id: None,
            actor_id: None,
            actor_role: None,
            patient_id: None,
            record_type: None,
            record_id: None,
            action: AuditAction::PasswordResetRequested,
            outcome: Outcome::Failed,
            client_ip: origin.client_ip.clone(),
            user_agent: origin.user_agent.clone(),
            access_method: origin.method,
            reason: Some("no active account of that name".into()),
        };
        let mut tx = self.begin_write().await?;
        if let Some(user) = &user {
            tx.request_password_reset(&user.practice_id, &user.id, now)
                .await?;
            entry.practice_id = Some(user.practice_id.clone());
            entry.actor_id = Some(user.id.clone());
            entry.record_type = Some(AuditSubject::Record(RecordKind::User));
            entry.record_id = Some(user.id.clone());
            entry.outcome = Outcome::Allowed;
            entry.reason = None;
        }
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// Uses a reset (or setup) link once to set a new password; every session of the account
    /// ends. An unknown, used or expired link gets one calm answer.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new_password: &str,
        origin: &RequestOrigin,
    ) -> Result<(), AppError> {
        if !token.starts_with(RESET_PREFIX) || token.len() > 128 {
            return Err(AppError::LinkInvalid);
        }
        let hash = OpaqueToken::hash(token);
        if new_password.chars().count() > enamel_crypto::MAX_PASSWORD_CHARS {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "new_password",
                enamel_crypto::PasswordProblem::TooLong.message(),
            )]));
        }
        // The link is checked before any hashing, so a made-up link costs one indexed lookup
        // (by the token's SHA-256: what is compared is a hash the sender cannot steer), and
        // wrong links count against the client like wrong passwords.
        let keys: Vec<_> = self
            .client_key(origin.client_ip.as_deref())
            .into_iter()
            .collect();
        let attempt = self.throttle_reserve(&keys).await?;
        let now = self.clock().now_ms();
        let target = match self.db().password_reset_target(&hash, now).await? {
            Some((practice_id, user_id)) => {
                let user = self.db().user(&practice_id, &user_id).await?;
                (user.status == "active").then_some(user)
            }
            None => None,
        };
        let Some(user) = target else {
            let failure = AuditDraft {
                practice_id: None,
                actor_id: None,
                actor_role: None,
                patient_id: None,
                record_type: None,
                record_id: None,
                action: AuditAction::PasswordChanged,
                outcome: Outcome::Failed,
                client_ip: origin.client_ip.clone(),
                user_agent: origin.user_agent.clone(),
                access_method: origin.method,
                reason: Some("unknown, used or expired reset link".into()),
            };
            self.throttle_failed(attempt, failure, None).await?;
            return Err(AppError::LinkInvalid);
        };
        self.throttle_release(attempt).await?;
        if let Err(p) = enamel_crypto::check_new_password(new_password, &user.username) {
            // The link stays usable.
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "new_password",
                p.message(),
            )]));
        }
        // Hashed before the transaction: the write lock is not held through Argon2id. The
        // link is used (atomically) inside it, so of two requests with one link only one wins.
        let password_hash = self.password_pool().hash(new_password).await?;
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        let Some((practice_id, user_id)) = tx.take_password_reset(&hash, now).await? else {
            tx.rollback().await?;
            return Err(AppError::LinkInvalid);
        };
        let user = tx.user_for_update(&practice_id, &user_id).await?;
        if user.status != "active" {
            tx.rollback().await?;
            return Err(AppError::LinkInvalid);
        }
        if user.password_hash == NO_PASSWORD {
            // A setup link, or a link issued with a second-factor reset: the account's owner
            // enrolls at their next sign-in. Any authenticator found here was not set up by
            // them through this link, so it goes, with its recovery codes.
            tx.set_user_totp(&practice_id, &user_id, user.key_version, None, None, now)
                .await?;
            tx.replace_recovery_codes(&practice_id, &user_id, &[])
                .await?;
        }
        tx.set_password_hash(&practice_id, &user_id, &password_hash, now)
            .await?;
        tx.revoke_user_sessions(&practice_id, &user_id, None, now)
            .await?;
        tx.expire_password_resets(&practice_id, &user_id, now)
            .await?;
        let entry = AuditDraft {
            practice_id: Some(practice_id.clone()),
            actor_id: Some(user_id.clone()),
            actor_role: None,
            patient_id: None,
            record_type: Some(AuditSubject::Record(RecordKind::User)),
            record_id: Some(user_id.clone()),
            action: AuditAction::PasswordChanged,
            outcome: Outcome::Allowed,
            client_ip: origin.client_ip.clone(),
            user_agent: origin.user_agent.clone(),
            access_method: origin.method,
            reason: Some("reset link".into()),
        };
        tx.commit(entry.into()).await?;
        Ok(())
    }
}
