//! `identita user add|list|set-password`.

use std::io::BufRead;

use clap::{Args, Subcommand};

use super::{CliError, print};
use crate::authn::Authn;
use crate::model::{Profile, User};
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add(AddUser),
    List,
    /// Set a new password (from --password or one line of standard input).
    SetPassword {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AddUser {
    pub username: String,
    /// The password; read from one line of standard input when absent.
    #[arg(long)]
    pub password: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub given_name: Option<String>,
    #[arg(long)]
    pub family_name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// Any further standard claims as a JSON object; the flags above override it.
    #[arg(long)]
    pub profile: Option<String>,
}

fn password_or_stdin(password: Option<String>) -> Result<String, CliError> {
    let password = match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError(format!("reading the password: {e}")))?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    if password.is_empty() {
        return Err(CliError::new("the password must not be empty"));
    }
    Ok(password)
}

/// Creates a user record (the password hashed).
pub async fn create(
    provider: &Provider,
    authn: &Authn,
    username: &str,
    password: &str,
    profile: Profile,
) -> Result<User, CliError> {
    if username.trim().is_empty() || username.len() > 256 {
        return Err(CliError::new("the username must be 1 to 256 characters"));
    }
    let now = provider.now();
    let hash = authn.passwords.hash(password).await.map_err(|e| CliError(e.to_string()))?;
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.trim().to_owned(),
        password_hash: hash,
        profile,
        updated_at: now,
        created_at: now,
        disabled: false,
    };
    provider.stores.users.insert(&user).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => CliError(format!("the username {username} is taken")),
        other => other.into(),
    })?;
    Ok(user)
}

pub async fn run(provider: &Provider, authn: &Authn, cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Add(add) => {
            let mut profile: Profile = match &add.profile {
                Some(json) => serde_json::from_str(json).map_err(|e| CliError(format!("--profile: {e}")))?,
                None => Profile::default(),
            };
            profile.name = add.name.or(profile.name);
            profile.given_name = add.given_name.or(profile.given_name);
            profile.family_name = add.family_name.or(profile.family_name);
            profile.email = add.email.or(profile.email);
            profile.phone_number = add.phone.or(profile.phone_number);
            let password = password_or_stdin(add.password)?;
            let user = create(provider, authn, &add.username, &password, profile).await?;
            print(&user)
        }
        UserCommand::List => print(&provider.stores.users.list().await?),
        UserCommand::SetPassword { username, password } => {
            let mut user = provider
                .stores
                .users
                .find_by_username(&username)
                .await?
                .ok_or_else(|| CliError(format!("no user {username}")))?;
            let password = password_or_stdin(password)?;
            user.password_hash = authn.passwords.hash(&password).await.map_err(|e| CliError(e.to_string()))?;
            user.updated_at = provider.now();
            provider.stores.users.update(&user).await?;
            print(&serde_json::json!({ "username": user.username, "password": "changed" }))
        }
    }
}
