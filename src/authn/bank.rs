//! Bank identity (substantial): the citizen logs in at their bank, an upstream OpenID Provider
//! configured in `[[banks]]`, and is matched to the register by the bank's claims.
//!
//! [`Banks::begin`] makes the authorization request (code flow, PKCE, a nonce, a `state` whose
//! random part only this login knows). [`Banks::finish`] exchanges the code, verifies the ID
//! token with the `openidconnect` crate (signature, `iss`, `aud`, `exp`, `nonce`), refuses an
//! answer below substantial whatever was asked, and reads the person's name and birth date from
//! the bank's userinfo (its `sub` checked against the ID token's). [`match_citizen`] finds the one
//! account with those claims. Each bank's discovery document is fetched on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationContextClass, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse,
};

use crate::clock::SharedClock;
use crate::config::BankConfig;
use crate::model::loa::Loa;
use crate::model::{BankPending, User};
use crate::secret::{self, Secret};
use crate::store::{StoreError, UserStore};

#[derive(Debug, thiserror::Error)]
pub(crate) enum BankError {
    /// Set-up (at start): a secret file that cannot be read.
    #[error("{0}")]
    Setup(String),
    /// No bank with this id is configured.
    #[error("no bank {0:?} is configured")]
    UnknownBank(String),
    /// The bank could not be reached, or answered with an error.
    #[error("the bank {bank} failed: {detail}")]
    Unavailable { bank: String, detail: String },
    /// The bank's answer does not verify (ID token, userinfo).
    #[error("the bank {bank}'s answer is invalid: {detail}")]
    InvalidAnswer { bank: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a verified answer of a bank logs nobody in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BankRefusal {
    /// The bank authenticated the person below substantial (or said no level).
    LowAssurance,
    /// The bank did not give the name and birth date the match needs.
    MissingClaims,
    /// No account has the bank's name and birth date.
    NoMatch,
    /// Several accounts have them: which one is meant cannot be told.
    Ambiguous,
}

impl BankRefusal {
    /// The reason as the log and metrics name it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BankRefusal::LowAssurance => "bank_low_assurance",
            BankRefusal::MissingClaims => "bank_missing_claims",
            BankRefusal::NoMatch => "bank_no_match",
            BankRefusal::Ambiguous => "bank_ambiguous",
        }
    }
}

/// What a bank vouches for about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BankClaims {
    pub(crate) given_name: String,
    pub(crate) family_name: String,
    /// `YYYY-MM-DD`.
    pub(crate) birthdate: String,
}

struct Bank {
    config: BankConfig,
    secret: Secret,
}

/// The configured banks, with their discovery documents once fetched. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Banks {
    banks: Arc<Vec<Bank>>,
    http: reqwest::Client,
    discovered: Arc<RwLock<HashMap<String, CoreProviderMetadata>>>,
    /// The provider's clock, which a bank's ID token's expiry is checked against (the system's
    /// when there is none).
    clock: Option<SharedClock>,
}

/// The authorization request to send the browser to, and what the callback checks it against.
pub(crate) struct Started {
    pub(crate) url: String,
    pub(crate) pending: BankPending,
}

impl Banks {
    /// The banks of `[[banks]]` (validated by the config), their secrets read.
    pub(crate) fn new(configs: &[BankConfig], clock: SharedClock) -> Result<Self, BankError> {
        let mut banks = Vec::new();
        for config in configs {
            let secret = match (&config.client_secret, &config.client_secret_file) {
                (Some(secret), _) => secret.clone(),
                (None, Some(file)) => {
                    let text = std::fs::read_to_string(file).map_err(|e| {
                        BankError::Setup(format!("reading banks.client_secret_file {}: {e}", file.display()))
                    })?;
                    Secret::new(text.trim())
                }
                (None, None) => return Err(BankError::Setup(format!("bank {} has no client secret", config.id))),
            };
            banks.push(Bank { config: config.clone(), secret });
        }
        // No redirects: a bank's endpoints answer directly (the openidconnect crate's advice).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| BankError::Setup(format!("the HTTP client for banks: {e}")))?;
        Ok(Self { banks: Arc::new(banks), http, discovered: Arc::default(), clock: Some(clock) })
    }

    fn bank(&self, id: &str) -> Result<&Bank, BankError> {
        self.banks.iter().find(|b| b.config.id == id).ok_or_else(|| BankError::UnknownBank(id.to_owned()))
    }

    async fn metadata(&self, bank: &Bank) -> Result<CoreProviderMetadata, BankError> {
        if let Some(known) = self.discovered.read().ok().and_then(|d| d.get(&bank.config.id).cloned()) {
            return Ok(known);
        }
        let unavailable = |detail: String| BankError::Unavailable { bank: bank.config.id.clone(), detail };
        let issuer = IssuerUrl::new(bank.config.issuer.clone()).map_err(|e| unavailable(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| unavailable(format!("discovery: {}", describe(&e))))?;
        if let Ok(mut discovered) = self.discovered.write() {
            discovered.insert(bank.config.id.clone(), metadata.clone());
        }
        Ok(metadata)
    }

    /// The authorization request for a login at `bank_id`, answered at `redirect_uri`; the
    /// `state` starts with `interaction` so that the callback finds the login again.
    pub(crate) async fn begin(
        &self,
        bank_id: &str,
        redirect_uri: &str,
        interaction: &str,
    ) -> Result<Started, BankError> {
        let bank = self.bank(bank_id)?;
        let metadata = self.metadata(bank).await?;
        let client = client(bank, metadata, redirect_uri)?;
        let random = secret::random_token(24);
        let state = format!("{interaction}.{random}");
        let nonce = secret::random_token(24);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, move || CsrfToken::new(state), {
                let nonce = nonce.clone();
                move || Nonce::new(nonce)
            })
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        for acr in bank.config.acr_values.split_whitespace() {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.to_owned()));
        }
        let (url, _, _) = request.url();
        let pending = BankPending {
            bank: bank.config.id.clone(),
            state_digest: secret::digest(&random),
            nonce,
            pkce_verifier: verifier.secret().clone(),
        };
        Ok(Started { url: url.to_string(), pending })
    }

    /// The person the bank vouches for, from the `code` it sent back for `pending`. A failure
    /// forgets the bank's discovery document (and the keys fetched with it), so that the next
    /// login sees a bank that has moved an endpoint or rotated its keys.
    pub(crate) async fn finish(
        &self,
        pending: &BankPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Result<BankClaims, BankRefusal>, BankError> {
        let answer = self.answer(pending, code, redirect_uri).await;
        if answer.is_err()
            && let Ok(mut discovered) = self.discovered.write()
        {
            discovered.remove(&pending.bank);
        }
        answer
    }

    async fn answer(
        &self,
        pending: &BankPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Result<BankClaims, BankRefusal>, BankError> {
        let bank = self.bank(&pending.bank)?;
        let id = &bank.config.id;
        let unavailable = |detail: String| BankError::Unavailable { bank: id.clone(), detail };
        let invalid = |detail: String| BankError::InvalidAnswer { bank: id.clone(), detail };
        let metadata = self.metadata(bank).await?;
        let client = client(bank, metadata, redirect_uri)?;
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
        let level = claims.auth_context_ref().and_then(|acr| Loa::parse(acr.as_str()).ok());
        if level.is_none_or(|l| l < Loa::Substantial) {
            return Ok(Err(BankRefusal::LowAssurance));
        }
        let info: CoreUserInfoClaims = client
            .user_info(
                openidconnect::OAuth2TokenResponse::access_token(&tokens).clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|e| unavailable(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| invalid(format!("userinfo: {}", describe(&e))))?;
        let given = info.given_name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
        let family = info.family_name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
        let birthdate = info.birthdate().map(|b| b.as_str().to_owned());
        match (given, family, birthdate) {
            (Some(given_name), Some(family_name), Some(birthdate)) => {
                Ok(Ok(BankClaims { given_name, family_name, birthdate }))
            }
            _ => Ok(Err(BankRefusal::MissingClaims)),
        }
    }
}

/// A client made from discovery: the authorization endpoint is set, the token and userinfo
/// endpoints may be.
type DiscoveredClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

fn client(bank: &Bank, metadata: CoreProviderMetadata, redirect_uri: &str) -> Result<DiscoveredClient, BankError> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| BankError::Setup(format!("the bank callback URL {redirect_uri}: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(bank.config.client_id.clone()),
        Some(ClientSecret::new(bank.secret.expose().to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// An error with its causes, for the log (never for a page).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The account the bank's answer to `pending` logs in: the bank's claims ([`Banks::finish`])
/// matched to the register ([`match_citizen`]).
pub(crate) async fn login(
    banks: &Banks,
    users: &dyn UserStore,
    pending: &BankPending,
    code: &str,
    redirect_uri: &str,
) -> Result<Result<User, BankRefusal>, BankError> {
    let claims = match banks.finish(pending, code, redirect_uri).await? {
        Ok(claims) => claims,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(match_citizen(users, &claims).await?)
}

/// The one enabled account whose profile has the bank's given name, family name and birth date.
pub(crate) async fn match_citizen(
    users: &dyn UserStore,
    claims: &BankClaims,
) -> Result<Result<User, BankRefusal>, StoreError> {
    let same = |field: &Option<String>, value: &str| field.as_deref().map(str::trim) == Some(value.trim());
    let mut matches: Vec<User> = users
        .list()
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            same(&u.profile.given_name, &claims.given_name)
                && same(&u.profile.family_name, &claims.family_name)
                && same(&u.profile.birthdate, &claims.birthdate)
        })
        .collect();
    Ok(match matches.len() {
        0 => Err(BankRefusal::NoMatch),
        1 => Ok(matches.remove(0)),
        _ => Err(BankRefusal::Ambiguous),
    })
}

/// A `state` sent to a bank, split into the interaction it belongs to and its random part.
pub(crate) fn interaction_of(state: &str) -> Option<(&str, &str)> {
    state.split_once('.').filter(|(id, random)| !id.is_empty() && !random.is_empty())
}

/// Whether the random part of a `state` is the one `pending` was made with.
pub(crate) fn state_matches(pending: &BankPending, random: &str) -> bool {
    secret::constant_time_eq(&secret::digest(random), &pending.state_digest)
}
