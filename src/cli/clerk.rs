//! `identita clerk add|list|roles|disable|enable|token`: the back office's clerks, managed by the
//! operator (an administrator); each decision is recorded in the audit log as the operator's
//! ([`super::audit::operator_actor`]). A password is read from a file or standard input, never
//! from an argument (which the process list and the shell's history would show).

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::audit::operator_actor;
use super::{CliError, print};
use crate::authn::Authn;
use crate::model::clerk::ClerkView;
use crate::oidc::Provider;
use crate::validation::clerks::{self, ClerkError, NewClerk, Places};

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Add a clerk: a login, a name, where the login code goes (--phone or --email), roles
    /// (czech_point, validation_desk, administrator), and a password (--password-file or
    /// --password-stdin).
    Add(AddArgs),
    /// Every clerk (never their password).
    List,
    /// Give a clerk exactly these roles.
    Roles {
        login: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Disable a clerk: they can no longer log in, and their sessions and tokens stop acting.
    Disable { login: String },
    /// Enable a disabled clerk again.
    Enable { login: String },
    /// Make an API token acting as the clerk, with the clerk's roles, for scripts: printed once
    /// (send it as `Authorization: Bearer …` to /api/admin/v1), kept only as its digest.
    Token { login: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub login: String,
    #[arg(long)]
    pub name: String,
    /// A phone (+420…) to text the login code to.
    #[arg(long, conflicts_with = "email")]
    pub phone: Option<String>,
    /// An e-mail address to send the login code to.
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// Read the password from the first line of this file.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

impl AddArgs {
    fn password(&self) -> Result<String, CliError> {
        let read = |reader: &mut dyn BufRead, from: &str| {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| CliError(format!("reading the password from {from}: {e}")))?;
            Ok::<_, CliError>(line.trim_end_matches(['\r', '\n']).to_owned())
        };
        match (&self.password_file, self.password_stdin) {
            (Some(path), _) => {
                let file = std::fs::File::open(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?;
                read(&mut std::io::BufReader::new(file), &path.display().to_string())
            }
            (None, true) => read(&mut std::io::stdin().lock(), "standard input"),
            (None, false) => Err(CliError::new("give the password with --password-file FILE or --password-stdin")),
        }
    }
}

impl From<ClerkError> for CliError {
    fn from(e: ClerkError) -> Self {
        CliError(e.to_string())
    }
}

pub async fn run(provider: &Provider, authn: &Authn, cmd: ClerkCommand) -> Result<(), CliError> {
    let places = Places { clerks: &*provider.stores.clerks, audit: &*provider.stores.audit };
    let actor = operator_actor();
    let now = provider.now();
    let view = |clerk: &crate::model::Clerk| ClerkView::from(clerk);
    match cmd {
        ClerkCommand::Add(args) => {
            let new = NewClerk {
                login: args.login.clone(),
                name: args.name.clone(),
                phone: args.phone.clone(),
                email: args.email.clone(),
                roles: args.roles.clone(),
                password: args.password()?,
            };
            let clerk = clerks::add(&places, &authn.passwords, &actor, new, now).await?;
            print(&view(&clerk))
        }
        ClerkCommand::List => {
            let all = clerks::list(places.clerks, &actor).await?;
            print(&all.iter().map(view).collect::<Vec<_>>())
        }
        ClerkCommand::Roles { login, roles } => {
            print(&view(&clerks::set_roles(&places, &actor, &login, &roles, now).await?))
        }
        ClerkCommand::Disable { login } => {
            print(&view(&clerks::set_disabled(&places, &actor, &login, true, now).await?))
        }
        ClerkCommand::Enable { login } => {
            print(&view(&clerks::set_disabled(&places, &actor, &login, false, now).await?))
        }
        ClerkCommand::Token { login } => {
            let token = clerks::make_token(&places, &actor, &login, now).await?;
            print(&json!({ "login": login, "token": token }))
        }
    }
}
