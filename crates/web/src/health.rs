//! Liveness and readiness, for load balancers and orchestrators. Neither touches PHI.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use enamel_app::App;
use serde_json::json;

use crate::error::Problem;

/// The process is up and answering.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers and has this build's schema.
pub(crate) async fn readyz(State(app): State<App>) -> Response {
    match app.ready().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(reason = %e, "not ready");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "The service is starting or cannot reach its database.",
            )
            .into_response()
        }
    }
}
