//! `enamel users …`: the host operator's way to help a staff member back in when no
//! administrator of their practice may (a practice administrator cannot reset the
//! authenticator of someone who reads the audit log: separation of duties).

use std::process::ExitCode;

use anyhow::{Result, bail};
use enamel_app::AppError;

use crate::cli::{GlobalArgs, UsersCommand};
use crate::{commands, output, setup};

pub async fn users(global: &GlobalArgs, command: &UsersCommand) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    match command {
        UsersCommand::ResetLink {
            practice,
            username,
            second_factor,
        } => {
            let app = setup::open_app(&config).await?;
            let Some(id) = commands::selected(app.practices().await?, Some(practice))?
                .into_iter()
                .next()
            else {
                bail!("there is no practice with id {practice}");
            };
            let link = match app
                .issue_password_reset_as_system(id, username, *second_factor)
                .await
            {
                Ok(link) => link,
                Err(AppError::NotFound) => {
                    bail!("practice {practice} has no account with that username")
                }
                Err(e) => return Err(e.into()),
            };
            if *second_factor {
                output::line(
                    "Their authenticator, recovery codes and password no longer work; every session of theirs has ended.",
                );
            }
            output::line(&format!(
                "They choose a new password at https://<this server>/reset#{} (valid for one hour, once){}",
                link.setup_token.as_str(),
                if *second_factor {
                    ", then set up their authenticator app at the next sign-in."
                } else {
                    "."
                }
            ));
            output::line("Hand the link to them in person or by phone, never by e-mail.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
