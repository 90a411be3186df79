//! Clinical notes over JSON: written as a draft, edited by their author (`If-Match`), signed,
//! then corrected only by addenda; every read says whether each signature still holds. The
//! practice's templates.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{
    App, AppError, NoteAddendumView, NoteClaims, NoteTemplateView, NoteView, SignatureCheck,
};
use enamel_domain::clinical::{AddendumDraft, NoteDraft, NoteTemplateDraft};
use enamel_domain::{NoteId, PatientId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::cursor::{self, List};
use super::super::precondition::{
    change_error, etag, expected_version_for_room, optional_expected_version_for_room,
};
use super::super::{JsonBody, QueryParams, instant, maybe_instant};
use super::ProcedurePageParams;
use crate::{ApiError, Authenticated};

const MAX_NOTES_PAGE: i64 = 500;

fn note_id(raw: &str) -> Result<NoteId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NoteKindJson {
    Progress,
    Diagnosis,
    Administrative,
    Plan,
}

impl NoteKindJson {
    fn as_str(self) -> &'static str {
        match self {
            NoteKindJson::Progress => "progress",
            NoteKindJson::Diagnosis => "diagnosis",
            NoteKindJson::Administrative => "administrative",
            NoteKindJson::Plan => "plan",
        }
    }
}

/// A note to write, or a draft's new text. What a `GET` answers may be sent back on `PUT`:
/// its read-only members are compared with the draft as stored, ignored when equal and
/// refused by name when changed (`addenda` is ignored). On `POST` they are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    kind: NoteKindJson,
    /// Clinical text, up to 20,000 characters; control characters other than line breaks and
    /// tabs are refused.
    #[schema(
        max_length = 20000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    body: String,
    /// The procedure of this patient the note documents.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\s*$"
    )]
    procedure_id: Option<String>,
    /// A treatment plan of this patient (plans are not charted yet: refused).
    #[serde(default)]
    #[schema(
        pattern = r"^\s*(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\s*$"
    )]
    plan_id: Option<String>,
    // Read-only members of a GET: compared on PUT, refused on POST.
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    patient_id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    status: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only)]
    author_id: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    signed_by: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    signed_at: Option<Option<String>>,
    #[serde(default)]
    #[schema(read_only)]
    signature: Option<SignatureCheckJson>,
    #[serde(default)]
    #[schema(read_only, value_type = Option<Vec<Object>>)]
    addenda: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl NoteBody {
    fn draft(&self) -> NoteDraft {
        NoteDraft {
            kind: self.kind.as_str().to_string(),
            body: self.body.clone(),
            procedure_id: self.procedure_id.clone(),
            plan_id: self.plan_id.clone(),
        }
    }

    /// The read-only members sent back, for the room to compare.
    fn claims(&self) -> Result<NoteClaims, ApiError> {
        let refused = |field: &str| {
            ApiError(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                field.to_string(),
                "must be an instant written as RFC 3339",
            )]))
        };
        let instant = |field: &str, text: &Option<String>| match text {
            None => Ok(None),
            Some(text) => crate::api::parse_instant(text)
                .map(Some)
                .ok_or_else(|| refused(field)),
        };
        Ok(NoteClaims {
            id: self.id.clone(),
            patient_id: self.patient_id.clone(),
            status: self.status.clone(),
            row_version: self.row_version,
            author_id: self.author_id.clone(),
            created_ms: instant("created_at", &self.created_at)?,
            updated_ms: instant("updated_at", &self.updated_at)?,
            signed_by: self.signed_by.clone(),
            signed_ms: match &self.signed_at {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => Some(Some(
                    crate::api::parse_instant(text).ok_or_else(|| refused("signed_at"))?,
                )),
            },
            signature: self.signature.map(|s| match s {
                SignatureCheckJson::Unsigned => SignatureCheck::Unsigned,
                SignatureCheckJson::Valid => SignatureCheck::Valid,
                SignatureCheckJson::Invalid => SignatureCheck::Invalid,
            }),
        })
    }

    fn refuse_read_only(&self) -> Result<(), ApiError> {
        let sent = [
            ("id", self.id.is_some()),
            ("patient_id", self.patient_id.is_some()),
            ("status", self.status.is_some()),
            ("row_version", self.row_version.is_some()),
            ("author_id", self.author_id.is_some()),
            ("created_at", self.created_at.is_some()),
            ("updated_at", self.updated_at.is_some()),
            ("signed_by", self.signed_by.is_some()),
            ("signed_at", self.signed_at.is_some()),
            ("signature", self.signature.is_some()),
            ("addenda", self.addenda.is_some()),
        ];
        match sent.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(ApiError(AppError::Invalid(vec![
                enamel_domain::FieldProblem::new(
                    *field,
                    "is set by the server: leave it out of a new note",
                ),
            ]))),
            None => Ok(()),
        }
    }
}

/// An addendum to a signed note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteAddendumBody {
    #[schema(
        max_length = 20000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    body: String,
}

/// A template for common notes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteTemplateBody {
    #[schema(
        max_length = 100,
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
    )]
    name: String,
    kind: NoteKindJson,
    #[schema(
        max_length = 20000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    body: String,
}

/// Whether a signature holds for what is stored now: `unsigned` (a draft), `valid`, or
/// `invalid` (the note or its signature was changed after signing: do not rely on it).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SignatureCheckJson {
    Unsigned,
    Valid,
    Invalid,
}

fn check_json(c: SignatureCheck) -> SignatureCheckJson {
    match c {
        SignatureCheck::Unsigned => SignatureCheckJson::Unsigned,
        SignatureCheck::Valid => SignatureCheckJson::Valid,
        SignatureCheck::Invalid => SignatureCheckJson::Invalid,
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NoteAddendumJson {
    id: String,
    body: String,
    author_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// The author's signature, made when the addendum was written.
    signature: SignatureCheckJson,
}

impl From<NoteAddendumView> for NoteAddendumJson {
    fn from(a: NoteAddendumView) -> Self {
        NoteAddendumJson {
            id: a.id.to_string(),
            body: a.body,
            author_id: a.author_id,
            created_at: instant(a.created_ms),
            signature: check_json(a.signature),
        }
    }
}

/// A clinical note with its addenda. `signature` says whether the signature still holds for
/// what is stored.
#[derive(Serialize, ToSchema)]
pub(crate) struct NoteJson {
    id: String,
    patient_id: String,
    kind: NoteKindJson,
    /// `draft` or `signed`.
    status: String,
    /// The `ETag`.
    row_version: i64,
    body: String,
    procedure_id: Option<String>,
    plan_id: Option<String>,
    author_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    signed_by: Option<String>,
    #[schema(format = DateTime)]
    signed_at: Option<String>,
    signature: SignatureCheckJson,
    addenda: Vec<NoteAddendumJson>,
}

impl From<NoteView> for NoteJson {
    fn from(v: NoteView) -> Self {
        let kind = match v.note.kind {
            enamel_domain::clinical::NoteKind::Progress => NoteKindJson::Progress,
            enamel_domain::clinical::NoteKind::Diagnosis => NoteKindJson::Diagnosis,
            enamel_domain::clinical::NoteKind::Administrative => NoteKindJson::Administrative,
            enamel_domain::clinical::NoteKind::Plan => NoteKindJson::Plan,
        };
        NoteJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            kind,
            status: if v.signed { "signed" } else { "draft" }.into(),
            row_version: v.row_version,
            procedure_id: v.note.procedure_id().map(str::to_string),
            plan_id: v.note.plan_id().map(str::to_string),
            body: v.note.body,
            author_id: v.author_id,
            created_at: instant(v.created_ms),
            updated_at: instant(v.updated_ms),
            signed_by: v.signed_by,
            signed_at: maybe_instant(v.signed_ms),
            signature: check_json(v.signature),
            addenda: v.addenda.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NotesJson {
    items: Vec<NoteJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NoteTemplateJson {
    id: String,
    name: String,
    kind: NoteKindJson,
    body: String,
}

impl From<NoteTemplateView> for NoteTemplateJson {
    fn from(t: NoteTemplateView) -> Self {
        let kind = match t.template.kind {
            enamel_domain::clinical::NoteKind::Progress => NoteKindJson::Progress,
            enamel_domain::clinical::NoteKind::Diagnosis => NoteKindJson::Diagnosis,
            enamel_domain::clinical::NoteKind::Administrative => NoteKindJson::Administrative,
            enamel_domain::clinical::NoteKind::Plan => NoteKindJson::Plan,
        };
        NoteTemplateJson {
            id: t.id,
            name: t.template.name,
            kind,
            body: t.template.body,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NoteTemplatesJson {
    items: Vec<NoteTemplateJson>,
}

fn note_answer(status: StatusCode, view: NoteView) -> Response {
    let version = view.row_version;
    (
        status,
        [(header::ETAG, etag(version))],
        Json(NoteJson::from(view)),
    )
        .into_response()
}

/// Writes a draft note. The smallest body: `{"kind": "progress", "body": "…"}`.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/notes",
    tag = "notes",
    params(("id" = String, Path, description = "The patient's id.")),
    request_body = NoteBody,
    responses(
        (status = 201, description = "Written as a draft; `Location` names it.", body = NoteJson),
        (status = 422, description = "`invalid`: `fields` names what needs attention (a procedure that is not this patient's, say)."),
    ),
)]
pub(crate) async fn create_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<Response, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    body.refuse_read_only()?;
    let view = app.chart(&actor).write_note(patient, &body.draft()).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/notes/{}", view.id))
        .unwrap_or(HeaderValue::from_static("/api/v1/notes"));
    let mut response = note_answer(StatusCode::CREATED, view);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// A patient's notes with their addenda, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/notes",
    tag = "notes",
    params(("id" = String, Path, description = "The patient's id."), ProcedurePageParams),
    responses(
        (status = 200, description = "One page.", body = NotesJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn list_notes(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<ProcedurePageParams>,
) -> Result<Json<NotesJson>, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    let (after, limit) = cursor::page::<String>(
        List::Notes,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_NOTES_PAGE),
    )?;
    let notes = app.chart(&actor).notes(patient).await?.records;
    let (rest, next) = cursor::page_by_id(List::Notes, notes, |x| x.id, after.as_deref(), limit);
    Ok(Json(NotesJson {
        items: rest.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// One note with its addenda, and whether every signature still holds.
#[utoipa::path(
    get,
    path = "/api/v1/notes/{id}",
    tag = "notes",
    params(("id" = String, Path, description = "The note's id.")),
    responses((status = 200, description = "The note; `ETag` is its version.", body = NoteJson)),
)]
pub(crate) async fn read_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = note_id(&id)?;
    Ok(note_answer(
        StatusCode::OK,
        app.chart(&actor).note(id).await?,
    ))
}

/// Replaces a draft's text (its author only). A signed note is refused: add an addendum.
#[utoipa::path(
    put,
    path = "/api/v1/notes/{id}",
    tag = "notes",
    params(
        ("id" = String, Path, description = "The note's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The draft now.", body = NoteJson),
        (status = 409, description = "`refused`: the note is signed, or someone else's draft."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn edit_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<Response, ApiError> {
    let id = note_id(&id)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    let claims = body.claims()?;
    match app
        .chart(&actor)
        .edit_note(id, &body.draft(), expected, &claims)
        .await
    {
        Ok(view) => Ok(note_answer(StatusCode::OK, view)),
        Err(e) => Ok(change_error(e)),
    }
}

/// Signs a draft: the signer and time are recorded with an Ed25519 signature over the note.
/// From then on the note never changes. A diagnosis is signed only by a dentist.
#[utoipa::path(
    post,
    path = "/api/v1/notes/{id}/sign",
    tag = "notes",
    params(
        ("id" = String, Path, description = "The note's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Signed.", body = NoteJson),
        (status = 409, description = "`refused`: already signed, or a diagnosis and the signer is not a dentist."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn sign_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = note_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    match app.chart(&actor).sign_note(id, expected).await {
        Ok(view) => Ok(note_answer(StatusCode::OK, view)),
        Err(e) => Ok(change_error(e)),
    }
}

/// Adds an addendum to a signed note, signed by its author now.
#[utoipa::path(
    post,
    path = "/api/v1/notes/{id}/addenda",
    tag = "notes",
    params(("id" = String, Path, description = "The note's id.")),
    request_body = NoteAddendumBody,
    responses(
        (status = 201, description = "Added.", body = NoteAddendumJson),
        (status = 409, description = "`refused`: the note is still a draft (change it instead)."),
    ),
)]
pub(crate) async fn add_note_addendum(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NoteAddendumBody>,
) -> Result<(StatusCode, Json<NoteAddendumJson>), ApiError> {
    let id = note_id(&id)?;
    let addendum = app
        .chart(&actor)
        .add_note_addendum(id, &AddendumDraft { body: body.body })
        .await?;
    Ok((StatusCode::CREATED, Json(addendum.into())))
}

/// The practice's note templates, by name.
#[utoipa::path(
    get,
    path = "/api/v1/note-templates",
    tag = "notes",
    responses((status = 200, description = "Every template.", body = NoteTemplatesJson)),
)]
pub(crate) async fn note_templates(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<NoteTemplatesJson>, ApiError> {
    let items = app.chart(&actor).note_templates().await?;
    Ok(Json(NoteTemplatesJson {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Adds a note template (clinical notes, edit).
#[utoipa::path(
    post,
    path = "/api/v1/note-templates",
    tag = "notes",
    request_body = NoteTemplateBody,
    responses(
        (status = 201, description = "Added.", body = NoteTemplateJson),
        (status = 422, description = "`invalid`: the name is taken, or something needs attention."),
    ),
)]
pub(crate) async fn create_note_template(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<NoteTemplateBody>,
) -> Result<(StatusCode, Json<NoteTemplateJson>), ApiError> {
    let template = app
        .chart(&actor)
        .add_note_template(&NoteTemplateDraft {
            name: body.name,
            kind: body.kind.as_str().to_string(),
            body: body.body,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}
