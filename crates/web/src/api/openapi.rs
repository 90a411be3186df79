//! The OpenAPI 3.1 document of the JSON API: served at `GET /api/v1/openapi.json`, checked in
//! as `docs/openapi.json`.
//!
//! Its paths come from the router the server runs. [`super::routes()`] registers each handler
//! with `.routes(routes!(handler))`, which takes the route and its description from the same
//! `#[utoipa::path]` attribute. Those attributes stay thin: path, tag, request body, query
//! parameters, the answers particular to the route, and `security(())` on the few routes that
//! need no sign-in. What routes have in common is added here, once, from each operation's shape:
//!
//! | the operation …                  | gets                                         |
//! |----------------------------------|----------------------------------------------|
//! | does not say `security(())`      | the bearer requirement, `401`, `403`, `503`  |
//! | has a request body               | `400`, `413`, `415`, `422`                   |
//! | has a path parameter             | `404`                                        |
//! | has a query parameter            | `400`                                        |
//! | (every operation)                | `406`, `429` with `Retry-After`, `default`   |
//!
//! When a route lists one of these statuses itself, its words follow the shared ones. Every
//! error answer carries a [`Problem`] (`application/problem+json`). Only this file and the attributes know utoipa, so a
//! change of generator stays a small job.

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use enamel_app::AppError;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::info::{InfoBuilder, LicenseBuilder};
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, Info, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::error::{PROBLEM_JSON, PROBLEM_TYPES};
use crate::{ApiError, Problem};

/// The name of the security scheme in the document.
const BEARER: &str = "bearer";

const JSON: &str = "application/json";

/// Shared words for a `403` from a step-up check, used by the administrative routes.
pub(crate) const STEP_UP: &str = "`step_up_required`: confirm a fresh code with \
     `POST /api/v1/auth/step-up` first (it counts for five minutes by default).";

const DESCRIPTION: &str = "\
The JSON API of Enamel, a dental practice server. Paths are absolute and served from the \
server's own origin.

**Signing in.** `POST /api/v1/auth/login` with a username and password answers an \
`mfa_token`; `POST /api/v1/auth/mfa` with that token and a code from the authenticator app \
answers an `access_token`. Send it as `Authorization: Bearer <access_token>`. It stops \
working after `expires_in` seconds unused, after `absolute_expires_in` seconds in all, or at \
`POST /api/v1/auth/logout`. An integration token (`POST /api/v1/api-tokens`) is sent the \
same way and can do only what its scopes allow.

**Errors** are RFC 9457 problem documents (`application/problem+json`, schema `Problem`): \
`type` (`urn:enamel:problem:<code>`), `title`, `status` and `detail`, plus a stable `code`, \
`fields` naming each member that needs attention by its path (`address.line1`, \
`phones[1].kind`) and never repeating its value, and `request_id`, which is also sent as the \
`X-Request-Id` header of every response and is what to quote to support.

**Caching.** Every response, this document included, is sent with `Cache-Control: no-store` \
and the same security headers.";

/// The document as served, made once when the router is built. `None` if it could not be
/// rendered (logged then; the route answers `500`).
#[derive(Debug, Clone)]
pub(crate) struct Document(Option<Bytes>);

impl Document {
    pub(crate) fn new(paths: OpenApi) -> Self {
        match render(paths) {
            Ok(text) => Document(Some(Bytes::from(text))),
            Err(e) => {
                tracing::error!(error = %e, "the OpenAPI document could not be rendered");
                Document(None)
            }
        }
    }
}

/// This document.
///
/// OpenAPI 3.1, generated from the code that serves the routes. It needs no sign-in and holds
/// no patient information.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This document.", body = Object)),
)]
pub(crate) async fn document(Extension(document): Extension<Document>) -> Response {
    match document.0 {
        Some(bytes) => ([(header::CONTENT_TYPE, JSON)], bytes).into_response(),
        None => ApiError(AppError::Internal("no OpenAPI document".into())).into_response(),
    }
}

/// The finished document, exactly as served and checked in: pretty-printed, every object's
/// keys sorted, one trailing newline.
pub(crate) fn render(paths: OpenApi) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(finish(paths))?;
    hoist_read_only(&mut value);
    subscriber_rule(&mut value);
    value.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&value)?;
    text.push('\n');
    Ok(text)
}

/// utoipa marks a read-only list's items rather than the list; a generator (or a fuzzer)
/// reads `readOnly` on the member itself, so it is moved there.
fn hoist_read_only(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
            continue;
        };
        for property in properties.values_mut() {
            let marked = property
                .pointer("/items/readOnly")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            if let (true, Some(member)) = (marked, property.as_object_mut()) {
                if let Some(items) = member.get_mut("items").and_then(|i| i.as_object_mut()) {
                    items.remove("readOnly");
                }
                member.insert("readOnly".into(), serde_json::Value::Bool(true));
            }
        }
    }
}

/// A rule between members that attributes cannot say: a coverage whose subscriber is not the
/// patient names the subscriber (JSON Schema `if`/`then`).
fn subscriber_rule(doc: &mut serde_json::Value) {
    let name_pattern = doc
        .pointer("/components/schemas/PatientBody/properties/family_name/pattern")
        .cloned();
    let (Some(name_pattern), Some(coverage)) = (
        name_pattern,
        doc.pointer_mut("/components/schemas/CoverageBody")
            .and_then(|c| c.as_object_mut()),
    ) else {
        return;
    };
    coverage.insert(
        "if".into(),
        serde_json::json!({
            "required": ["subscriber_relationship"],
            "properties": {"subscriber_relationship": {"enum": ["spouse", "child", "other"]}},
        }),
    );
    coverage.insert(
        "then".into(),
        serde_json::json!({
            "required": ["subscriber_name"],
            "properties": {"subscriber_name": {"type": "string", "pattern": name_pattern}},
        }),
    );
}

fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info = info();
    let components = doc.components.get_or_insert_with(Components::new);
    components.security_schemes.insert(
        BEARER.into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An `access_token` from `POST /api/v1/auth/mfa`, or an integration token \
                     from `POST /api/v1/api-tokens`: `Authorization: Bearer <token>`. (The \
                     server's own pages use the session cookie instead; a change made with the \
                     cookie must come from the same site.)",
                ))
                .build(),
        )),
    );
    components
        .schemas
        .insert(Problem::name().into_owned(), problem_schema());
    let mut nested = Vec::new();
    Problem::schemas(&mut nested);
    components.schemas.extend(nested);
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            shared_answers(operation);
        }
    }
    doc
}

/// The problem document's schema, with every `code` the server can answer listed.
fn problem_schema() -> RefOr<Schema> {
    let mut schema = Problem::schema();
    if let RefOr::T(Schema::Object(object)) = &mut schema
        && let Some(RefOr::T(Schema::Object(code))) = object.properties.get_mut("code")
    {
        code.enum_values = Some(
            PROBLEM_TYPES
                .iter()
                .map(|(code, _)| serde_json::Value::from(*code))
                .collect(),
        );
    }
    schema
}

fn info() -> Info {
    InfoBuilder::new()
        .title("Enamel API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .license(Some(
            LicenseBuilder::new()
                .name("AGPL-3.0-or-later")
                .identifier(Some("AGPL-3.0-or-later"))
                .build(),
        ))
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
        &mut item.query,
    ]
    .into_iter()
    .flatten()
    .chain(item.additional_operations.values_mut())
}

fn shared_answers(op: &mut Operation) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
    if public {
        op.security = Some(Vec::new());
    } else {
        op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        answer(
            op,
            "401",
            "`unauthenticated`: no bearer token, or it is unknown, expired, revoked or signed out.",
        );
        answer(
            op,
            "403",
            "`forbidden`: the caller's roles (or an integration token's scopes) do not allow \
             this, or a change made with the session cookie did not come from this site.",
        );
        answer(
            op,
            "503",
            "`unavailable`: the database cannot be reached; try again later.",
        );
    }
    if op.request_body.is_some() {
        answer(op, "400", "`bad_request`: the body is not valid JSON.");
        answer(
            op,
            "413",
            "`too_large`: the body is larger than the server accepts.",
        );
        answer(
            op,
            "415",
            "`unsupported_media_type`: send the body as `application/json`.",
        );
        answer(
            op,
            "422",
            "`invalid`: a field is missing, unknown or of the wrong type, or a value is not \
             acceptable; `fields` names the fields when it can.",
        );
    }
    let params_in = |wanted: ParameterIn| {
        op.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => p.parameter_in == wanted,
            RefOr::Ref(_) => false,
        })
    };
    let (in_path, in_query) = (params_in(ParameterIn::Path), params_in(ParameterIn::Query));
    if in_path {
        answer(
            op,
            "404",
            "`not_found`: nothing with this id in the caller's practice.",
        );
    }
    if in_query {
        answer(
            op,
            "400",
            "`bad_request`: an unknown query parameter, or a number that is not one.",
        );
    }
    answer(
        op,
        "406",
        "`not_acceptable`: the `Accept` header rules out JSON (and, for the export, CSV).",
    );
    answer(
        op,
        "429",
        "`rate_limited`: too many requests from this address (or with this integration \
         token); wait `Retry-After` seconds.",
    );
    answer(
        op,
        "default",
        "Any other error, such as `408` (`timeout`) or `500` (`internal`, `integrity`), has the \
         same body.",
    );
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && (status.starts_with('4') || status.starts_with('5') || status == "default")
        {
            if response.content.is_empty() {
                response.content.insert(
                    PROBLEM_JSON.into(),
                    RefOr::T(
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(Problem::name())))
                            .build(),
                    ),
                );
            }
            if status == "429" || status == "503" {
                response.headers.insert(
                    "Retry-After".into(),
                    RefOr::T(
                        HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                            .description(Some(
                                "Seconds to wait before trying again (with `rate_limited` \
                                 and `busy`).",
                            ))
                            .build(),
                    ),
                );
            }
        }
    }
}

/// Adds a shared answer, or puts the shared words before a route's own for the same status.
fn answer(op: &mut Operation, status: &str, shared: &str) {
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(shared) {
                response.description = if response.description.is_empty() {
                    shared.to_string()
                } else {
                    format!("{shared} {}", response.description)
                };
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            op.responses.responses.insert(
                status.into(),
                RefOr::T(ResponseBuilder::new().description(shared).build()),
            );
        }
    }
}
