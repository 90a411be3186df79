//! User administration and the role matrix. Every change needs a fresh second factor: when
//! it is missing the person is sent to the step-up page and back.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::auth::NewUser;
use enamel_app::{App, AppError};
use enamel_domain::{Action, Category, Policy, PolicyCell, Role};
use serde::Deserialize;

use super::{Nav, Staff, csrf_refusal, page_error, render};

struct UserRow {
    id: String,
    username: String,
    display_name: String,
    roles: String,
    active: bool,
    mfa_enrolled: bool,
    reset_requested: bool,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    users: Vec<UserRow>,
    role_options: Vec<(&'static str, &'static str)>,
    link: Option<String>,
    error: Option<String>,
}

async fn users_page(
    app: &App,
    staff: Staff,
    link: Option<String>,
    error: Option<String>,
) -> Response {
    let users = match app.list_users(&staff.actor).await {
        Ok(u) => u,
        Err(e) => return page_error(e),
    };
    let me = staff.actor.user_id().map(str::to_string);
    render(&UsersPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        users: users
            .into_iter()
            .map(|u| UserRow {
                is_me: me.as_deref() == Some(u.id.as_str()),
                roles: u
                    .roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                active: u.active,
                mfa_enrolled: u.mfa_enrolled,
                reset_requested: u.reset_requested_ms.is_some(),
            })
            .collect(),
        role_options: Role::STAFF
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        link,
        error,
    })
}

pub(crate) async fn users(State(app): State<App>, staff: Staff) -> Response {
    users_page(&app, staff, None, None).await
}

/// Step-up first (and back here), plain words for refusals, the rest as an error page.
async fn after_change(
    app: &App,
    staff: Staff,
    result: Result<Option<String>, AppError>,
) -> Response {
    match result {
        Ok(link) => users_page(app, staff, link, None).await,
        Err(AppError::StepUpRequired) => Redirect::to("/step-up?next=/admin/users").into_response(),
        Err(AppError::Refused(why)) => users_page(app, staff, None, Some(why)).await,
        Err(AppError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| p.problem.as_ref())
                .collect::<Vec<_>>()
                .join(" ");
            users_page(app, staff, None, Some(text)).await
        }
        Err(e) => page_error(e),
    }
}

/// The secret goes after `#`, which browsers never send: see `signin::reset_form`.
fn link_for(token: &str) -> String {
    format!("/reset#{token}")
}

#[derive(Deserialize)]
pub(crate) struct NewUserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
}

pub(crate) async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<NewUserForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let Some(role) = Role::parse(&f.role) else {
        return page_error(AppError::Forbidden);
    };
    let result = app
        .create_user(
            &staff.actor,
            &NewUser {
                username: f.username,
                display_name: f.display_name,
                roles: vec![role],
            },
        )
        .await
        .map(|c| Some(link_for(&c.setup_token)));
    after_change(&app, staff, result).await
}

#[derive(Deserialize)]
pub(crate) struct UserActionForm {
    csrf: String,
    role: Option<String>,
}

pub(crate) async fn user_action(
    State(app): State<App>,
    staff: Staff,
    Path((id, what)): Path<(String, String)>,
    Form(f): Form<UserActionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let actor = &staff.actor;
    let result = match what.as_str() {
        "disable" => app.disable_user(actor, &id).await.map(|()| None),
        "enable" => app.enable_user(actor, &id).await.map(|()| None),
        "reset" => app
            .issue_password_reset(actor, &id, false)
            .await
            .map(|c| Some(link_for(&c.setup_token))),
        "roles" => match f.role.as_deref().and_then(Role::parse) {
            Some(role) => app.set_user_roles(actor, &id, &[role]).await.map(|()| None),
            None => Err(AppError::Refused("Choose a role.".into())),
        },
        _ => Err(AppError::NotFound),
    };
    after_change(&app, staff, result).await
}

struct Cell {
    key: String,
    label: String,
    allowed: bool,
    locked: bool,
}

struct MatrixRow {
    role_label: &'static str,
    cells: Vec<Cell>,
}

struct MatrixTable {
    category: &'static str,
    rows: Vec<MatrixRow>,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    actions: Vec<&'static str>,
    tables: Vec<MatrixTable>,
    error: Option<String>,
}

async fn roles_page(app: &App, staff: Staff, error: Option<String>) -> Response {
    let view = match app.view_policy(&staff.actor).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let tables = Category::ALL
        .iter()
        .map(|c| MatrixTable {
            category: c.label(),
            rows: Role::STAFF
                .iter()
                .map(|r| MatrixRow {
                    role_label: r.label(),
                    cells: Action::ALL
                        .iter()
                        .map(|a| {
                            let allowed = view.policy.allows(*r, *c, *a);
                            Cell {
                                key: format!("{}:{}:{}", r.as_str(), c.as_str(), a.as_str()),
                                label: format!(
                                    "{}: {} {} ({})",
                                    r.label(),
                                    a.label(),
                                    c.label(),
                                    if allowed {
                                        "allowed; select to refuse"
                                    } else {
                                        "refused; select to allow"
                                    }
                                ),
                                allowed,
                                locked: Policy::is_locked(*r, *c, *a),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    render(&RolesPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        actions: Action::ALL.iter().map(|a| a.label()).collect(),
        tables,
        error,
    })
}

pub(crate) async fn roles(State(app): State<App>, staff: Staff) -> Response {
    roles_page(&app, staff, None).await
}

#[derive(Deserialize)]
pub(crate) struct CellForm {
    csrf: String,
    cell: String,
    allowed: String,
}

pub(crate) async fn set_cell(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<CellForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let mut parts = f.cell.split(':');
    let cell = match (
        parts.next().and_then(Role::parse),
        parts.next().and_then(Category::parse),
        parts.next().and_then(Action::parse),
    ) {
        (Some(role), Some(category), Some(action)) => PolicyCell {
            role,
            category,
            action,
            allowed: f.allowed == "true",
        },
        _ => return page_error(AppError::NotFound),
    };
    match app.set_policy_cell(&staff.actor, cell).await {
        Ok(()) => Redirect::to("/admin/roles").into_response(),
        Err(AppError::StepUpRequired) => Redirect::to("/step-up?next=/admin/roles").into_response(),
        Err(AppError::Refused(why)) => roles_page(&app, staff, Some(why)).await,
        Err(e) => page_error(e),
    }
}
