//! How a person authenticated: who, when, at which level and by which means.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::Loa;

/// How a person authenticated: kept in the SSO session and copied into what it issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    pub(crate) user_id: String,
    pub(crate) auth_time: Timestamp,
    /// The level of assurance reached (`acr`; stored as its eIDAS URI).
    pub acr: Loa,
    /// Authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub(crate) amr: Vec<String>,
}

impl Authentication {
    /// This authentication as the upgrade of an SSO session's `previous` one of the same person
    /// (a step-up): at a level at least as high, the methods used before are kept beside the new
    /// ones (RFC 8176 lists every method used); a weaker authentication replaces them.
    pub(crate) fn extending(mut self, previous: &Authentication) -> Authentication {
        if previous.user_id != self.user_id || self.acr < previous.acr {
            return self;
        }
        let mut amr = previous.amr.clone();
        for method in self.amr {
            if !amr.contains(&method) {
                amr.push(method);
            }
        }
        self.amr = amr;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(user_id: &str, acr: Loa, amr: &[&str]) -> Authentication {
        Authentication { user_id: user_id.into(), auth_time: 10, acr, amr: amr.iter().map(|m| m.to_string()).collect() }
    }

    #[test]
    fn a_step_up_keeps_the_earlier_methods() {
        let previous = at("jan", Loa::Low, &["pwd"]);
        let upgraded = at("jan", Loa::Substantial, &["pwd", "sms", "mfa"]).extending(&previous);
        assert_eq!(upgraded.amr, ["pwd", "sms", "mfa"]);
        assert_eq!(upgraded.acr, Loa::Substantial);
        let previous = at("jan", Loa::Substantial, &["swk", "mfa"]);
        assert_eq!(
            at("jan", Loa::Substantial, &["pwd", "sms", "mfa"]).extending(&previous).amr,
            ["swk", "mfa", "pwd", "sms"]
        );
    }

    #[test]
    fn a_weaker_login_or_another_person_replaces_the_methods() {
        let previous = at("jan", Loa::Substantial, &["pwd", "sms", "mfa"]);
        assert_eq!(at("jan", Loa::Low, &["pwd"]).extending(&previous).amr, ["pwd"]);
        assert_eq!(at("eva", Loa::Substantial, &["pwd"]).extending(&previous).amr, ["pwd"]);
    }
}
