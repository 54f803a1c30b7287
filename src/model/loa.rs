//! Levels of assurance (eIDAS) and what a request requires of them.
//!
//! [`Loa`] is ordered: `Low < Substantial < High`. A [`Requirement`] is built once per request by
//! [`Requirement::from_signals`] from every way a relying party can name a level, so the rest of
//! the provider (the authorization decision, the means-selection page, SAML later) reads one
//! value instead of re-reading parameters.
//!
//! # Precedence of the signals
//!
//! Only the first signal that names a level counts; the others are ignored, not intersected:
//!
//! 1. an **essential** `acr` member of the `claims` parameter (`id_token` first, then `userinfo`)
//!    with `value` or `values` — essential. Values that are not LoA URIs are ignored; if the member
//!    names only such values, nothing this provider issues can satisfy it (OpenID Connect Core
//!    §5.5.1.1: an essential `acr` that cannot be met fails the request);
//! 2. NIA's scopes `loalow|loasubstantial|loahigh`, compared by `loamin|loaexact|loabetter|loamax`
//!    (`loamin` when none is given) — **essential**: they are NIA's OIDC form of SAML's
//!    `RequestedAuthnContext`, which an identity provider must satisfy or refuse. Several level
//!    scopes accept any level one of them accepts; two comparison scopes are an error;
//! 3. a voluntary `acr` member of the `claims` parameter — voluntary;
//! 4. `acr_values` (space separated, in order of preference) — voluntary (OpenID Connect Core
//!    §3.1.2.1).
//!
//! Values that are not LoA URIs (`acr_values=1 2`, unknown scopes) are ignored, and a signal left
//! with no level does not count. A request with no signal accepts any level.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An eIDAS level of assurance, ordered from the weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Loa {
    Low,
    Substantial,
    High,
}

impl Loa {
    /// Every level, weakest first.
    pub(crate) const ALL: [Loa; 3] = [Loa::Low, Loa::Substantial, Loa::High];

    /// The eIDAS URI, as `acr` and SAML's `AuthnContextClassRef` carry it.
    pub(crate) fn uri(self) -> &'static str {
        match self {
            Loa::Low => "http://eidas.europa.eu/LoA/low",
            Loa::Substantial => "http://eidas.europa.eu/LoA/substantial",
            Loa::High => "http://eidas.europa.eu/LoA/high",
        }
    }

    /// The level of an eIDAS URI (exactly as written, case included).
    pub fn parse(text: &str) -> Result<Self, NotALoa> {
        Loa::ALL.into_iter().find(|l| l.uri() == text).ok_or(NotALoa)
    }

    /// The level of one of NIA's scopes `loalow`, `loasubstantial`, `loahigh`.
    pub(crate) fn from_scope(scope: &str) -> Option<Self> {
        match scope {
            "loalow" => Some(Loa::Low),
            "loasubstantial" => Some(Loa::Substantial),
            "loahigh" => Some(Loa::High),
            _ => None,
        }
    }

    fn rank(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for Loa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}

/// A text that is not one of the three eIDAS LoA URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an eIDAS level of assurance URI")]
pub struct NotALoa;

impl FromStr for Loa {
    type Err = NotALoa;

    fn from_str(text: &str) -> Result<Self, NotALoa> {
        Loa::parse(text)
    }
}

impl Serialize for Loa {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.uri())
    }
}

impl<'de> Deserialize<'de> for Loa {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Loa::parse(&text).map_err(|_| serde::de::Error::custom(format!("{text} is not an eIDAS LoA URI")))
    }
}

/// How a named level is compared (SAML's `RequestedAuthnContext@Comparison`, NIA's `loa*` scopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// The level or a stronger one (the default).
    Minimum,
    Exact,
    /// Strictly stronger.
    Better,
    /// The level or a weaker one.
    Maximum,
}

impl Comparison {
    /// The comparison of one of NIA's scopes `loamin`, `loaexact`, `loabetter`, `loamax`.
    pub(crate) fn from_scope(scope: &str) -> Option<Self> {
        match scope {
            "loamin" => Some(Comparison::Minimum),
            "loaexact" => Some(Comparison::Exact),
            "loabetter" => Some(Comparison::Better),
            "loamax" => Some(Comparison::Maximum),
            _ => None,
        }
    }

    /// SAML's `RequestedAuthnContext@Comparison` (`exact` when absent, SAML Core §3.3.2.2.1).
    pub(crate) fn from_saml(comparison: Option<&str>) -> Option<Self> {
        match comparison.unwrap_or("exact") {
            "minimum" => Some(Comparison::Minimum),
            "exact" => Some(Comparison::Exact),
            "better" => Some(Comparison::Better),
            "maximum" => Some(Comparison::Maximum),
            _ => None,
        }
    }

    /// The levels that compare well with `level`, the closest first.
    pub(crate) fn levels(self, level: Loa) -> Vec<Loa> {
        match self {
            Comparison::Minimum => Loa::ALL.into_iter().filter(|l| *l >= level).collect(),
            Comparison::Exact => vec![level],
            Comparison::Better => Loa::ALL.into_iter().filter(|l| *l > level).collect(),
            Comparison::Maximum => Loa::ALL.into_iter().rev().filter(|l| *l <= level).collect(),
        }
    }
}

/// The `acr` member of a `claims` parameter (`id_token` or `userinfo`): whether it is essential
/// and the values it names (`value` and `values`), as the request wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AcrClaim {
    pub(crate) essential: bool,
    pub(crate) values: Vec<String>,
}

/// Everything in a request that names a level of assurance, as written.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signals<'a> {
    /// `acr_values`, split at spaces (or the client's `default_acr_values`).
    pub(crate) acr_values: &'a [String],
    /// The `claims` parameter's `acr` members: `id_token`'s first, then `userinfo`'s.
    pub(crate) claims_acr: &'a [AcrClaim],
    /// The requested scopes, all of them (NIA's `loa*` scopes are not granted scopes).
    pub(crate) scopes: &'a [&'a str],
}

/// The request names two comparisons (`loamin loamax`): it cannot mean both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the scopes {0} and {1} cannot be combined")]
pub(crate) struct ConflictingComparisons(pub String, pub String);

/// Which levels of assurance a request accepts, and whether that is essential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Requirement {
    /// The accepted levels, the most preferred first; `None` when the request names no level.
    /// `Some` of an empty list accepts nothing this provider issues.
    levels: Option<Vec<Loa>>,
    essential: bool,
}

impl Requirement {
    /// Any level, voluntarily: what a request that names none requires.
    pub(crate) fn any() -> Self {
        Self::default()
    }

    /// Exactly these levels (duplicates dropped), in this order of preference.
    pub(crate) fn one_of(levels: impl IntoIterator<Item = Loa>, essential: bool) -> Self {
        let mut list: Vec<Loa> = Vec::new();
        for level in levels {
            if !list.contains(&level) {
                list.push(level);
            }
        }
        Self { levels: Some(list), essential }
    }

    /// The levels that compare well with `level`.
    #[cfg(test)]
    pub(crate) fn compared(comparison: Comparison, level: Loa, essential: bool) -> Self {
        Self::one_of(comparison.levels(level), essential)
    }

    /// SAML's `RequestedAuthnContext`: the levels any of its class references accepts under its
    /// comparison, the closest first — essential, as an identity provider must satisfy it or
    /// refuse. Class references that are not LoA URIs accept nothing this provider issues.
    pub(crate) fn from_authn_context(comparison: Comparison, class_refs: &[String]) -> Self {
        let mut named: Vec<Loa> = class_refs.iter().filter_map(|c| Loa::parse(c.trim()).ok()).collect();
        named.sort();
        Self::one_of(named.iter().flat_map(|l| comparison.levels(*l)), true)
    }

    /// The one place a request's signals become its requirement; see the module documentation
    /// for the precedence.
    pub(crate) fn from_signals(signals: Signals<'_>) -> Result<Self, ConflictingComparisons> {
        let named = |values: &[String]| !values.is_empty();
        let loas = |values: &[String]| values.iter().filter_map(|v| Loa::parse(v).ok()).collect::<Vec<_>>();

        if let Some(claim) = signals.claims_acr.iter().find(|c| c.essential && named(&c.values)) {
            return Ok(Self::one_of(loas(&claim.values), true));
        }
        if let Some(requirement) = from_scopes(signals.scopes)? {
            return Ok(requirement);
        }
        let voluntary = signals.claims_acr.iter().filter(|c| !c.essential).map(|c| loas(&c.values));
        for levels in voluntary.chain([loas(signals.acr_values)]) {
            if !levels.is_empty() {
                return Ok(Self::one_of(levels, false));
            }
        }
        Ok(Self::any())
    }

    /// The accepted levels, most preferred first; `None` when any level will do.
    pub(crate) fn levels(&self) -> Option<&[Loa]> {
        self.levels.as_deref()
    }

    /// Whether failing the requirement must fail the request.
    pub(crate) fn is_essential(&self) -> bool {
        self.essential
    }

    /// Whether an authentication at `level` satisfies the requirement.
    pub(crate) fn accepts(&self, level: Loa) -> bool {
        self.levels.as_ref().is_none_or(|levels| levels.contains(&level))
    }

    /// How far `level` is from the most preferred accepted level (0 when any level will do).
    pub(crate) fn distance(&self, level: Loa) -> i32 {
        match self.levels.as_ref().and_then(|l| l.first()) {
            Some(preferred) => (preferred.rank() - level.rank()).abs(),
            None => 0,
        }
    }
}

/// NIA's scopes: the levels named (union of each level's comparison), or `None` if none is named.
fn from_scopes(scopes: &[&str]) -> Result<Option<Requirement>, ConflictingComparisons> {
    let mut comparison: Option<(Comparison, &str)> = None;
    for scope in scopes {
        let Some(found) = Comparison::from_scope(scope) else { continue };
        match comparison {
            Some((c, first)) if c != found => return Err(ConflictingComparisons(first.into(), (*scope).into())),
            Some(_) => {}
            None => comparison = Some((found, scope)),
        }
    }
    let comparison = comparison.map_or(Comparison::Minimum, |(c, _)| c);
    let mut named: Vec<Loa> = scopes.iter().filter_map(|s| Loa::from_scope(s)).collect();
    if named.is_empty() {
        return Ok(None);
    }
    named.sort();
    named.dedup();
    let mut levels: Vec<Loa> = named.iter().flat_map(|l| comparison.levels(*l)).collect();
    // Closest to what was asked first: upwards for minimum and better, downwards for maximum.
    match comparison {
        Comparison::Maximum => levels.sort_by(|a, b| b.cmp(a)),
        _ => levels.sort(),
    }
    Ok(Some(Requirement::one_of(levels, true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: &str = "http://eidas.europa.eu/LoA/low";
    const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
    const HIGH: &str = "http://eidas.europa.eu/LoA/high";

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn claim(essential: bool, values: &[&str]) -> AcrClaim {
        AcrClaim { essential, values: strings(values) }
    }

    fn require(acr_values: &[&str], claims_acr: &[AcrClaim], scopes: &[&str]) -> Requirement {
        let acr_values = strings(acr_values);
        Requirement::from_signals(Signals { acr_values: &acr_values, claims_acr, scopes }).unwrap()
    }

    #[test]
    fn levels_are_ordered_and_round_trip_through_their_uris() {
        assert!(Loa::Low < Loa::Substantial && Loa::Substantial < Loa::High);
        for level in Loa::ALL {
            assert_eq!(Loa::parse(level.uri()), Ok(level));
            assert_eq!(level.uri().parse::<Loa>(), Ok(level));
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(json, format!("\"{}\"", level.uri()));
            assert_eq!(serde_json::from_str::<Loa>(&json).unwrap(), level);
        }
        assert_eq!(Loa::parse("low"), Err(NotALoa));
        assert_eq!(Loa::parse("HTTP://EIDAS.EUROPA.EU/LoA/low"), Err(NotALoa));
        assert!(serde_json::from_str::<Loa>("\"1\"").is_err());
    }

    #[test]
    fn no_signal_accepts_any_level() {
        let r = require(&[], &[], &["openid", "profile"]);
        assert_eq!(r, Requirement::any());
        assert!(!r.is_essential());
        assert!(Loa::ALL.iter().all(|l| r.accepts(*l)));
    }

    #[test]
    fn acr_values_are_voluntary_in_order_of_preference() {
        let r = require(&[HIGH, LOW], &[], &[]);
        assert_eq!(r.levels(), Some(&[Loa::High, Loa::Low][..]));
        assert!(!r.is_essential());
        assert!(!r.accepts(Loa::Substantial));
    }

    #[test]
    fn unknown_acr_values_are_ignored() {
        assert_eq!(require(&["1", "2"], &[], &[]), Requirement::any());
        let r = require(&["urn:x", SUBSTANTIAL, "low"], &[], &[]);
        assert_eq!(r.levels(), Some(&[Loa::Substantial][..]));
    }

    #[test]
    fn claims_acr_value_and_values() {
        let r = require(&[], &[claim(true, &[HIGH])], &[]);
        assert_eq!(r, Requirement::one_of([Loa::High], true));
        let r = require(&[], &[claim(false, &[SUBSTANTIAL, HIGH])], &[]);
        assert_eq!(r, Requirement::one_of([Loa::Substantial, Loa::High], false));
    }

    #[test]
    fn an_essential_acr_naming_only_unknown_values_accepts_nothing() {
        let r = require(&[LOW], &[claim(true, &["urn:other"])], &["loalow"]);
        assert_eq!(r.levels(), Some(&[][..]));
        assert!(r.is_essential());
        assert!(!Loa::ALL.iter().any(|l| r.accepts(*l)));
    }

    #[test]
    fn an_acr_member_without_values_names_no_level() {
        assert_eq!(require(&[HIGH], &[claim(true, &[])], &[]), Requirement::one_of([Loa::High], false));
        assert_eq!(require(&[], &[claim(true, &[])], &[]), Requirement::any());
    }

    #[test]
    fn loa_scopes_are_essential_and_minimum_by_default() {
        let r = require(&[], &[], &["openid", "loasubstantial"]);
        assert_eq!(r, Requirement::one_of([Loa::Substantial, Loa::High], true));
        assert_eq!(require(&[], &[], &["loamin", "loasubstantial"]), r);
    }

    #[test]
    fn loa_scope_comparisons() {
        let exact = require(&[], &[], &["loahigh", "loaexact"]);
        assert_eq!(exact, Requirement::one_of([Loa::High], true));
        let better = require(&[], &[], &["loabetter", "loalow"]);
        assert_eq!(better, Requirement::one_of([Loa::Substantial, Loa::High], true));
        let max = require(&[], &[], &["loamax", "loasubstantial"]);
        assert_eq!(max, Requirement::one_of([Loa::Substantial, Loa::Low], true));
        assert_eq!(require(&[], &[], &["loabetter", "loahigh"]).levels(), Some(&[][..]));
        // A comparison alone names no level.
        assert_eq!(require(&[], &[], &["loaexact"]), Requirement::any());
    }

    #[test]
    fn several_level_scopes_accept_what_any_of_them_accepts() {
        let r = require(&[], &[], &["loaexact", "loahigh", "loalow"]);
        assert_eq!(r, Requirement::one_of([Loa::Low, Loa::High], true));
        let r = require(&[], &[], &["loahigh", "loasubstantial"]);
        assert_eq!(r, Requirement::one_of([Loa::Substantial, Loa::High], true));
    }

    #[test]
    fn two_comparisons_conflict() {
        let scopes = ["loamin", "loamax", "loalow"];
        let err = Requirement::from_signals(Signals { scopes: &scopes, ..Signals::default() }).unwrap_err();
        assert_eq!(err, ConflictingComparisons("loamin".into(), "loamax".into()));
        assert!(Requirement::from_signals(Signals { scopes: &["loamin", "loamin"], ..Signals::default() }).is_ok());
    }

    #[test]
    fn essential_claims_beat_scopes_beat_voluntary_claims_beat_acr_values() {
        let all = require(&[LOW], &[claim(false, &[SUBSTANTIAL]), claim(true, &[HIGH])], &["loasubstantial"]);
        assert_eq!(all, Requirement::one_of([Loa::High], true), "essential claims (userinfo's too) first");
        let no_essential = require(&[LOW], &[claim(false, &[HIGH])], &["loasubstantial", "loaexact"]);
        assert_eq!(no_essential, Requirement::one_of([Loa::Substantial], true), "then the scopes");
        let voluntary = require(&[LOW], &[claim(false, &[HIGH])], &["openid"]);
        assert_eq!(voluntary, Requirement::one_of([Loa::High], false), "then voluntary claims");
        let unknown_claim = require(&[LOW], &[claim(false, &["urn:x"])], &[]);
        assert_eq!(unknown_claim, Requirement::one_of([Loa::Low], false), "then acr_values");
    }

    #[test]
    fn id_token_member_is_read_before_userinfo() {
        let r = require(&[], &[claim(true, &[SUBSTANTIAL]), claim(true, &[HIGH])], &[]);
        assert_eq!(r, Requirement::one_of([Loa::Substantial], true));
    }

    #[test]
    fn distance_is_measured_from_the_preferred_level() {
        let r = Requirement::one_of([Loa::High, Loa::Low], false);
        assert_eq!(r.distance(Loa::High), 0);
        assert_eq!(r.distance(Loa::Substantial), 1);
        assert_eq!(r.distance(Loa::Low), 2);
        assert_eq!(Requirement::any().distance(Loa::Low), 0);
    }

    #[test]
    fn requirements_survive_storage() {
        let r = Requirement::compared(Comparison::Maximum, Loa::Substantial, true);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["levels"], serde_json::json!([SUBSTANTIAL, LOW]));
        assert_eq!(serde_json::from_value::<Requirement>(json).unwrap(), r);
    }

    #[test]
    fn a_saml_authn_context_is_essential_and_compared() {
        let refs = |r: &[&str]| r.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let minimum = Requirement::from_authn_context(Comparison::Minimum, &refs(&[Loa::Substantial.uri()]));
        assert_eq!(minimum, Requirement::one_of([Loa::Substantial, Loa::High], true));
        let exact = Requirement::from_authn_context(Comparison::Exact, &refs(&[Loa::High.uri(), Loa::Low.uri()]));
        assert_eq!(exact.levels(), Some(&[Loa::Low, Loa::High][..]));
        let maximum = Requirement::from_authn_context(Comparison::Maximum, &refs(&[Loa::Substantial.uri()]));
        assert_eq!(maximum.levels(), Some(&[Loa::Substantial, Loa::Low][..]));
        let unknown = Requirement::from_authn_context(Comparison::Minimum, &refs(&["urn:other:password"]));
        assert!(unknown.is_essential() && !Loa::ALL.into_iter().any(|l| unknown.accepts(l)));
        assert_eq!(Comparison::from_saml(None), Some(Comparison::Exact));
        assert_eq!(Comparison::from_saml(Some("sideways")), None);
    }
}
