//! The level-of-assurance policy, protocol-neutral (OIDC uses it now, SAML will): given what a
//! request requires ([`Requirement`]) and the levels the available means of authentication can
//! reach (`super::means::reachable`), decide the level to authenticate at, whether an authentication already made (an SSO
//! session's, or the login just finished) is good enough, or that the requirement cannot be met.
//!
//! - A requirement some means meets: authenticate at the first accepted level, in the request's
//!   order of preference, that a means reaches; only an accepted level will do.
//! - An essential requirement no means meets: [`Unmet`]; never a silent downgrade.
//! - A voluntary requirement no means meets: go on at the reachable level closest to the most
//!   preferred one (the stronger on a tie); an authentication at least as close is good enough.
//!   The token then states the level actually achieved.
//!
//! An SSO session whose level is not good enough means a step-up: the person logs in again, and
//! the session keeps its `sid` with the new authentication (see `authn::session`).

use std::cmp::Reverse;

use crate::model::loa::{Loa, Requirement};

/// No available means reaches a level an essential requirement accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no available means of authentication reaches a level of assurance the request requires")]
pub(crate) struct Unmet;

/// How a request's requirement will be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    requirement: Requirement,
    level: Loa,
    met: bool,
}

/// What an existing SSO session is worth for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionLevel {
    /// The session's level is good enough.
    Enough,
    /// The person must authenticate again, at this level.
    StepUp(Loa),
}

/// The plan for `requirement` when the means reach the levels `reachable`.
pub(crate) fn plan(requirement: &Requirement, reachable: &[Loa]) -> Result<Plan, Unmet> {
    let mut reachable = reachable.to_vec();
    reachable.sort();
    reachable.dedup();
    let Some(&weakest) = reachable.first() else { return Err(Unmet) };
    let met = match requirement.levels() {
        None => Some(weakest),
        Some(levels) => levels.iter().copied().find(|l| reachable.contains(l)),
    };
    let plan = |level, met| Plan { requirement: requirement.clone(), level, met };
    match met {
        Some(level) => Ok(plan(level, true)),
        None if requirement.is_essential() => Err(Unmet),
        None => {
            let closest = reachable.iter().copied().min_by_key(|l| (requirement.distance(*l), Reverse(*l)));
            Ok(plan(closest.unwrap_or(weakest), false))
        }
    }
}

impl Plan {
    /// The level to authenticate at.
    #[cfg(test)]
    pub(crate) fn level(&self) -> Loa {
        self.level
    }

    /// Whether authenticating at [`Plan::level`] satisfies the requirement (false: a voluntary
    /// requirement no means meets, served at the closest level).
    #[cfg(test)]
    pub(crate) fn meets_requirement(&self) -> bool {
        self.met
    }

    /// Whether an authentication at `achieved` is good enough.
    pub(crate) fn accepts(&self, achieved: Loa) -> bool {
        self.requirement.accepts(achieved)
            || (!self.met && self.requirement.distance(achieved) <= self.requirement.distance(self.level))
    }

    /// Whether an SSO session at `level` serves the request, or the person must step up.
    pub(crate) fn session(&self, level: Loa) -> SessionLevel {
        if self.accepts(level) { SessionLevel::Enough } else { SessionLevel::StepUp(self.level) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::loa::Comparison;
    use Loa::{High, Low, Substantial};

    const PASSWORD_ONLY: &[Loa] = &[Low];
    const ALL_MEANS: &[Loa] = &[High, Low, Substantial, Low];

    #[test]
    fn no_requirement_authenticates_at_the_weakest_level_and_takes_any_session() {
        let plan = plan(&Requirement::any(), ALL_MEANS).unwrap();
        assert_eq!(plan.level(), Low);
        assert!(plan.meets_requirement());
        assert!(Loa::ALL.iter().all(|l| plan.accepts(*l)));
    }

    #[test]
    fn a_met_requirement_uses_the_first_preferred_reachable_level() {
        let r = Requirement::one_of([High, Substantial], false);
        assert_eq!(plan(&r, ALL_MEANS).unwrap().level(), High);
        assert_eq!(plan(&r, &[Low, Substantial]).unwrap().level(), Substantial);
        let min = Requirement::compared(Comparison::Minimum, Substantial, true);
        assert_eq!(plan(&min, ALL_MEANS).unwrap().level(), Substantial);
    }

    #[test]
    fn an_essential_requirement_no_means_meets_is_unmet() {
        let high = Requirement::one_of([High], true);
        assert_eq!(plan(&high, PASSWORD_ONLY), Err(Unmet));
        assert_eq!(plan(&Requirement::one_of([], true), ALL_MEANS), Err(Unmet));
        assert_eq!(plan(&Requirement::any(), &[]), Err(Unmet), "no means at all");
        assert!(plan(&Requirement::one_of([Low], true), PASSWORD_ONLY).is_ok());
    }

    #[test]
    fn a_voluntary_requirement_no_means_meets_goes_on_at_the_closest_level() {
        let high = Requirement::one_of([High], false);
        let p = plan(&high, PASSWORD_ONLY).unwrap();
        assert_eq!((p.level(), p.meets_requirement()), (Low, false));
        assert!(p.accepts(Low));

        let p = plan(&high, &[Low, Substantial]).unwrap();
        assert_eq!(p.level(), Substantial);
        assert_eq!(p.session(Low), SessionLevel::StepUp(Substantial));
        assert_eq!(p.session(High), SessionLevel::Enough);

        // Below everything reachable: the weakest reachable; a tie goes to the stronger.
        let low = Requirement::one_of([Low], false);
        assert_eq!(plan(&low, &[Substantial, High]).unwrap().level(), Substantial);
        let substantial = Requirement::one_of([Substantial], false);
        assert_eq!(plan(&substantial, &[Low, High]).unwrap().level(), High);
    }

    #[test]
    fn a_session_below_the_required_level_steps_up() {
        let p = plan(&Requirement::compared(Comparison::Minimum, Substantial, true), ALL_MEANS).unwrap();
        assert_eq!(p.session(Low), SessionLevel::StepUp(Substantial));
        assert_eq!(p.session(Substantial), SessionLevel::Enough);
        assert_eq!(p.session(High), SessionLevel::Enough);
    }

    #[test]
    fn an_exact_requirement_refuses_a_stronger_session() {
        let p = plan(&Requirement::compared(Comparison::Exact, Low, true), ALL_MEANS).unwrap();
        assert_eq!(p.session(High), SessionLevel::StepUp(Low));
        assert_eq!(p.session(Low), SessionLevel::Enough);
    }
}
