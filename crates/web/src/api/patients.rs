//! The first patient endpoints: enough for access control to guard real PHI. The full record
//! (search, versions, concurrency control) grows here with the patient-records work.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, PatientView};
use enamel_domain::{Action, Category, PatientDraft, PatientId};
use serde::{Deserialize, Serialize};

use super::JsonBody;
use crate::{ApiError, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientBody {
    family_name: String,
    given_name: String,
    birth_date: String,
}

#[derive(Serialize)]
pub(crate) struct PatientJson {
    id: String,
    family_name: String,
    given_name: String,
    birth_date: String,
    version: i64,
}

impl From<PatientView> for PatientJson {
    fn from(p: PatientView) -> Self {
        PatientJson {
            id: p.id.to_string(),
            family_name: p.family_name,
            given_name: p.given_name,
            birth_date: p.birth_date,
            version: p.row_version,
        }
    }
}

pub(crate) async fn create(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<PatientBody>,
) -> Result<Response, ApiError> {
    let access = app
        .authorize(&actor, Category::Demographics, Action::Create, None)
        .await?;
    let draft = PatientDraft {
        family_name: body.family_name,
        given_name: body.given_name,
        birth_date: body.birth_date,
    };
    let id = app.create_patient(&access, &draft).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/patients/{id}"))],
        Json(serde_json::json!({ "id": id.to_string() })),
    )
        .into_response())
}

pub(crate) async fn read(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PatientJson>, ApiError> {
    let id: PatientId = id
        .parse()
        .map_err(|_| ApiError(enamel_app::AppError::NotFound))?;
    let access = app
        .authorize(&actor, Category::Demographics, Action::View, Some(id))
        .await?;
    let patient = app.read_patient(&access, id).await?;
    Ok(Json(patient.into()))
}
