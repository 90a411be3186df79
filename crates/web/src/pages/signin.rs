//! Sign-in pages: password, then the code (or enrollment on the first sign-in), then a fresh
//! session cookie. The half-signed-in state rides in its own short-lived cookie.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::auth::NewSession;
use enamel_app::{App, AppError, RequestOrigin};
use enamel_domain::AccessMethod;
use serde::Deserialize;

use super::{
    MessagePage, Nav, PENDING_COOKIE, Staff, cookie_header, csrf_refusal, page_error, render,
};
use crate::SESSION_COOKIE;
use crate::auth::{cookie, origin_of};

/// The request's origin for the audit log (pages are the web door).
pub(crate) struct WebOrigin(pub RequestOrigin);

impl<S: Send + Sync> FromRequestParts<S> for WebOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(WebOrigin(origin_of(parts, AccessMethod::Web)))
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Option<Nav>,
    flash: Option<String>,
    error: Option<String>,
    username: String,
    demo: bool,
}

/// Whether the sign-in pages say that this is a demo with made-up data (and how to get a
/// code). When the database cannot be asked, they say nothing: the page still works, and
/// calling real records made up by mistake would be worse than a missing notice.
async fn demo_notice(app: &App) -> bool {
    match app.serves_only_demo_practices().await {
        Ok(demo) => demo,
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether this server is a demo");
            false
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    reason: Option<String>,
}

pub(crate) async fn form(State(app): State<App>, Query(q): Query<SignInQuery>) -> Response {
    let flash = match q.reason.as_deref() {
        Some("idle") | Some("ended") => Some(
            "You were signed out because the session ended or was inactive. This protects patients' privacy; please sign in again."
                .to_string(),
        ),
        Some("signed-out") => Some("You are signed out.".to_string()),
        Some("password-set") => Some("Your password is saved. Please sign in.".to_string()),
        _ => None,
    };
    render(&SignInPage {
        nav: None,
        flash,
        error: None,
        username: String::new(),
        demo: demo_notice(&app).await,
    })
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    username: String,
    password: String,
}

pub(crate) async fn submit(
    State(app): State<App>,
    WebOrigin(origin): WebOrigin,
    Form(f): Form<SignInForm>,
) -> Response {
    match app
        .sign_in_password(&f.username, &f.password, &origin)
        .await
    {
        Ok(pending) => {
            let target = if pending.enroll {
                "/sign-in/enroll"
            } else {
                "/sign-in/code"
            };
            let mut response = Redirect::to(target).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(PENDING_COOKIE, &pending.token, pending.expires_in_secs),
            );
            response
        }
        Err(e) => {
            let error = match e {
                AppError::SignInFailed => {
                    "The username or password is not right. Check them and try again."
                }
                AppError::TooManyAttempts { .. } => {
                    "Too many attempts. Please wait 15 minutes and try again, or ask your administrator."
                }
                AppError::Busy { .. } => "The server is busy. Please try again in a moment.",
                other => return page_error(other),
            };
            let mut response = render(&SignInPage {
                nav: None,
                flash: None,
                error: Some(error.into()),
                username: f.username.chars().take(100).collect(),
                demo: demo_notice(&app).await,
            });
            *response.status_mut() = match e {
                AppError::TooManyAttempts { .. } => axum::http::StatusCode::TOO_MANY_REQUESTS,
                _ => axum::http::StatusCode::UNAUTHORIZED,
            };
            response
        }
    }
}

#[derive(Template)]
#[template(path = "code.html")]
pub(crate) struct CodePage {
    pub nav: Option<Nav>,
    pub flash: Option<String>,
    pub heading: String,
    pub explanation: String,
    pub error: Option<String>,
    pub action: String,
    pub csrf: Option<String>,
    pub next: String,
    /// Shows the demo notice (on the sign-in code page of a demo server).
    pub demo: bool,
}

async fn sign_in_code_page(app: &App, error: Option<String>) -> Response {
    render(&CodePage {
        nav: None,
        flash: None,
        heading: "Enter your code".into(),
        explanation: "Open your authenticator app and enter the 6-digit code for Enamel. If you do not have your phone, enter one of your recovery codes.".into(),
        error,
        action: "/sign-in/code".into(),
        csrf: None,
        next: String::new(),
        demo: demo_notice(app).await,
    })
}

pub(crate) async fn code_form(State(app): State<App>, headers: HeaderMap) -> Response {
    if cookie(&headers, PENDING_COOKIE).is_none() {
        return Redirect::to("/sign-in").into_response();
    }
    sign_in_code_page(&app, None).await
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
}

/// Sets the session cookie and clears the pending one.
fn signed_in(session: &NewSession, target: &str) -> Response {
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, &session.token, session.absolute_secs),
    );
    headers.append(header::SET_COOKIE, cookie_header(PENDING_COOKIE, "", 0));
    response
}

pub(crate) async fn code_submit(
    State(app): State<App>,
    WebOrigin(origin): WebOrigin,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some(pending) = cookie(&headers, PENDING_COOKIE) else {
        return Redirect::to("/sign-in").into_response();
    };
    match app.sign_in_second_factor(&pending, &f.code, &origin).await {
        Ok(session) => signed_in(&session, "/"),
        Err(AppError::SecondFactorFailed) => {
            let mut r = sign_in_code_page(
                &app,
                Some(
                    "That code is not right. Use the current code from your app, or a recovery code."
                        .into(),
                ),
            )
            .await;
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            r
        }
        Err(AppError::Unauthenticated) => Redirect::to("/sign-in?reason=ended").into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "enroll.html")]
struct EnrollPage {
    nav: Option<Nav>,
    flash: Option<String>,
    qr_svg: String,
    secret: String,
    error: Option<String>,
}

async fn enroll_page(app: &App, pending: &str, error: Option<String>) -> Response {
    match app.begin_enrollment(pending).await {
        Ok(enrollment) => render(&EnrollPage {
            nav: None,
            flash: None,
            qr_svg: enrollment.qr_svg,
            secret: enrollment.secret_base32.to_string(),
            error,
        }),
        Err(AppError::Unauthenticated) => Redirect::to("/sign-in?reason=ended").into_response(),
        Err(e) => page_error(e),
    }
}

pub(crate) async fn enroll_form(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(pending) = cookie(&headers, PENDING_COOKIE) else {
        return Redirect::to("/sign-in").into_response();
    };
    enroll_page(&app, &pending, None).await
}

#[derive(Template)]
#[template(path = "recovery.html")]
struct RecoveryPage {
    nav: Option<Nav>,
    flash: Option<String>,
    codes: Vec<String>,
}

pub(crate) async fn enroll_submit(
    State(app): State<App>,
    WebOrigin(origin): WebOrigin,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some(pending) = cookie(&headers, PENDING_COOKIE) else {
        return Redirect::to("/sign-in").into_response();
    };
    match app.finish_enrollment(&pending, &f.code, &origin).await {
        Ok(session) => {
            // Shown once, in this answer; the next page load cannot show them again.
            let mut response = render(&RecoveryPage {
                nav: None,
                flash: Some("Two-step sign-in is set up.".into()),
                codes: session.recovery_codes.clone(),
            });
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookie_header(SESSION_COOKIE, &session.token, session.absolute_secs),
            );
            headers.append(header::SET_COOKIE, cookie_header(PENDING_COOKIE, "", 0));
            response
        }
        Err(AppError::SecondFactorFailed) => {
            let mut r = enroll_page(
                &app,
                &pending,
                Some("That code is not right. Check that your phone's time is correct and enter the code shown now.".into()),
            )
            .await;
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            r
        }
        Err(AppError::Unauthenticated) => Redirect::to("/sign-in?reason=ended").into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

pub(crate) async fn sign_out(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    if let Err(e) = app.sign_out(&staff.actor).await {
        return page_error(e);
    }
    let mut response = Redirect::to("/sign-in?reason=signed-out").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0));
    response
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    nav: Option<Nav>,
    flash: Option<String>,
}

pub(crate) async fn forgot_form() -> Response {
    render(&ForgotPage {
        nav: None,
        flash: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    username: String,
}

pub(crate) async fn forgot_submit(
    State(app): State<App>,
    WebOrigin(origin): WebOrigin,
    Form(f): Form<ForgotForm>,
) -> Response {
    if let Err(e) = app.request_password_reset(&f.username, &origin).await {
        return page_error(e);
    }
    render(&MessagePage {
        nav: None,
        flash: None,
        heading: "Request sent".into(),
        message: "If that username belongs to an account, your practice's administrator has been told and will give you a link to choose a new password.".into(),
        link: "/sign-in".into(),
        link_text: "Back to sign-in".into(),
    })
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    nav: Option<Nav>,
    flash: Option<String>,
    token: String,
    error: Option<String>,
}

/// The page a setup or reset link opens. Links carry their secret after `#`
/// (`/reset#enr_…`): a browser never sends the fragment, so the secret reaches no server log,
/// proxy or `Referer`; `app.js` moves it into the form and clears it from the address bar.
pub(crate) async fn reset_form() -> Response {
    render(&ResetPage {
        nav: None,
        flash: None,
        token: String::new(),
        error: None,
    })
}

/// Links issued before the secret moved after `#` (`/reset/enr_…`) keep working until they
/// expire; the request log names only the route's template.
pub(crate) async fn reset_form_with_token(Path(token): Path<String>) -> Response {
    render(&ResetPage {
        nav: None,
        flash: None,
        token: token.chars().take(128).collect(),
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    token: String,
    new_password: String,
}

pub(crate) async fn reset_submit(
    State(app): State<App>,
    WebOrigin(origin): WebOrigin,
    Form(f): Form<ResetForm>,
) -> Response {
    match app
        .complete_password_reset(&f.token, &f.new_password, &origin)
        .await
    {
        Ok(()) => Redirect::to("/sign-in?reason=password-set").into_response(),
        Err(AppError::Invalid(problems)) => {
            let mut r = render(&ResetPage {
                nav: None,
                flash: None,
                token: f.token.chars().take(128).collect(),
                error: Some(
                    problems
                        .iter()
                        .map(|p| p.problem.as_ref())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            });
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        Err(AppError::LinkInvalid) => {
            let mut r = render(&MessagePage {
                nav: None,
                flash: None,
                heading: "This link cannot be used".into(),
                message:
                    "It has already been used or has expired. Ask your administrator for a new one."
                        .into(),
                link: "/sign-in".into(),
                link_text: "Back to sign-in".into(),
            });
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => page_error(e),
    }
}
