//! The plan presented to the patient on a tablet: large type, the frozen lines and totals,
//! and the acceptance form; no staff menu (the idle logoff still runs).

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError};
use enamel_domain::clinical::PlanStatus;
use enamel_domain::{PatientId, PlanId};

use super::page::{
    AcceptanceShow, PhaseView, TotalsView, acceptance_show, phases_of, rights, totals_view,
    with_status,
};
use crate::pages::{Staff, page_error, render};

/// The acceptance form as posted and refused.
#[derive(Default)]
pub(super) struct AcceptForm {
    pub signer_name: String,
    pub accepted_by: String,
    pub typed: String,
    pub errors: HashMap<String, String>,
}

redacted_debug!(AcceptForm);

#[derive(Template)]
#[template(path = "plan_present.html")]
struct PresentPage {
    idle_seconds: i64,
    flash: Option<String>,
    message: Option<String>,
    csrf: String,
    patient: String,
    plan: String,
    title: String,
    note: Option<String>,
    status: &'static str,
    phases: Vec<PhaseView>,
    overall: TotalsView,
    acceptance: Option<AcceptanceShow>,
    row_version: i64,
    can_accept: bool,
    form: AcceptForm,
    focus: String,
    staff_view: bool,
}

impl PresentPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.form.errors.get(field).map(String::as_str)
    }
}

#[derive(Default)]
pub(super) struct PresentExtra {
    pub flash: Option<String>,
    pub message: Option<String>,
    pub form: AcceptForm,
    pub status: StatusCode,
}

/// Reads one plan (one audited `view`) and renders it for the patient: large type, the
/// frozen lines and totals, and the acceptance form; no staff menu.
pub(super) async fn presentation(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    id: PlanId,
    extra: PresentExtra,
) -> Response {
    let result = async {
        let view = app.chart(&staff.actor).plan(id).await?;
        if view.patient_id != patient {
            return Err(AppError::NotFound);
        }
        let rights = rights(app, staff).await?;
        if view.totals_only || view.status == PlanStatus::Draft {
            // Nothing to show a patient: a draft is not frozen yet, and a totals-only reader
            // has no lines.
            return Err(AppError::Refused(
                "Only a presented plan is shown to the patient: present it first.".into(),
            ));
        }
        let focus = ["signer_name", "accepted_by", "typed", "strokes"]
            .into_iter()
            .find(|f| extra.form.errors.contains_key(*f))
            .unwrap_or_default()
            .to_string();
        let page = PresentPage {
            idle_seconds: staff.nav.idle_seconds,
            flash: extra.flash,
            message: extra.message,
            csrf: staff.nav.csrf.clone(),
            patient: patient.to_string(),
            plan: view.id.to_string(),
            title: view
                .title
                .clone()
                .unwrap_or_else(|| "Treatment plan".to_string()),
            note: view.note.clone(),
            status: view.status.label(),
            phases: phases_of(&view),
            overall: totals_view(&view.totals.overall),
            acceptance: view
                .acceptance
                .as_ref()
                .map(|a| acceptance_show(a, view.acceptance_check, staff)),
            row_version: view.row_version,
            can_accept: rights.edit && view.status == PlanStatus::Presented,
            form: extra.form,
            focus,
            staff_view: false,
        };
        Ok(with_status(render(&page), extra.status))
    }
    .await;
    result.unwrap_or_else(page_error)
}
