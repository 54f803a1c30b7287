//! Issuing tokens: opaque access and refresh tokens (stored as digests), and signed ID tokens
//! (then encrypted for a client that registered for it, [`encryption`]).

use serde_json::{Map, Value, json};

use crate::keys::{KeyError, KeyRing, jose};
use crate::model::{AccessToken, Client, Grant, RefreshToken};
use crate::oidc::Provider;
use crate::oidc::encryption;
use crate::oidc::error::OAuthError;
use crate::oidc::release;
use crate::secret;

/// A new access token for `grant`, and its lifetime in seconds.
pub(crate) async fn access_token(provider: &Provider, grant: &Grant) -> Result<(String, i64), OAuthError> {
    let (token, record) = new_access(provider, grant);
    provider.stores.tokens.insert_access(&record).await?;
    Ok((token, provider.config.tokens.access_token_ttl))
}

/// A new access token for `grant` and its record, not yet stored.
pub(crate) fn new_access(provider: &Provider, grant: &Grant) -> (String, AccessToken) {
    let now = provider.now();
    let token = secret::bearer_token(now);
    let record = AccessToken {
        digest: secret::bearer_digest(&token),
        grant: grant.clone(),
        issued_at: now,
        expires_at: now + provider.config.tokens.access_token_ttl,
    };
    (token, record)
}

/// A new refresh token for `grant` and its record, not yet stored.
pub(crate) fn new_refresh(provider: &Provider, grant: &Grant) -> (String, RefreshToken) {
    let now = provider.now();
    let token = secret::bearer_token(now);
    let record = RefreshToken {
        digest: secret::bearer_digest(&token),
        grant: grant.clone(),
        issued_at: now,
        expires_at: now + provider.config.tokens.refresh_token_ttl,
        used_at: None,
        successor: None,
    };
    (token, record)
}

pub(crate) struct IdTokenInput<'a> {
    /// Adds `at_hash`.
    pub(crate) access_token: Option<&'a str>,
    /// Adds `c_hash`.
    pub(crate) code: Option<&'a str>,
    /// Release the granted scopes' claims in the ID token itself.
    pub(crate) scope_claims: bool,
    /// Include the request's `nonce` (not on refresh).
    pub(crate) nonce: bool,
}

/// A signed ID token for a grant made to a person, encrypted if the client registered for it.
pub(crate) async fn id_token(
    provider: &Provider,
    client: &Client,
    grant: &Grant,
    input: IdTokenInput<'_>,
) -> Result<String, OAuthError> {
    let authn = grant.authn.as_ref().ok_or_else(OAuthError::server_error)?;
    let user = provider
        .stores
        .users
        .get(&authn.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the account no longer exists or is disabled"))?;
    let alg = client.id_token_signed_response_alg.as_str();
    let now = provider.now();

    let place = release::Place::IdToken { scope_claims: input.scope_claims };
    let person = provider.person_of(&user).await?;
    let mojeid = provider.mojeid_account_of(&user).await?;
    let mut body: Map<String, Value> =
        release::claims(provider, client, &user, person.as_ref(), mojeid.as_ref(), grant, place);
    let protocol = json!({
        "iss": provider.issuer(),
        "aud": client.client_id,
        "exp": now + provider.config.tokens.id_token_ttl,
        "iat": now,
        "auth_time": authn.auth_time,
        "acr": authn.acr.uri(),
        "amr": authn.amr,
        "azp": client.client_id,
    });
    if let Value::Object(protocol) = protocol {
        body.extend(protocol);
    }
    if let Some(sid) = &grant.sid {
        body.insert("sid".into(), Value::from(sid.clone()));
    }
    if input.nonce
        && let Some(nonce) = &grant.nonce
    {
        body.insert("nonce".into(), Value::from(nonce.clone()));
    }
    let hash = |value: &str| jose::half_hash(alg, value).map_err(|_| OAuthError::server_error());
    if let Some(token) = input.access_token {
        body.insert("at_hash".into(), Value::from(hash(token)?));
    }
    if let Some(code) = input.code {
        body.insert("c_hash".into(), Value::from(hash(code)?));
    }
    let signed = provider.id_token_signer.sign_id_token(alg, body).map_err(|e| {
        tracing::error!(error = %e, alg, "signing an ID token failed");
        OAuthError::server_error()
    })?;
    encryption::id_token(provider, client, signed).await
}

/// Signs ID tokens: the key ring (with the header `{alg, kid}`), unless the composition root
/// wrapped it. The one seam between building an ID token's claims and the token handed out.
pub(crate) trait IdTokenSigner: Send + Sync {
    fn sign_id_token(&self, alg: &str, claims: Map<String, Value>) -> Result<String, KeyError>;
}

impl IdTokenSigner for KeyRing {
    fn sign_id_token(&self, alg: &str, claims: Map<String, Value>) -> Result<String, KeyError> {
        self.sign(alg, None, &claims)
    }
}

/// Signs claims with the provider's active key for `alg`.
pub(crate) fn sign(
    provider: &Provider,
    alg: &str,
    typ: Option<&str>,
    claims: &Map<String, Value>,
) -> Result<String, OAuthError> {
    provider.keys.sign(alg, typ, claims).map_err(|e| {
        tracing::error!(error = %e, alg, "signing failed");
        OAuthError::server_error()
    })
}
