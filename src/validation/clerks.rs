//! The back office's clerks: adding one, changing their roles, disabling them, making an API
//! token for a script — each decided by an administrator and recorded in the audit log — and
//! listing them (administrators only).

use serde_json::json;

use crate::authn::password::PasswordHasher;
use crate::clock::Timestamp;
use crate::model::clerk::{self, Clerk, ClerkLogin, Role};
use crate::model::person::FieldError;
use crate::store::{AuditStore, ClerkStore, StoreError};
use crate::validation::actor::{Actor, Forbidden};
use crate::validation::audit;

/// The shortest password a clerk may have.
pub const PASSWORD_MIN: usize = 12;

/// Why a clerk was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("login: there is no clerk {0}")]
    Unknown(String),
    #[error("login: the clerk {0} exists already")]
    Taken(String),
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new clerk as given.
#[derive(Debug, Clone)]
pub struct NewClerk {
    pub login: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub password: String,
}

/// The stores a clerk's decision touches.
pub struct Places<'a> {
    pub clerks: &'a dyn ClerkStore,
    pub audit: &'a dyn AuditStore,
}

fn field(name: &str, problem: impl Into<String>) -> FieldError {
    FieldError { field: name.to_owned(), problem: problem.into() }
}

async fn existing(places: &Places<'_>, login: &str) -> Result<Clerk, ClerkError> {
    places.clerks.get(login).await?.ok_or_else(|| ClerkError::Unknown(login.to_owned()))
}

/// Adds a clerk (an administrator's decision).
pub async fn add(
    places: &Places<'_>,
    hasher: &PasswordHasher,
    actor: &Actor,
    new: NewClerk,
    now: Timestamp,
) -> Result<Clerk, ClerkError> {
    let role = actor.require(&[Role::Administrator])?;
    let login = ClerkLogin::parse(&new.login).map_err(|p| field("login", p))?;
    let name = clerk::parse_name(&new.name).map_err(|p| field("name", p))?;
    let second = clerk::parse_second_factor(new.phone.as_deref(), new.email.as_deref())?;
    let roles = clerk::parse_roles(&new.roles)?;
    if new.password.chars().count() < PASSWORD_MIN {
        return Err(field("password", format!("at least {PASSWORD_MIN} characters")).into());
    }
    let hash = hasher.hash(&new.password).await.map_err(|e| ClerkError::Hash(e.to_string()))?;
    let clerk = Clerk::new(login, name, second, roles, hash, now);
    match places.clerks.insert(&clerk).await {
        Err(StoreError::Conflict(_)) => return Err(ClerkError::Taken(clerk.login().to_string())),
        other => other?,
    }
    let detail = json!({ "login": clerk.login().as_str(), "roles": clerk.record().roles });
    audit::record(places.audit, actor.record(role, "clerk.add", None, detail, now)).await?;
    Ok(clerk)
}

/// Gives the clerk exactly these roles.
pub async fn set_roles<S: AsRef<str>>(
    places: &Places<'_>,
    actor: &Actor,
    login: &str,
    roles: &[S],
    now: Timestamp,
) -> Result<Clerk, ClerkError> {
    let role = actor.require(&[Role::Administrator])?;
    let roles = clerk::parse_roles(roles)?;
    let mut clerk = existing(places, login).await?;
    clerk.set_roles(roles);
    places.clerks.update(&clerk).await?;
    let detail = json!({ "login": login, "roles": clerk.record().roles });
    audit::record(places.audit, actor.record(role, "clerk.roles", None, detail, now)).await?;
    Ok(clerk)
}

/// Disables the clerk (or enables them again): a disabled clerk cannot log in, and their
/// sessions and tokens no longer act.
pub async fn set_disabled(
    places: &Places<'_>,
    actor: &Actor,
    login: &str,
    disabled: bool,
    now: Timestamp,
) -> Result<Clerk, ClerkError> {
    let role = actor.require(&[Role::Administrator])?;
    let mut clerk = existing(places, login).await?;
    clerk.set_disabled(disabled);
    places.clerks.update(&clerk).await?;
    let action = if disabled { "clerk.disable" } else { "clerk.enable" };
    audit::record(places.audit, actor.record(role, action, None, json!({ "login": login }), now)).await?;
    Ok(clerk)
}

/// Makes an API token acting as the clerk, for a script: the token is shown once and kept as its
/// digest.
pub async fn make_token(places: &Places<'_>, actor: &Actor, login: &str, now: Timestamp) -> Result<String, ClerkError> {
    let role = actor.require(&[Role::Administrator])?;
    let clerk = existing(places, login).await?;
    let token = crate::secret::bearer_token(now);
    places.clerks.insert_token(&crate::secret::bearer_digest(&token), clerk.login().as_str(), now).await?;
    audit::record(places.audit, actor.record(role, "clerk.token", None, json!({ "login": login }), now)).await?;
    Ok(token)
}

/// Every clerk (administrators only).
pub async fn list(clerks: &dyn ClerkStore, actor: &Actor) -> Result<Vec<Clerk>, ClerkError> {
    actor.require(&[Role::Administrator])?;
    Ok(clerks.list().await?)
}
