use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use enamel_app::App;
use enamel_app::auth::NewUser;
use enamel_domain::{Action, Category, PolicyCell, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::STEP_UP;
use super::{JsonBody, invalid};
use crate::{ApiError, Authenticated};

#[derive(Serialize, ToSchema)]
pub(crate) struct UserJson {
    id: String,
    username: String,
    display_name: String,
    active: bool,
    roles: Vec<&'static str>,
    mfa_enrolled: bool,
    /// When the person last asked for a reset link at the sign-in page, if they did.
    #[schema(format = DateTime)]
    reset_requested_at: Option<String>,
}

/// Lists the practice's accounts.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    responses((status = 200, description = "The practice's accounts.", body = [UserJson])),
)]
pub(crate) async fn list_users(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<UserJson>>, ApiError> {
    let users = app.list_users(&actor).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserJson {
                roles: u.roles.iter().map(|r| r.as_str()).collect(),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                active: u.active,
                mfa_enrolled: u.mfa_enrolled,
                reset_requested_at: crate::api::maybe_instant(u.reset_requested_ms),
            })
            .collect(),
    ))
}

fn parse_roles(names: &[String]) -> Result<Vec<Role>, ApiError> {
    names
        .iter()
        .map(|n| Role::parse(n).ok_or_else(|| invalid("roles", "One of the roles is not known.")))
        .collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    /// 3 to 64 letters, digits, dots, hyphens, underscores or `@`; kept in lower case.
    #[schema(pattern = r"^\s*[A-Za-z0-9._@-]{3,64}\s*$")]
    username: String,
    /// The person's name as colleagues know it, up to 100 characters.
    #[schema(
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]{0,99}$",
        max_length = 100
    )]
    display_name: String,
    /// Staff role names such as `front_desk` (see `GET /api/v1/policy`).
    #[schema(schema_with = super::schemas::staff_roles)]
    roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LinkAnswer {
    user_id: String,
    /// Single-use; shown only in this answer. The person opens `/reset#{token}` (after `#`, so no server or proxy log sees it).
    setup_token: String,
    /// RFC 3339 in UTC.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Creates an account, without a password, and its setup link.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Created. The person sets a password at `/reset#{setup_token}`.", body = LinkAnswer),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: the roles break a separation-of-duties rule."),
        (status = 422, description = "Also when the username cannot be used (taken here or in another practice on this server; the answer does not say which)."),
    ),
)]
pub(crate) async fn create_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<(StatusCode, Json<LinkAnswer>), ApiError> {
    let roles = parse_roles(&body.roles)?;
    let created = app
        .create_user(
            &actor,
            &NewUser {
                username: body.username,
                display_name: body.display_name,
                roles,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(LinkAnswer {
            user_id: created.user_id,
            setup_token: created.setup_token.to_string(),
            expires_at: crate::api::instant(created.setup_expires_ms),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolesBody {
    /// The complete new set of staff role names.
    #[schema(schema_with = super::schemas::staff_role_set)]
    roles: Vec<String>,
}

/// Replaces an account's roles.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/roles",
    tag = "users",
    params(("id", description = "A user id.")),
    request_body = RolesBody,
    responses(
        (status = 204, description = "The roles are set; they apply from the person's next request."),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: this is your own account, or the roles break a separation-of-duties rule."),
    ),
)]
pub(crate) async fn set_roles(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RolesBody>,
) -> Result<StatusCode, ApiError> {
    let roles = parse_roles(&body.roles)?;
    app.set_user_roles(&actor, &id, &roles).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables an account.
///
/// Its sessions, the integration tokens it created and its reset links end at once.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "users",
    params(("id", description = "A user id.")),
    responses(
        (status = 204, description = "Disabled."),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: this is your own account."),
    ),
)]
pub(crate) async fn disable(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.disable_user(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled account again.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "users",
    params(("id", description = "A user id.")),
    responses(
        (status = 204, description = "Enabled."),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: this is your own account."),
    ),
)]
pub(crate) async fn enable(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.enable_user(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetBody {
    /// The phone is lost: the person also sets up a new authenticator, and their sessions end.
    /// Their old password stops working at once: only this link lets them back in.
    #[serde(default)]
    reset_second_factor: bool,
}

/// Issues a single-use password reset link for an account.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/password-reset",
    tag = "users",
    params(("id", description = "A user id.")),
    request_body = ResetBody,
    responses(
        (status = 201, description = "Issued; earlier links of the account stop working. The person opens `/reset#{setup_token}`.", body = LinkAnswer),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: this is your own account, or a second-factor reset of someone who can read the audit log (the host's operator issues that one: `enamel users reset-link`)."),
    ),
)]
pub(crate) async fn issue_reset(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ResetBody>,
) -> Result<(StatusCode, Json<LinkAnswer>), ApiError> {
    let link = app
        .issue_password_reset(&actor, &id, body.reset_second_factor)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(LinkAnswer {
            user_id: link.user_id,
            setup_token: link.setup_token.to_string(),
            expires_at: crate::api::instant(link.setup_expires_ms),
        }),
    ))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CellJson {
    /// A staff role name such as `front_desk`.
    #[schema(schema_with = super::schemas::staff_role)]
    role: String,
    /// A category name such as `demographics`.
    #[schema(schema_with = super::schemas::category)]
    category: String,
    /// `view`, `create`, `edit`, `delete`, `export`, `print` or `disclose`.
    #[schema(schema_with = super::schemas::action)]
    action: String,
    allowed: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyAnswer {
    /// Every staff role × category × action with its effective value.
    cells: Vec<CellJson>,
    /// The cells where this practice differs from the default.
    differences: Vec<CellJson>,
}

fn cell_json(c: &PolicyCell) -> CellJson {
    CellJson {
        role: c.role.as_str().into(),
        category: c.category.as_str().into(),
        action: c.action.as_str().into(),
        allowed: c.allowed,
    }
}

/// The practice's role matrix.
#[utoipa::path(
    get,
    path = "/api/v1/policy",
    tag = "policy",
    responses((status = 200, description = "The role matrix.", body = PolicyAnswer)),
)]
pub(crate) async fn policy(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<PolicyAnswer>, ApiError> {
    let view = app.view_policy(&actor).await?;
    let mut cells = Vec::new();
    for role in Role::STAFF {
        for category in Category::ALL {
            for action in Action::ALL {
                cells.push(cell_json(&PolicyCell {
                    role: *role,
                    category: *category,
                    action: *action,
                    allowed: view.policy.allows(*role, *category, *action),
                }));
            }
        }
    }
    Ok(Json(PolicyAnswer {
        cells,
        differences: view.differences.iter().map(cell_json).collect(),
    }))
}

/// Changes one cell of the practice's role matrix.
#[utoipa::path(
    put,
    path = "/api/v1/policy",
    tag = "policy",
    request_body = CellJson,
    responses(
        (status = 204, description = "Changed; it applies from each person's next request."),
        (status = 403, description = STEP_UP),
        (status = 409, description = "`refused`: you cannot widen a role you hold yourself, the cell cannot be changed, or the change would give someone (through the roles they hold together) both user administration and the audit log."),
    ),
)]
pub(crate) async fn set_policy_cell(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<CellJson>,
) -> Result<StatusCode, ApiError> {
    let cell = PolicyCell {
        role: Role::parse(&body.role).ok_or_else(|| invalid("role", "This role is not known."))?,
        category: Category::parse(&body.category)
            .ok_or_else(|| invalid("category", "This category is not known."))?,
        action: Action::parse(&body.action)
            .ok_or_else(|| invalid("action", "This action is not known."))?,
        allowed: body.allowed,
    };
    app.set_policy_cell(&actor, cell).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TokenJson {
    id: String,
    name: String,
    /// `category:action` strings, on patient records only, each one something the creator's
    /// own roles allow (`422` naming `scopes[i]` otherwise). A token loses any permission its
    /// creator later loses.
    scopes: Vec<String>,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    revoked: bool,
    #[schema(format = DateTime)]
    last_used_at: Option<String>,
}

/// Lists the practice's integration tokens.
#[utoipa::path(
    get,
    path = "/api/v1/api-tokens",
    tag = "api-tokens",
    responses((status = 200, description = "The integration tokens (never the secrets).", body = [TokenJson])),
)]
pub(crate) async fn list_tokens(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<TokenJson>>, ApiError> {
    let tokens = app.list_api_tokens(&actor).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenJson {
                scopes: t
                    .scopes
                    .iter()
                    .map(|(c, a)| format!("{}:{}", c.as_str(), a.as_str()))
                    .collect(),
                id: t.id,
                name: t.name,
                created_by: t.created_by,
                created_at: crate::api::instant(t.created_ms),
                expires_at: crate::api::instant(t.expires_ms),
                revoked: t.revoked,
                last_used_at: crate::api::maybe_instant(t.last_used_ms),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    /// What the token is for, up to 100 characters.
    #[schema(
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]{0,99}$",
        max_length = 100
    )]
    name: String,
    /// `category:action` strings, on patient records only, each one something the creator's
    /// own roles allow (`422` naming `scopes[i]` otherwise). A token loses any permission its
    /// creator later loses.
    #[schema(schema_with = super::schemas::scopes)]
    scopes: Vec<String>,
    /// 1 to 365; 90 if left out.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default = "default_days")]
    expires_in_days: i64,
}

fn default_days() -> i64 {
    90
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NewTokenAnswer {
    id: String,
    /// Shown once; only its hash is kept.
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Creates an integration token.
#[utoipa::path(
    post,
    path = "/api/v1/api-tokens",
    tag = "api-tokens",
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "Created. Send `token` as `Authorization: Bearer <token>`.", body = NewTokenAnswer),
        (status = 403, description = STEP_UP),
    ),
)]
pub(crate) async fn create_token(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<(StatusCode, Json<NewTokenAnswer>), ApiError> {
    let scopes = body
        .scopes
        .iter()
        .map(|s| {
            s.split_once(':')
                .and_then(|(c, a)| Some((Category::parse(c)?, Action::parse(a)?)))
                .ok_or_else(|| invalid("scopes", "Write each permission as category:action."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let created = app
        .create_api_token(&actor, &body.name, &scopes, body.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenAnswer {
            id: created.id,
            token: created.token.to_string(),
            expires_at: crate::api::instant(created.expires_ms),
        }),
    ))
}

/// Revokes an integration token.
#[utoipa::path(
    delete,
    path = "/api/v1/api-tokens/{id}",
    tag = "api-tokens",
    params(("id", description = "A token id from `GET /api/v1/api-tokens`.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = STEP_UP),
    ),
)]
pub(crate) async fn revoke_token(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.revoke_api_token(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
