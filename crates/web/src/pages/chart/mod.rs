//! A patient's chart for staff, for speed at the chair: the odontogram (`odontogram`, inline
//! SVG drawn on the server), the timeline of procedures and conditions (`timeline`), the chart
//! as it stood on a past day (`?as_of=YYYY-MM-DD`), and the forms that chart a procedure,
//! complete it, mark it entered in error, or add an addendum (`form`), and the one that records
//! what a tooth is (missing, unerupted, impacted, an implant: `states`).
//!
//! Everything goes through the chart room, `app.chart(&actor)`, which authorizes each request
//! and writes its audit entry: a page view is the one `view` entry of the chart (the room's
//! code list and settings are not audited; the patient's demographics are not read, which
//! would be a second entry). Forms check the anti-forgery token before anything else. Buttons
//! follow the role matrix (the room has no `rights()` of its own; a staff member's rights on
//! the chart are exactly the matrix, since emergency access never allows a change); the room
//! decides again on every request. `static/chart.js` makes the teeth keyboard-operable and the
//! surfaces field toggle letters; without it every form still posts.

mod form;
mod labels;
mod odontogram;
mod page;
mod states;
mod timeline;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected};
use enamel_domain::{Action, Category, PatientId, ProcedureId};
use serde::Deserialize;

use crate::pages::{Staff, csrf_refusal, page_error};
pub(crate) use form::in_numbering;
use form::{NewProcedure, RowAction, RowForm, place_new, place_row};
pub(crate) use labels::{money, site_words};
use page::{Extra, RowState, show};
pub(crate) use states::record_tooth_state;
pub(crate) use timeline::ChartRights;

const CONFLICT: &str = "Someone else changed this entry since the chart was opened. Nothing was saved; the chart as it is now is shown.";

/// The chart's rights for this person, from the practice's role matrix (not audited: it
/// opens nothing).
pub(crate) async fn rights(app: &App, staff: &Staff) -> Result<ChartRights, AppError> {
    let policy = app.policy(staff.actor.practice_id()).await?;
    let roles = staff.actor.roles();
    let may = |action| policy.allows_any(roles, Category::Charting, action);
    Ok(ChartRights {
        create: may(Action::Create),
        edit: may(Action::Edit),
        strike_locked: may(Action::Delete),
    })
}

/// An id in a path: anything but a canonical id is simply not found.
pub(crate) fn patient_id(raw: &str) -> Result<PatientId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn procedure_id(raw: &str) -> Result<ProcedureId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChartQuery {
    as_of: Option<String>,
    done: Option<String>,
}

/// The words after a change, named in the redirect's query (no PHI in it).
fn done_message(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "charted" => "Charted.",
            "completed" => "Marked complete.",
            "invalidated" => {
                "Marked entered in error. It stays in the chart, struck through, with the reason."
            }
            "annotated" => "The addendum is saved.",
            "tooth-state" => "The tooth state is recorded.",
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /patients/{id}/chart`: the chart now, or on a past day with `?as_of=YYYY-MM-DD`.
pub(crate) async fn chart(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<ChartQuery>,
) -> Response {
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let extra = Extra {
        flash: done_message(q.done.as_deref()),
        ..Extra::default()
    };
    show(&app, staff, patient, q.as_of.as_deref(), extra).await
}

fn to_chart(patient: PatientId, done: &str) -> Response {
    Redirect::to(&format!("/patients/{patient}/chart?done={done}")).into_response()
}

/// `POST /patients/{id}/chart`: charts a procedure or condition.
pub(crate) async fn create(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<NewProcedure>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    // The code list tells which members the chosen code uses. Read only for a role that may
    // chart: anyone else is refused by the room itself, with its audit entry.
    let codes = match rights(&app, &staff).await {
        Ok(r) if r.create => match app.chart(&staff.actor).codes().await {
            Ok(codes) => codes,
            Err(e) => return page_error(e),
        },
        Ok(_) => Vec::new(),
        Err(e) => return page_error(e),
    };
    let draft = f.draft(&codes);
    match app.chart(&staff.actor).create(patient, &draft).await {
        Ok(view) => to_chart(view.patient_id, "charted"),
        Err(AppError::Invalid(problems)) => {
            let numbering = app
                .chart(&staff.actor)
                .numbering()
                .await
                .unwrap_or_default();
            let extra = Extra {
                placed: place_new(&problems, numbering),
                form: f,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..Extra::default()
            };
            show(&app, staff, patient, None, extra).await
        }
        Err(e) => page_error(e),
    }
}

/// A row form as posted, for the answer to it.
struct Posted {
    patient: PatientId,
    procedure: String,
    form: RowForm,
    value: String,
}

/// After a row form: back to the chart, or the chart again with the refusal or the problem
/// next to the row's field.
async fn after_row_change<T>(
    app: &App,
    staff: Staff,
    posted: Posted,
    result: Result<T, AppError>,
    done: &str,
) -> Response {
    let Posted {
        patient,
        procedure,
        form,
        value,
    } = posted;
    let extra = match result {
        Ok(_) => return to_chart(patient, done),
        Err(AppError::Invalid(problems)) => Extra {
            placed: place_row(&problems, form, &procedure),
            row_state: Some(RowState {
                procedure,
                form,
                value,
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Extra::default()
        },
        Err(AppError::Conflict) => Extra {
            message: Some(CONFLICT.to_string()),
            status: StatusCode::CONFLICT,
            ..Extra::default()
        },
        Err(AppError::Refused(why)) => Extra {
            message: Some(format!("Nothing was saved. {why}")),
            status: StatusCode::CONFLICT,
            ..Extra::default()
        },
        Err(e) => return page_error(e),
    };
    show(app, staff, patient, None, extra).await
}

/// The ids of a row form's path, checked before the form is read.
fn ids(patient: &str, procedure: &str) -> Result<(PatientId, ProcedureId), AppError> {
    Ok((patient_id(patient)?, procedure_id(procedure)?))
}

/// `POST /patients/{id}/chart/{procedure}/complete`: planned work done, today or on an
/// earlier date.
pub(crate) async fn complete(
    State(app): State<App>,
    staff: Staff,
    Path((patient, procedure)): Path<(String, String)>,
    Form(f): Form<RowAction>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, id) = match ids(&patient, &procedure) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let date = f.completed_on.trim();
    let result = app
        .chart(&staff.actor)
        .within(patient)
        .complete(
            id,
            (!date.is_empty()).then_some(date),
            Expected::Version(f.expected()),
        )
        .await;
    let posted = Posted {
        patient,
        procedure: id.to_string(),
        form: RowForm::Complete,
        value: f.completed_on,
    };
    after_row_change(&app, staff, posted, result, "completed").await
}

/// `POST /patients/{id}/chart/{procedure}/entered-in-error`: struck, with a reason.
pub(crate) async fn invalidate(
    State(app): State<App>,
    staff: Staff,
    Path((patient, procedure)): Path<(String, String)>,
    Form(f): Form<RowAction>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, id) = match ids(&patient, &procedure) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let result = app
        .chart(&staff.actor)
        .within(patient)
        .invalidate(id, &f.reason, Expected::Version(f.expected()))
        .await;
    let posted = Posted {
        patient,
        procedure: id.to_string(),
        form: RowForm::Invalidate,
        value: f.reason,
    };
    after_row_change(&app, staff, posted, result, "invalidated").await
}

/// `POST /patients/{id}/chart/{procedure}/addenda`: an addendum, locked work included.
pub(crate) async fn addendum(
    State(app): State<App>,
    staff: Staff,
    Path((patient, procedure)): Path<(String, String)>,
    Form(f): Form<RowAction>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, id) = match ids(&patient, &procedure) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let result = app
        .chart(&staff.actor)
        .within(patient)
        .add_addendum(id, &f.body)
        .await;
    let posted = Posted {
        patient,
        procedure: id.to_string(),
        form: RowForm::Addendum,
        value: f.body,
    };
    after_row_change(&app, staff, posted, result, "annotated").await
}

#[cfg(test)]
mod tests {
    use super::page::status_options;
    use super::*;

    #[test]
    fn only_known_outcomes_become_messages() {
        assert!(done_message(Some("charted")).is_some());
        assert!(done_message(Some("<script>")).is_none());
        assert!(done_message(None).is_none());
    }

    #[test]
    fn the_status_select_never_offers_entered_in_error() {
        let offered: Vec<&str> = status_options().iter().map(|(v, _)| *v).collect();
        assert_eq!(offered[0], "planned");
        assert!(!offered.contains(&"entered_in_error"));
    }
}
