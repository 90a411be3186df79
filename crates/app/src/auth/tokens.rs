//! API tokens for integrations: created by an administrator (with a fresh second factor),
//! scoped to patient-record categories and actions, expiring, revocable, hashed at rest and
//! shown once. A token can never administer users or settings, nor read the audit log, so it
//! cannot be used to step around separation of duties.
//!
//! A token never carries more than its creator may do: each scope is checked against the
//! creator's permissions in the practice's matrix when the token is made, and again on every
//! use (the token's scopes intersected with what its creator holds now), so demoting the
//! creator, or narrowing one of their roles in the matrix, narrows their tokens at once.

use enamel_crypto::OpaqueToken;
use enamel_domain::{
    Action, AuditAction, Category, FieldProblem, Outcome, PracticeId, RecordKind, Role,
};
use enamel_store::ApiTokenRow;
use zeroize::Zeroizing;

use crate::access::Principal;
use crate::{Actor, App, AppError, RequestOrigin};

pub(crate) const API_TOKEN_PREFIX: &str = "ent_";
pub const MAX_TOKEN_DAYS: i64 = 365;

#[derive(Clone)]
pub struct CreatedApiToken {
    pub id: String,
    pub token: Zeroizing<String>,
    pub expires_ms: i64,
}

impl std::fmt::Debug for CreatedApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenSummary {
    pub id: String,
    pub name: String,
    pub scopes: Vec<(Category, Action)>,
    pub created_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked: bool,
    pub last_used_ms: Option<i64>,
}

fn parse_scopes(text: &str) -> Vec<(Category, Action)> {
    text.split_whitespace()
        .filter_map(|s| {
            let (c, a) = s.split_once(':')?;
            Some((Category::parse(c)?, Action::parse(a)?))
        })
        .collect()
}

impl App {
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &[(Category, Action)],
        days: i64,
    ) -> Result<CreatedApiToken, AppError> {
        let access = self
            .authorize(actor, Category::UsersAndRoles, Action::Create, None)
            .await?;
        self.require_fresh_mfa(actor)?;
        let mut problems = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            problems.push(FieldProblem::new(
                "name",
                "Name the integration (up to 100 characters).",
            ));
        }
        if scopes.is_empty() || scopes.iter().any(|(c, _)| !c.is_patient_record()) {
            problems.push(FieldProblem::new("scopes", "Choose at least one permission on patient records; tokens cannot administer users, settings or the audit log."));
        }
        // Minimum necessary: nobody hands an integration more than they hold themselves. Each
        // scope beyond the creator's own is named by its position (`scopes[1]`), as fields are.
        for (i, &(category, action)) in scopes.iter().enumerate() {
            if category.is_patient_record() && !self.may(actor, category, action, None).await? {
                problems.push(FieldProblem::new(
                    format!("scopes[{i}]"),
                    "A token can only do what your own roles allow; remove this permission.",
                ));
            }
        }
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            problems.push(FieldProblem::new(
                "expires_in_days",
                "Choose between 1 and 365 days.",
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let (token, hash) = OpaqueToken::generate(API_TOKEN_PREFIX)?;
        let now = self.clock().now_ms();
        let id = uuid::Uuid::now_v7().to_string();
        let scope_text: Vec<String> = scopes
            .iter()
            .map(|(c, a)| format!("{}:{}", c.as_str(), a.as_str()))
            .collect();
        let row = ApiTokenRow {
            token_hash: hash.to_vec(),
            id: id.clone(),
            practice_id: actor.practice_id().to_string(),
            name: name.to_string(),
            scopes: scope_text.join(" "),
            created_by: actor.audit_id(),
            created_ms: now,
            expires_ms: now + days * 86_400_000,
            revoked_ms: None,
            last_used_ms: None,
        };
        let mut entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::ApiToken, &id);
        entry.reason = Some(row.scopes.clone());
        let mut tx = self.begin_write().await?;
        tx.insert_api_token(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(CreatedApiToken {
            id,
            token: Zeroizing::new(token),
            expires_ms: row.expires_ms,
        })
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenSummary>, AppError> {
        self.authorize_and_record(
            actor,
            Category::UsersAndRoles,
            Action::View,
            RecordKind::ApiToken,
            "*",
        )
        .await?;
        let rows = self
            .db()
            .api_tokens(&actor.practice_id().to_string())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ApiTokenSummary {
                scopes: parse_scopes(&r.scopes),
                id: r.id,
                name: r.name,
                created_by: r.created_by,
                created_ms: r.created_ms,
                expires_ms: r.expires_ms,
                revoked: r.revoked_ms.is_some(),
                last_used_ms: r.last_used_ms,
            })
            .collect())
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let access = self
            .authorize(actor, Category::UsersAndRoles, Action::Edit, None)
            .await?;
        self.require_fresh_mfa(actor)?;
        let mut tx = self.begin_write().await?;
        if !tx
            .revoke_api_token(&actor.practice_id().to_string(), id, self.clock().now_ms())
            .await?
        {
            tx.rollback().await?;
            return Err(AppError::NotFound);
        }
        let entry = access
            .audit(AuditAction::TokenRevoked, Outcome::Allowed)
            .about(RecordKind::ApiToken, id);
        tx.commit(entry.into()).await?;
        Ok(())
    }

    pub(crate) async fn resolve_api_token(
        &self,
        token: &str,
        origin: RequestOrigin,
    ) -> Result<Actor, AppError> {
        if token.len() > 128 {
            return Err(AppError::Unauthenticated);
        }
        let hash = OpaqueToken::hash(token);
        let now = self.clock().now_ms();
        let Some(row) = self.db().api_token_by_hash(&hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        if row.revoked_ms.is_some() || row.expires_ms <= now {
            return Err(AppError::Unauthenticated);
        }
        if row.last_used_ms.is_none_or(|t| now - t > 60_000) {
            self.db().touch_api_token(&hash, now).await?;
        }
        let practice_id: PracticeId = row
            .practice_id
            .parse()
            .map_err(|_| AppError::Internal("stored practice id is malformed".into()))?;
        let scopes = self
            .scopes_creator_holds(practice_id, &row.created_by, parse_scopes(&row.scopes))
            .await?;
        Ok(Actor {
            practice_id,
            principal: Principal::Integration {
                token_id: row.id.clone(),
                scopes,
            },
            username: format!("token:{}", row.id),
            display_name: row.name,
            origin,
        })
    }

    /// The token's scopes that its creator still holds through their current roles and the
    /// practice's current matrix. A creator who is gone or disabled leaves none (disabling
    /// also revokes their tokens; this covers a row deleted or changed by other means).
    async fn scopes_creator_holds(
        &self,
        practice_id: PracticeId,
        created_by: &str,
        scopes: Vec<(Category, Action)>,
    ) -> Result<Vec<(Category, Action)>, AppError> {
        let practice = practice_id.to_string();
        let creator = match self.db().user(&practice, created_by).await {
            Ok(user) => user,
            Err(enamel_store::StoreError::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        if creator.status != "active" {
            return Ok(Vec::new());
        }
        let roles: Vec<Role> = self
            .db()
            .user_roles(&practice, created_by)
            .await?
            .iter()
            .filter_map(|r| Role::parse(r))
            .collect();
        let policy = self.policy(practice_id).await?;
        Ok(scopes
            .into_iter()
            .filter(|(c, a)| policy.allows_any(&roles, *c, *a))
            .collect())
    }

    /// The id a rate limiter should count an integration's requests under.
    pub fn integration_token_id(actor: &Actor) -> Option<&str> {
        match &actor.principal {
            Principal::Integration { token_id, .. } => Some(token_id),
            _ => None,
        }
    }
}
