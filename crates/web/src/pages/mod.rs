//! Server-rendered staff pages (askama). Little JavaScript, no inline script, strict CSP.
//! Every page goes through the same actor and the same app functions as the JSON API; forms
//! carry the session's anti-forgery token; a page that is refused says so in plain words.

/// `Debug` that names the type and nothing else, for forms and views that carry what a person
/// typed (PHI): anything that formats them with `{:?}` (a log line, an error report) shows no
/// value.
macro_rules! redacted_debug {
    ($($name:ident),+ $(,)?) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    )+};
}

mod account;
mod admin;
pub(crate) mod chart;
mod compliance;
mod notes;
mod patients;
mod perio;
mod plans;
pub(crate) mod schedule;
mod settings;
mod signin;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use enamel_app::{Actor, App, AppError};
use enamel_domain::{AccessMethod, Action, Category, Instant, PracticeTz};

use crate::SESSION_COOKIE;
use crate::auth::{cookie, origin_of, same_origin};

pub(crate) const PENDING_COOKIE: &str = "__Host-enamel_pending";

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(account::home))
        .route("/sign-in", get(signin::form).post(signin::submit))
        .route(
            "/sign-in/code",
            get(signin::code_form).post(signin::code_submit),
        )
        .route(
            "/sign-in/enroll",
            get(signin::enroll_form).post(signin::enroll_submit),
        )
        .route("/sign-out", post(signin::sign_out))
        .route(
            "/forgot-password",
            get(signin::forgot_form).post(signin::forgot_submit),
        )
        .route("/reset", get(signin::reset_form).post(signin::reset_submit))
        .route("/reset/{token}", get(signin::reset_form_with_token))
        .route(
            "/step-up",
            get(account::step_up_form).post(account::step_up_submit),
        )
        .route("/account/sessions", get(account::sessions))
        .route("/account/sessions/{id}/revoke", post(account::revoke))
        .route("/account/sign-out-everywhere", post(account::everywhere))
        .route("/admin/users", get(admin::users).post(admin::create))
        .route("/admin/users/{id}/{what}", post(admin::user_action))
        .route("/admin/roles", get(admin::roles).post(admin::set_cell))
        .route(
            "/admin/settings",
            get(settings::form).post(settings::set_time_zone),
        )
        .route(
            "/emergency",
            get(compliance::emergency_form).post(compliance::emergency_submit),
        )
        .route("/compliance/emergency", get(compliance::reviews))
        .route("/compliance/emergency/{id}", post(compliance::review))
        .route("/compliance/audit", get(compliance::audit))
        .route("/patients", get(patients::find).post(patients::find_submit))
        .route(
            "/patients/new",
            get(patients::new_form).post(patients::create),
        )
        .route("/patients/{id}", get(patients::face_sheet))
        .route(
            "/patients/{id}/edit",
            get(patients::edit_form).post(patients::save),
        )
        .route("/patients/{id}/deactivate", post(patients::deactivate))
        .route(
            "/patients/{id}/chart",
            get(chart::chart).post(chart::create),
        )
        .route(
            "/patients/{id}/chart/tooth-states",
            post(chart::record_tooth_state),
        )
        .route(
            "/patients/{id}/chart/{procedure}/complete",
            post(chart::complete),
        )
        .route(
            "/patients/{id}/chart/{procedure}/entered-in-error",
            post(chart::invalidate),
        )
        .route(
            "/patients/{id}/chart/{procedure}/addenda",
            post(chart::addendum),
        )
        .route("/patients/{id}/perio", get(perio::list).post(perio::start))
        .route("/patients/{id}/perio/compare", get(perio::compare))
        .route(
            "/patients/{id}/perio/{exam}",
            get(perio::exam).post(perio::save),
        )
        .route("/patients/{id}/perio/{exam}/close", post(perio::close))
        .route("/patients/{id}/notes", get(notes::notes).post(notes::write))
        .route("/patients/{id}/notes/templates", post(notes::add_template))
        .route("/patients/{id}/notes/{note}", post(notes::edit))
        .route("/patients/{id}/notes/{note}/sign", post(notes::sign))
        .route("/patients/{id}/notes/{note}/addenda", post(notes::addendum))
        .route("/patients/{id}/plans", get(plans::list).post(plans::create))
        .route("/patients/{id}/plans/new", get(plans::new_form))
        .route(
            "/patients/{id}/plans/{plan}",
            get(plans::show).post(plans::replace),
        )
        .route("/patients/{id}/plans/{plan}/edit", get(plans::edit_form))
        .route("/patients/{id}/plans/{plan}/present", post(plans::present))
        .route("/patients/{id}/plans/{plan}/decide", post(plans::decide))
        .route(
            "/patients/{id}/plans/{plan}/presentation",
            get(plans::presentation),
        )
        .route("/patients/{id}/plans/{plan}/accept", post(plans::accept))
        .route("/schedule", get(schedule::day))
        .route("/schedule/print", get(schedule::day_sheet))
        .route("/schedule/asap", get(schedule::asap))
        .route(
            "/schedule/book",
            get(schedule::book_form).post(schedule::book),
        )
        .route("/schedule/appointments/{id}", get(schedule::appointment))
        .route("/schedule/appointments/{id}/status", post(schedule::status))
        .route(
            "/schedule/appointments/{id}/move",
            post(schedule::move_appointment),
        )
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/static/patients.js", get(patients_js))
        .route("/static/chart.js", get(chart_js))
        .route("/static/perio.js", get(perio_js))
        .route("/static/notes.js", get(notes_js))
        .route("/static/present.js", get(present_js))
}

async fn css() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

async fn js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

async fn patients_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/patients.js"),
    )
}

async fn chart_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/chart.js"),
    )
}

async fn perio_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/perio.js"),
    )
}

async fn notes_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/notes.js"),
    )
}

async fn present_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/present.js"),
    )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    // No PHI in these files; the global no-store still applies, which is harmless.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// What the layout shows about the signed-in person.
#[derive(Debug, Clone)]
pub(crate) struct Nav {
    pub display_name: String,
    pub csrf: String,
    pub idle_seconds: i64,
    pub can_users: bool,
    pub can_audit: bool,
    pub can_patients: bool,
    pub can_settings: bool,
    pub can_schedule: bool,
    pub clinician: bool,
    /// The practice's zone: every time on a page is shown on its clock.
    pub time_zone: PracticeTz,
}

impl Nav {
    /// Unix milliseconds on the practice's clock, to the minute, with the zone's
    /// abbreviation (`2026-11-01 01:30 EDT`), which also tells apart the two 01:30s of a
    /// fall-back night.
    pub(crate) fn when(&self, ms: i64) -> String {
        when_in(&self.time_zone, ms)
    }
}

/// A signed-in person on a page. Without a live session the browser goes to the sign-in page.
#[derive(Debug, Clone)]
pub(crate) struct Staff {
    pub actor: Actor,
    pub nav: Nav,
}

impl Staff {
    /// Who recorded something, as this reader should read it: "you", "the system", or another
    /// account (by the start of its id: staff names are not on clinical pages).
    pub(crate) fn who(&self, id: &str) -> String {
        if Some(id) == self.actor.user_id() {
            "you".into()
        } else if id == "system" {
            "the system".into()
        } else {
            let short: String = id.chars().take(8).collect();
            format!("another staff member (account {short}\u{2026})")
        }
    }
}

impl FromRequestParts<App> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let to_sign_in = || Redirect::to("/sign-in").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        let safe = parts.method == axum::http::Method::GET;
        if !safe && !same_origin(parts) {
            return Err(page_error(AppError::Forbidden));
        }
        let actor = match app
            .resolve_session(&token, origin_of(parts, AccessMethod::Web))
            .await
        {
            Ok(actor) => actor,
            Err(AppError::Unauthenticated) => {
                return Err(Redirect::to("/sign-in?reason=ended").into_response());
            }
            Err(e) => return Err(page_error(e)),
        };
        let nav = nav_for(app, &actor).await.map_err(page_error)?;
        Ok(Staff { actor, nav })
    }
}

async fn nav_for(app: &App, actor: &Actor) -> Result<Nav, AppError> {
    let policy = app.policy(actor.practice_id()).await?;
    let roles = actor.roles();
    let idle = app.session_timeouts(actor).await?.idle_secs;
    let time_zone = app.practice_time(actor.practice_id()).await?;
    Ok(Nav {
        display_name: actor.display_name().to_string(),
        csrf: actor.csrf_token().unwrap_or_default(),
        idle_seconds: idle,
        can_users: policy.allows_any(roles, Category::UsersAndRoles, Action::View),
        can_audit: policy.allows_any(roles, Category::AuditLog, Action::View),
        can_patients: policy.allows_any(roles, Category::Demographics, Action::View),
        can_settings: policy.allows_any(roles, Category::PracticeSettings, Action::View),
        can_schedule: policy.allows_any(roles, Category::Schedule, Action::View),
        clinician: roles.iter().any(|r| r.is_clinician()),
        time_zone,
    })
}

/// Which of a patient's clinical pages the person's role may open (for links; each page's
/// room decides again). Not audited: it reads only the practice's role matrix.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClinicalLinks {
    /// The chart, or its billing view.
    pub chart: bool,
    pub perio: bool,
    pub notes: bool,
    pub plans: bool,
    /// Booking an appointment (schedule, create).
    pub book: bool,
}

pub(crate) async fn clinical_links(app: &App, actor: &Actor) -> Result<ClinicalLinks, AppError> {
    let policy = app.policy(actor.practice_id()).await?;
    let roles = actor.roles();
    let may = |category| policy.allows_any(roles, category, Action::View);
    Ok(ClinicalLinks {
        chart: may(Category::Charting) || may(Category::Billing),
        perio: may(Category::Charting),
        notes: may(Category::ClinicalNotes),
        plans: may(Category::TreatmentPlans) || may(Category::Billing),
        book: policy.allows_any(roles, Category::Schedule, Action::Create),
    })
}

/// The refusal page for a form whose anti-forgery token is not this session's, if it is not.
pub(crate) fn csrf_refusal(staff: &Staff, submitted: &str) -> Option<Response> {
    (!staff.actor.csrf_matches(submitted)).then(|| page_error(AppError::Forbidden))
}

pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_error(AppError::Internal(format!("template failed: {e}"))),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub nav: Option<Nav>,
    pub flash: Option<String>,
    pub heading: String,
    pub message: String,
    pub link: String,
    pub link_text: String,
}

/// A plain page for an error; the same words as the API's messages, never internal details.
pub(crate) fn page_error(e: AppError) -> Response {
    let (status, heading, message) = match &e {
        AppError::Forbidden => (
            StatusCode::FORBIDDEN,
            "Not available to your role",
            "Your role does not allow this. If you need it for a patient's care, ask the practice administrator, or use emergency access if you are a clinician.".to_string(),
        ),
        AppError::StepUpRequired => {
            return Redirect::to("/step-up").into_response();
        }
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "Not found",
            "There is nothing here. Check the address.".to_string(),
        ),
        AppError::Unauthenticated => {
            return Redirect::to("/sign-in").into_response();
        }
        AppError::Refused(why) => (StatusCode::CONFLICT, "This cannot be done", why.clone()),
        AppError::ScheduleWarning(sentences) => (
            StatusCode::CONFLICT,
            "This booking needs a second look",
            sentences.join(" "),
        ),
        AppError::ScheduleConflict(c) => {
            (StatusCode::CONFLICT, "That time is taken", c.message.clone())
        }
        AppError::Conflict => (
            StatusCode::CONFLICT,
            "Changed by someone else",
            "Someone else changed this record at the same time. Nothing was saved; open it again to see the current record.".to_string(),
        ),
        AppError::Invalid(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check the form",
            problems
                .iter()
                .map(|p| p.problem.as_ref())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        AppError::TooManyAttempts { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait",
            "Too many attempts. Please wait a few minutes and try again.".to_string(),
        ),
        other => {
            tracing::error!(error = %other, "page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator.".to_string(),
            )
        }
    };
    let page = MessagePage {
        nav: None,
        flash: None,
        heading: heading.into(),
        message,
        link: "/".into(),
        link_text: "Back to the start page".into(),
    };
    let html = page.render().unwrap_or_else(|_| message_fallback());
    (status, Html(html)).into_response()
}

fn message_fallback() -> String {
    "<!doctype html><title>Enamel</title><p>Something went wrong.</p>".into()
}

/// `Set-Cookie` for a session-type cookie; `max_age` 0 deletes it.
pub(crate) fn cookie_header(name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// `k=v&k=v` from the pairs whose value is not empty, each value percent-encoded (for links
/// that repeat a filter or a search, such as paging).
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Unix milliseconds in `tz`, to the minute, with the zone's abbreviation.
pub(crate) fn when_in(tz: &PracticeTz, ms: i64) -> String {
    tz.local(Instant::from_unix_ms(ms)).to_minute_string()
}

/// Whose record a clinical page shows, in its heading: "Family, Given (born YYYY-MM-DD)".
pub(crate) fn patient_heading(patient: Option<&enamel_app::ChartPatient>) -> Option<String> {
    patient.map(|p| {
        format!(
            "{}, {} (born {})",
            p.family_name, p.given_name, p.birth_date
        )
    })
}
