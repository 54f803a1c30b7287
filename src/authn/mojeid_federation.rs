//! NIA's "mojeID" means: a face whose persona federates mojeID (`Persona::federates_mojeid`, the
//! `nia` persona) logs the citizen in at an upstream mojeID over OpenID Connect
//! ([`super::upstream`]) and takes the level mojeID vouches for.
//!
//! Where the upstream comes from ([`source`]): the face's `[faces.mojeid]` (an external mojeID,
//! matched to the register by name and birth date as the bank identity is), or else the
//! `mojeid` face of the same server, at which the face is a client of its own made at start
//! (`app::ensure_mojeid_clients`: [`local_client_id`], [`local_client_secret`]); that face's
//! `sub` for it is the account's id, so the account is found directly.
//!
//! The request asks for the levels the login accepts ([`levels_to_ask`]) both as `acr_values`
//! and as an essential `acr` in `claims`; the answer's `acr` ([`level_of`]) must be substantial or
//! high (NIA accepts mojeID at no other level) and one the login's plan accepts: a login asking
//! for high gets high only when mojeID said high. The PersonIdentifier a portal gets comes from
//! the account, so it is the same whichever means the citizen used.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::loa;
use super::means::{self, Means};
use super::upstream::{self, Ask, NoMatch, Relying, Started, Upstream, UpstreamError};
use crate::clock::SharedClock;
use crate::config::{Config, MojeidUpstreamConfig};
use crate::model::interaction::LoginRequest;
use crate::model::loa::{Loa, Requirement};
use crate::model::{UpstreamPending, User};
use crate::persona::{Persona, Surface};
use crate::secret::Secret;
use crate::store::{StoreError, UserStore};

/// The name of the upstream in a pending login and in the log.
const UPSTREAM_ID: &str = "mojeid";

/// Where a face's upstream mojeID is.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// `[faces.mojeid]`: an external mojeID, configured.
    Configured(MojeidUpstreamConfig),
    /// The `mojeid` face of this server (the first, if several), reached at its URL.
    Local(Box<Persona>),
}

/// The upstream mojeID of the face `persona`: none unless its persona federates mojeID; its
/// `[faces.mojeid]`, or else this server's `mojeid` face.
pub(crate) fn source(config: &Config, persona: &Persona) -> Option<Source> {
    if !persona.federates_mojeid {
        return None;
    }
    let own = config.faces.iter().find(|f| persona.face.as_ref() == Some(&f.name));
    if let Some(configured) = own.and_then(|f| f.mojeid.clone()) {
        return Some(Source::Configured(configured));
    }
    config
        .faces
        .iter()
        .filter_map(|f| f.persona().ok())
        .find(|p| p.surface == Surface::MojeId)
        .map(|p| Source::Local(Box::new(p)))
}

/// The client id of the face `nia` at this server's mojeID face.
pub(crate) fn local_client_id(nia: &Persona) -> String {
    match &nia.face {
        Some(name) => format!("identita-{name}"),
        None => "identita".to_owned(),
    }
}

/// The secret of the face `nia` at this server's mojeID face: derived from the server's secret
/// (the pairwise salt, which every node shares and a restart keeps), so nothing is stored.
pub(crate) fn local_client_secret(server_secret: &str, nia: &Persona) -> Secret {
    let mut hasher = Sha256::new();
    for part in ["mojeid federation client secret", &local_client_id(nia), server_secret] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    Secret::new(URL_SAFE_NO_PAD.encode(hasher.finalize()))
}

/// The level an upstream's `acr` states: an eIDAS URI, as mojeID's SAML side names its levels
/// (reference §8.4: `http://eidas.europa.eu/LoA/substantial` and `…/high`). The reference knows
/// no names of mojeID's own for OpenID Connect, so anything else is no level.
pub(crate) fn level_of(acr: Option<&str>) -> Option<Loa> {
    acr.and_then(|acr| Loa::parse(acr.trim()).ok())
}

/// The levels to ask mojeID for, most preferred first: those of substantial and high that the
/// login's plan accepts, in the request's order; both when the request names none (NIA takes
/// mojeID at no lower level).
pub(crate) fn levels_to_ask(requirement: &Requirement, persona: &Persona) -> Vec<Loa> {
    let mojeid = Means::MojeidFederated.levels(persona);
    let accepted: Vec<Loa> = match loa::plan(requirement, &means::reachable(persona)) {
        Ok(plan) => {
            let order = requirement.levels().map_or_else(|| mojeid.clone(), <[Loa]>::to_vec);
            order.into_iter().filter(|l| mojeid.contains(l) && plan.accepts(*l)).collect()
        }
        Err(_) => Vec::new(),
    };
    if accepted.is_empty() { mojeid } else { accepted }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FederationError {
    /// The face has no upstream mojeID.
    #[error("this face has no upstream mojeID")]
    NotConfigured,
    /// mojeID could not be reached, its answer did not verify, or set-up failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a verified answer of mojeID logs nobody in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// mojeID stated no level, one it is not known by, or one below substantial.
    LowAssurance,
    /// A level NIA takes, but not one this login accepts (substantial where high is needed).
    BelowRequest,
    /// The answer does not name the one account it is for: claims missing, no account or several
    /// with them, or (this server's mojeID) an account since removed or disabled.
    NoMatch(NoMatch),
}

impl Refusal {
    /// The reason as the log and metrics name it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::LowAssurance => "mojeid_low_assurance",
            Refusal::BelowRequest => "mojeid_below_request",
            Refusal::NoMatch(NoMatch::MissingClaims) => "mojeid_missing_claims",
            Refusal::NoMatch(NoMatch::Nobody) => "mojeid_no_match",
            Refusal::NoMatch(NoMatch::Ambiguous) => "mojeid_ambiguous",
        }
    }
}

/// A login mojeID vouched for: the account and the level.
#[derive(Debug, Clone)]
pub(crate) struct Federated {
    pub(crate) user: User,
    pub(crate) acr: Loa,
    /// mojeID's account status (`mojeid_status`), for the log, when it gave one.
    pub(crate) status: Option<String>,
}

struct FaceUpstream {
    upstream: Upstream,
    /// This server's mojeID face: its `sub` is the account's id.
    local: bool,
}

/// The upstream mojeID of each face that has one, by the face's name (`None`: the primary).
/// Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Federation {
    faces: Arc<HashMap<Option<String>, FaceUpstream>>,
    relying: Relying,
}

impl Federation {
    /// The upstreams of `faces` (their secrets read), with the server's secret that the local
    /// clients' secrets derive from, reached trusting `outbound_ca_file` too.
    pub(crate) fn new<'a>(
        config: &Config,
        faces: impl Iterator<Item = &'a Persona>,
        server_secret: &str,
        clock: SharedClock,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, UpstreamError> {
        let mut upstreams = HashMap::new();
        for face in faces {
            let upstream = match source(config, face) {
                None => continue,
                Some(Source::Configured(c)) => {
                    let what = format!("faces.{}.mojeid", face.face.as_deref().unwrap_or_default());
                    let secret =
                        upstream::read_secret(c.client_secret.as_ref(), c.client_secret_file.as_deref(), &what)?;
                    let upstream = Upstream {
                        id: UPSTREAM_ID.into(),
                        issuer: c.issuer,
                        discovery: c.discovery,
                        client_id: c.client_id,
                        secret,
                    };
                    FaceUpstream { upstream, local: false }
                }
                Some(Source::Local(mojeid)) => {
                    let upstream = Upstream {
                        id: UPSTREAM_ID.into(),
                        discovery: Some(mojeid.url(mojeid.paths.discovery)),
                        issuer: mojeid.issuer.clone(),
                        client_id: local_client_id(face),
                        secret: local_client_secret(server_secret, face),
                    };
                    FaceUpstream { upstream, local: true }
                }
            };
            upstreams.insert(face.face.clone(), upstream);
        }
        Ok(Self { faces: Arc::new(upstreams), relying: Relying::new(clock, ca_file)? })
    }

    fn of(&self, face: &Persona) -> Result<&FaceUpstream, FederationError> {
        self.faces.get(&face.face).ok_or(FederationError::NotConfigured)
    }

    /// The authorization request at the upstream of `face` for `login` (the levels it requires,
    /// whether afresh), answered at `redirect_uri`; the `state` starts with `interaction`.
    pub(crate) async fn begin(
        &self,
        face: &Persona,
        login: &LoginRequest,
        redirect_uri: &str,
        interaction: &str,
        locale: &'static str,
    ) -> Result<Started, FederationError> {
        let upstream = &self.of(face)?.upstream;
        let levels: Vec<String> = levels_to_ask(&login.loa, face).iter().map(|l| l.uri().to_owned()).collect();
        let ask = Ask {
            scopes: vec!["profile", "email"],
            claims: Some(json!({
                "id_token": { "acr": { "essential": true, "values": levels } },
                // Given to full-access services only (this server's mojeID face gives them to
                // NIA's client); logged, not required: the level is what NIA relies on.
                "userinfo": { "mojeid_valid": null, "mojeid_status": null },
            })),
            acr_values: levels,
            ui_locales: Some(locale),
            fresh: login.force_authn,
        };
        Ok(self.relying.begin(upstream, redirect_uri, interaction, &ask).await?)
    }

    /// The account mojeID's answer to `pending` logs in at `face`, and the level: a level NIA
    /// takes and the login's `requirement` accepts, and the one account the answer names.
    pub(crate) async fn login(
        &self,
        users: &dyn UserStore,
        face: &Persona,
        requirement: &Requirement,
        pending: &UpstreamPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Result<Federated, Refusal>, FederationError> {
        let chosen = self.of(face)?;
        let answer = self.relying.finish(&chosen.upstream, pending, code, redirect_uri).await?;
        let Some(acr) = level_of(answer.acr.as_deref()).filter(|l| *l >= Loa::Substantial) else {
            return Ok(Err(Refusal::LowAssurance));
        };
        let plan = loa::plan(requirement, &means::reachable(face));
        if !plan.is_ok_and(|plan| plan.accepts(acr)) {
            return Ok(Err(Refusal::BelowRequest));
        }
        let user = match chosen.local {
            true => match users.get(&answer.subject).await? {
                Some(user) if !user.disabled => Ok(user),
                _ => Err(NoMatch::Nobody),
            },
            false => upstream::match_citizen(users, &answer.person).await?,
        };
        let status = answer.other.get("mojeid_status").and_then(|s| s.as_str()).map(str::to_owned);
        Ok(user.map(|user| Federated { user, acr, status }).map_err(Refusal::NoMatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::loa::Comparison;

    fn nia() -> Persona {
        Persona::by_name("nia", None, Some("https://login.example/nia")).unwrap().into_face("nia")
    }

    #[test]
    fn only_eidas_uris_are_levels() {
        assert_eq!(level_of(Some("http://eidas.europa.eu/LoA/high")), Some(Loa::High));
        assert_eq!(level_of(Some("http://eidas.europa.eu/LoA/substantial")), Some(Loa::Substantial));
        for unknown in
            [None, Some(""), Some("substantial"), Some("urn:mojeid:loa:2"), Some("HTTP://EIDAS.EUROPA.EU/LoA/high")]
        {
            assert_eq!(level_of(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_levels_asked_are_those_the_login_accepts_from_substantial_up() {
        let ask = |r: Requirement| levels_to_ask(&r, &nia());
        assert_eq!(ask(Requirement::any()), [Loa::Substantial, Loa::High]);
        assert_eq!(
            ask(Requirement::compared(Comparison::Minimum, Loa::Substantial, true)),
            [Loa::Substantial, Loa::High]
        );
        assert_eq!(ask(Requirement::compared(Comparison::Minimum, Loa::Low, true)), [Loa::Substantial, Loa::High]);
        assert_eq!(ask(Requirement::one_of([Loa::High], true)), [Loa::High]);
        assert_eq!(ask(Requirement::one_of([Loa::High, Loa::Substantial], false)), [Loa::High, Loa::Substantial]);
    }

    #[test]
    fn the_local_client_secret_is_stable_and_differs_per_face_and_server() {
        let a = local_client_secret("server-secret-1", &nia());
        assert_eq!(a, local_client_secret("server-secret-1", &nia()));
        assert_ne!(a, local_client_secret("server-secret-2", &nia()));
        assert_ne!(a, local_client_secret("server-secret-1", &nia().into_face("nia2")));
        assert_eq!(local_client_id(&nia()), "identita-nia");
    }
}
