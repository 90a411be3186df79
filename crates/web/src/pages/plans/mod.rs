//! Treatment plans for staff and, on a tablet handed over, for the patient: a patient's plans
//! (`GET /patients/{id}/plans`), the builder that puts the chart's planned procedures into
//! phases with estimates (`/plans/new`, `/plans/{plan}/edit` for a draft), one plan with its
//! phases and totals (`/plans/{plan}`: present, decline, supersede), and the presentation
//! (`/plans/{plan}/presentation`): large type, the frozen lines and totals, no staff menu, and
//! the acceptance with a typed signature or one drawn on a canvas (`static/present.js`, strokes
//! posted as JSON in a hidden field, scaled to 0–1000).
//!
//! Everything goes through the chart room (`app.chart(&actor)`): each page view is one
//! audited read (the plans, the plan, or the chart's planned procedures for the builder;
//! editing a draft reads the plan and the chart, two entries); each change is the room's own
//! entry. Forms check the anti-forgery token first and post without JavaScript. Buttons follow
//! the role matrix; the room decides again (a presented plan never changes).

mod builder;
mod page;
mod present;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected, PlanClaims};
use enamel_domain::clinical::{AcceptanceDraft, PlanStatus, SignatureDraft};
use enamel_domain::{FieldProblem, PatientId, PlanId};
use serde::Deserialize;

use crate::pages::chart::patient_id;
use crate::pages::{Staff, csrf_refusal, page_error};
use builder::Posted;
use page::{BuilderExtra, PlanExtra};
use present::{AcceptForm, PresentExtra};

fn plan_id(raw: &str) -> Result<PlanId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn ids(patient: &str, plan: &str) -> Result<(PatientId, PlanId), AppError> {
    Ok((patient_id(patient)?, plan_id(plan)?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

/// The words after a change, named in the redirect's query (no PHI in it).
fn done_message(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "drafted" => "The plan is drafted. Present it when it is ready.",
            "saved" => "The draft plan is saved.",
            "presented" => "The plan is presented: its lines and amounts are frozen. Show it to the patient to accept.",
            "accepted" => "Thank you. The plan is accepted and your signature is recorded.",
            "declined" => "The plan is recorded as declined.",
            "superseded" => "The plan is superseded. It stays in the record as it was.",
            _ => return None,
        }
        .to_string(),
    )
}

fn to(path: String) -> Response {
    Redirect::to(&path).into_response()
}

/// `GET /patients/{id}/plans`.
pub(crate) async fn list(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    match patient_id(&id) {
        Ok(patient) => page::list(&app, &staff, patient, done_message(q.done.as_deref())).await,
        Err(e) => page_error(e),
    }
}

/// `GET /patients/{id}/plans/new`: the builder, from the chart's planned procedures.
pub(crate) async fn new_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    match patient_id(&id) {
        Ok(patient) => page::builder(&app, &staff, patient, BuilderExtra::default()).await,
        Err(e) => page_error(e),
    }
}

/// A refused builder: the form again with the problems next to their inputs, or the room's
/// refusal.
async fn builder_refused(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    posted: Posted,
    error: AppError,
) -> Response {
    let extra = match error {
        AppError::Invalid(problems) => BuilderExtra {
            posted: Some(posted),
            room_problems: problems,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..BuilderExtra::default()
        },
        AppError::Conflict => BuilderExtra {
            posted: Some(posted),
            message: Some("Someone else changed this plan since the page was opened. Nothing was saved; open the plan again to see it as it is now.".into()),
            status: StatusCode::CONFLICT,
            ..BuilderExtra::default()
        },
        AppError::Refused(why) => BuilderExtra {
            posted: Some(posted),
            message: Some(format!("Nothing was saved. {why}")),
            status: StatusCode::CONFLICT,
            ..BuilderExtra::default()
        },
        e => return page_error(e),
    };
    page::builder(app, staff, patient, extra).await
}

/// The builder as posted: the token first; amounts that are no amount are named with every
/// rule of the room, and nothing is saved.
async fn posted_draft(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    pairs: Vec<(String, String)>,
) -> Result<(Posted, enamel_domain::clinical::PlanDraft), Response> {
    let posted = Posted::from_pairs(pairs);
    let drafted = builder::draft(&posted);
    if drafted.problems.is_empty() {
        return Ok((posted, drafted.draft));
    }
    let room = drafted.draft.validate().err().unwrap_or_default();
    Err(builder_refused(app, staff, patient, posted, AppError::Invalid(room)).await)
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

/// `POST /patients/{id}/plans`: drafts a plan.
pub(crate) async fn create(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, csrf_of(&pairs)) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let (posted, draft) = match posted_draft(&app, &staff, patient, pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match app.chart(&staff.actor).create_plan(patient, &draft).await {
        Ok(view) => to(format!(
            "/patients/{}/plans/{}?done=drafted",
            view.patient_id, view.id
        )),
        Err(e) => builder_refused(&app, &staff, patient, posted, e).await,
    }
}

/// `GET /patients/{id}/plans/{plan}`.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    match ids(&patient, &plan) {
        Ok((patient, plan)) => {
            let extra = PlanExtra {
                flash: done_message(q.done.as_deref()),
                ..PlanExtra::default()
            };
            page::plan(&app, &staff, patient, plan, extra).await
        }
        Err(e) => page_error(e),
    }
}

/// `GET /patients/{id}/plans/{plan}/edit`: the builder for a draft (the plan's read and the
/// chart's: two entries).
pub(crate) async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
) -> Response {
    let (patient, plan) = match ids(&patient, &plan) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    match page::draft_plan(&app, &staff, patient, plan).await {
        Ok(view) => {
            let extra = BuilderExtra {
                editing: Some(view),
                ..BuilderExtra::default()
            };
            page::builder(&app, &staff, patient, extra).await
        }
        Err(e) => page_error(e),
    }
}

/// `POST /patients/{id}/plans/{plan}`: replaces a draft (the version the page showed).
pub(crate) async fn replace(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, csrf_of(&pairs)) {
        return r;
    }
    let (patient, plan) = match ids(&patient, &plan) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let (posted, draft) = match posted_draft(&app, &staff, patient, pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let expected = Expected::Version(posted.expected());
    match app
        .chart(&staff.actor)
        .within(patient)
        .replace_plan(plan, &draft, expected, &PlanClaims::default())
        .await
    {
        Ok(view) => to(format!(
            "/patients/{}/plans/{}?done=saved",
            view.patient_id, view.id
        )),
        Err(e) => builder_refused(&app, &staff, patient, posted, e).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ChangeForm {
    csrf: String,
    row_version: String,
    outcome: String,
}

redacted_debug!(ChangeForm);

impl ChangeForm {
    fn expected(&self) -> Expected {
        Expected::Version(self.row_version.trim().parse().unwrap_or(-1))
    }
}

/// A refused change on the plan page: the plan again with the room's words.
async fn plan_refused(
    app: &App,
    staff: &Staff,
    (patient, plan): (PatientId, PlanId),
    error: AppError,
) -> Response {
    let message = match error {
        AppError::Conflict => "Someone else changed this plan since the page was opened. Nothing was saved; the plan as it is now is shown.".to_string(),
        AppError::Refused(why) => format!("Nothing was saved. {why}"),
        AppError::Invalid(problems) => format!(
            "Nothing was saved. {}",
            problems
                .iter()
                .map(|p| format!("{}: {}.", p.field, p.problem))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        e => return page_error(e),
    };
    let extra = PlanExtra {
        message: Some(message),
        status: StatusCode::CONFLICT,
        ..PlanExtra::default()
    };
    page::plan(app, staff, patient, plan, extra).await
}

/// `POST /patients/{id}/plans/{plan}/present`: freezes the lines, ready for the patient.
pub(crate) async fn present(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let ids = match ids(&patient, &plan) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    match app
        .chart(&staff.actor)
        .within(ids.0)
        .present_plan(ids.1, f.expected())
        .await
    {
        Ok(view) => to(format!(
            "/patients/{}/plans/{}?done=presented",
            view.patient_id, view.id
        )),
        Err(e) => plan_refused(&app, &staff, ids, e).await,
    }
}

/// `POST /patients/{id}/plans/{plan}/decide`: declined (by the patient) or superseded.
pub(crate) async fn decide(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let ids = match ids(&patient, &plan) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let outcome = match f.outcome.as_str() {
        "declined" => PlanStatus::Declined,
        "superseded" => PlanStatus::Superseded,
        _ => return page_error(AppError::NotFound),
    };
    match app
        .chart(&staff.actor)
        .within(ids.0)
        .decide_plan(ids.1, outcome, f.expected())
        .await
    {
        Ok(view) => to(format!(
            "/patients/{}/plans/{}?done={}",
            view.patient_id,
            view.id,
            outcome.as_str()
        )),
        Err(e) => plan_refused(&app, &staff, ids, e).await,
    }
}

/// `GET /patients/{id}/plans/{plan}/presentation`: the plan for the patient.
pub(crate) async fn presentation(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    match ids(&patient, &plan) {
        Ok((patient, plan)) => {
            let extra = PresentExtra {
                flash: done_message(q.done.as_deref()),
                ..PresentExtra::default()
            };
            present::presentation(&app, &staff, patient, plan, extra).await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct AcceptPosted {
    csrf: String,
    row_version: String,
    signer_name: String,
    accepted_by: String,
    typed: String,
    strokes: String,
}

redacted_debug!(AcceptPosted);

impl AcceptPosted {
    /// The acceptance for the room: a drawn signature when strokes were drawn, else the typed
    /// one. `Err` names strokes that are not the JSON the pad sends.
    fn draft(&self) -> Result<AcceptanceDraft, FieldProblem> {
        let strokes = self.strokes.trim();
        let drawn: Vec<Vec<Vec<i64>>> = if strokes.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(strokes).map_err(|_| {
                FieldProblem::new(
                    "signature.strokes",
                    "could not be read: clear the pad and sign again",
                )
            })?
        };
        let signature = if drawn.is_empty() {
            SignatureDraft::Typed {
                text: self.typed.clone(),
            }
        } else {
            SignatureDraft::Drawn { strokes: drawn }
        };
        Ok(AcceptanceDraft {
            accepted_by: self.accepted_by.clone(),
            signer_name: self.signer_name.clone(),
            channel: "in_office".into(),
            signature,
        })
    }

    fn refused(self, problems: &[FieldProblem]) -> AcceptForm {
        let mut form = AcceptForm {
            signer_name: self.signer_name,
            accepted_by: self.accepted_by,
            typed: self.typed,
            ..AcceptForm::default()
        };
        for p in problems {
            let (field, label) = match p.field.as_ref() {
                "signer_name" => ("signer_name", "Your name"),
                "accepted_by" => ("accepted_by", "Who is signing"),
                "signature.text" => ("typed", "Your signature"),
                f if f.starts_with("signature.strokes") => ("strokes", "The drawn signature"),
                _ => ("signer_name", "The acceptance"),
            };
            let problem = p.problem.trim_end_matches('.');
            let text = if ["is ", "must ", "could ", "a ", "at "]
                .iter()
                .any(|v| problem.starts_with(v))
            {
                format!("{label} {problem}.")
            } else {
                format!("{label}: {problem}.")
            };
            form.errors
                .entry(field.to_string())
                .and_modify(|t| {
                    t.push(' ');
                    t.push_str(&text);
                })
                .or_insert(text);
        }
        form
    }
}

/// `POST /patients/{id}/plans/{plan}/accept`: the patient's acceptance, in the office.
pub(crate) async fn accept(
    State(app): State<App>,
    staff: Staff,
    Path((patient, plan)): Path<(String, String)>,
    Form(f): Form<AcceptPosted>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, plan) = match ids(&patient, &plan) {
        Ok(ids) => ids,
        Err(e) => return page_error(e),
    };
    let expected = Expected::Version(f.row_version.trim().parse().unwrap_or(-1));
    let result = match f.draft() {
        Ok(draft) => {
            app.chart(&staff.actor)
                .within(patient)
                .accept_plan(plan, &draft, expected)
                .await
        }
        Err(problem) => Err(AppError::Invalid(vec![problem])),
    };
    let extra = match result {
        Ok(view) => {
            return to(format!(
                "/patients/{}/plans/{}/presentation?done=accepted",
                view.patient_id, view.id
            ));
        }
        Err(AppError::Invalid(problems)) => PresentExtra {
            form: f.refused(&problems),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..PresentExtra::default()
        },
        Err(AppError::Conflict) => PresentExtra {
            message: Some("The plan changed since this page was opened. Nothing was recorded; please read it again before signing.".into()),
            status: StatusCode::CONFLICT,
            ..PresentExtra::default()
        },
        Err(AppError::Refused(why)) => PresentExtra {
            message: Some(format!("Nothing was recorded. {why}")),
            status: StatusCode::CONFLICT,
            ..PresentExtra::default()
        },
        Err(e) => return page_error(e),
    };
    present::presentation(&app, &staff, patient, plan, extra).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_known_outcomes_become_messages() {
        assert!(done_message(Some("accepted")).is_some());
        assert!(done_message(Some("<b>")).is_none());
    }

    #[test]
    fn drawn_strokes_win_over_the_typed_name_and_bad_json_is_named() {
        let mut f = AcceptPosted {
            signer_name: "Testy Molar".into(),
            accepted_by: "patient".into(),
            typed: "Testy Molar".into(),
            strokes: "[[[0,0],[10,12]]]".into(),
            ..AcceptPosted::default()
        };
        assert!(matches!(
            f.draft().unwrap().signature,
            SignatureDraft::Drawn { .. }
        ));
        f.strokes = " ".into();
        assert!(matches!(
            f.draft().unwrap().signature,
            SignatureDraft::Typed { .. }
        ));
        f.strokes = "[[1".into();
        assert_eq!(f.draft().unwrap_err().field, "signature.strokes");
        let form = f.refused(&[FieldProblem::new("signature.text", "is required")]);
        assert_eq!(form.errors["typed"], "Your signature is required.");
    }
}
