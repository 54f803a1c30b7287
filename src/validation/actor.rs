//! Who acts in the back office and in mojeID's validation, in which capacity, and from where:
//! what every decision is recorded with. An [`Actor`] is made only by [`Actor::clerk`], which
//! checks that the clerk is active, by [`Actor::operator`] (the command line, an administrator
//! in every role), or by [`Actor::citizen`] (a citizen acting on their own account, from a page
//! they are logged in to). The domain's functions ask it for the role they need
//! ([`Actor::require`]) or for the account to be the citizen's own ([`Actor::require_holder`]).

use serde_json::Value;

use crate::clock::Timestamp;
use crate::model::clerk::{Clerk, Role};
use crate::model::{AuditRecord, User};

/// A refusal: the actor does not hold a role the action needs, or the account is not theirs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    #[error("this needs the role {}", needed.iter().map(|r| r.code()).collect::<Vec<_>>().join(" or "))]
    Role { needed: Vec<Role> },
    #[error("only the account's holder does this, on their own account")]
    NotHolder,
}

/// The capacity a decision is taken in, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// A clerk's (or the operator's) role.
    Role(Role),
    /// A citizen on their own account.
    Citizen,
}

impl Capacity {
    pub fn code(self) -> &'static str {
        match self {
            Capacity::Role(role) => role.code(),
            Capacity::Citizen => "citizen",
        }
    }
}

impl From<Role> for Capacity {
    fn from(role: Role) -> Self {
        Capacity::Role(role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Clerk,
    Operator,
    /// A citizen; the account's id.
    Citizen(String),
}

/// A clerk, the operator or a citizen acting in the capacity they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `clerk:<login>`, `operator:<name>`, or a citizen's account id.
    who: String,
    kind: Kind,
    roles: Vec<Role>,
    /// The client's address, or `cli`.
    origin: String,
}

impl Actor {
    /// The clerk acting from `origin`; `None` when the clerk is disabled.
    pub fn clerk(clerk: &Clerk, origin: &str) -> Option<Actor> {
        (!clerk.disabled()).then(|| Actor {
            who: format!("clerk:{}", clerk.login()),
            kind: Kind::Clerk,
            roles: clerk.roles().iter().copied().collect(),
            origin: origin.to_owned(),
        })
    }

    /// The operator at the command line: an administrator in every role, who may also stand
    /// in for a citizen on their account (audited as the operator).
    pub fn operator(name: &str) -> Actor {
        Actor { who: format!("operator:{name}"), kind: Kind::Operator, roles: Role::ALL.to_vec(), origin: "cli".into() }
    }

    /// The citizen logged in as `user`, acting on their own account from `origin`: no role,
    /// audited under the account's id in the capacity `citizen`.
    pub fn citizen(user: &User, origin: impl Into<String>) -> Actor {
        Actor { who: user.id.clone(), kind: Kind::Citizen(user.id.clone()), roles: Vec::new(), origin: origin.into() }
    }

    /// The first of `roles` the actor holds: the role it acts in.
    pub fn require(&self, roles: &[Role]) -> Result<Role, Forbidden> {
        roles.iter().copied().find(|r| self.roles.contains(r)).ok_or_else(|| Forbidden::Role { needed: roles.to_vec() })
    }

    /// A step only the account's holder takes: the citizen on their own account `user_id`, or
    /// the operator standing in for them (as the validation desk, as the command line always
    /// has).
    pub fn require_holder(&self, user_id: &str) -> Result<Capacity, Forbidden> {
        match &self.kind {
            Kind::Citizen(own) if own == user_id => Ok(Capacity::Citizen),
            Kind::Operator => Ok(Capacity::Role(Role::ValidationDesk)),
            _ => Err(Forbidden::NotHolder),
        }
    }

    /// The roles the actor holds.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn who(&self) -> &str {
        &self.who
    }

    /// The audit record of a decision taken in `capacity` (a role, or the citizen's).
    pub fn record(
        &self,
        capacity: impl Into<Capacity>,
        action: &str,
        subject: Option<&str>,
        detail: Value,
        at: Timestamp,
    ) -> AuditRecord {
        AuditRecord {
            at,
            actor: self.who.clone(),
            role: capacity.into().code().to_owned(),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            origin: self.origin.clone(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn user(id: &str) -> User {
        User {
            id: id.into(),
            username: id.into(),
            password_hash: String::new(),
            profile: Profile::default(),
            updated_at: 0,
            created_at: 0,
            disabled: false,
        }
    }

    #[test]
    fn a_citizen_holds_no_role_and_only_their_own_account() {
        let citizen = Actor::citizen(&user("u1"), "192.0.2.1");
        assert_eq!(
            citizen.require(&[Role::ValidationDesk]),
            Err(Forbidden::Role { needed: vec![Role::ValidationDesk] })
        );
        assert_eq!(citizen.require_holder("u1"), Ok(Capacity::Citizen));
        assert_eq!(citizen.require_holder("u2"), Err(Forbidden::NotHolder));
        let record = citizen.record(Capacity::Citizen, "mojeid.validate", Some("u1"), Value::Null, 5);
        assert_eq!(
            (record.actor.as_str(), record.role.as_str(), record.origin.as_str()),
            ("u1", "citizen", "192.0.2.1")
        );
        let operator = Actor::operator("eva");
        assert_eq!(operator.require_holder("u2"), Ok(Capacity::Role(Role::ValidationDesk)));
    }
}
