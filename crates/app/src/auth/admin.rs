//! User administration with separation of duties: nobody changes their own roles or disables
//! themselves, mutually exclusive roles are refused at assignment, every change needs a fresh
//! second factor and is audited in its own transaction. Disabling a user ends their sessions,
//! their integration tokens and their reset links at once.

use enamel_crypto::OpaqueToken;
use enamel_domain::{
    Action, AuditAction, AuditSubject, Category, FieldProblem, Outcome, PracticeId, RecordKind,
    Role,
};
use enamel_store::UserRow;
use zeroize::Zeroizing;

use super::{ms, normalize_username};
use crate::access::Access;
use crate::kernel::{Entries, no_entries};
use crate::{Actor, App, AppError, AuditDraft, RequestOrigin};

/// A password hash that no password matches: accounts start with it until their owner
/// follows the setup link, and go back to it when their second factor is reset, so that the
/// link is then the only way in.
const NO_PASSWORD: &str = "!unset";
const RESET_PREFIX: &str = "enr_";

#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A created account and the single-use link its owner uses to choose a password.
#[derive(Clone)]
pub struct CreatedUser {
    pub user_id: String,
    pub setup_token: Zeroizing<String>,
    pub setup_expires_ms: i64,
}

impl std::fmt::Debug for CreatedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedUser")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub roles: Vec<Role>,
    pub mfa_enrolled: bool,
    pub reset_requested_ms: Option<i64>,
}

fn validate_new_user(u: &NewUser) -> Result<String, AppError> {
    let username = normalize_username(&u.username);
    let mut problems = Vec::new();
    let valid_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if username.len() < 3 || username.len() > 64 || !valid_chars {
        problems.push(FieldProblem::new(
            "username",
            "Use 3 to 64 letters, digits, dots, hyphens, underscores or @.",
        ));
    }
    let name_len = u.display_name.trim().chars().count();
    if name_len == 0 || name_len > 100 || u.display_name.chars().any(char::is_control) {
        problems.push(FieldProblem::new(
            "display_name",
            "Enter the person's name (up to 100 characters).",
        ));
    }
    if u.roles.is_empty() || u.roles.iter().any(|r| !r.is_staff()) {
        problems.push(FieldProblem::new(
            "roles",
            "Choose at least one staff role.",
        ));
    }
    if problems.is_empty() {
        Ok(username)
    } else {
        Err(AppError::Invalid(problems))
    }
}

impl App {
    fn check_exclusive(&self, roles: &[Role]) -> Result<(), AppError> {
        let mut held: Vec<Role> = Vec::new();
        for role in roles {
            self.auth_settings()
                .exclusive_roles
                .check_assignment(&held, *role)
                .map_err(|e| AppError::Refused(e.to_string()))?;
            held.push(*role);
        }
        Ok(())
    }

    /// Creates an account (no password yet) with its roles and a setup link.
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<CreatedUser, AppError> {
        let access = self
            .authorize(actor, Category::UsersAndRoles, Action::Create, None)
            .await?;
        self.require_fresh_mfa(actor)?;
        self.insert_user(&access, new, None).await
    }

    /// For `enamel init` and `enamel demo`: an account created by the system, optionally with
    /// a password and an enrolled TOTP secret (demo accounts only).
    pub async fn create_user_as_system(
        &self,
        practice_id: PracticeId,
        new: &NewUser,
        password: Option<&str>,
        totp: Option<&enamel_crypto::TotpSecret>,
    ) -> Result<CreatedUser, AppError> {
        let access = Access::system_bypassing_policy(
            practice_id,
            crate::SystemReason::PracticeSetup,
            RequestOrigin::cli(),
        );
        let hash = match password {
            Some(p) => {
                enamel_crypto::check_new_password(p, &new.username).map_err(|p| {
                    AppError::Invalid(vec![FieldProblem::new("password", p.message())])
                })?;
                Some(self.password_pool().hash(p).await?)
            }
            None => None,
        };
        let created = self.insert_user(&access, new, hash).await?;
        if let Some(secret) = totp {
            let user = self
                .db()
                .user(&practice_id.to_string(), &created.user_id)
                .await?;
            self.store_user_secrets(&user, Some(secret), None).await?;
        }
        Ok(created)
    }

    async fn insert_user(
        &self,
        access: &Access,
        new: &NewUser,
        password_hash: Option<String>,
    ) -> Result<CreatedUser, AppError> {
        let username = validate_new_user(new)?;
        self.check_exclusive(&new.roles)?;
        let practice_id = access.practice_id().to_string();
        let keys = self.keys_of(access.practice_id()).await?;
        let now = self.clock().now_ms();
        let id = uuid::Uuid::now_v7().to_string();
        let row = UserRow {
            practice_id: practice_id.clone(),
            id: id.clone(),
            username,
            display_name: new.display_name.trim().to_string(),
            password_hash: password_hash.unwrap_or_else(|| NO_PASSWORD.into()),
            status: "active".into(),
            key_version: i64::from(keys.active_version()),
            totp_secret: None,
            totp_pending: None,
            totp_last_step: None,
            created_ms: now,
            updated_ms: now,
        };
        let granted_by = access.actor().audit_id();
        let (token, hash) = OpaqueToken::generate(RESET_PREFIX)?;
        let expires = now + ms(self.auth_settings().setup_link_lifetime);
        let mut entries = vec![
            access
                .audit(AuditAction::Create, Outcome::Allowed)
                .about(RecordKind::User, &id),
        ];
        let mut tx = self.begin_write().await?;
        let policy = super::policy::locked_policy(&mut tx, &practice_id).await?;
        super::policy::check_person_duties(&policy, &new.roles)?;
        match tx.insert_user(&row).await {
            Ok(()) => {}
            Err(enamel_store::StoreError::Duplicate) => {
                tx.rollback().await?;
                // Usernames are unique across the server, because signing in names no
                // practice; so this refusal can mean the name is used in another practice.
                // The answer never says where, and each refusal is audited in this practice,
                // so probing for other practices' usernames shows in its own trail.
                self.audit()
                    .record(
                        access
                            .audit(AuditAction::Create, Outcome::Failed)
                            .about(RecordKind::User, "*"),
                    )
                    .await?;
                return Err(AppError::Invalid(vec![FieldProblem::new(
                    "username",
                    "This username cannot be used. Choose another.",
                )]));
            }
            Err(e) => return Err(e.into()),
        }
        for role in &new.roles {
            tx.insert_user_role(&practice_id, &id, role.as_str(), &granted_by, now)
                .await?;
            entries.push(role_entry(access, &id, *role, true));
        }
        tx.insert_password_reset(&hash, &practice_id, &id, &granted_by, now, expires)
            .await?;
        tx.commit(Entries::from_vec(entries).ok_or_else(no_entries)?)
            .await?;
        Ok(CreatedUser {
            user_id: id,
            setup_token: Zeroizing::new(token),
            setup_expires_ms: expires,
        })
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserSummary>, AppError> {
        self.authorize_and_record(
            actor,
            Category::UsersAndRoles,
            Action::View,
            RecordKind::User,
            "*",
        )
        .await?;
        let practice_id = actor.practice_id().to_string();
        let users = self.db().users(&practice_id).await?;
        let roles = self.db().practice_user_roles(&practice_id).await?;
        let requests = self.db().password_reset_requests(&practice_id).await?;
        Ok(users
            .into_iter()
            .map(|u| UserSummary {
                roles: roles
                    .iter()
                    .filter(|r| r.user_id == u.id)
                    .filter_map(|r| Role::parse(&r.role))
                    .collect(),
                reset_requested_ms: requests
                    .iter()
                    .find(|(id, _)| *id == u.id)
                    .map(|(_, at)| *at),
                mfa_enrolled: u.totp_secret.is_some(),
                active: u.status == "active",
                id: u.id,
                username: u.username,
                display_name: u.display_name,
            })
            .collect())
    }

    /// Replaces a user's roles. Never one's own; exclusive pairs, and roles that together
    /// would both administer users and use the audit log, refused.
    pub async fn set_user_roles(
        &self,
        actor: &Actor,
        user_id: &str,
        roles: &[Role],
    ) -> Result<(), AppError> {
        let access = self.admin_edit(actor, user_id).await?;
        if roles.iter().any(|r| !r.is_staff()) {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "roles",
                "Only staff roles can be assigned here.",
            )]));
        }
        self.check_exclusive(roles)?;
        let practice_id = actor.practice_id().to_string();
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        let policy = super::policy::locked_policy(&mut tx, &practice_id).await?;
        super::policy::check_person_duties(&policy, roles)?;
        tx.user_for_update(&practice_id, user_id).await?;
        let current = tx.user_roles_in_tx(&practice_id, user_id).await?;
        let mut entries = Vec::new();
        for held in &current {
            if let Some(role) = Role::parse(held)
                && !roles.contains(&role)
            {
                tx.delete_user_role(&practice_id, user_id, held).await?;
                entries.push(role_entry(&access, user_id, role, false));
            }
        }
        for role in roles {
            if !current.iter().any(|c| c == role.as_str()) {
                tx.insert_user_role(&practice_id, user_id, role.as_str(), &actor.audit_id(), now)
                    .await?;
                entries.push(role_entry(&access, user_id, *role, true));
            }
        }
        tx.commit_if_any(entries).await
    }

    /// Users & roles edit, a fresh second factor, and a target that is not oneself.
    async fn admin_edit(&self, actor: &Actor, user_id: &str) -> Result<Access, AppError> {
        let access = self
            .authorize(actor, Category::UsersAndRoles, Action::Edit, None)
            .await?;
        self.require_fresh_mfa(actor)?;
        if actor.user_id() == Some(user_id) {
            self.audit()
                .record(
                    actor
                        .audit(AuditAction::PermissionChange, Outcome::Denied)
                        .about(RecordKind::User, user_id),
                )
                .await?;
            return Err(AppError::Refused(
                "You cannot change your own account's roles or status. Ask another administrator."
                    .into(),
            ));
        }
        Ok(access)
    }

    /// Disables an account: its sessions, the integration tokens it created and its reset
    /// links end in the same transaction, so its next request is refused.
    pub async fn disable_user(&self, actor: &Actor, user_id: &str) -> Result<(), AppError> {
        let access = self.admin_edit(actor, user_id).await?;
        let practice_id = actor.practice_id().to_string();
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        tx.set_user_status(&practice_id, user_id, "disabled", now)
            .await?;
        tx.revoke_user_sessions(&practice_id, user_id, None, now)
            .await?;
        tx.revoke_api_tokens_created_by(&practice_id, user_id, now)
            .await?;
        tx.expire_password_resets(&practice_id, user_id, now)
            .await?;
        let entry = access
            .audit(AuditAction::UserDisabled, Outcome::Allowed)
            .about(RecordKind::User, user_id);
        tx.commit(entry.into()).await?;
        Ok(())
    }

    pub async fn enable_user(&self, actor: &Actor, user_id: &str) -> Result<(), AppError> {
        let access = self.admin_edit(actor, user_id).await?;
        let practice_id = actor.practice_id().to_string();
        let mut tx = self.begin_write().await?;
        tx.set_user_status(&practice_id, user_id, "active", self.clock().now_ms())
            .await?;
        let entry = access
            .audit(AuditAction::UserEnabled, Outcome::Allowed)
            .about(RecordKind::User, user_id);
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// A single-use link for a user to choose a new password. With `reset_second_factor`
    /// (a lost phone) the user also enrolls a new authenticator at their next sign-in: the
    /// authenticator, the recovery codes and the password all stop working now, so the old
    /// password (perhaps saved on the lost phone) cannot lead to enrolling a new authenticator;
    /// only the link can.
    pub async fn issue_password_reset(
        &self,
        actor: &Actor,
        user_id: &str,
        reset_second_factor: bool,
    ) -> Result<CreatedUser, AppError> {
        let access = self.admin_edit(actor, user_id).await?;
        let practice_id = actor.practice_id().to_string();
        let now = self.clock().now_ms();
        let (token, hash) = OpaqueToken::generate(RESET_PREFIX)?;
        let expires = now + ms(self.auth_settings().reset_link_lifetime);
        let mut tx = self.begin_write().await?;
        let user = tx.user_for_update(&practice_id, user_id).await?;
        tx.expire_password_resets(&practice_id, user_id, now)
            .await?;
        tx.insert_password_reset(
            &hash,
            &practice_id,
            user_id,
            &actor.audit_id(),
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

fn role_entry(access: &Access, user_id: &str, role: Role, granted: bool) -> AuditDraft {
    let mut entry = access
        .audit(AuditAction::PermissionChange, Outcome::Allowed)
        .about(RecordKind::User, user_id);
    entry.reason = Some(format!(
        "{}:{}",
        if granted { "grant" } else { "revoke" },
        role.as_str()
    ));
    entry
}
