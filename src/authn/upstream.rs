//! An upstream OpenID Provider that a means logs the person in at: the bank identity's banks
//! ([`super::bank`]) and NIA's mojeID ([`super::mojeid_federation`]). identita is the upstream's
//! registered confidential client; what the two means share is here, what each concludes from
//! the answer is theirs.
//!
//! [`Relying::begin`] makes the authorization request (code flow, PKCE, a nonce, a `state` whose
//! random part only this login knows, and what the means asks for: scopes, levels, `claims`).
//! [`Relying::finish`] exchanges the code (`client_secret_basic`), verifies the ID token with the
//! `openidconnect` crate (signature, `iss`, `aud`, `exp` by identita's clock, `nonce`) and reads
//! the upstream's userinfo (its `sub` checked against the ID token's). An upstream's discovery
//! document (and its keys) is fetched on first use and kept until an answer fails.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreGenderClaim, CoreJsonWebKeySet, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, LocalizedClaim, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use crate::clock::SharedClock;
use crate::model::{UpstreamPending, User};
use crate::secret::{self, Secret};
use crate::store::{StoreError, UserStore};

/// One upstream OpenID Provider at which identita is a registered confidential client.
#[derive(Clone)]
pub(crate) struct Upstream {
    /// Names the upstream in a pending login and in the log: a bank's id, `mojeid`.
    pub(crate) id: String,
    /// Its issuer identifier, which its discovery document and ID tokens must state.
    pub(crate) issuer: String,
    /// Where its discovery document is fetched: `{issuer}/.well-known/openid-configuration`
    /// unless given (a face of this server, reached at its URL whatever its issuer says).
    pub(crate) discovery: Option<String>,
    pub(crate) client_id: String,
    pub(crate) secret: Secret,
}

impl Upstream {
    fn discovery_url(&self) -> String {
        self.discovery
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/')))
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// Set-up (at start): a secret file that cannot be read, a callback URL that is not one.
    #[error("{0}")]
    Setup(String),
    /// The upstream could not be reached, or answered with an error.
    #[error("the upstream {upstream} failed: {detail}")]
    Unavailable { upstream: String, detail: String },
    /// The upstream's answer does not verify (discovery, ID token, userinfo).
    #[error("the upstream {upstream}'s answer is invalid: {detail}")]
    InvalidAnswer { upstream: String, detail: String },
}

/// What a means asks of the upstream beyond `openid`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ask {
    pub(crate) scopes: Vec<&'static str>,
    /// `acr_values`, in order of preference; none asks for no level.
    pub(crate) acr_values: Vec<String>,
    /// The `claims` parameter, when the means names claims (an essential `acr`).
    pub(crate) claims: Option<serde_json::Value>,
    /// `ui_locales`: the language the person is reading.
    pub(crate) ui_locales: Option<&'static str>,
    /// `prompt=login`: the person authenticates afresh at the upstream.
    pub(crate) fresh: bool,
}

/// The authorization request to send the browser to, and what the callback checks it against.
pub(crate) struct Started {
    pub(crate) url: String,
    pub(crate) pending: UpstreamPending,
}

/// What a verified answer of an upstream says about the person.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The ID token's `sub`.
    pub(crate) subject: String,
    /// The ID token's `acr`, as the upstream wrote it.
    pub(crate) acr: Option<String>,
    /// The name and birth date, from userinfo or else the ID token.
    pub(crate) person: PersonClaims,
    /// Userinfo's other members (mojeID's `mojeid_status`, …).
    pub(crate) other: serde_json::Map<String, serde_json::Value>,
}

/// The claims a person is matched to the register by; each as the upstream gave it, if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PersonClaims {
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub(crate) birthdate: Option<String>,
}

/// Userinfo's members beyond the standard claims.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct OtherClaims {
    #[serde(flatten)]
    members: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

/// Why a verified answer matches no one account of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoMatch {
    /// The upstream did not give the name and birth date the match needs.
    MissingClaims,
    /// No account has them.
    Nobody,
    /// Several accounts have them: which one is meant cannot be told.
    Ambiguous,
}

/// The HTTP client for upstreams and their discovery documents once fetched. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Relying {
    http: reqwest::Client,
    /// By discovery URL.
    discovered: Arc<RwLock<HashMap<String, CoreProviderMetadata>>>,
    /// The provider's clock, which an ID token's expiry is checked against (the system's when
    /// there is none).
    clock: Option<SharedClock>,
}

/// A client made from discovery: the authorization endpoint is set, the token and userinfo
/// endpoints may be.
type DiscoveredClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

impl Relying {
    /// Upstreams checked against `clock`, reached trusting the CA certificates of the PEM file
    /// `ca_file` (`outbound_ca_file`) besides the usual ones.
    pub(crate) fn new(clock: SharedClock, ca_file: Option<&std::path::Path>) -> Result<Self, UpstreamError> {
        let setup = |what: String| UpstreamError::Setup(format!("the HTTP client for upstream providers: {what}"));
        // No redirects: an upstream's endpoints answer directly (the openidconnect crate's advice).
        let mut builder =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(10));
        if let Some(file) = ca_file {
            let pem = std::fs::read(file).map_err(|e| setup(format!("reading {}: {e}", file.display())))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| setup(format!("outbound_ca_file {}: {e}", file.display())))?;
            builder = roots.into_iter().fold(builder, |b, root| b.add_root_certificate(root));
        }
        let http = builder.build().map_err(|e| setup(e.to_string()))?;
        Ok(Self { http, discovered: Arc::default(), clock: Some(clock) })
    }

    /// The upstream's discovery document with its keys: kept, or fetched and checked (its
    /// `issuer` must be the configured one).
    async fn metadata(&self, upstream: &Upstream) -> Result<CoreProviderMetadata, UpstreamError> {
        let url = upstream.discovery_url();
        if let Some(known) = self.discovered.read().ok().and_then(|d| d.get(&url).cloned()) {
            return Ok(known);
        }
        let unavailable = |detail: String| UpstreamError::Unavailable { upstream: upstream.id.clone(), detail };
        let invalid = |detail: String| UpstreamError::InvalidAnswer { upstream: upstream.id.clone(), detail };
        let response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(format!("discovery at {url}: {}", describe(&e))))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("discovery at {url}: HTTP {}", response.status())));
        }
        let body = response.bytes().await.map_err(|e| unavailable(format!("discovery at {url}: {e}")))?;
        let metadata: CoreProviderMetadata =
            serde_json::from_slice(&body).map_err(|e| invalid(format!("discovery at {url}: {e}")))?;
        if metadata.issuer().as_str() != upstream.issuer {
            return Err(invalid(format!(
                "discovery at {url} states the issuer {}, not {}",
                metadata.issuer().as_str(),
                upstream.issuer
            )));
        }
        let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| unavailable(format!("keys: {}", describe(&e))))?;
        let metadata = metadata.set_jwks(jwks);
        if let Ok(mut discovered) = self.discovered.write() {
            discovered.insert(url, metadata.clone());
        }
        Ok(metadata)
    }

    /// The authorization request at `upstream` for a login answered at `redirect_uri`; the
    /// `state` starts with `interaction` so that the callback finds the login again.
    pub(crate) async fn begin(
        &self,
        upstream: &Upstream,
        redirect_uri: &str,
        interaction: &str,
        ask: &Ask,
    ) -> Result<Started, UpstreamError> {
        let metadata = self.metadata(upstream).await?;
        let client = client(upstream, metadata, redirect_uri)?;
        let random = secret::random_token(24);
        let state = format!("{interaction}.{random}");
        let nonce = secret::random_token(24);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, move || CsrfToken::new(state), {
                let nonce = nonce.clone();
                move || Nonce::new(nonce)
            })
            .set_pkce_challenge(challenge);
        for scope in &ask.scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        for acr in &ask.acr_values {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        if let Some(claims) = &ask.claims {
            request = request.add_extra_param("claims", claims.to_string());
        }
        if let Some(locales) = ask.ui_locales {
            request = request.add_extra_param("ui_locales", locales);
        }
        if ask.fresh {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, _, _) = request.url();
        let pending = UpstreamPending {
            upstream: upstream.id.clone(),
            state_digest: secret::digest(&random),
            nonce,
            pkce_verifier: verifier.secret().clone(),
        };
        Ok(Started { url: url.to_string(), pending })
    }

    /// What `upstream` vouches for, from the `code` it sent back for `pending`. A failure
    /// forgets the upstream's discovery document (and the keys fetched with it), so that the
    /// next login sees an upstream that has moved an endpoint or rotated its keys.
    pub(crate) async fn finish(
        &self,
        upstream: &Upstream,
        pending: &UpstreamPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Answer, UpstreamError> {
        let answer = self.answer(upstream, pending, code, redirect_uri).await;
        if answer.is_err()
            && let Ok(mut discovered) = self.discovered.write()
        {
            discovered.remove(&upstream.discovery_url());
        }
        answer
    }

    async fn answer(
        &self,
        upstream: &Upstream,
        pending: &UpstreamPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Answer, UpstreamError> {
        let unavailable = |detail: String| UpstreamError::Unavailable { upstream: upstream.id.clone(), detail };
        let invalid = |detail: String| UpstreamError::InvalidAnswer { upstream: upstream.id.clone(), detail };
        let metadata = self.metadata(upstream).await?;
        let client = client(upstream, metadata, redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| unavailable(format!("token: {}", describe(&e))))?;
        let id_token = tokens.id_token().ok_or_else(|| invalid("no ID token".into()))?;
        let mut verifier = client.id_token_verifier();
        if let Some(clock) = self.clock.clone() {
            verifier = verifier.set_time_fn(move || {
                chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or(chrono::DateTime::UNIX_EPOCH)
            });
        }
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| invalid(format!("ID token: {e}")))?;
        let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = client
            .user_info(
                openidconnect::OAuth2TokenResponse::access_token(&tokens).clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|e| unavailable(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| invalid(format!("userinfo: {}", describe(&e))))?;
        let given_name = localized(info.given_name()).or_else(|| localized(claims.given_name()));
        let family_name = localized(info.family_name()).or_else(|| localized(claims.family_name()));
        let birthdate = info.birthdate().or(claims.birthdate()).map(|b| b.as_str().to_owned());
        Ok(Answer {
            subject: claims.subject().as_str().to_owned(),
            acr: claims.auth_context_ref().map(|acr| acr.as_str().to_owned()),
            person: PersonClaims { given_name, family_name, birthdate },
            other: info.additional_claims().members.clone(),
        })
    }
}

/// A claim in no particular language (the first one the upstream gave without a tag).
fn localized<T: std::ops::Deref<Target = String>>(claim: Option<&LocalizedClaim<T>>) -> Option<String> {
    claim.and_then(|c| c.get(None)).map(|value| (**value).clone())
}

fn client(
    upstream: &Upstream,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
) -> Result<DiscoveredClient, UpstreamError> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| UpstreamError::Setup(format!("the callback URL {redirect_uri}: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(upstream.client_id.clone()),
        Some(ClientSecret::new(upstream.secret.expose().to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// An error with its causes, for the log (never for a page).
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A client secret given in the configuration, or read from `file` (surrounding whitespace
/// ignored); `what` names the setting in the message.
pub(crate) fn read_secret(
    secret: Option<&Secret>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<Secret, UpstreamError> {
    match (secret, file) {
        (Some(secret), _) => Ok(secret.clone()),
        (None, Some(file)) => std::fs::read_to_string(file)
            .map(|text| Secret::new(text.trim()))
            .map_err(|e| UpstreamError::Setup(format!("reading {what}.client_secret_file {}: {e}", file.display()))),
        (None, None) => Err(UpstreamError::Setup(format!("{what} has no client secret"))),
    }
}

/// The one enabled account whose profile has the upstream's given name, family name and birth
/// date.
pub(crate) async fn match_citizen(
    users: &dyn UserStore,
    claims: &PersonClaims,
) -> Result<Result<User, NoMatch>, StoreError> {
    let (Some(given_name), Some(family_name), Some(birthdate)) =
        (&claims.given_name, &claims.family_name, &claims.birthdate)
    else {
        return Ok(Err(NoMatch::MissingClaims));
    };
    let same = |field: &Option<String>, value: &str| field.as_deref().map(str::trim) == Some(value.trim());
    let mut matches: Vec<User> = users
        .list()
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            same(&u.profile.given_name, given_name)
                && same(&u.profile.family_name, family_name)
                && same(&u.profile.birthdate, birthdate)
        })
        .collect();
    Ok(match matches.len() {
        0 => Err(NoMatch::Nobody),
        1 => Ok(matches.remove(0)),
        _ => Err(NoMatch::Ambiguous),
    })
}

/// A `state` sent to an upstream, split into the interaction it belongs to and its random part.
pub(crate) fn interaction_of(state: &str) -> Option<(&str, &str)> {
    state.split_once('.').filter(|(id, random)| !id.is_empty() && !random.is_empty())
}

/// Whether the random part of a `state` is the one `pending` was made with.
pub(crate) fn state_matches(pending: &UpstreamPending, random: &str) -> bool {
    secret::constant_time_eq(&secret::digest(random), &pending.state_digest)
}
