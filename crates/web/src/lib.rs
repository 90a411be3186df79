//! Enamel's HTTP surface: the axum router, the security middleware every response passes
//! through, and the one place where an application error becomes an HTTP status and a JSON body.
//!
//! Handlers hold an [`enamel_app::App`], never a database handle: the path to PHI goes through
//! the app layer's access and audit. This crate must never depend on the store, the crypto core
//! or the binary's configuration format.

mod api;
mod auth;
mod error;
mod health;
mod middleware;
mod pages;
mod ratelimit;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use enamel_app::App;

pub use auth::Authenticated;
pub use error::{ApiError, FieldError, Problem};
pub use middleware::RequestId;
pub use ratelimit::RateLimiter;

/// The session cookie. The `__Host-` prefix makes browsers insist on Secure, Path=/ and no
/// Domain, so no other host can plant or read it.
pub const SESSION_COOKIE: &str = "__Host-enamel_session";

/// Rate limiters shared by every request of this process.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) per_ip: std::sync::Arc<RateLimiter>,
    pub(crate) per_token: std::sync::Arc<RateLimiter>,
}

/// The HTTP settings the router needs, taken from the validated configuration by the binary.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Largest request body accepted; larger ones get `413`.
    pub max_body_bytes: usize,
    /// A request that takes longer is answered `408` and its work dropped.
    pub request_timeout: Duration,
    /// `Strict-Transport-Security: max-age`; 0 leaves the header out (only for plain-HTTP tests).
    pub hsts_max_age_secs: u64,
    /// API requests per second per client address (sustained) and the burst above it.
    pub api_rate_per_ip: (u32, u32),
    /// API requests per second per integration token, and the burst.
    pub api_rate_per_token: (u32, u32),
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            hsts_max_age_secs: 63_072_000,
            api_rate_per_ip: (50, 200),
            api_rate_per_token: (20, 100),
        }
    }
}

/// The application's router with every security layer applied.
pub fn router(app: App, settings: &WebSettings) -> Router {
    let limits = Limits {
        per_ip: std::sync::Arc::new(RateLimiter::new(
            settings.api_rate_per_ip.0,
            settings.api_rate_per_ip.1,
        )),
        per_token: std::sync::Arc::new(RateLimiter::new(
            settings.api_rate_per_token.0,
            settings.api_rate_per_token.1,
        )),
    };
    let (api_routes, api_paths) = api::routes().split_for_parts();
    let document = api::openapi::Document::new(api_paths);
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api_routes)
        .merge(pages::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(app);
    middleware::secure(
        routes
            .layer(DefaultBodyLimit::max(settings.max_body_bytes))
            .layer(axum::middleware::from_fn(middleware::api_accept))
            .layer(axum::middleware::from_fn(middleware::api_rate_limit))
            .layer(axum::Extension(limits))
            .layer(axum::Extension(document)),
        settings,
    )
}

#[cfg(test)]
mod tests;
