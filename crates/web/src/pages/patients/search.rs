//! Finding a patient: the search form and its results page. Without JavaScript, Enter posts
//! the form; with it, `static/patients.js` asks the JSON API as the person types and renders
//! the same table in place.
//!
//! The form is a POST (with the session's CSRF token) and its result pages are buttons of the
//! same form, so names, birth dates and phones never enter the address bar, the browser's
//! history or a proxy's request log.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError, PatientQuery, SearchPosition};
use enamel_domain::PatientStatus;
use serde::Deserialize;

use super::{PER_PAGE, Problem, display_phone, rights, status_label};
use crate::pages::{Nav, Staff, csrf_refusal, page_error, render};

/// The search form as typed. Its `Debug` says which terms were given, never what they were.
#[derive(Default, Deserialize)]
pub(crate) struct FindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    chart: String,
    #[serde(default)]
    status: String,
    /// Where the shown page starts: the positions of the pages before it, separated by
    /// commas (empty for the first page). See [`PageTrail`].
    #[serde(default)]
    page: Option<String>,
}

/// How the pager knows where it is. A search pages by position (the last patient of each page),
/// not by number, so the pager's buttons carry the positions of every page so far: "Next" adds
/// one, "Previous" drops one, and their count says how many results came before.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct PageTrail(Vec<SearchPosition>);

/// The deepest a person pages in the staff pages (5,000 results); the API has no such limit.
const MAX_TRAIL: usize = 200;

impl PageTrail {
    fn parse(text: Option<&str>) -> Option<Self> {
        let text = text.map(str::trim).unwrap_or("");
        if text.is_empty() {
            return Some(PageTrail::default());
        }
        let positions = text
            .split(',')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<SearchPosition>>>()?;
        (positions.len() <= MAX_TRAIL).then_some(PageTrail(positions))
    }

    fn current(&self) -> Option<SearchPosition> {
        self.0.last().copied()
    }

    fn results_before(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX) * PER_PAGE
    }

    fn previous(&self) -> Option<String> {
        let (_, before) = self.0.split_last()?;
        Some(Self::text(before))
    }

    fn next(&self, next: SearchPosition) -> Option<String> {
        (self.0.len() < MAX_TRAIL).then(|| {
            let mut positions = self.0.clone();
            positions.push(next);
            Self::text(&positions)
        })
    }

    fn text(positions: &[SearchPosition]) -> String {
        positions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl std::fmt::Debug for FindForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FindForm")
            .field("name_given", &!self.name.is_empty())
            .field("birth_date_given", &!self.birth_date.is_empty())
            .field("phone_given", &!self.phone.is_empty())
            .field("chart_given", &!self.chart.is_empty())
            .field("status", &self.status)
            .field("page", &self.page)
            .finish()
    }
}

struct ResultRow {
    id: String,
    name: String,
    preferred: String,
    birth_date: String,
    chart: String,
    status: String,
    phone: String,
}

/// The inputs of the search form, with their problems.
struct FindField {
    id: &'static str,
    name: &'static str,
    label: &'static str,
    input_type: &'static str,
    value: String,
    hint: Option<&'static str>,
    error: Option<std::borrow::Cow<'static, str>>,
}

#[derive(Template)]
#[template(path = "patients.html")]
struct FindPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    name: FindField,
    others: Vec<FindField>,
    status: String,
    status_options: Vec<(&'static str, &'static str)>,
    status_error: Option<std::borrow::Cow<'static, str>>,
    problems: Vec<Problem>,
    searched: bool,
    rows: Vec<ResultRow>,
    show_phone: bool,
    summary: String,
    capped: bool,
    /// The pager's buttons' values (a [`PageTrail`]), which post the search form again.
    previous: Option<String>,
    next: Option<String>,
    can_create: bool,
}

/// The search boxes; the phone box only for roles that may search by phone (contact view).
fn find_fields(f: &FindForm, with_phone: bool) -> (FindField, Vec<FindField>) {
    let field = |id, name, label, input_type, value: &str, hint| FindField {
        id,
        name,
        label,
        input_type,
        value: value.to_string(),
        hint,
        error: None,
    };
    (
        field(
            "find-name",
            "name",
            "Name",
            "search",
            &f.name,
            Some(
                "Any part of the names, such as \u{201c}mol de\u{201d} for Demo Molar. With JavaScript, results appear as you type.",
            ),
        ),
        [
            field(
                "find-birth_date",
                "birth_date",
                "Date of birth",
                "date",
                &f.birth_date,
                None,
            ),
            field(
                "find-phone",
                "phone",
                "Phone (whole number)",
                "tel",
                &f.phone,
                None,
            ),
            field(
                "find-chart",
                "chart",
                "Chart number",
                "text",
                &f.chart,
                None,
            ),
        ]
        .into_iter()
        .filter(|field| with_phone || field.name != "phone")
        .collect(),
    )
}

/// One page of results, ready for the template.
#[derive(Default)]
struct Found {
    rows: Vec<ResultRow>,
    show_phone: bool,
    summary: String,
    capped: bool,
    previous: Option<String>,
    next: Option<String>,
}

fn found_view(trail: &PageTrail, found: enamel_app::PatientSearchPage) -> Found {
    let first = trail.results_before() + 1;
    let shown = u32::try_from(found.results.len()).unwrap_or(u32::MAX);
    let paged = trail.current().is_some() || found.next.is_some();
    let summary = match (found.total, found.total_capped) {
        (0, false) if shown == 0 => "No patient matches.".to_string(),
        (1, false) if !paged => "1 patient matches.".to_string(),
        (n, false) if !paged => format!("{n} patients match."),
        (_, _) if shown == 0 => "No more patients match.".to_string(),
        (n, capped) => {
            let how_many = if capped {
                format!("More than {n} patients match")
            } else {
                format!("{n} patients match")
            };
            format!("{how_many}; showing {first} to {}.", first + shown - 1)
        }
    };
    Found {
        show_phone: found.results.iter().any(|r| r.phone.is_some()),
        summary,
        capped: found.total_capped,
        previous: trail.previous(),
        next: found.next.and_then(|n| trail.next(n)),
        rows: found
            .results
            .into_iter()
            .map(|r| ResultRow {
                id: r.id.to_string(),
                name: format!("{}, {}", r.family_name, r.given_name),
                preferred: r.preferred_name.unwrap_or_default(),
                birth_date: r.birth_date,
                chart: r.chart_number.unwrap_or_default(),
                status: status_label(&r.status),
                phone: r.phone.as_deref().map(display_phone).unwrap_or_default(),
            })
            .collect(),
    }
}

/// The empty search form. A query string is ignored: searches are posted, so an old link
/// or bookmark carrying a name does not search, and no new one is made.
pub(crate) async fn find(State(app): State<App>, staff: Staff) -> Response {
    results(&app, staff, &FindForm::default()).await
}

/// A posted search (or one of its result pages).
pub(crate) async fn find_submit(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<FindForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    results(&app, staff, &f).await
}

async fn results(app: &App, staff: Staff, f: &FindForm) -> Response {
    let rights = match rights(app, &staff.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let (mut name, mut others) = find_fields(f, rights.view_contact);
    let mut status_error = None;
    let mut problems = Vec::new();
    let trail = PageTrail::parse(f.page.as_deref());
    if trail.is_none() {
        problems.push(Problem {
            id: None,
            text: "Page: this page of results can no longer be found; search again.".into(),
        });
    }
    let trail = trail.unwrap_or_default();
    let asked = [&f.name, &f.birth_date, &f.phone, &f.chart]
        .iter()
        .any(|v| !v.trim().is_empty());
    let mut found = None;
    if asked && problems.is_empty() {
        let query = PatientQuery {
            name: Some(f.name.clone()),
            birth_date: Some(f.birth_date.clone()),
            phone: Some(f.phone.clone()),
            chart: Some(f.chart.clone()),
            status: Some(f.status.clone()),
            after: trail.current(),
            per_page: PER_PAGE,
        };
        match app.patients(&staff.actor).search(&query).await {
            Ok(page_of) => found = Some(found_view(&trail, page_of)),
            Err(AppError::Invalid(list)) => {
                for p in list {
                    let field = match p.field.as_ref() {
                        "name" => Some(&mut name),
                        other => others.iter_mut().find(|f| f.name == other),
                    };
                    let (id, label) = match (field, p.field.as_ref()) {
                        (Some(field), _) => {
                            field.error.get_or_insert(p.problem.clone());
                            (Some(field.id), field.label)
                        }
                        (None, "status") => {
                            status_error.get_or_insert(p.problem.clone());
                            (Some("find-status"), "Status")
                        }
                        (None, _) => (None, "Search"),
                    };
                    problems.push(Problem {
                        id: id.map(str::to_string),
                        text: format!("{label}: {}", p.problem),
                    });
                }
            }
            Err(e) => return page_error(e),
        }
    }
    let refused = !problems.is_empty();
    let searched = found.is_some();
    let found = found.unwrap_or_default();
    let mut response = render(&FindPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        name,
        others,
        status: f.status.clone(),
        status_options: std::iter::once(("", "Any"))
            .chain(PatientStatus::ALL.iter().map(|s| (s.as_str(), s.label())))
            .collect(),
        status_error,
        problems,
        searched,
        rows: found.rows,
        show_phone: found.show_phone,
        summary: found.summary,
        capped: found.capped,
        previous: found.previous,
        next: found.next,
        can_create: rights.create,
    });
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::FindForm;

    #[test]
    fn l13_the_search_form_debug_shows_no_search_terms() {
        let form = FindForm {
            csrf: "csrf-secret-4411".into(),
            name: "Bicuspid".into(),
            birth_date: "1990-01-02".into(),
            phone: "555 010 0199".into(),
            chart: "CH-4411".into(),
            status: "active".into(),
            page: Some("2".into()),
        };
        let shown = format!("{form:?}");
        assert!(shown.contains("name_given: true") && shown.contains("active"));
        for hidden in [
            "Bicuspid",
            "1990-01-02",
            "555 010 0199",
            "CH-4411",
            "csrf-secret",
        ] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }
}
