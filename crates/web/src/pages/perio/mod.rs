//! Perio exams for staff, made for a hygienist calling out numbers: the patient's exams
//! (`GET /patients/{id}/perio`, with "start an exam"), one exam's sheet
//! (`/patients/{id}/perio/{exam}`: 32 teeth × 6 sites of depth, margin, furcation and the
//! flags bleeding, suppuration, plaque and calculus, and per tooth mobility, missing and
//! implant; saved as a draft, then closed),
//! its depth chart and summary, and two exams compared site by site
//! (`/patients/{id}/perio/compare?exam=…&with=…`).
//!
//! Everything goes through the chart room (`app.chart(&actor)`): a page view is one audited
//! read (the list, the exam, or the comparison); a save or a close is the room's own entry.
//! Forms check the anti-forgery token first and post without JavaScript; `static/perio.js`
//! adds the calling-out keys (a digit records the depth and moves on in the calling-out
//! order; B, S, P and C mark bleeding, suppuration, plaque and calculus at the site). Buttons follow the role matrix (charting create and edit); the
//! room decides again on every request, and refuses any change to a closed exam.

mod depth_chart;
mod page;
mod sheet;
mod sheet_form;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected, PerioClaims};
use enamel_domain::clinical::PerioExamDraft;
use enamel_domain::{PatientId, PerioExamId};
use serde::Deserialize;

use crate::pages::chart::patient_id;
use crate::pages::{Staff, csrf_refusal, page_error};
use page::{ExamExtra, ListExtra};
use sheet::place;
use sheet_form::{Posted, draft};

fn exam_id(raw: &str) -> Result<PerioExamId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn ids(patient: &str, exam: &str) -> Result<(PatientId, PerioExamId), AppError> {
    Ok((patient_id(patient)?, exam_id(exam)?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

/// The words after a change, named in the redirect's query (no PHI in it).
fn done_message(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "started" => "The exam is started. Call out the numbers; save as you go.",
            "saved" => "Saved. The exam is still a draft.",
            "closed" => "The exam is closed. It is now part of the record and cannot change.",
            _ => return None,
        }
        .to_string(),
    )
}

const CONFLICT: &str = "Someone else saved this exam after you opened it. Nothing was saved. Your numbers are still in the sheet below; saving again replaces what they saved.";

/// `GET /patients/{id}/perio`: the patient's exams, newest first, and "start an exam".
pub(crate) async fn list(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let extra = ListExtra {
        flash: done_message(q.done.as_deref()),
        ..ListExtra::default()
    };
    page::list(&app, &staff, patient, extra).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct StartForm {
    csrf: String,
    exam_date: String,
}

redacted_debug!(StartForm);

/// `POST /patients/{id}/perio`: starts an exam (a draft) and opens its sheet.
pub(crate) async fn start(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<StartForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let date = f.exam_date.trim();
    let draft = PerioExamDraft {
        exam_date: (!date.is_empty()).then(|| date.to_string()),
        ..PerioExamDraft::default()
    };
    match app.chart(&staff.actor).start_perio(patient, &draft).await {
        Ok(view) => Redirect::to(&format!(
            "/patients/{}/perio/{}?done=started",
            view.patient_id, view.id
        ))
        .into_response(),
        Err(AppError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| format!("Exam date {}.", p.problem.trim_end_matches('.')))
                .collect::<Vec<_>>()
                .join(" ");
            let extra = ListExtra {
                start_error: Some(text),
                start_date: f.exam_date,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..ListExtra::default()
            };
            page::list(&app, &staff, patient, extra).await
        }
        Err(e) => page_error(e),
    }
}

/// `GET /patients/{id}/perio/{exam}`: the sheet, the depth chart and the summary.
pub(crate) async fn exam(
    State(app): State<App>,
    staff: Staff,
    Path((patient, exam)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let (patient, exam) = match ids(&patient, &exam) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let extra = ExamExtra {
        flash: done_message(q.done.as_deref()),
        ..ExamExtra::default()
    };
    page::exam(&app, &staff, patient, exam, extra).await
}

/// What a save or a close ends in when the room refuses: the sheet again, with the numbers
/// as posted and the problems on their inputs, or the room's refusal.
async fn refused(
    app: &App,
    staff: &Staff,
    (patient, exam): (PatientId, PerioExamId),
    posted: Posted,
    teeth: &[u8],
    error: AppError,
) -> Response {
    let numbering = page::numbering(app, staff).await;
    let extra = match error {
        AppError::Invalid(problems) => ExamExtra {
            placed: place(&[], &problems, teeth, numbering),
            posted: Some(posted),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ExamExtra::default()
        },
        AppError::Conflict => ExamExtra {
            message: Some(CONFLICT.into()),
            posted: Some(posted),
            status: StatusCode::CONFLICT,
            ..ExamExtra::default()
        },
        AppError::Refused(why) => ExamExtra {
            message: Some(format!("Nothing was saved. {why}")),
            status: StatusCode::CONFLICT,
            ..ExamExtra::default()
        },
        e => return page_error(e),
    };
    page::exam(app, staff, patient, exam, extra).await
}

/// The posted sheet, its token checked first; then the ids. With text that is no number, the
/// sheet is shown again with every problem (the page's and the room's rules, checked without
/// saving) and nothing is saved.
async fn checked(
    app: &App,
    staff: &Staff,
    path: (&str, &str),
    pairs: Vec<(String, String)>,
) -> Result<((PatientId, PerioExamId), Posted, sheet_form::Drafted), Response> {
    let posted = Posted::from_pairs(pairs);
    if let Some(r) = csrf_refusal(staff, &posted.csrf) {
        return Err(r);
    }
    let ids = ids(path.0, path.1).map_err(page_error)?;
    let drafted = draft(&posted);
    if drafted.problems.is_empty() {
        return Ok((ids, posted, drafted));
    }
    let today = app
        .practice_today(staff.actor.practice_id())
        .await
        .map_err(page_error)?
        .date();
    let room = drafted.draft.validate(today).err().unwrap_or_default();
    let numbering = page::numbering(app, staff).await;
    let extra = ExamExtra {
        placed: place(&drafted.problems, &room, &drafted.teeth, numbering),
        posted: Some(posted),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..ExamExtra::default()
    };
    Err(page::exam(app, staff, ids.0, ids.1, extra).await)
}

/// `POST /patients/{id}/perio/{exam}`: saves the draft (the version the page showed).
pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    Path((patient, exam)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (ids, posted, drafted) = match checked(&app, &staff, (&patient, &exam), pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = app
        .chart(&staff.actor)
        .within(ids.0)
        .save_perio(
            ids.1,
            &drafted.draft,
            Expected::Version(posted.expected()),
            &PerioClaims::default(),
        )
        .await;
    match result {
        Ok(view) => Redirect::to(&format!(
            "/patients/{}/perio/{}?done=saved",
            view.patient_id, view.id
        ))
        .into_response(),
        Err(e) => refused(&app, &staff, ids, posted, &drafted.teeth, e).await,
    }
}

/// `POST /patients/{id}/perio/{exam}/close`: saves what the sheet holds, then closes the
/// exam (two changes, each with its entry): nothing typed since the last save is lost.
pub(crate) async fn close(
    State(app): State<App>,
    staff: Staff,
    Path((patient, exam)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (ids, posted, drafted) = match checked(&app, &staff, (&patient, &exam), pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let chart = app.chart(&staff.actor).within(ids.0);
    let saved = chart
        .save_perio(
            ids.1,
            &drafted.draft,
            Expected::Version(posted.expected()),
            &PerioClaims::default(),
        )
        .await;
    let result = match saved {
        Ok(view) => {
            chart
                .close_perio(view.id, Expected::Version(view.row_version))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => Redirect::to(&format!(
            "/patients/{}/perio/{}?done=closed",
            view.patient_id, view.id
        ))
        .into_response(),
        Err(e) => refused(&app, &staff, ids, posted, &drafted.teeth, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompareQuery {
    exam: Option<String>,
    with: Option<String>,
}

/// `GET /patients/{id}/perio/compare?exam=…&with=…`: two exams site by site.
pub(crate) async fn compare(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let (Some(a), Some(b)) = (q.exam.as_deref(), q.with.as_deref()) else {
        let extra = ListExtra {
            compare_error: Some("Choose two exams to compare.".into()),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ListExtra::default()
        };
        return page::list(&app, &staff, patient, extra).await;
    };
    if a == b {
        let extra = ListExtra {
            compare_error: Some("Choose two different exams to compare.".into()),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ListExtra::default()
        };
        return page::list(&app, &staff, patient, extra).await;
    }
    let (a, b) = match (exam_id(a), exam_id(b)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return page_error(AppError::NotFound),
    };
    page::comparison(&app, &staff, patient, a, b).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_outcomes_become_messages() {
        assert!(done_message(Some("closed")).is_some());
        assert!(done_message(Some("<b>")).is_none());
        assert!(done_message(None).is_none());
    }
}
