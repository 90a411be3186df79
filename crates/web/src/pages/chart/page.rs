//! The chart page as the template draws it: the odontogram, the key, the charting form's
//! options, the timeline, and what a refused form brings back; and the one read (the chart's
//! audited `view`) every answer with a page makes.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError};
use enamel_domain::clinical::{
    Arch, Numbering, ProcedureCode, ProcedureStatus, Quadrant, Sextant, Tooth, ToothState,
};
use enamel_domain::{PatientId, PracticeDate, parse_iso_date};

use super::form::{NewProcedure, Placed, RowForm};
use super::odontogram::{self, Charted, Odontogram, StateMark};
use super::rights;
use super::states::{self, StateForm};
use super::timeline::{self, Row};
use crate::pages::{ClinicalLinks, Nav, Staff, clinical_links, page_error, render};

/// A code in the select, with its area type for the script that shows the fields it uses.
struct CodeOption {
    code: String,
    label: String,
    area_type: &'static str,
}

fn code_options(codes: &[ProcedureCode]) -> Vec<CodeOption> {
    codes
        .iter()
        .map(|c| CodeOption {
            code: c.code.clone(),
            label: format!(
                "{} {} ({})",
                c.code,
                c.description,
                c.area_type.label().to_lowercase()
            ),
            area_type: c.area_type.as_str(),
        })
        .collect()
}

/// (value, label) of every regular tooth of a dentition, in the practice's numbering.
fn tooth_options(
    teeth: impl Iterator<Item = Tooth>,
    numbering: Numbering,
) -> Vec<(String, String)> {
    teeth
        .map(|t| (t.to_string(), t.display(numbering)))
        .collect()
}

/// (group, [(value, label)]) for the area select.
fn area_options() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        (
            "Arch",
            Arch::ALL
                .iter()
                .map(|a| (a.as_str(), a.label().to_string()))
                .collect(),
        ),
        (
            "Quadrant",
            Quadrant::ALL
                .iter()
                .map(|q| (q.as_str(), format!("{} quadrant", q.label())))
                .collect(),
        ),
        (
            "Sextant",
            Sextant::ALL
                .iter()
                .map(|s| (s.as_str(), s.label().to_string()))
                .collect(),
        ),
    ]
}

pub(super) fn status_options() -> Vec<(&'static str, &'static str)> {
    ProcedureStatus::ALL
        .iter()
        .filter(|s| s.may_be_charted())
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// One line of the legend: a swatch of the status's pattern and line, and words that say
/// the same without colour.
struct LegendItem {
    key: &'static str,
    label: &'static str,
    looks: &'static str,
}

const LEGEND: &[LegendItem] = &[
    LegendItem {
        key: "planned",
        label: "Planned",
        looks: "diagonal stripes; dashed ring or cross",
    },
    LegendItem {
        key: "completed",
        label: "Completed",
        looks: "solid; solid ring or cross",
    },
    LegendItem {
        key: "existing",
        label: "Existing (this office or elsewhere)",
        looks: "cross-hatched; dash-dot ring or cross",
    },
    LegendItem {
        key: "referred",
        label: "Referred out",
        looks: "horizontal stripes; dotted ring or cross",
    },
    LegendItem {
        key: "condition",
        label: "Condition",
        looks: "dots; dash-dot-dot ring or cross",
    },
];

/// One line of the tooth states' key: a tooth drawn with the state's mark, and words.
struct StateLegendItem {
    mark: StateMark,
    looks: &'static str,
}

fn state_legend() -> Vec<StateLegendItem> {
    ToothState::ALL
        .iter()
        .filter_map(|s| {
            let looks = match s {
                ToothState::Present => return None,
                ToothState::Missing => "faded, its outline dashed and crossed out",
                ToothState::Unerupted => "faded, a dotted rounded outline, marked U",
                ToothState::Impacted => "faded, a tilted outline, marked Imp",
                ToothState::Implant => "a screw drawn through the tooth",
            };
            Some(StateLegendItem {
                mark: StateMark::of(*s)?,
                looks,
            })
        })
        .collect()
}

/// A timeline row's form that was posted and refused, shown again open with what was typed.
pub(super) struct RowState {
    pub(super) procedure: String,
    pub(super) form: RowForm,
    pub(super) value: String,
}

#[derive(Template)]
#[template(path = "chart.html")]
struct ChartPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    /// Whose chart: "Family, Given (born YYYY-MM-DD)", for a reader who may see it.
    patient_name: Option<String>,
    /// A refusal or conflict from the room, in its words.
    message: Option<String>,
    links: ClinicalLinks,
    /// The day shown, when it is not now.
    as_of: Option<String>,
    as_of_value: String,
    as_of_error: Option<String>,
    today: String,
    billing_view: bool,
    numbering: &'static str,
    width: i32,
    height: i32,
    midline: i32,
    odontogram: Odontogram,
    legend: &'static [LegendItem],
    state_legend: Vec<StateLegendItem>,
    /// The teeth that are not simply present: (state, teeth in the practice's numbering).
    tooth_states: Vec<(&'static str, String)>,
    /// Every change of a tooth's state by then, newest first.
    tooth_state_history: Vec<states::ChangeLine>,
    rows: Vec<Row>,
    any_actions: bool,
    /// The charting form is shown.
    can_chart: bool,
    codes: Vec<CodeOption>,
    permanent_teeth: Vec<(String, String)>,
    primary_teeth: Vec<(String, String)>,
    areas: Vec<(&'static str, Vec<(&'static str, String)>)>,
    statuses: Vec<(&'static str, &'static str)>,
    /// The tooth state form: its states, what was posted, and the tooth it holds.
    states: Vec<(&'static str, &'static str)>,
    state_form: StateForm,
    state_tooth: String,
    form: NewProcedure,
    placed: Placed,
    row_state: Option<RowState>,
    /// The code form's field the page should focus (the first with a problem).
    focus: String,
}

impl ChartPage {
    fn dentitions(&self) -> [&odontogram::Dentition; 2] {
        [&self.odontogram.permanent, &self.odontogram.primary]
    }

    /// The charting form holds a primary tooth: its drawing is opened.
    fn primary_selected(&self) -> bool {
        Tooth::parse(&self.form.tooth).is_some_and(Tooth::is_primary)
    }

    fn error(&self, input: &str) -> Option<&str> {
        self.placed.error(input)
    }

    /// The id of a row form's input: `reason-<procedure>`.
    fn row_input(&self, form: &str, procedure: &str) -> String {
        format!("{form}-{procedure}")
    }

    fn row_open(&self, procedure: &str) -> bool {
        self.row_state
            .as_ref()
            .is_some_and(|s| s.procedure == procedure)
    }

    fn row_value(&self, form: &str, procedure: &str) -> &str {
        match &self.row_state {
            Some(s) if s.procedure == procedure && s.form.input() == form => &s.value,
            _ => "",
        }
    }
}

/// What a page shows besides the chart itself: a message after a change, a refusal, the
/// charting form as it was posted, and problems placed on their inputs.
pub(super) struct Extra {
    pub(super) flash: Option<String>,
    pub(super) message: Option<String>,
    pub(super) form: NewProcedure,
    pub(super) placed: Placed,
    pub(super) row_state: Option<RowState>,
    pub(super) state_form: StateForm,
    pub(super) status: StatusCode,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            flash: None,
            message: None,
            form: NewProcedure::default(),
            placed: Placed::default(),
            row_state: None,
            state_form: StateForm::default(),
            status: StatusCode::OK,
        }
    }
}

/// The day asked for in `?as_of=`, or why it cannot be shown.
async fn as_of_day(
    app: &App,
    staff: &Staff,
    text: Option<&str>,
) -> Result<Result<Option<PracticeDate>, &'static str>, AppError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Ok(None));
    };
    let Some(date) = parse_iso_date(text) else {
        return Ok(Err(
            "Choose a date written as YYYY-MM-DD; today's chart is shown.",
        ));
    };
    let day = PracticeDate::new(date);
    if day > app.practice_today(staff.actor.practice_id()).await? {
        return Ok(Err("That day has not come yet; today's chart is shown."));
    }
    Ok(Ok(Some(day)))
}

/// Reads the chart (the one audited `view`) and renders the page.
pub(super) async fn show(
    app: &App,
    staff: Staff,
    patient: PatientId,
    as_of_text: Option<&str>,
    extra: Extra,
) -> Response {
    match try_show(app, staff, patient, as_of_text, extra).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}

async fn try_show(
    app: &App,
    staff: Staff,
    patient: PatientId,
    as_of_text: Option<&str>,
    mut extra: Extra,
) -> Result<Response, AppError> {
    let (as_of, as_of_error) = match as_of_day(app, &staff, as_of_text).await? {
        Ok(day) => (day, None),
        Err(why) => {
            extra.status = StatusCode::UNPROCESSABLE_ENTITY;
            (None, Some(why.to_string()))
        }
    };
    let chart = app.chart(&staff.actor);
    let view = chart.read(patient, as_of).await?;
    let rights = rights(app, &staff).await?;
    let links = clinical_links(app, &staff.actor).await?;
    let changes = as_of.is_none() && !view.billing_view;
    let can_chart = changes && rights.create;
    // The code list is read only for someone who may chart (asking is not audited for them).
    let codes = if can_chart {
        chart.codes().await?
    } else {
        Vec::new()
    };
    let today = app.practice_today(staff.actor.practice_id()).await?;
    let numbering = view.numbering;
    let charted: Vec<Charted> = view
        .procedures
        .iter()
        .map(|p| Charted {
            status: p.procedure.status,
            description: p.procedure.description.clone(),
            site: p.procedure.site.clone(),
        })
        .collect();
    let selected = Tooth::parse(&extra.form.tooth);
    let drawn_states: Vec<(Tooth, ToothState)> =
        view.teeth.iter().map(|t| (t.tooth, t.state)).collect();
    let odontogram = odontogram::draw(&charted, &drawn_states, numbering, selected);
    // The state form holds the tooth it was sent with, else the one the charting form holds.
    let state_tooth = if extra.state_form.tooth.trim().is_empty() {
        extra.form.tooth.clone()
    } else {
        extra.state_form.tooth.trim().to_uppercase()
    };
    let rows = timeline::rows(&view.procedures, numbering, &staff.nav, rights, changes);
    let focus = extra.placed.first_input().unwrap_or_default().to_string();
    let status = extra.status;
    let tooth_state_history = states::history(&view.tooth_state_changes, numbering, &staff);
    let nav = staff.nav;
    let page = ChartPage {
        csrf: nav.csrf.clone(),
        nav: Some(nav),
        flash: extra.flash,
        patient: patient.to_string(),
        patient_name: crate::pages::patient_heading(view.patient.as_ref()),
        message: extra.message,
        links,
        as_of: as_of.map(|d| d.to_string()),
        as_of_value: as_of.map(|d| d.to_string()).unwrap_or_default(),
        as_of_error,
        today: today.to_string(),
        billing_view: view.billing_view,
        numbering: match numbering {
            Numbering::Universal => "Universal",
            Numbering::Fdi => "FDI",
        },
        width: odontogram::WIDTH,
        height: odontogram::HEIGHT,
        midline: odontogram::MIDLINE_X,
        odontogram,
        legend: LEGEND,
        state_legend: state_legend(),
        tooth_states: states::listed(&view.teeth, numbering),
        tooth_state_history,
        any_actions: rows.iter().any(Row::has_actions),
        rows,
        can_chart,
        codes: code_options(&codes),
        permanent_teeth: tooth_options(Tooth::permanent_dentition(), numbering),
        primary_teeth: tooth_options(Tooth::primary_dentition(), numbering),
        areas: area_options(),
        statuses: status_options(),
        states: states::state_options(),
        state_form: extra.state_form,
        state_tooth,
        form: extra.form,
        placed: extra.placed,
        row_state: extra.row_state,
        focus,
    };
    let mut response = render(&page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    Ok(response)
}
