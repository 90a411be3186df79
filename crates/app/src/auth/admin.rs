//! User administration with separation of duties: nobody changes their own roles or disables
//! themselves, mutually exclusive roles are refused at assignment, every change needs a fresh
//! second factor and is audited in its own transaction. Disabling a user ends their sessions,
//! their integration tokens and their reset links at once.

use enamel_crypto::OpaqueToken;
use enamel_domain::{
    Action, AuditAction, Category, FieldProblem, Outcome, PracticeId, RecordKind, Role,
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
pub(super) const NO_PASSWORD: &str = "!unset";
pub(super) const RESET_PREFIX: &str = "enr_";

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
    // The length as sent, spaces included, as the API's document declares it.
    let name_len = u.display_name.chars().count();
    if u.display_name.trim().is_empty()
        || name_len > 100
        || u.display_name.chars().any(char::is_control)
    {
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
    pub(super) async fn admin_edit(
        &self,
        actor: &Actor,
        user_id: &str,
    ) -> Result<Access, AppError> {
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
