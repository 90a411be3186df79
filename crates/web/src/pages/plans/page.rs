//! The plan pages as the templates draw them, and the one audited read each makes: the
//! patient's plans, the builder (the chart's planned procedures), one plan for staff, and one
//! plan presented to the patient.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{AcceptanceView, App, AppError, PlanView, SignatureCheck};
use enamel_domain::clinical::{FrozenLine, PlanStatus, PlanTotals, ProcedureStatus, Signature};
use enamel_domain::{Action, Category, PatientId, PlanId};

use super::builder::{self, PHASES, Placed, Posted, dollars};
use crate::pages::chart::{money, site_words};
use crate::pages::{Nav, Staff, page_error, render};

/// What the person's role may do with plans (for buttons; the room decides again).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PlanRights {
    pub create: bool,
    pub edit: bool,
}

pub(super) async fn rights(app: &App, staff: &Staff) -> Result<PlanRights, AppError> {
    let policy = app.policy(staff.actor.practice_id()).await?;
    let roles = staff.actor.roles();
    let may = |action| policy.allows_any(roles, Category::TreatmentPlans, action);
    Ok(PlanRights {
        create: may(Action::Create),
        edit: may(Action::Edit),
    })
}

pub(super) fn with_status(mut response: Response, status: StatusCode) -> Response {
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// Sums as shown.
pub(super) struct TotalsView {
    pub fee: String,
    pub insurance: String,
    pub patient: String,
    /// Empty when nothing is written off.
    pub write_off: String,
}

pub(super) fn totals_view(t: &PlanTotals) -> TotalsView {
    let off = t.write_off();
    TotalsView {
        fee: money(t.fee),
        insurance: money(t.insurance_estimate),
        patient: money(t.patient_portion),
        write_off: if off == 0 { String::new() } else { money(off) },
    }
}

pub(super) struct LineView {
    pub position: u16,
    pub code: String,
    pub description: String,
    pub site: String,
    pub fee: String,
    pub insurance: String,
    pub patient: String,
}

pub(super) struct PhaseView {
    pub number: u8,
    pub name: String,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
}

pub(super) fn phases_of(view: &PlanView) -> Vec<PhaseView> {
    view.totals
        .phases
        .iter()
        .map(|p| PhaseView {
            number: p.phase,
            name: p.phase_name.clone(),
            lines: view
                .lines
                .iter()
                .filter(|l| l.phase == p.phase)
                .map(|l: &FrozenLine| LineView {
                    position: l.position,
                    code: l.code.clone(),
                    description: l.description.clone(),
                    site: l.site.clone(),
                    fee: money(l.fee),
                    insurance: money(l.insurance_estimate),
                    patient: money(l.patient_portion),
                })
                .collect(),
            totals: totals_view(&p.totals),
        })
        .collect()
}

fn status_key(status: PlanStatus) -> &'static str {
    status.as_str()
}

/// A recorded acceptance as shown: who signed, how, when, and whether its signature holds.
pub(super) struct AcceptanceShow {
    pub signer: String,
    pub accepted_by: &'static str,
    pub channel: &'static str,
    pub when: String,
    pub recorded_by: String,
    pub typed: Option<String>,
    /// Each stroke of a drawn signature as SVG polyline points on the 0–1000 canvas.
    pub strokes: Vec<String>,
    /// `valid`, `invalid` or `unsigned`.
    pub check: &'static str,
    pub check_words: &'static str,
}

pub(super) fn acceptance_show(
    a: &AcceptanceView,
    check: SignatureCheck,
    staff: &Staff,
) -> AcceptanceShow {
    let (typed, strokes) = match &a.acceptance.signature {
        Signature::Typed(text) => (Some(text.clone()), Vec::new()),
        Signature::Drawn(strokes) => (
            None,
            strokes
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|(x, y)| format!("{x},{y}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect(),
        ),
    };
    let (check, check_words) = match check {
        SignatureCheck::Valid => (
            "valid",
            "The acceptance holds: the lines are as they were presented, and the practice's record signature over them and this acceptance checks out.",
        ),
        SignatureCheck::Invalid => (
            "invalid",
            "THE ACCEPTANCE DOES NOT HOLD: the plan's lines or the acceptance were changed after it was signed. Do not rely on it; tell the practice administrator.",
        ),
        SignatureCheck::Unsigned => ("unsigned", "Not signed."),
    };
    AcceptanceShow {
        signer: a.acceptance.signer_name.clone(),
        accepted_by: a.acceptance.accepted_by.label(),
        channel: a.acceptance.channel.label(),
        when: staff.nav.when(a.accepted_ms),
        recorded_by: staff.who(&a.recorded_by),
        typed,
        strokes,
        check,
        check_words,
    }
}

// ---------------------------------------------------------------------------------------
// The list

struct PlanRow {
    id: String,
    title: String,
    status: &'static str,
    status_key: &'static str,
    created: String,
    totals: TotalsView,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct ListPage {
    nav: Option<Nav>,
    flash: Option<String>,
    patient: String,
    /// Whose plans, for a reader who may see demographics.
    patient_name: Option<String>,
    plans: Vec<PlanRow>,
    can_create: bool,
    totals_only: bool,
}

/// Reads the patient's plans (one audited `view`) and renders the list, newest first.
pub(super) async fn list(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    flash: Option<String>,
) -> Response {
    let result = async {
        let views = app.chart(&staff.actor).plans(patient).await?;
        let rights = rights(app, staff).await?;
        let patient_name = crate::pages::patient_heading(views.patient.as_ref());
        let totals_only = views.records.iter().any(|v| v.totals_only);
        let plans = views
            .records
            .iter()
            .rev()
            .map(|v| PlanRow {
                id: v.id.to_string(),
                title: v
                    .title
                    .clone()
                    .unwrap_or_else(|| "Treatment plan".to_string()),
                status: v.status.label(),
                status_key: status_key(v.status),
                created: staff.nav.when(v.created_ms),
                totals: totals_view(&v.totals.overall),
            })
            .collect();
        Ok::<_, AppError>(render(&ListPage {
            nav: Some(staff.nav.clone()),
            flash,
            patient: patient.to_string(),
            patient_name,
            plans,
            can_create: rights.create,
            totals_only,
        }))
    }
    .await;
    result.unwrap_or_else(page_error)
}

// ---------------------------------------------------------------------------------------
// The builder

/// One planned procedure in the builder.
pub(super) struct ProcedureRow {
    pub id: String,
    pub code: String,
    pub description: String,
    pub site: String,
    pub fee: String,
    pub phase: String,
    pub insurance: String,
    pub patient: String,
}

/// A phase's name input in the builder.
pub(super) struct PhaseName {
    pub number: usize,
    pub input: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "plan_builder.html")]
struct BuilderPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    patient_name: Option<String>,
    heading: &'static str,
    action: String,
    row_version: String,
    title: String,
    note: String,
    phase_names: Vec<PhaseName>,
    phase_numbers: Vec<usize>,
    procedures: Vec<ProcedureRow>,
    placed: Placed,
    message: Option<String>,
    focus: String,
}

impl BuilderPage {
    fn error(&self, input: &str) -> Option<&str> {
        self.placed.by_input.get(input).map(String::as_str)
    }

    fn input_id(&self, kind: &str, id: &str) -> String {
        format!("{kind}-{id}")
    }
}

/// What fills the builder: a draft plan being edited, or the form as posted and refused.
#[derive(Default)]
pub(super) struct BuilderExtra {
    /// Editing: the plan's id, version, and what it holds.
    pub editing: Option<PlanView>,
    pub posted: Option<Posted>,
    pub room_problems: Vec<enamel_domain::FieldProblem>,
    pub message: Option<String>,
    pub status: StatusCode,
}

/// The patient's planned procedures as the builder lists them (the chart's one audited
/// `view`), with words for each, and the patient's name.
async fn planned(
    app: &App,
    staff: &Staff,
    patient: PatientId,
) -> Result<(Vec<ProcedureRow>, HashMap<String, String>, Option<String>), AppError> {
    let view = app.chart(&staff.actor).read(patient, None).await?;
    let numbering = view.numbering;
    let rows: Vec<ProcedureRow> = view
        .procedures
        .iter()
        .filter(|p| p.procedure.status == ProcedureStatus::Planned)
        .map(|p| ProcedureRow {
            id: p.id.to_string(),
            code: p.procedure.code.clone(),
            description: p.procedure.description.clone(),
            site: site_words(&p.procedure.site, numbering),
            fee: money(p.procedure.fee),
            phase: "1".into(),
            insurance: String::new(),
            patient: String::new(),
        })
        .collect();
    let names = rows
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                format!("{} {}, {}", r.code, r.description, r.site.to_lowercase()),
            )
        })
        .collect();
    let name = view.patient.as_ref().map(|p| {
        format!(
            "{}, {} (born {})",
            p.family_name, p.given_name, p.birth_date
        )
    });
    Ok((rows, names, name))
}

/// Reads the chart (and, editing, the plan: two entries) and renders the builder.
pub(super) async fn builder(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    extra: BuilderExtra,
) -> Response {
    let result = async {
        // Only a role that drafts plans reads the chart for them (the front desk's chart is
        // the billing view, with no planned work in it).
        let may = rights(app, staff).await?;
        if !(may.create || may.edit) {
            return Err(AppError::Forbidden);
        }
        let (mut rows, names, patient_name) = planned(app, staff, patient).await?;
        let mut title = String::new();
        let mut note = String::new();
        let mut phase_names: Vec<PhaseName> = (1..=PHASES)
            .map(|n| PhaseName {
                number: n,
                input: format!("phase{n}"),
                value: format!("Phase {n}"),
            })
            .collect();
        let mut placed = Placed::default();
        let (heading, action, row_version) = match &extra.editing {
            Some(plan) => (
                "Edit the draft plan",
                format!("/patients/{patient}/plans/{}", plan.id),
                plan.row_version.to_string(),
            ),
            None => (
                "Draft a treatment plan",
                format!("/patients/{patient}/plans"),
                String::new(),
            ),
        };
        if let Some(plan) = &extra.editing {
            title = plan.title.clone().unwrap_or_default();
            note = plan.note.clone().unwrap_or_default();
            for p in &plan.totals.phases {
                if let Some(slot) = phase_names.get_mut(usize::from(p.phase) - 1) {
                    slot.value = p.phase_name.clone();
                }
            }
            for row in &mut rows {
                match plan.lines.iter().find(|l| l.procedure_id == row.id) {
                    Some(l) => {
                        row.phase = l.phase.to_string();
                        row.insurance = dollars(l.insurance_estimate);
                        row.patient = dollars(l.patient_portion);
                    }
                    None => row.phase = String::new(),
                }
            }
        }
        let mut row_version = row_version;
        if let Some(posted) = &extra.posted {
            title = posted.get("title").to_string();
            note = posted.get("note").to_string();
            row_version = posted.get("row_version").to_string();
            for p in &mut phase_names {
                p.value = posted.get(&p.input).to_string();
            }
            for row in &mut rows {
                row.phase = posted.get(&format!("phase-{}", row.id)).to_string();
                row.insurance = posted.get(&format!("ins-{}", row.id)).to_string();
                row.patient = posted.get(&format!("pat-{}", row.id)).to_string();
            }
            let drafted = builder::draft(posted);
            placed = builder::place(&drafted, &extra.room_problems, &names);
        }
        let focus = placed.first_input().unwrap_or_default().to_string();
        let page = BuilderPage {
            csrf: staff.nav.csrf.clone(),
            nav: Some(staff.nav.clone()),
            flash: None,
            patient: patient.to_string(),
            patient_name,
            heading,
            action,
            row_version,
            title,
            note,
            phase_names,
            phase_numbers: (1..=PHASES).collect(),
            procedures: rows,
            placed,
            message: extra.message,
            focus,
        };
        Ok::<_, AppError>(with_status(render(&page), extra.status))
    }
    .await;
    result.unwrap_or_else(page_error)
}

// ---------------------------------------------------------------------------------------
// One plan, for staff

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    plan: String,
    title: String,
    note: Option<String>,
    status: &'static str,
    status_key: &'static str,
    totals_only: bool,
    phases: Vec<PhaseView>,
    overall: TotalsView,
    history: Vec<String>,
    acceptance: Option<AcceptanceShow>,
    row_version: i64,
    can_edit: bool,
    can_present: bool,
    can_decline: bool,
    can_supersede: bool,
    presented: bool,
    message: Option<String>,
    /// Staff see who recorded an acceptance; the patient's screen does not say it.
    staff_view: bool,
}

/// What a plan page shows besides the plan.
#[derive(Default)]
pub(super) struct PlanExtra {
    pub flash: Option<String>,
    pub message: Option<String>,
    pub status: StatusCode,
}

fn history(view: &PlanView, staff: &Staff) -> Vec<String> {
    let mut lines = vec![format!(
        "Drafted by {} on {}",
        staff.who(&view.created_by),
        staff.nav.when(view.created_ms)
    )];
    if let (Some(at), Some(by)) = (view.presented_ms, &view.presented_by) {
        lines.push(format!(
            "Presented by {} on {}; its lines are frozen",
            staff.who(by),
            staff.nav.when(at)
        ));
    }
    if let (Some(at), Some(by)) = (view.decided_ms, &view.decided_by) {
        lines.push(format!(
            "{} (recorded by {}) on {}",
            view.status.label(),
            staff.who(by),
            staff.nav.when(at)
        ));
    }
    lines
}

/// Reads one plan (one audited `view`) and renders it for staff.
pub(super) async fn plan(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    id: PlanId,
    extra: PlanExtra,
) -> Response {
    let result = async {
        let view = app.chart(&staff.actor).plan(id).await?;
        if view.patient_id != patient {
            return Err(AppError::NotFound);
        }
        let rights = rights(app, staff).await?;
        let status = view.status;
        let page = PlanPage {
            csrf: staff.nav.csrf.clone(),
            nav: Some(staff.nav.clone()),
            flash: extra.flash,
            patient: patient.to_string(),
            plan: view.id.to_string(),
            title: view
                .title
                .clone()
                .unwrap_or_else(|| "Treatment plan".to_string()),
            note: view.note.clone(),
            status: status.label(),
            status_key: status_key(status),
            totals_only: view.totals_only,
            phases: phases_of(&view),
            overall: totals_view(&view.totals.overall),
            history: history(&view, staff),
            acceptance: view
                .acceptance
                .as_ref()
                .map(|a| acceptance_show(a, view.acceptance_check, staff)),
            row_version: view.row_version,
            can_edit: rights.edit && status == PlanStatus::Draft,
            can_present: rights.edit && status == PlanStatus::Draft,
            can_decline: rights.edit && status == PlanStatus::Presented,
            can_supersede: rights.edit && status.can_become(PlanStatus::Superseded),
            presented: status == PlanStatus::Presented,
            message: extra.message,
            staff_view: true,
        };
        Ok(with_status(render(&page), extra.status))
    }
    .await;
    result.unwrap_or_else(page_error)
}

/// A draft plan for the builder (its one audited `view`), checked to be this patient's.
pub(super) async fn draft_plan(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    id: PlanId,
) -> Result<PlanView, AppError> {
    let view = app.chart(&staff.actor).plan(id).await?;
    if view.patient_id != patient {
        return Err(AppError::NotFound);
    }
    if view.status != PlanStatus::Draft {
        return Err(AppError::Refused(
            "This plan was presented and its lines are frozen: draft a new plan instead.".into(),
        ));
    }
    Ok(view)
}
