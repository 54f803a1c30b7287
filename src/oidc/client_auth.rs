//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` and `none` (public clients).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::keys::jose;
use crate::model::{AuthMethod, Client};
use crate::oidc::Provider;
use crate::oidc::client_keys;
use crate::oidc::error::OAuthError;
use crate::secret;

pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Algorithms accepted for `private_key_jwt` assertions.
pub(crate) const ASSERTION_ALGS: [&str; 7] = ["RS256", "PS256", "ES256", "EdDSA", "RS384", "RS512", "ES384"];

/// What the request carried to authenticate the client.
#[derive(Default, Clone)]
pub(crate) struct Credentials {
    /// The `Authorization` header's value, if any.
    pub(crate) authorization: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) client_assertion: Option<String>,
    pub(crate) client_assertion_type: Option<String>,
}

impl Credentials {
    /// The credentials among a request's form parameters, and its `Authorization` header.
    pub(crate) fn from_params(params: &HashMap<String, String>, authorization: Option<String>) -> Self {
        Self {
            authorization,
            client_id: params.get("client_id").cloned(),
            client_secret: params.get("client_secret").cloned(),
            client_assertion: params.get("client_assertion").cloned(),
            client_assertion_type: params.get("client_assertion_type").cloned(),
        }
    }
}

/// Shows the client id and which credentials came, never their values.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("client_assertion", &self.client_assertion.as_ref().map(|_| "***"))
            .field("client_assertion_type", &self.client_assertion_type)
            .finish()
    }
}

/// Why authentication failed; `basic` says a 401 with `WWW-Authenticate: Basic` is due.
#[derive(Debug)]
pub(crate) struct AuthFailure {
    pub(crate) error: OAuthError,
    pub(crate) basic: bool,
}

impl From<OAuthError> for AuthFailure {
    fn from(error: OAuthError) -> Self {
        Self { error, basic: false }
    }
}

/// The one answer to every failed authentication that involved a registered client (unknown
/// client, wrong secret, wrong method, bad assertion): the same body whatever went wrong, so the
/// endpoint tells nobody which client ids exist or how they authenticate.
const FAILED: &str = "client authentication failed";

/// A refusal: what the request did wrong in its form (told to the client, since it says nothing
/// about any client), or what did not match a client (told only to the debug log).
enum Refusal {
    Malformed(&'static str),
    Failed(String),
    /// The store failed: not the client's fault.
    Store(OAuthError),
}

impl From<OAuthError> for Refusal {
    fn from(error: OAuthError) -> Self {
        Self::Store(error)
    }
}

/// How much a client assertion's times may be off from ours.
const CLOCK_SKEW: i64 = 60;

/// Authenticates the client; `endpoint` is the URL the assertion's `aud` may name.
pub(crate) async fn authenticate(
    provider: &Provider,
    creds: &Credentials,
    endpoint: &str,
) -> Result<Client, AuthFailure> {
    // A challenge answers a request that used the header, whatever else went wrong with it
    // (RFC 6749 §5.2): this depends on the request only, not on the client.
    let basic = creds.authorization.is_some();
    let refusal = match attempt(provider, creds, endpoint).await {
        Ok(client) => return Ok(client),
        Err(refusal) => refusal,
    };
    let error = match refusal {
        Refusal::Store(error) => return Err(AuthFailure { error, basic: false }),
        Refusal::Malformed(text) => {
            tracing::debug!(reason = text, "client authentication failed");
            OAuthError::invalid_client(text)
        }
        Refusal::Failed(reason) => {
            let client_id = creds.client_id.as_deref().unwrap_or_default();
            tracing::debug!(client_id, %reason, "client authentication failed");
            OAuthError::invalid_client(FAILED)
        }
    };
    Err(AuthFailure { error, basic })
}

async fn attempt(provider: &Provider, creds: &Credentials, endpoint: &str) -> Result<Client, Refusal> {
    if let Some(header) = &creds.authorization {
        let (id, secret) =
            parse_basic(header).ok_or(Refusal::Malformed("the Authorization header is not valid Basic credentials"))?;
        if creds.client_secret.is_some() || creds.client_assertion.is_some() {
            return Err(Refusal::Malformed("use only one client authentication method"));
        }
        if creds.client_id.as_deref().is_some_and(|c| c != id) {
            return Err(Refusal::Malformed("client_id differs from the Basic credentials"));
        }
        let client = load(provider, &id).await?;
        return check_secret(client, &secret, AuthMethod::ClientSecretBasic);
    }
    if let Some(assertion) = &creds.client_assertion {
        if creds.client_assertion_type.as_deref() != Some(ASSERTION_TYPE) {
            return Err(Refusal::Malformed(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        return private_key_jwt(provider, assertion, creds.client_id.as_deref(), endpoint).await;
    }
    let id = creds.client_id.as_deref().ok_or(Refusal::Malformed("no client authentication was included"))?;
    let client = load(provider, id).await?;
    // NIA issues no secret: its token endpoint knows a portal by its client_id (and the code's
    // registered redirect URI), whatever secret a client library sends.
    let quirks = &provider.persona.quirks;
    if quirks.token_without_secret
        && client.token_endpoint_auth_method == AuthMethod::ClientSecretPost
        && endpoint == provider.persona.url(provider.persona.paths.token)
    {
        return Ok(client);
    }
    match &creds.client_secret {
        Some(secret) => check_secret(client, secret, AuthMethod::ClientSecretPost),
        None if client.token_endpoint_auth_method == AuthMethod::None => Ok(client),
        None => {
            Err(Refusal::Failed(format!("{id} must authenticate with {}", client.token_endpoint_auth_method.as_str())))
        }
    }
}

async fn load(provider: &Provider, client_id: &str) -> Result<Client, Refusal> {
    provider
        .stores
        .clients
        .get(client_id)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| Refusal::Failed(format!("no client {client_id}")))
}

fn check_secret(client: Client, secret: &str, method: AuthMethod) -> Result<Client, Refusal> {
    // The digest is compared whatever the method, so that a wrong method takes as long as a
    // wrong secret.
    let matches = client.secret_digest.as_deref().is_some_and(|d| secret::constant_time_eq(d, &secret::digest(secret)));
    if client.token_endpoint_auth_method != method {
        return Err(Refusal::Failed(format!(
            "{} is registered for {}, not {}",
            client.client_id,
            client.token_endpoint_auth_method.as_str(),
            method.as_str()
        )));
    }
    if !matches {
        return Err(Refusal::Failed(format!("wrong secret for {}", client.client_id)));
    }
    Ok(client)
}

/// RFC 6749 §2.3.1: the id and secret are form-urlencoded before being put in Basic credentials.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, value) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = url::form_urlencoded::parse(format!("a={id}").as_bytes()).next()?.1.into_owned();
    let secret = url::form_urlencoded::parse(format!("a={secret}").as_bytes()).next()?.1.into_owned();
    Some((id, secret))
}

async fn private_key_jwt(
    provider: &Provider,
    assertion: &str,
    client_id: Option<&str>,
    endpoint: &str,
) -> Result<Client, Refusal> {
    let malformed = Refusal::Malformed;
    let failed = |text: &str| Refusal::Failed(text.to_owned());
    jose::peek_header(assertion).map_err(|_| malformed("client_assertion is not a JWT"))?;
    let claims_unverified = unverified_claims(assertion).ok_or(malformed("client_assertion is not a JWT"))?;
    let iss = claims_unverified.get("iss").and_then(Value::as_str).ok_or(malformed("client_assertion has no iss"))?;
    if client_id.is_some_and(|c| c != iss) {
        return Err(malformed("client_id differs from the client_assertion's iss"));
    }
    let client = load(provider, iss).await?;
    if client.token_endpoint_auth_method != AuthMethod::PrivateKeyJwt {
        return Err(Refusal::Failed(format!("{iss} is not registered for private_key_jwt")));
    }
    // A registered token_endpoint_auth_signing_alg is the only one accepted.
    let algs: Vec<&str> = match &client.token_endpoint_auth_signing_alg {
        Some(alg) => vec![alg.as_str()],
        None => ASSERTION_ALGS.to_vec(),
    };
    let keys_failed = |e: OAuthError| Refusal::Failed(format!("the keys of {iss}: {}", e.description));
    let jwks = client_keys::jwks(provider, &client, false).await.map_err(keys_failed)?;
    let verified = match jose::verify_with_jwks(assertion, &jwks, &algs) {
        Ok(ok) => Ok(ok),
        Err(_) if client.jwks_uri.is_some() => {
            let fresh = client_keys::jwks(provider, &client, true).await.map_err(keys_failed)?;
            jose::verify_with_jwks(assertion, &fresh, &algs)
        }
        Err(e) => Err(e),
    };
    let (_, claims) =
        verified.map_err(|e| Refusal::Failed(format!("the client_assertion of {iss} does not verify: {e}")))?;
    if claims.get("sub").and_then(Value::as_str) != Some(iss) {
        return Err(failed("client_assertion's sub must be the client_id"));
    }
    let issuer = provider.issuer();
    let token_endpoint = provider.persona.url(provider.persona.paths.token);
    let aud_ok = |a: &str| a == issuer || a == endpoint || a == token_endpoint;
    let aud_valid = match claims.get("aud") {
        Some(Value::String(a)) => aud_ok(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    };
    if !aud_valid {
        return Err(failed("client_assertion's aud must be the issuer or the endpoint"));
    }
    let now = provider.now();
    let exp = numeric_date(&claims, "exp").ok_or_else(|| failed("client_assertion has no exp"))?;
    if exp + CLOCK_SKEW < now {
        return Err(failed("client_assertion has expired"));
    }
    if exp > now + 3600 {
        return Err(failed("client_assertion's exp is too far in the future"));
    }
    // RFC 7523 §3: not to be used before `nbf`; and one issued in the future is not genuine.
    for claim in ["iat", "nbf"] {
        if numeric_date(&claims, claim).is_some_and(|t| t > now + CLOCK_SKEW) {
            return Err(Refusal::Failed(format!("client_assertion's {claim} is in the future")));
        }
    }
    let jti = claims.get("jti").and_then(Value::as_str).ok_or_else(|| failed("client_assertion has no jti"))?;
    let key = format!("jti:{iss}:{jti}");
    let fresh = provider.stores.replay.remember(&key, exp + CLOCK_SKEW, now).await.map_err(OAuthError::from)?;
    if !fresh {
        return Err(failed("client_assertion's jti has been used before"));
    }
    Ok(client)
}

/// A NumericDate claim in whole seconds. RFC 7519 §2: it may have a fraction (josekit writes
/// one); whole seconds suffice.
fn numeric_date(claims: &serde_json::Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_f64).map(|t| t.floor() as i64)
}

fn unverified_claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_their_secrets() {
        let params = [("client_id", "rp"), ("client_secret", "s3cret"), ("client_assertion", "ey.jwt.sig")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let shown = format!("{:?}", Credentials::from_params(&params, Some("Basic cnA6czNjcmV0".into())));
        assert!(shown.contains("rp"), "{shown}");
        for secret in ["s3cret", "ey.jwt.sig", "cnA6czNjcmV0"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20client:p%3Ass"));
        assert_eq!(parse_basic(&header), Some(("my client".into(), "p:ss".into())));
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
