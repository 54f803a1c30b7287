//! Who acts in the back office, in which role, and from where: what every decision is recorded
//! with. An [`Actor`] is made only by [`Actor::clerk`], which checks that the clerk is active and
//! holds the role, or [`Actor::operator`] (the command line, an administrator); the domain's
//! functions ask it for the role they need ([`Actor::require`]).

use serde_json::Value;

use crate::clock::Timestamp;
use crate::model::AuditRecord;
use crate::model::clerk::{Clerk, Role};

/// A refusal: the actor does not hold a role the action needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this needs the role {}", needed.iter().map(|r| r.code()).collect::<Vec<_>>().join(" or "))]
pub struct Forbidden {
    pub needed: Vec<Role>,
}

/// A clerk (or the operator) acting in the roles they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `clerk:<login>` or `operator:<name>`.
    who: String,
    login: Option<String>,
    roles: Vec<Role>,
    /// The client's address, or `cli`.
    origin: String,
}

impl Actor {
    /// The clerk acting from `origin`; `None` when the clerk is disabled.
    pub fn clerk(clerk: &Clerk, origin: &str) -> Option<Actor> {
        (!clerk.disabled()).then(|| Actor {
            who: format!("clerk:{}", clerk.login()),
            login: Some(clerk.login().to_string()),
            roles: clerk.roles().iter().copied().collect(),
            origin: origin.to_owned(),
        })
    }

    /// The operator at the command line: an administrator in every role.
    pub fn operator(name: &str) -> Actor {
        Actor { who: format!("operator:{name}"), login: None, roles: Role::ALL.to_vec(), origin: "cli".into() }
    }

    /// The first of `roles` the actor holds: the role it acts in.
    pub fn require(&self, roles: &[Role]) -> Result<Role, Forbidden> {
        roles.iter().copied().find(|r| self.roles.contains(r)).ok_or_else(|| Forbidden { needed: roles.to_vec() })
    }

    /// The roles the actor holds.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn who(&self) -> &str {
        &self.who
    }

    /// The audit record of a decision taken in `role`.
    pub fn record(&self, role: Role, action: &str, subject: Option<&str>, detail: Value, at: Timestamp) -> AuditRecord {
        AuditRecord {
            at,
            actor: self.who.clone(),
            role: role.code().to_owned(),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            origin: self.origin.clone(),
            detail,
        }
    }
}
