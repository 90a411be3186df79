//! The perio pages as the templates draw them, and the one audited read each makes: the
//! patient's exams, one exam, or two exams compared.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError, PerioExamView};
use enamel_domain::clinical::{Numbering, PerioExam, PerioSummary, summarize};
use enamel_domain::{PatientId, PerioExamId, iso_date};

use super::depth_chart::{self, GUIDES, Guides, Panel};
use super::sheet::{self, ArchSheet, Placed};
use super::sheet_form::{self, Posted};
use crate::pages::chart::{ChartRights, rights};
use crate::pages::{Nav, Staff, page_error, render};

/// The practice's tooth numbering (a setting, not audited); Universal if it cannot be read.
pub(super) async fn numbering(app: &App, staff: &Staff) -> Numbering {
    app.chart(&staff.actor)
        .read_settings()
        .await
        .map(|s| s.numbering)
        .unwrap_or_default()
}

fn numbering_name(n: Numbering) -> &'static str {
    match n {
        Numbering::Universal => "Universal",
        Numbering::Fdi => "FDI",
    }
}

/// The figures of an exam, as words.
pub(super) struct Figures {
    pub probed: usize,
    pub bleeding: String,
    pub four: usize,
    pub six: usize,
}

fn figures(exam: &PerioExam) -> Figures {
    let PerioSummary {
        probed_sites,
        bleeding_percentage,
        sites_4mm_or_more,
        sites_6mm_or_more,
    } = summarize(exam);
    Figures {
        probed: probed_sites,
        bleeding: bleeding_percentage.map_or_else(|| "not recorded".into(), |p| format!("{p}%")),
        four: sites_4mm_or_more,
        six: sites_6mm_or_more,
    }
}

/// Who closed an exam and when, in words.
fn closed_line(view: &PerioExamView, staff: &Staff) -> Option<String> {
    let at = view.closed_ms?;
    let by = match &view.closed_by {
        Some(id) if Some(id.as_str()) == staff.actor.user_id() => " by you".to_string(),
        Some(_) => " by another staff member".to_string(),
        None => String::new(),
    };
    Some(format!("Closed {}{by}", staff.nav.when(at)))
}

/// One exam in the list.
struct ExamRow {
    id: String,
    date: String,
    closed: bool,
    state: String,
    figures: Figures,
}

#[derive(Template)]
#[template(path = "perio_list.html")]
struct ListPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    /// Whose exams, for a reader who may see demographics.
    patient_name: Option<String>,
    exams: Vec<ExamRow>,
    can_start: bool,
    today: String,
    start_date: String,
    start_error: Option<String>,
    compare_error: Option<String>,
}

/// What the list shows besides the exams: a message after a change, the start form as it was
/// posted with its problem, or a refused comparison.
#[derive(Default)]
pub(super) struct ListExtra {
    pub flash: Option<String>,
    pub start_date: String,
    pub start_error: Option<String>,
    pub compare_error: Option<String>,
    pub status: StatusCode,
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// Reads the patient's exams (one audited `view`) and renders the list.
pub(super) async fn list(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    extra: ListExtra,
) -> Response {
    match try_list(app, staff, patient, extra).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}

async fn try_list(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    extra: ListExtra,
) -> Result<Response, AppError> {
    let views = app.chart(&staff.actor).perio_exams(patient).await?;
    let rights: ChartRights = rights(app, staff).await?;
    let today = app.practice_today(staff.actor.practice_id()).await?;
    let patient_name = crate::pages::patient_heading(views.patient.as_ref());
    let exams = views
        .records
        .iter()
        .rev()
        .map(|v| ExamRow {
            id: v.id.to_string(),
            date: iso_date(v.exam.exam_date),
            closed: v.closed,
            state: closed_line(v, staff).unwrap_or_else(|| "Draft".into()),
            figures: figures(&v.exam),
        })
        .collect();
    let page = ListPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav.clone()),
        flash: extra.flash,
        patient: patient.to_string(),
        patient_name,
        exams,
        can_start: rights.create,
        today: today.to_string(),
        start_date: extra.start_date,
        start_error: extra.start_error,
        compare_error: extra.compare_error,
    };
    Ok(with_status(render(&page), extra.status))
}

#[derive(Template)]
#[template(path = "perio_exam.html")]
struct ExamPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    /// Whose exam, for a reader who may see demographics.
    patient_name: Option<String>,
    exam: String,
    exam_date: String,
    today: String,
    closed: Option<String>,
    editable: bool,
    row_version: String,
    provider_id: String,
    note: String,
    numbering: &'static str,
    arches: Vec<ArchSheet>,
    panels: Vec<Panel>,
    guides: Guides,
    figures: Figures,
    placed: Placed,
    message: Option<String>,
    focus: String,
}

impl ExamPage {
    fn error(&self, input: &str) -> Option<&str> {
        self.placed.by_input.get(input).map(String::as_str)
    }

    /// The id of the problem listed for an input, for its `aria-describedby`.
    fn error_id(&self, input: &str) -> String {
        format!("{input}-error")
    }
}

/// What an exam page shows besides the stored exam.
#[derive(Default)]
pub(super) struct ExamExtra {
    pub flash: Option<String>,
    pub message: Option<String>,
    /// The sheet as posted, shown instead of the stored values (a refused save).
    pub posted: Option<Posted>,
    pub placed: Placed,
    pub status: StatusCode,
}

/// Reads one exam (one audited `view`) and renders its page.
pub(super) async fn exam(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    id: PerioExamId,
    extra: ExamExtra,
) -> Response {
    match try_exam(app, staff, patient, id, extra).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}

async fn try_exam(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    id: PerioExamId,
    extra: ExamExtra,
) -> Result<Response, AppError> {
    let view = app.chart(&staff.actor).perio_exam(id).await?;
    if view.patient_id != patient {
        return Err(AppError::NotFound);
    }
    let rights = rights(app, staff).await?;
    let numbering = numbering(app, staff).await;
    let today = app.practice_today(staff.actor.practice_id()).await?;
    let editable = !view.closed && rights.edit;
    // A refused save keeps what was typed. After a conflict the next save is meant to replace
    // what the other person saved, so it carries the current version; after a problem, the
    // version the page first showed (a save in between is still a conflict).
    let (values, exam_date, note, provider_id, row_version) = match &extra.posted {
        Some(p) if editable => {
            let version = if extra.status == StatusCode::CONFLICT {
                view.row_version.to_string()
            } else {
                p.row_version.clone()
            };
            (
                p.values.clone(),
                p.exam_date.clone(),
                p.note.clone(),
                p.provider_id.clone(),
                version,
            )
        }
        _ => (
            sheet_form::values_of(&view.exam),
            sheet_form::date_text(&view.exam),
            view.exam.note.clone().unwrap_or_default(),
            view.exam.provider_id.clone().unwrap_or_default(),
            view.row_version.to_string(),
        ),
    };
    let arches = sheet::sheet(&values, &extra.placed, numbering);
    let focus = extra.placed.first_input().unwrap_or_default().to_string();
    let page = ExamPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav.clone()),
        flash: extra.flash,
        patient: patient.to_string(),
        patient_name: crate::pages::patient_heading(view.patient.as_ref()),
        exam: view.id.to_string(),
        exam_date,
        today: today.to_string(),
        closed: closed_line(&view, staff),
        editable,
        row_version,
        provider_id,
        note,
        numbering: numbering_name(numbering),
        arches,
        panels: depth_chart::panels(&view.exam, numbering),
        guides: GUIDES,
        figures: figures(&view.exam),
        placed: extra.placed,
        message: extra.message,
        focus,
    };
    Ok(with_status(render(&page), extra.status))
}

/// One site of a comparison, in words.
struct SiteRow {
    tooth: String,
    site: &'static str,
    depth_before: i8,
    depth_after: i8,
    change: String,
    cal_before: String,
    cal_after: String,
    worsened: bool,
}

#[derive(Template)]
#[template(path = "perio_compare.html")]
struct ComparePage {
    nav: Option<Nav>,
    flash: Option<String>,
    patient: String,
    older_id: String,
    newer_id: String,
    older_date: String,
    newer_date: String,
    older: Figures,
    newer: Figures,
    worsened: Vec<SiteRow>,
    sites: Vec<SiteRow>,
}

fn signed(n: i8) -> String {
    match n {
        0 => "no change".into(),
        n if n > 0 => format!("+{n} mm"),
        n => format!("\u{2212}{} mm", n.unsigned_abs()),
    }
}

/// Reads the two exams (one audited `view`) and renders them compared.
pub(super) async fn comparison(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    a: PerioExamId,
    b: PerioExamId,
) -> Response {
    let result = async {
        let c = app.chart(&staff.actor).compare_perio(a, b).await?;
        if c.older.patient_id != patient {
            return Err(AppError::NotFound);
        }
        let numbering = numbering(app, staff).await;
        let sites: Vec<SiteRow> = c
            .sites
            .iter()
            .map(|s| SiteRow {
                tooth: s.tooth.display(numbering),
                site: s.site.label(),
                depth_before: s.depth_before,
                depth_after: s.depth_after,
                change: signed(s.depth_after - s.depth_before),
                cal_before: s.cal_before.map(|v| v.to_string()).unwrap_or_default(),
                cal_after: s.cal_after.map(|v| v.to_string()).unwrap_or_default(),
                worsened: s.worsened,
            })
            .collect();
        let worsened = sites
            .iter()
            .filter(|s| s.worsened)
            .map(|s| SiteRow {
                tooth: s.tooth.clone(),
                change: s.change.clone(),
                cal_before: s.cal_before.clone(),
                cal_after: s.cal_after.clone(),
                ..*s
            })
            .collect();
        let page = ComparePage {
            nav: Some(staff.nav.clone()),
            flash: None,
            patient: patient.to_string(),
            older_id: c.older.id.to_string(),
            newer_id: c.newer.id.to_string(),
            older_date: iso_date(c.older.exam.exam_date),
            newer_date: iso_date(c.newer.exam.exam_date),
            older: figures(&c.older.exam),
            newer: figures(&c.newer.exam),
            worsened,
            sites,
        };
        Ok(render(&page))
    }
    .await;
    result.unwrap_or_else(page_error)
}
