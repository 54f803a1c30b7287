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
    /// NIA's "mojeID": a login at an upstream mojeID ([`super::mojeid_federation`]), which
    /// vouches for substantial or high; offered by the faces whose persona federates mojeID,
    /// when they have an upstream, instead of [`Means::Mojeid`].
    MojeidFederated,
}

impl Means {
    /// Every means, in the order a page lists them.
    pub(crate) const ALL: [Means; 7] = [
        Means::Password,
        Means::NiaId,
        Means::Meg,
        Means::Eobcanka,
        Means::Mojeid,
        Means::Bank,
        Means::MojeidFederated,
    ];

    /// The name in URLs and forms.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Means::Password => "password",
            Means::NiaId => "nia-id",
            Means::Meg => "meg",
            Means::Eobcanka => "eobcanka",
            Means::Mojeid => "mojeid",
            Means::Bank => "bank",
            Means::MojeidFederated => "mojeid-federated",
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
            Means::NiaId | Means::Meg | Means::Bank | Means::Mojeid | Means::MojeidFederated => Loa::Substantial,
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
            Means::Mojeid | Means::MojeidFederated => vec![Loa::Substantial, Loa::High],
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
            // As the bank identity: this face did not see the methods, mojeID did and vouched
            // for a level (`acr`); mojeID's own `amr` is its statement, not one this face can
            // check or stand behind towards a portal.
            Means::MojeidFederated => &["fed"],
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

/// The means a face has: every one, but the bank identity only with a bank to log in at, and
/// mojeID through an upstream only with an upstream mojeID — in place of the face's own mojeID +
/// WebAuthn, so that the page does not list two "mojeID".
pub(crate) fn available(banks_configured: bool, mojeid_upstream: bool) -> Vec<Means> {
    Means::ALL
        .into_iter()
        .filter(|m| match m {
            Means::Bank => banks_configured,
            Means::MojeidFederated => mojeid_upstream,
            Means::Mojeid => !mojeid_upstream,
            _ => true,
        })
        .collect()
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
            offered(&minimum, &standard(), &available(false, false)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Eobcanka, Means::Mojeid]
        );
        assert_eq!(
            offered(&minimum, &standard(), &available(true, false)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Eobcanka, Means::Mojeid, Means::Bank]
        );
        let exact = Requirement::one_of([Loa::Substantial], true);
        assert_eq!(
            offered(&exact, &standard(), &available(true, false)).unwrap(),
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
        let local = available(true, false);
        assert_eq!(offered(&high, &standard(), &local).unwrap(), vec![Means::Eobcanka, Means::Mojeid]);
        let voluntary = Requirement::one_of([Loa::High], false);
        assert_eq!(offered(&voluntary, &standard(), &local).unwrap(), vec![Means::Eobcanka, Means::Mojeid]);
        assert_eq!(Means::Eobcanka.amr(), ["sc", "pin", "mfa"]);
        assert_eq!(Means::Mojeid.levels(&standard()), [Loa::Substantial, Loa::High]);
        assert_eq!(Means::Mojeid.amr(), ["pwd", "hwk", "mfa"]);
    }

    #[test]
    fn mojeid_through_an_upstream_replaces_the_local_mojeid_and_reaches_substantial_or_high() {
        let minimum = Requirement::compared(Comparison::Minimum, Loa::Substantial, true);
        assert_eq!(
            offered(&minimum, &standard(), &available(false, true)).unwrap(),
            vec![Means::NiaId, Means::Meg, Means::Eobcanka, Means::MojeidFederated]
        );
        let high = Requirement::one_of([Loa::High], true);
        assert_eq!(
            offered(&high, &standard(), &available(false, true)).unwrap(),
            vec![Means::Eobcanka, Means::MojeidFederated]
        );
        let low = Requirement::compared(Comparison::Exact, Loa::Low, true);
        assert!(!offered(&low, &standard(), &available(false, true)).unwrap().contains(&Means::MojeidFederated));
        assert_eq!(Means::MojeidFederated.amr(), ["fed"]);
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
