//! `identita user add|list|set-password|disable|enable|remove`.
//!
//! Disabling an account ends its sessions (with back-channel logout to the clients that have
//! it) and revokes every token issued to it, offline ones included; its login is refused with
//! the same answer as a wrong password. Removing an account does the same, then deletes it with
//! its consents: nothing of it is left to resume. Its `sub` is a random id never given again, so
//! a relying party that still holds it cannot mistake a later account for it.

use std::io::{BufRead, IsTerminal};

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
    /// Set a new password (--password, --password-stdin, or typed at a prompt).
    SetPassword {
        username: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Refuse the account's logins from now on: its sessions end and its tokens are revoked.
    Disable {
        username: String,
    },
    /// Let a disabled account log in again.
    Enable {
        username: String,
    },
    /// Set the account's phone number; a Czech mobile number (+420 6…/7…) is NIA ID's, where its
    /// SMS codes go. An empty number removes it.
    SetPhone {
        username: String,
        phone: String,
    },
    /// Delete the account, ending its sessions and revoking its tokens and consents.
    Remove {
        username: String,
    },
}

/// Where a password comes from; with neither flag, it is typed twice at a prompt (not echoed).
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The password (visible in the process list and the shell's history: prefer the prompt or
    /// --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct AddUser {
    pub username: String,
    #[command(flatten)]
    pub password: PasswordArgs,
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
    /// The date of birth: YYYY-MM-DD (or YYYY, or 0000-MM-DD without the year).
    #[arg(long)]
    pub birthdate: Option<String>,
    /// Any further standard claims as a JSON object; the flags above override it.
    #[arg(long)]
    pub profile: Option<String>,
}

impl PasswordArgs {
    fn read(self) -> Result<String, CliError> {
        let password = match (self.password, self.password_stdin) {
            (Some(p), _) => p,
            (None, true) => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| CliError(format!("reading the password: {e}")))?;
                line.trim_end_matches(['\n', '\r']).to_owned()
            }
            (None, false) => prompt()?,
        };
        if password.is_empty() {
            return Err(CliError::new("the password must not be empty"));
        }
        Ok(password)
    }
}

/// The password typed twice at the terminal, not echoed.
fn prompt() -> Result<String, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            "no password given and standard input is not a terminal to ask for one: \
             pass --password-stdin and write it on standard input (or --password)",
        ));
    }
    let read =
        |label: &str| rpassword::prompt_password(label).map_err(|e| CliError(format!("reading the password: {e}")));
    let first = read("Password: ")?;
    let second = read("Password (again): ")?;
    if first != second {
        return Err(CliError::new("the two passwords differ; nothing was changed"));
    }
    Ok(first)
}

/// Checks the claims that have a format: `birthdate` (OpenID Connect Core §5.1).
pub fn check_profile(profile: &Profile) -> Result<(), String> {
    if let Some(date) = &profile.birthdate
        && !is_birthdate(date)
    {
        return Err(format!("birthdate {date:?} is not a date: write YYYY-MM-DD (or YYYY, or 0000-MM-DD)"));
    }
    Ok(())
}

/// `YYYY-MM-DD` naming a day that exists, `YYYY`, or `0000-MM-DD` (year withheld).
fn is_birthdate(text: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = text.split('-').collect();
    match parts[..] {
        [year] => digits(year, 4) && year != "0000",
        [year, month, day] if digits(year, 4) && digits(month, 2) && digits(day, 2) => {
            let (Ok(y), Ok(m), Ok(d)) = (year.parse::<u32>(), month.parse::<u32>(), day.parse::<u32>()) else {
                return false;
            };
            // The year 0000 stands for "not given": 29 February is then allowed.
            let leap = y == 0 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
            let days = match m {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&d)
        }
        _ => false,
    }
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
    check_profile(&profile).map_err(CliError)?;
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

/// The account with this username, or a message naming it.
pub async fn find(provider: &Provider, username: &str) -> Result<User, CliError> {
    provider
        .stores
        .users
        .find_by_username(username)
        .await?
        .ok_or_else(|| CliError(format!("there is no user {username:?}")))
}

/// Ends every session of the user (with back-channel logout) and revokes every token issued to
/// them; returns how many sessions and tokens went.
async fn cut_off(provider: &Provider, user: &User) -> Result<(usize, u64), CliError> {
    let sessions = provider.stores.sessions.of_user(&user.id, provider.now()).await?;
    for session in &sessions {
        // Each through its own face, which knows the session's clients.
        crate::oidc::logout::end_session(provider.face_of(session.face.as_deref()), session).await?;
    }
    let tokens = provider.stores.tokens.revoke_user(&user.id).await?;
    Ok((sessions.len(), tokens))
}

/// Records the operator's decision about `user` in the audit log (never the password).
async fn audited(provider: &Provider, action: &str, user: &User) -> Result<(), CliError> {
    let detail = serde_json::json!({ "username": user.username });
    super::audit::operator(provider, action, Some(&user.id), detail).await
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
            profile.birthdate = add.birthdate.or(profile.birthdate);
            check_profile(&profile).map_err(CliError)?;
            if provider.stores.users.find_by_username(add.username.trim()).await?.is_some() {
                return Err(CliError(format!("the username {} is taken", add.username)));
            }
            let password = add.password.read()?;
            let user = create(provider, authn, &add.username, &password, profile).await?;
            audited(provider, "user.add", &user).await?;
            print(&user)
        }
        UserCommand::List => print(&provider.stores.users.list().await?),
        UserCommand::SetPassword { username, password } => {
            let mut user = find(provider, &username).await?;
            let password = password.read()?;
            user.password_hash = authn.passwords.hash(&password).await.map_err(|e| CliError(e.to_string()))?;
            user.updated_at = provider.now();
            provider.stores.users.update(&user).await?;
            audited(provider, "user.set_password", &user).await?;
            print(&serde_json::json!({ "username": user.username, "password": "changed" }))
        }
        UserCommand::Disable { username } => {
            let mut user = find(provider, &username).await?;
            // Disabled first: a login racing with the cut-off cannot start a new session.
            user.disabled = true;
            user.updated_at = provider.now();
            provider.stores.users.update(&user).await?;
            let (sessions, tokens) = cut_off(provider, &user).await?;
            audited(provider, "user.disable", &user).await?;
            print(&serde_json::json!({
                "username": user.username, "disabled": true, "sessions_ended": sessions, "tokens_revoked": tokens,
            }))
        }
        UserCommand::Enable { username } => {
            let mut user = find(provider, &username).await?;
            user.disabled = false;
            user.updated_at = provider.now();
            provider.stores.users.update(&user).await?;
            audited(provider, "user.enable", &user).await?;
            print(&serde_json::json!({ "username": user.username, "disabled": false }))
        }
        UserCommand::SetPhone { username, phone } => {
            let mut user = find(provider, &username).await?;
            let phone: String = phone.chars().filter(|c| !c.is_whitespace()).collect();
            let plausible = phone
                .strip_prefix('+')
                .is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
            if !phone.is_empty() && !plausible {
                return Err(CliError(format!(
                    "{phone:?} is not a phone number: write it with its country code, e.g. +420601123456"
                )));
            }
            user.profile.phone_number = (!phone.is_empty()).then_some(phone);
            user.profile.phone_number_verified = None;
            user.updated_at = provider.now();
            provider.stores.users.update(&user).await?;
            audited(provider, "user.set_phone", &user).await?;
            let nia_id = crate::authn::nia_id::phone_of(&user).is_some();
            print(&serde_json::json!({
                "username": user.username, "phone_number": user.profile.phone_number, "nia_id": nia_id,
            }))
        }
        UserCommand::Remove { username } => {
            let mut user = find(provider, &username).await?;
            user.disabled = true;
            provider.stores.users.update(&user).await?;
            let (sessions, tokens) = cut_off(provider, &user).await?;
            provider.stores.users.delete(&user.id).await?;
            audited(provider, "user.remove", &user).await?;
            print(&serde_json::json!({
                "removed": user.username, "id": user.id, "sessions_ended": sessions, "tokens_revoked": tokens,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdates_are_days_that_exist() {
        for good in ["1990-01-31", "2000-02-29", "0000-02-29", "1985", "2024-12-01"] {
            assert!(is_birthdate(good), "{good}");
        }
        for bad in ["1990-02-30", "1900-02-29", "1990-13-01", "1990-00-10", "90-01-01", "1990-1-1", "0000", "", "x"] {
            assert!(!is_birthdate(bad), "{bad}");
        }
        let profile = Profile { birthdate: Some("1990-02-30".into()), ..Profile::default() };
        assert!(check_profile(&profile).unwrap_err().contains("1990-02-30"));
    }
}
