//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` and `none` (public clients).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::keys::jose;
use crate::oidc::Provider;
use crate::oidc::client::{AuthMethod, Client};
use crate::oidc::client_keys;
use crate::oidc::error::OAuthError;
use crate::secret;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Algorithms accepted for `private_key_jwt` assertions.
pub const ASSERTION_ALGS: [&str; 7] = ["RS256", "PS256", "ES256", "EdDSA", "RS384", "RS512", "ES384"];

/// What the request carried to authenticate the client.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    /// The `Authorization` header's value, if any.
    pub authorization: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion: Option<String>,
    pub client_assertion_type: Option<String>,
}

/// Why authentication failed; `basic` says a 401 with `WWW-Authenticate: Basic` is due.
#[derive(Debug)]
pub struct AuthFailure {
    pub error: OAuthError,
    pub basic: bool,
}

impl From<OAuthError> for AuthFailure {
    fn from(error: OAuthError) -> Self {
        Self { error, basic: false }
    }
}

/// Authenticates the client; `endpoint` is the URL the assertion's `aud` may name.
pub async fn authenticate(provider: &Provider, creds: &Credentials, endpoint: &str) -> Result<Client, AuthFailure> {
    let fail = |basic: bool, text: &str| AuthFailure { error: OAuthError::invalid_client(text), basic };
    if let Some(header) = &creds.authorization {
        let (id, secret) =
            parse_basic(header).ok_or_else(|| fail(true, "the Authorization header is not valid Basic credentials"))?;
        if creds.client_secret.is_some() || creds.client_assertion.is_some() {
            return Err(fail(true, "use only one client authentication method"));
        }
        if creds.client_id.as_deref().is_some_and(|c| c != id) {
            return Err(fail(true, "client_id differs from the Basic credentials"));
        }
        let client = load(provider, &id).await.map_err(|mut f| {
            f.basic = true;
            f
        })?;
        return check_secret(&client, &secret, AuthMethod::ClientSecretBasic).map_err(|mut f| {
            f.basic = true;
            f
        });
    }
    if let Some(assertion) = &creds.client_assertion {
        if creds.client_assertion_type.as_deref() != Some(ASSERTION_TYPE) {
            return Err(fail(
                false,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        return private_key_jwt(provider, assertion, creds.client_id.as_deref(), endpoint).await;
    }
    let id = creds.client_id.as_deref().ok_or_else(|| fail(false, "no client authentication was included"))?;
    let client = load(provider, id).await?;
    match &creds.client_secret {
        Some(secret) => check_secret(&client, secret, AuthMethod::ClientSecretPost),
        None if client.token_endpoint_auth_method == AuthMethod::None => Ok(client),
        None => Err(fail(false, "the client must authenticate with its registered method")),
    }
}

async fn load(provider: &Provider, client_id: &str) -> Result<Client, AuthFailure> {
    provider
        .stores
        .clients
        .get(client_id)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed").into())
}

fn check_secret(client: &Client, secret: &str, method: AuthMethod) -> Result<Client, AuthFailure> {
    let failed = || AuthFailure { error: OAuthError::invalid_client("client authentication failed"), basic: false };
    if client.token_endpoint_auth_method != method {
        return Err(AuthFailure {
            error: OAuthError::invalid_client(format!(
                "the client is registered for {}, not {}",
                client.token_endpoint_auth_method.as_str(),
                method.as_str()
            )),
            basic: false,
        });
    }
    match &client.secret_digest {
        Some(digest) if secret::constant_time_eq(digest, &secret::digest(secret)) => Ok(client.clone()),
        _ => Err(failed()),
    }
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
) -> Result<Client, AuthFailure> {
    let invalid = |text: &str| AuthFailure::from(OAuthError::invalid_client(text));
    jose::peek_header(assertion).map_err(|_| invalid("client_assertion is not a JWT"))?;
    let claims_unverified = unverified_claims(assertion).ok_or_else(|| invalid("client_assertion is not a JWT"))?;
    let iss =
        claims_unverified.get("iss").and_then(Value::as_str).ok_or_else(|| invalid("client_assertion has no iss"))?;
    if client_id.is_some_and(|c| c != iss) {
        return Err(invalid("client_id differs from the client_assertion's iss"));
    }
    let client = load(provider, iss).await?;
    if client.token_endpoint_auth_method != AuthMethod::PrivateKeyJwt {
        return Err(invalid("the client is not registered for private_key_jwt"));
    }
    let jwks = client_keys::jwks(provider, &client, false).await?;
    let verified = match jose::verify_with_jwks(assertion, &jwks, &ASSERTION_ALGS) {
        Ok(ok) => Ok(ok),
        Err(_) if client.jwks_uri.is_some() => {
            let fresh = client_keys::jwks(provider, &client, true).await?;
            jose::verify_with_jwks(assertion, &fresh, &ASSERTION_ALGS)
        }
        Err(e) => Err(e),
    };
    let (_, claims) =
        verified.map_err(|_| invalid("client_assertion's signature does not verify with the client's keys"))?;
    if claims.get("sub").and_then(Value::as_str) != Some(iss) {
        return Err(invalid("client_assertion's sub must be the client_id"));
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
        return Err(invalid("client_assertion's aud must be the issuer or the endpoint"));
    }
    let now = provider.now();
    // RFC 7519 §2: a NumericDate may have a fraction (josekit writes one); whole seconds suffice.
    let exp = claims
        .get("exp")
        .and_then(Value::as_f64)
        .map(|exp| exp.floor() as i64)
        .ok_or_else(|| invalid("client_assertion has no exp"))?;
    if exp + 60 < now {
        return Err(invalid("client_assertion has expired"));
    }
    if exp > now + 3600 {
        return Err(invalid("client_assertion's exp is too far in the future"));
    }
    let jti = claims.get("jti").and_then(Value::as_str).ok_or_else(|| invalid("client_assertion has no jti"))?;
    let key = format!("jti:{iss}:{jti}");
    let fresh = provider.stores.replay.remember(&key, exp + 60, now).await.map_err(OAuthError::from)?;
    if !fresh {
        return Err(invalid("client_assertion's jti has been used before"));
    }
    Ok(client)
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
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20client:p%3Ass"));
        assert_eq!(parse_basic(&header), Some(("my client".into(), "p:ss".into())));
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
