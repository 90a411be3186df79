use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use enamel_app::{App, SessionKind};
use enamel_domain::{AccessMethod, Action, Category};
use serde::{Deserialize, Serialize};

use super::JsonBody;
use crate::auth::origin_of;
use crate::{ApiError, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub(crate) struct LoginAnswer {
    mfa_required: bool,
    mfa_token: String,
    /// The account has no authenticator yet: finish setting it up in the web app.
    enrollment_required: bool,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaBody {
    mfa_token: String,
    code: String,
}

#[derive(Serialize)]
pub(crate) struct TokenAnswer {
    access_token: String,
    token_type: &'static str,
    /// Seconds of inactivity after which the token stops working.
    expires_in: i64,
    /// Seconds after which it stops working whatever happens.
    absolute_expires_in: i64,
}

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

pub(crate) async fn logout(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.sign_out(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn logout_everywhere(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.sign_out_everywhere(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    code: String,
}

pub(crate) async fn step_up(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<StatusCode, ApiError> {
    app.step_up(&actor, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub(crate) struct SessionJson {
    id: String,
    kind: &'static str,
    created_ms: i64,
    last_seen_ms: i64,
    client_ip: Option<String>,
    user_agent: Option<String>,
    current: bool,
}

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
                created_ms: s.created_ms,
                last_seen_ms: s.last_seen_ms,
                client_ip: s.client_ip,
                user_agent: s.user_agent,
                current: s.current,
            })
            .collect(),
    ))
}

pub(crate) async fn revoke_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.revoke_my_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    app.change_my_password(&actor, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequestBody {
    username: String,
}

/// Always `202`: whether the account exists is not revealed.
pub(crate) async fn request_reset(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<ResetRequestBody>,
) -> Result<StatusCode, ApiError> {
    app.request_password_reset(&body.username, &origin).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetCompleteBody {
    token: String,
    new_password: String,
}

pub(crate) async fn complete_reset(
    State(app): State<App>,
    ApiOrigin(origin): ApiOrigin,
    JsonBody(body): JsonBody<ResetCompleteBody>,
) -> Result<StatusCode, ApiError> {
    app.complete_password_reset(&body.token, &body.new_password, &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub(crate) struct MeAnswer {
    user_id: Option<String>,
    username: String,
    display_name: String,
    practice_id: String,
    roles: Vec<&'static str>,
    /// Every `category:action` the matrix allows this person.
    permissions: Vec<String>,
}

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
