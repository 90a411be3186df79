//! From a request to an [`Actor`]: a bearer token (API session or integration token) or the
//! session cookie. Anything missing, expired, revoked or tampered is `401` before a handler
//! runs. Cookie-authenticated requests that change state must come from our own pages
//! (`Sec-Fetch-Site`/`Origin`), on top of the SameSite=Strict cookie and the form token.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use enamel_app::{Actor, App, AppError, RequestOrigin};
use enamel_domain::AccessMethod;

use crate::error::ApiError;
use crate::{Limits, SESSION_COOKIE};

/// A request made by a signed-in person or an integration.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

pub(crate) fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

pub(crate) fn origin_of(parts: &Parts, method: AccessMethod) -> RequestOrigin {
    RequestOrigin {
        method,
        client_ip: client_ip(parts),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
    }
}

/// The value of one cookie, from any `Cookie` header.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// A state-changing request riding on the cookie must come from our own origin.
pub(crate) fn same_origin(parts: &Parts) -> bool {
    if let Some(site) = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return site == "same-origin" || site == "none";
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (
        parts
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => {
            origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                == Some(host)
        }
        // Neither header: not a browser (browsers send Origin on unsafe requests).
        (None, _) => true,
        (Some(_), None) => false,
    }
}

impl FromRequestParts<App> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(&parts.headers) {
            let actor = app
                .resolve_bearer(token, origin_of(parts, AccessMethod::Api))
                .await?;
            if let (Some(token_id), Some(limits)) = (
                App::integration_token_id(&actor),
                parts.extensions.get::<Limits>(),
            ) && let Err(wait) = limits.per_token.check(token_id, Instant::now())
            {
                return Err(ApiError(AppError::TooManyAttempts {
                    retry_after_secs: wait.as_secs().max(1),
                }));
            }
            return Ok(Authenticated(actor));
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError(AppError::Unauthenticated));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && !same_origin(parts) {
            return Err(ApiError(AppError::Forbidden));
        }
        let method = if parts.uri.path().starts_with("/api/") {
            AccessMethod::Api
        } else {
            AccessMethod::Web
        };
        let actor = app
            .resolve_session(&token, origin_of(parts, method))
            .await?;
        Ok(Authenticated(actor))
    }
}
