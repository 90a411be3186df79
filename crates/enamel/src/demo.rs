//! `enamel demo`: a practice of made-up patients with one account per staff role, their
//! authenticators already set up, served at once; and `enamel demo code USERNAME`, which
//! prints one of those accounts' current sign-in code, so that a newcomer can sign in without
//! adding the demo to an authenticator app first.
//!
//! The demo practice is marked in the database (`practices.demo`), set only here. That marker,
//! not the sign-ins file, decides whether `demo code` answers: a copy of `demo-accounts.json`
//! placed beside a real practice gets a refusal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use enamel_app::{App, Clock, NewPractice, Patients, RequestOrigin, SystemClock, SystemReason};
use enamel_domain::{PatientDraft, PatientId, PracticeId, Role};

use crate::cli::{DemoArgs, DemoCommand, GlobalArgs};
use crate::demo_chart::{self, Providers};
use crate::demo_clinical::DemoPatient;
use crate::{commands, output, serve, setup, time_zone};

/// The demo practice's name, shown on its pages.
pub const DEMO_PRACTICE_NAME: &str = "Demo Dental (synthetic data)";
/// Synthetic patients created for the demo.
const DEMO_PATIENTS: usize = 300;
/// Where the demo's sign-ins are written, in the data folder. The name and the fields are a
/// contract: the browser tests read this file.
const ACCOUNTS_FILE: &str = "demo-accounts.json";

/// One demo sign-in, as written to `demo-accounts.json`.
#[derive(serde::Serialize, serde::Deserialize)]
struct DemoAccount {
    role: String,
    username: String,
    password: String,
    totp_secret: String,
}

/// The parts of `demo-accounts.json` read back.
#[derive(serde::Deserialize)]
struct AccountsFile {
    practice_id: String,
    accounts: Vec<DemoAccount>,
}

fn read_accounts_file(path: &Path) -> Option<AccountsFile> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub async fn demo(global: &GlobalArgs, args: &DemoArgs) -> Result<ExitCode> {
    if let Some(DemoCommand::Code { username }) = &args.command {
        return code(global, username).await;
    }
    let config = setup::load_config(global, args.serve.listen.as_deref())?;
    setup::init_logging(&config);
    // Checked before anything is written, so a mistyped zone leaves no half-made folder.
    let (zone, zone_note) = time_zone::choose(
        args.time_zone.as_deref(),
        time_zone::host_zone_name().as_deref(),
    )?;
    let app = commands::prepare(&config).await?;
    let accounts_path = config.data_dir.join(ACCOUNTS_FILE);
    let (practice_id, accounts, charts) = match existing_demo(&app, &accounts_path).await? {
        Some((id, accounts)) => {
            // A demo folder made before Enamel had charts: its practice gets the demo codes.
            let system =
                app.system_bypassing_policy(id, SystemReason::DemoData, RequestOrigin::cli());
            demo_chart::load_codes_if_none(&system.chart()).await?;
            (id, accounts, None)
        }
        None => {
            let id = app
                .create_demo_practice(
                    &NewPractice {
                        display_name: DEMO_PRACTICE_NAME.into(),
                        time_zone: zone,
                    },
                    RequestOrigin::cli(),
                )
                .await?;
            let system =
                app.system_bypassing_policy(id, SystemReason::DemoData, RequestOrigin::cli());
            if let Some(note) = &zone_note {
                output::line(note);
            }
            let patients = create_demo_patients(&system.patients()).await?;
            let (accounts, providers) = create_demo_accounts(&app, id).await?;
            demo_chart::load_codes_if_none(&system.chart()).await?;
            serve::checkpoint_now(&app, &config).await?;
            // About sixteen writes per patient (the chart, then perio exams, signed notes and
            // a treatment plan), a few seconds in all: done while the server already answers,
            // and finished before it stops.
            let charts = serve::Beside {
                task: tokio::spawn(demo_chart::fill(app.clone(), id, patients, providers)),
                until: "the made-up charts are written",
            };
            (id, accounts, Some(charts))
        }
    };
    let data_dir = config.data_dir.clone();
    let zone_name = app.practice_time(practice_id).await?.name().to_string();
    let code_command = code_command(global);
    let filling = charts.is_some();
    serve::serve(app, &config, charts, |bound| {
        let url = format!("https://{}:{}", commands::display_host(bound), bound.port());
        let file = serde_json::json!({
            "practice_id": practice_id.to_string(),
            "practice_name": DEMO_PRACTICE_NAME,
            "url": url,
            "accounts": accounts,
        });
        let written = serde_json::to_vec_pretty(&file)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| setup::replace_private_file(&accounts_path, &bytes));
        output::line(&format!("Enamel demo is running at {url}"));
        output::line(&format!(
            "  Practice: {DEMO_PRACTICE_NAME}, {DEMO_PATIENTS} made-up patients, time zone {zone_name}"
        ));
        output::line(&format!("  Data folder: {}", data_dir.display()));
        match written {
            Ok(()) => output::line(&format!("  Demo sign-ins: {}", accounts_path.display())),
            Err(e) => output::line(&format!("  Could not write the demo sign-ins: {e:#}")),
        }
        if !accounts.is_empty() {
            output::line("");
            output::line(&sign_in_table(&accounts));
            output::line(&format!(
                "  For the 6-digit code, run this in another terminal: {code_command}"
            ));
            output::line("");
        }
        output::line("  The certificate is self-signed: your browser will ask you to accept it.");
        if filling {
            output::line(
                "  The made-up patients' charts are being filled in; a line will say when that is done.",
            );
        }
        output::line("  Press Ctrl-C to stop.");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The demo practice of an earlier start, with the sign-ins written then.
async fn existing_demo(
    app: &App,
    accounts_path: &Path,
) -> Result<Option<(PracticeId, Vec<DemoAccount>)>> {
    let saved = read_accounts_file(accounts_path);
    let practices = app.practices().await?;
    let parse = |id: &str| -> Result<PracticeId> {
        id.parse()
            .map_err(|_| anyhow!("the demo practice's id is damaged"))
    };
    let accounts = |saved: Option<AccountsFile>| saved.map(|f| f.accounts).unwrap_or_default();
    if let Some(p) = practices.iter().find(|p| p.demo) {
        return Ok(Some((parse(&p.id)?, accounts(saved))));
    }
    // A demo folder from before practices carried the marker: its practice has the demo's
    // name and is the one its sign-ins file names. From now on it is marked.
    let older = practices.iter().find(|p| {
        p.display_name == DEMO_PRACTICE_NAME
            && saved.as_ref().is_some_and(|f| f.practice_id == p.id)
    });
    match older {
        Some(p) => {
            let id = parse(&p.id)?;
            app.mark_demo_practice(id, RequestOrigin::cli()).await?;
            Ok(Some((id, accounts(saved))))
        }
        None => Ok(None),
    }
}

/// Creates one account per staff role with a random password and an enrolled TOTP secret;
/// the dentist's and the hygienist's accounts are the providers of the demo charts.
async fn create_demo_accounts(
    app: &App,
    practice_id: PracticeId,
) -> Result<(Vec<DemoAccount>, Providers)> {
    let mut out = Vec::new();
    let mut providers = Providers::default();
    for role in Role::STAFF {
        let username = role.as_str().replace('_', "-");
        let (token, _) = enamel_crypto::OpaqueToken::generate("")?;
        // Words a person can type, plus randomness: "demo-" and 16 random characters.
        let password = format!("demo-{}", &token[..16]);
        let secret = enamel_crypto::TotpSecret::generate()?;
        let created = app
            .create_user_as_system(
                practice_id,
                &enamel_app::auth::NewUser {
                    username: username.clone(),
                    display_name: format!("Demo {}", role.label().to_lowercase()),
                    roles: vec![*role],
                },
                Some(&password),
                Some(&secret),
            )
            .await?;
        match role {
            Role::Dentist => providers.dentist = Some(created.user_id),
            Role::Hygienist => providers.hygienist = Some(created.user_id),
            _ => {}
        }
        out.push(DemoAccount {
            role: role.as_str().into(),
            username,
            password,
            totp_secret: secret.to_base32(),
        });
    }
    Ok((out, providers))
}

/// The demo's synthetic households: guarantors first, then the people they pay for (minors
/// with the guarantor as responsible party). Returns every patient, as the background job
/// needs them (their synthetic name, and a minor's responsible party).
async fn create_demo_patients(patients: &Patients<'_>) -> Result<Vec<DemoPatient>> {
    let households = enamel_domain::synthetic::households(DEMO_PATIENTS, 2026);
    let guarantors: Vec<_> = households.iter().map(|h| h.guarantor.clone()).collect();
    let guarantor_ids = patients.create_many(&guarantors).await?;
    let demo_patient =
        |id: PatientId, draft: &PatientDraft, responsible: Option<String>| DemoPatient {
            id,
            name: full_name(draft),
            responsible_party: responsible,
        };
    let mut out: Vec<DemoPatient> = guarantor_ids
        .iter()
        .zip(&guarantors)
        .map(|(id, g)| demo_patient(*id, g, None))
        .collect();
    let mut members = Vec::new();
    let mut responsible = Vec::new();
    for (household, guarantor) in households.iter().zip(&guarantor_ids) {
        for (member, minor) in &household.members {
            let mut member = member.clone();
            member.guarantor_id = Some(guarantor.to_string());
            if *minor {
                member.responsible_party_id = Some(guarantor.to_string());
            }
            members.push(member);
            responsible.push(minor.then(|| full_name(&household.guarantor)));
        }
    }
    let member_ids = patients.create_many(&members).await?;
    out.extend(
        member_ids
            .iter()
            .zip(members.iter().zip(responsible))
            .map(|(id, (m, r))| demo_patient(*id, m, r)),
    );
    Ok(out)
}

fn full_name(draft: &PatientDraft) -> String {
    format!("{} {}", draft.given_name, draft.family_name)
}

/// The sign-ins as a plain table: username, role, password (never the TOTP secret).
fn sign_in_table(accounts: &[DemoAccount]) -> String {
    fn role_label(text: &str) -> &str {
        match Role::parse(text) {
            Some(role) => role.label(),
            None => text,
        }
    }
    let rows: Vec<[&str; 3]> = accounts
        .iter()
        .map(|a| {
            [
                a.username.as_str(),
                role_label(&a.role),
                a.password.as_str(),
            ]
        })
        .collect();
    let header = ["Username", "Role", "Password"];
    let width = |column: usize| {
        rows.iter()
            .map(|r| r[column].chars().count())
            .chain([header[column].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut out = String::from("  Sign in with one of these (made-up accounts, one per role):\n");
    for [username, role, password] in std::iter::once(header).chain(rows) {
        out.push_str(&format!("    {username:<w0$}  {role:<w1$}  {password}\n"));
    }
    out.trim_end().to_string()
}

/// How to run `demo code` against this same demo: the program as it was started (so that
/// `./target/release/enamel` works where `enamel` is not installed), with the same folder
/// and settings file.
fn code_command(global: &GlobalArgs) -> String {
    let program = std::env::args_os()
        .next()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty() && !p.contains(char::is_whitespace))
        .unwrap_or_else(|| "enamel".into());
    let mut command = format!("{program} demo code USERNAME");
    let mut add = |flag: &str, path: &Option<PathBuf>| {
        if let Some(path) = path {
            command.push_str(&format!(" {flag} {}", path.display()));
        }
    };
    add("--data-dir", &global.data_dir);
    add("--config", &global.config);
    command
}

/// `enamel demo code USERNAME`: the account's current six-digit code, for the demo practice
/// only.
async fn code(global: &GlobalArgs, username: &str) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    let not_a_demo = "this is not a demo practice. `enamel demo code` gives codes only for the \
                      practice `enamel demo` set up; staff of a real practice use their own \
                      authenticator app";
    // A mistyped folder must not be left behind as a new, empty database.
    if config.database.url.starts_with("sqlite:") && !config.data_dir.exists() {
        bail!(
            "there is no Enamel data folder at {}; start the demo with `enamel demo`, or give \
             its folder with --data-dir",
            config.data_dir.display()
        );
    }
    let db = setup::open_db(&config).await?;
    if !db.schema_is_current().await? {
        bail!(
            "the database is not set up for this version of Enamel; start the demo with `enamel demo` (it brings its database up to date)"
        );
    }
    let demo_ids: Vec<String> = db
        .practices()
        .await?
        .into_iter()
        .filter(|p| p.demo)
        .map(|p| p.id)
        .collect();
    db.close().await;
    if demo_ids.is_empty() {
        bail!("{not_a_demo}");
    }
    let path = config.data_dir.join(ACCOUNTS_FILE);
    let Some(file) = read_accounts_file(&path) else {
        bail!(
            "cannot read the demo sign-ins ({}); start the demo with `enamel demo` to write them again",
            path.display()
        );
    };
    if !demo_ids.contains(&file.practice_id) {
        bail!(
            "{} is not the sign-ins file of this folder's demo; start the demo with `enamel demo` to write it again",
            path.display()
        );
    }
    let wanted = enamel_app::auth::normalize_username(username);
    let Some(account) = file.accounts.iter().find(|a| a.username == wanted) else {
        let known: Vec<&str> = file.accounts.iter().map(|a| a.username.as_str()).collect();
        bail!(
            "there is no demo account {:?}. The demo accounts are: {}",
            username.chars().take(64).collect::<String>(),
            known.join(", ")
        );
    };
    let secret = enamel_crypto::TotpSecret::from_base32(&account.totp_secret).map_err(|_| {
        anyhow!(
            "the demo sign-ins file {} is damaged; start the demo with `enamel demo` to write it again",
            path.display()
        )
    })?;
    let now_secs = u64::try_from(SystemClock.now_ms().div_euclid(1000))
        .map_err(|_| anyhow!("this computer's clock is set before 1970"))?;
    output::line(&enamel_crypto::totp_code(&secret, now_secs));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn account(role: &str, username: &str) -> DemoAccount {
        DemoAccount {
            role: role.into(),
            username: username.into(),
            password: "demo-0123456789abcdef".into(),
            totp_secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into(),
        }
    }

    #[test]
    fn the_table_lists_username_role_and_password_but_never_the_secret() {
        let table = sign_in_table(&[
            account("front_desk", "front-desk"),
            account("practice_administrator", "practice-administrator"),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[1].contains("Username") && lines[1].contains("Password"));
        assert!(lines[2].contains("front-desk") && lines[2].contains("Front desk"));
        assert!(lines[2].ends_with("demo-0123456789abcdef"), "{table}");
        // Columns line up: every password starts at the same place.
        let at = |l: &str| l.find("demo-0123").unwrap();
        assert_eq!(at(lines[2]), at(lines[3]), "{table}");
        assert!(!table.contains("GEZD"), "{table}");
    }
}
