use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use enamel_app::{App, SessionKind};
use enamel_domain::{AccessMethod, Action, Category};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::JsonBody;
use crate::auth::origin_of;
use crate::{ApiError, Authenticated};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginAnswer {
    /// Always `true`: a second factor is needed.
    mfa_required: bool,
    /// Send to `POST /api/v1/auth/mfa` with the code.
    mfa_token: String,
    /// The account has no authenticator yet: finish setting it up in the web app.
    enrollment_required: bool,
    /// Seconds the `mfa_token` stays usable.
    expires_in: i64,
}

/// The parts of the request the app records (address, user agent).
pub(crate) struct ApiOrigin(pub enamel_app::RequestOrigin);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiOrigin(origin_of(parts, AccessMethod::Api)))
    }
}

/// Signs in with a password: step one of two.
///
/// Answers the same for a wrong password, an unknown username and a disabled account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Password accepted; finish with `POST /api/v1/auth/mfa`.", body = LoginAnswer),
        (status = 401, description = "`sign_in_failed`: the username or password is not right."),
        (status = 429, description = "Also after repeated failed sign-ins for this username or from this address."),
        (status = 503, description = "`busy`: too many passwords are being checked at once. `unavailable`: the database cannot be reached."),
    ),
)]
pub(crate) async fn login(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let pending = app
        .sign_in_password(&body.username, &body.password, &origin)
        .await?;
    Ok(Json(LoginAnswer {
        mfa_required: true,
        mfa_token: pending.token.to_string(),
        enrollment_required: pending.enroll,
        expires_in: pending.expires_in_secs,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaBody {
    /// From `POST /api/v1/auth/login`.
    mfa_token: String,
    /// Six digits from the authenticator app, or an unused recovery code.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TokenAnswer {
    /// Send as `Authorization: Bearer <access_token>`.
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds of inactivity after which the token stops working.
    expires_in: i64,
    /// Seconds after which it stops working whatever happens.
    absolute_expires_in: i64,
}

/// Finishes signing in with a code: step two of two.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa",
    tag = "auth",
    security(()),
    request_body = MfaBody,
    responses(
        (status = 200, description = "Signed in.", body = TokenAnswer),
        (status = 401, description = "`mfa_failed`: the code is not right (after five wrong codes the `mfa_token` stops working). `unauthenticated`: the `mfa_token` is unknown, used or expired, or the account must first set up its authenticator in the web app."),
        (status = 429, description = "`rate_limited`: also while this account or this address is locked after repeated failures; the code was not checked. Wait for `Retry-After`."),
        (status = 503, description = "`unavailable`: the database cannot be reached."),
    ),
)]
pub(crate) async fn mfa(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<MfaBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let session = app
        .sign_in_second_factor(&body.mfa_token, &body.code, &origin)
        .await?;
    Ok(Json(TokenAnswer {
        access_token: session.token.to_string(),
        token_type: "Bearer",
        expires_in: session.idle_secs,
        absolute_expires_in: session.absolute_secs,
    }))
}

/// Signs out: this session ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the token no longer works."),
        (status = 409, description = "`refused`: an integration token is not a session; revoke it instead."),
    ),
)]
pub(crate) async fn logout(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.sign_out(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out everywhere: every session of this account ends, this one included.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout-everywhere",
    tag = "auth",
    responses((status = 204, description = "Every session of this account has ended.")),
)]
pub(crate) async fn logout_everywhere(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.sign_out_everywhere(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    /// Six digits from the authenticator app, or an unused recovery code.
    code: String,
}

/// Confirms it is still you, before an administrative change.
#[utoipa::path(
    post,
    path = "/api/v1/auth/step-up",
    tag = "auth",
    request_body = CodeBody,
    responses(
        (status = 204, description = "Confirmed: changes that need a fresh second factor are allowed for the next few minutes (five by default)."),
        (status = 401, description = "`mfa_failed`: the code is not right. After five wrong codes the session ends (then `unauthenticated`)."),
        (status = 429, description = "`rate_limited`: too many wrong codes or passwords for this account or from this client; nothing was checked. Wait for `Retry-After`."),
    ),
)]
pub(crate) async fn step_up(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<StatusCode, ApiError> {
    app.step_up(&actor, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionJson {
    id: String,
    /// `web` (the pages) or `api`.
    kind: &'static str,
    /// RFC 3339 in UTC, like every `_at` member.
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_seen_at: String,
    client_ip: Option<String>,
    user_agent: Option<String>,
    /// The session making this request.
    current: bool,
}

/// Lists this account's live sessions.
#[utoipa::path(
    get,
    path = "/api/v1/auth/sessions",
    tag = "auth",
    responses((status = 200, description = "This account's live sessions.", body = [SessionJson])),
)]
pub(crate) async fn sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<SessionJson>>, ApiError> {
    let list = app.my_sessions(&actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionJson {
                id: s.id,
                kind: match s.kind {
                    SessionKind::Web => "web",
                    SessionKind::Api => "api",
                },
                created_at: crate::api::instant(s.created_ms),
                last_seen_at: crate::api::instant(s.last_seen_ms),
                client_ip: s.client_ip,
                user_agent: s.user_agent,
                current: s.current,
            })
            .collect(),
    ))
}

/// Ends one of this account's sessions.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/sessions/{id}",
    tag = "auth",
    params(("id", description = "A session id from `GET /api/v1/auth/sessions`.")),
    responses((status = 204, description = "The session has ended.")),
)]
pub(crate) async fn revoke_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.revoke_my_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes this account's password; every other session of the account ends.
#[utoipa::path(
    put,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Changed."),
        (status = 422, description = "`current_password` is not right (after five wrong ones the session ends), or `new_password` is too weak."),
        (status = 429, description = "`rate_limited`: too many wrong passwords or codes for this account or from this address; nothing was checked. Wait for `Retry-After`."),
        (status = 503, description = "`busy`: too many passwords are being checked at once."),
    ),
)]
pub(crate) async fn change_password(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    app.change_my_password(&actor, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequestBody {
    username: String,
}

/// Asks the practice's administrators for a password reset link.
///
/// Always `202`: whether the account exists is not revealed. No e-mail is sent; an
/// administrator issues the link.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    security(()),
    request_body = ResetRequestBody,
    responses(
        (status = 202, description = "Recorded (or ignored, for an unknown account)."),
        (status = 429, description = "`rate_limited`: a few requests per username (existing or not) and per address within 15 minutes; wait for `Retry-After`."),
        (status = 503, description = "`unavailable`: the database cannot be reached."),
    ),
)]
pub(crate) async fn request_reset(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<ResetRequestBody>,
) -> Result<StatusCode, ApiError> {
    app.request_password_reset(&body.username, &origin).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetCompleteBody {
    /// The `setup_token` of a reset or setup link.
    token: String,
    new_password: String,
}

/// Sets a new password with a single-use reset or setup link.
///
/// Every session of the account ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/complete",
    tag = "auth",
    security(()),
    request_body = ResetCompleteBody,
    responses(
        (status = 204, description = "The new password is set."),
        (status = 400, description = "`link_invalid`: the link was already used or has expired."),
        (status = 422, description = "`new_password` is too weak or too long."),
        (status = 503, description = "`busy`: too many passwords are being checked at once. `unavailable`: the database cannot be reached."),
    ),
)]
pub(crate) async fn complete_reset(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<ResetCompleteBody>,
) -> Result<StatusCode, ApiError> {
    app.complete_password_reset(&body.token, &body.new_password, &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MeAnswer {
    /// `null` for an integration token.
    user_id: Option<String>,
    username: String,
    display_name: String,
    practice_id: String,
    /// Role names such as `front_desk`.
    roles: Vec<&'static str>,
    /// Every `category:action` the matrix allows this person.
    permissions: Vec<String>,
}

/// Who is signed in, and what they may do.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses((status = 200, description = "The caller.", body = MeAnswer)),
)]
pub(crate) async fn me(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<MeAnswer>, ApiError> {
    let policy = app.policy(actor.practice_id()).await?;
    let mut permissions = Vec::new();
    for category in Category::ALL {
        for action in Action::ALL {
            if policy.allows_any(actor.roles(), *category, *action) {
                permissions.push(format!("{}:{}", category.as_str(), action.as_str()));
            }
        }
    }
    Ok(Json(MeAnswer {
        user_id: actor.user_id().map(str::to_string),
        username: actor.username().to_string(),
        display_name: actor.display_name().to_string(),
        practice_id: actor.practice_id().to_string(),
        roles: actor.roles().iter().map(|r| r.as_str()).collect(),
        permissions,
    }))
}
