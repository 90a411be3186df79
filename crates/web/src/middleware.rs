//! The layers every request passes through, outermost first:
//!
//! 1. a request id, in a tracing span around everything the request logs, and echoed in
//!    `X-Request-Id`; the log line names the method and the route's template
//!    (`/reset/{token}`, `/api/v1/patients/{id}`), never the path as sent or the query string:
//!    a path can carry a bearer secret (an old-style setup link) and a query can carry PHI
//!    (search terms);
//! 2. security headers on every response, errors included: HSTS, a CSP without inline script,
//!    `nosniff`, `Referrer-Policy: no-referrer`, frame denial, and `Cache-Control: no-store`
//!    (any response may carry PHI, so none may be cached);
//! 3. error answers made RFC 9457 problem documents, whoever produced the status;
//! 4. a panic becomes a `500` instead of a dropped connection;
//! 5. a request timeout (`408`) and a body limit (`413`).

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::middleware::{self as mw, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::WebSettings;
use crate::error::{PROBLEM_JSON, Problem};

/// The id of the request being served, for handlers that want to mention it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// No inline script or style, no framing, no plugins, nothing from other origins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn secure(routes: Router, settings: &WebSettings) -> Router {
    let hsts = (settings.hsts_max_age_secs > 0)
        .then(|| {
            HeaderValue::from_str(&format!(
                "max-age={}; includeSubDomains",
                settings.hsts_max_age_secs
            ))
        })
        .and_then(Result::ok);
    // `Router::layer` wraps what came before, so the last layer added is the outermost.
    routes
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a request handler panicked");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }))
        .layer(mw::from_fn(problem_errors))
        .layer(mw::from_fn(move |req, next| {
            security_headers(hsts.clone(), req, next)
        }))
        .layer(mw::from_fn(request_span))
}

async fn request_span(mut req: Request<Body>, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let route = logged_route(&req);
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(status = response.status().as_u16(), elapsed_ms, "served");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    response
}

/// What the log may say about where a request went: the template of the route it matched
/// (placeholders, not values), or a fixed word when it matched none, since an unmatched path
/// is whatever the client typed, secrets included.
fn logged_route(req: &Request<Body>) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |m| m.as_str().to_owned())
}

async fn security_headers(hsts: Option<HeaderValue>, req: Request<Body>, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    let fixed: [(HeaderName, &'static str); 8] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Makes every error answer a problem document (replacing whatever body the framework or a
/// layer gave it) and adds the request id to it. Pages keep their own error pages (plain
/// words for people), and the CSV export its own.
async fn problem_errors(req: Request<Body>, next: Next) -> Response {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let may_leave_body_unread = req.version() <= axum::http::Version::HTTP_11
        && axum::body::HttpBody::size_hint(req.body()).upper() != Some(0);
    let mut response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if may_leave_body_unread {
        // A refusal may come before the body is read (401, 404, 405, 413 …); the server then
        // cannot reuse the connection, so it says so rather than closing it under the client.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("text/html") || content_type.starts_with("text/csv") {
        return response;
    }
    let ours = content_type.starts_with(PROBLEM_JSON);
    let (parts, body) = response.into_parts();
    let mut problem = if ours {
        // Error bodies are small and made by this crate.
        match axum::body::to_bytes(body, 64 * 1024).await {
            Ok(bytes) => serde_json::from_slice::<Problem>(&bytes)
                .unwrap_or_else(|_| Problem::for_status(status)),
            Err(_) => Problem::for_status(status),
        }
    } else {
        Problem::for_status(status)
    };
    problem.request_id = request_id;
    let mut response = problem.into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

/// The API answers in JSON (and the audit export in CSV): a request whose `Accept` rules
/// those out is refused with `406` before any work is done, rather than served what it said
/// it cannot read.
pub(crate) async fn api_accept(req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        let offered: &[&str] = if path == CSV_EXPORT_PATH {
            &["text/csv", "application/problem+json"]
        } else {
            &["application/json", "application/problem+json"]
        };
        let accept = req
            .headers()
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        if !accepts_any(&accept, offered) {
            return Problem::for_status(StatusCode::NOT_ACCEPTABLE).into_response();
        }
    }
    next.run(req).await
}

/// The one API route that answers in CSV.
const CSV_EXPORT_PATH: &str = "/api/v1/audit/events/export";

/// Whether an `Accept` header (the empty string when absent) admits one of `offered`. A range
/// with `q=0` admits nothing.
fn accepts_any(accept: &str, offered: &[&str]) -> bool {
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused || essence.is_empty() {
            return false;
        }
        let Some((kind, subtype)) = essence.split_once('/') else {
            return false;
        };
        offered.iter().any(|o| {
            let (okind, osub) = o.split_once('/').unwrap_or((o, ""));
            (kind == "*" && subtype == "*")
                || (kind == okind && (subtype == "*" || subtype == osub))
        })
    })
}

/// Per-address limit on the API (each server process counts its own requests); IPv6
/// clients are counted by their /64, like the sign-in throttle.
pub(crate) async fn api_rate_limit(req: Request<Body>, next: Next) -> Response {
    if req.uri().path().starts_with("/api/")
        && let (Some(limits), Some(axum::extract::ConnectInfo(addr))) = (
            req.extensions().get::<crate::Limits>(),
            req.extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>(),
        )
        && let Err(wait) = limits.per_ip.check(
            &enamel_app::auth::client_network(addr.ip()),
            std::time::Instant::now(),
        )
    {
        return crate::ApiError(enamel_app::AppError::TooManyAttempts {
            retry_after_secs: wait.as_secs().max(1),
        })
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::accepts_any;

    const JSON: &[&str] = &["application/json", "application/problem+json"];

    #[test]
    fn accept_headers_are_read_as_http_says() {
        for ok in [
            "",
            "*/*",
            "application/json",
            "application/*",
            "text/html, application/json;q=0.5",
            "Application/JSON",
            "application/problem+json",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ] {
            assert!(accepts_any(ok, JSON), "{ok}");
        }
        for refused in [
            "text/html",
            "application/xml",
            "application/json;q=0",
            "text/*",
            "nonsense",
        ] {
            assert!(!accepts_any(refused, JSON), "{refused}");
        }
        assert!(accepts_any("text/csv", &["text/csv"]));
        assert!(accepts_any("text/*", &["text/csv"]));
    }
}
