//! Optimistic concurrency over HTTP: a record's `ETag` is its row version, a change names
//! the version it replaces in `If-Match` (`428` without one, `412` when it is stale).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{AppError, Expected};

use crate::{ApiError, Problem};

/// The entity tag of a record version: `"<row_version>"`.
pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// What an `If-Match` header asks for.
enum IfMatch {
    Missing,
    Any,
    Version(i64),
    /// A tag that can never match a record version (a stale or foreign one).
    Other,
}

fn if_match(headers: &HeaderMap) -> IfMatch {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return IfMatch::Missing;
    };
    let Ok(text) = value.to_str() else {
        return IfMatch::Other;
    };
    let text = text.trim();
    if text == "*" {
        return IfMatch::Any;
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse().ok())
        .map_or(IfMatch::Other, IfMatch::Version)
}

fn precondition_required() -> Response {
    Problem::new(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "Send the record's ETag in an If-Match header, so that nobody's change is overwritten.",
    )
    .into_response()
}

pub(crate) fn precondition_failed() -> Response {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "The record was changed by someone else since you read it. Read it again and reapply your change.",
    )
    .into_response()
}

/// The version an `If-Match` names (`*`: whatever is current, resolved by the room inside the
/// change, so the request leaves one audit entry); an answer instead when the header is
/// missing or can never match.
pub(crate) fn expected_version(headers: &HeaderMap) -> Result<Expected, Precondition> {
    match if_match(headers) {
        IfMatch::Missing => Err(Precondition::Required),
        IfMatch::Other => Err(Precondition::Failed),
        IfMatch::Version(v) => Ok(Expected::Version(v)),
        IfMatch::Any => Ok(Expected::Any),
    }
}

/// Why a change was answered before it was tried.
pub(crate) enum Precondition {
    Required,
    Failed,
}

impl IntoResponse for Precondition {
    fn into_response(self) -> Response {
        match self {
            Precondition::Required => precondition_required(),
            Precondition::Failed => precondition_failed(),
        }
    }
}

/// A stale version is `412` here (the caller sent a precondition), not `409`.
pub(crate) fn change_error(e: AppError) -> Response {
    match e {
        AppError::Conflict => precondition_failed(),
        other => ApiError(other).into_response(),
    }
}

/// For an action that may name a version (`If-Match`) but need not: without the header it
/// acts on whatever is current.
pub(crate) fn optional_expected_version(headers: &HeaderMap) -> Result<Expected, Precondition> {
    match if_match(headers) {
        IfMatch::Missing | IfMatch::Any => Ok(Expected::Any),
        IfMatch::Version(v) => Ok(Expected::Version(v)),
        IfMatch::Other => Err(Precondition::Failed),
    }
}

/// A version no record ever has: an `If-Match` that can never match is passed into the room
/// as this, so the room checks the request's body first (a body that is not valid is `422`
/// whatever the header says) and then answers `412`.
const NEVER: i64 = -1;

/// For a change that needs `If-Match`: `428` without one; a tag that can never match becomes
/// a version that never matches, for the room to refuse after the body.
pub(crate) fn expected_version_for_room(headers: &HeaderMap) -> Result<Expected, Precondition> {
    match if_match(headers) {
        IfMatch::Missing => Err(Precondition::Required),
        IfMatch::Other => Ok(Expected::Version(NEVER)),
        IfMatch::Version(v) => Ok(Expected::Version(v)),
        IfMatch::Any => Ok(Expected::Any),
    }
}

/// For an action that may name a version but need not; as [`expected_version_for_room`], but
/// without the header it acts on whatever is current.
pub(crate) fn optional_expected_version_for_room(headers: &HeaderMap) -> Expected {
    match if_match(headers) {
        IfMatch::Missing | IfMatch::Any => Expected::Any,
        IfMatch::Other => Expected::Version(NEVER),
        IfMatch::Version(v) => Expected::Version(v),
    }
}
