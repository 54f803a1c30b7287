//! The means of authentication a login page offers, and what each proves: its level of
//! assurance and its methods (RFC 8176 `amr`). Which means a request may use follows from its
//! level-of-assurance plan ([`super::loa`]): only the means whose level the plan accepts.

use super::loa::{self, Plan, Unmet};
use crate::clock::Timestamp;
use crate::model::Authentication;
use crate::model::loa::{Loa, Requirement};
use crate::persona::Persona;

/// A means of authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Means {
    /// Username and password.
    Password,
    /// NIA ID: username, password and a one-time code by SMS to the account's +420 number.
    NiaId,
    /// Mobilní klíč eGovernmentu (MEG): a paired phone approves the login with its key, after
    /// the phone's own unlock (fingerprint or PIN).
    Meg,
    /// eObčanka: the chip of the identity card signs a challenge after its PIN (the IOK).
    Eobcanka,
    /// mojeID + WebAuthn: username, password and a registered security key
    /// ([`super::webauthn`]); substantial, or high with a certified key that verified its user.
    Mojeid,
    /// Bank identity: a login at the citizen's bank, an upstream OpenID Provider
    /// ([`super::bank`]); offered only where banks are configured.
    Bank,
}

impl Means {
    /// Every means, in the order a page lists them.
    pub(crate) const ALL: [Means; 6] =
        [Means::Password, Means::NiaId, Means::Meg, Means::Eobcanka, Means::Mojeid, Means::Bank];

    /// The name in URLs and forms.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Means::Password => "password",
            Means::NiaId => "nia-id",
            Means::Meg => "meg",
            Means::Eobcanka => "eobcanka",
            Means::Mojeid => "mojeid",
            Means::Bank => "bank",
        }
    }

    /// The means named `id` in a URL or a form.
    pub fn parse(id: &str) -> Option<Means> {
        Means::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The level a login with this means reaches on `persona`: the lowest of [`Means::levels`]
    /// (mojeID + WebAuthn reaches high only with a certified key; its login says which).
    pub(crate) fn level(self, persona: &Persona) -> Loa {
        match self {
            Means::Password => persona.password_acr,
            Means::NiaId | Means::Meg | Means::Bank | Means::Mojeid => Loa::Substantial,
            Means::Eobcanka => Loa::High,
        }
    }

    /// What a login with this means that ended at `at` says: this person authenticated with these
    /// methods at this means' level on `persona`.
    pub(crate) fn authenticated(self, user_id: String, at: Timestamp, persona: &Persona) -> Authentication {
        Authentication {
            user_id,
            auth_time: at,
            acr: self.level(persona),
            amr: self.amr().iter().map(|m| m.to_string()).collect(),
        }
    }

    /// Every level a login with this means can reach on `persona`, weakest first. The login
    /// itself says which one it achieved; that is the one that counts.
    pub(crate) fn levels(self, persona: &Persona) -> Vec<Loa> {
        match self {
            Means::Mojeid => vec![Loa::Substantial, Loa::High],
            _ => vec![self.level(persona)],
        }
    }

    /// The methods a login with this means used (RFC 8176).
    pub(crate) fn amr(self) -> &'static [&'static str] {
        match self {
            Means::Password => &["pwd"],
            Means::NiaId => &["pwd", "sms", "mfa"],
            Means::Meg => &["swk", "mfa"],
            Means::Eobcanka => &["sc", "pin", "mfa"],
            // With a certified key that verified its user: `pwd hwk pin mfa` (super::webauthn).
            Means::Mojeid => &["pwd", "hwk", "mfa"],
            Means::Bank => &["fed"],
        }
    }
}

/// The levels the means of `persona` reach, weakest first.
pub(crate) fn reachable(persona: &Persona) -> Vec<Loa> {
    let mut levels: Vec<Loa> = Means::ALL.iter().flat_map(|m| m.levels(persona)).collect();
    levels.sort();
    levels.dedup();
    levels
}

/// The means this deployment has: every one, but the bank identity only with a bank to log in at.
pub(crate) fn available(banks_configured: bool) -> Vec<Means> {
    Means::ALL.into_iter().filter(|m| *m != Means::Bank || banks_configured).collect()
}

/// The means a login for `requirement` may use on `persona`, out of the `available` ones, in
/// the order a page lists them: those that reach a level the request's plan accepts. Never empty: a
/// plan exists only when some means reaches a level it accepts.
pub(crate) fn offered(requirement: &Requirement, persona: &Persona, available: &[Means]) -> Result<Vec<Means>, Unmet> {
    let plan: Plan = loa::plan(requirement, &reachable(persona))?;
    let offered: Vec<Means> =
        available.iter().copied().filter(|m| m.levels(persona).into_iter().any(|l| plan.accepts(l))).collect();
    if offered.is_empty() {
        return Err(Unmet);
    }
    Ok(offered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::loa::Comparison;

    fn standard() -> Persona {
        Persona::standard("https://op.example")
    }

    #[test]
    fn ids_round_trip() {
        for means in Means::ALL {
            assert_eq!(Means::parse(means.id()), Some(means));
        }
        assert_eq!(Means::parse("Password"), None);
    }

    #[test]
    fn any_level_offers_every_means() {
        assert_eq!(offered(&Requirement::any(), &standard(), &Means::ALL).unwrap(), Means::ALL.to_vec());
    }

    #[test]
    fn at_least_substantial_offers_nia_id_meg_eobcanka_and_mojeid() {
        let minimum = Requirement::compared(Comparison::Minimum, Loa::Substantial, true);
        assert_eq!(
            offered(&minimum, &standard(), &available(false)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Eobcanka, Means::Mojeid]
        );
        assert_eq!(
            offered(&minimum, &standard(), &available(true)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Eobcanka, Means::Mojeid, Means::Bank]
        );
        let exact = Requirement::one_of([Loa::Substantial], true);
        assert_eq!(
            offered(&exact, &standard(), &available(true)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Mojeid, Means::Bank]
        );
    }

    #[test]
    fn meg_is_substantial_with_a_software_key() {
        assert_eq!(Means::parse("meg"), Some(Means::Meg));
        assert_eq!(Means::Meg.level(&standard()), Loa::Substantial);
        assert_eq!(Means::Meg.amr(), ["swk", "mfa"]);
        let high = Requirement::one_of([Loa::High], true);
        assert!(!offered(&high, &standard(), &Means::ALL).unwrap().contains(&Means::Meg));
    }

    #[test]
    fn high_offers_eobcanka_and_mojeid_which_may_reach_it() {
        let high = Requirement::one_of([Loa::High], true);
        assert_eq!(offered(&high, &standard(), &Means::ALL).unwrap(), vec![Means::Eobcanka, Means::Mojeid]);
        let voluntary = Requirement::one_of([Loa::High], false);
        assert_eq!(offered(&voluntary, &standard(), &Means::ALL).unwrap(), vec![Means::Eobcanka, Means::Mojeid]);
        assert_eq!(Means::Eobcanka.amr(), ["sc", "pin", "mfa"]);
        assert_eq!(Means::Mojeid.levels(&standard()), [Loa::Substantial, Loa::High]);
        assert_eq!(Means::Mojeid.amr(), ["pwd", "hwk", "mfa"]);
    }

    #[test]
    fn exactly_low_offers_only_the_password() {
        let exact = Requirement::compared(Comparison::Exact, Loa::Low, true);
        assert_eq!(offered(&exact, &standard(), &Means::ALL).unwrap(), vec![Means::Password]);
    }

    #[test]
    fn the_levels_reached_are_low_substantial_and_high() {
        assert_eq!(reachable(&standard()), vec![Loa::Low, Loa::Substantial, Loa::High]);
    }
}
