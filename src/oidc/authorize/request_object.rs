//! Request objects (OpenID Connect Core §6): the `request` and `request_uri` parameters.
//!
//! The object's claims replace the query parameters of the same name. A signed object is checked
//! against the client's keys; an unsigned one (`alg` `none`) is accepted only from a client that
//! has not registered a signing algorithm for request objects.

use serde_json::Value;

use super::parse::Params;
use crate::keys::jose;
use crate::model::Client;
use crate::oidc::Provider;
use crate::oidc::client_keys;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::fetch::Document;

/// Signing algorithms accepted for request objects (besides `none`).
pub const SIGNING_ALGS: [&str; 7] = ["RS256", "PS256", "ES256", "EdDSA", "RS384", "RS512", "ES384"];

pub(crate) async fn merge(provider: &Provider, client: &Client, params: &mut Params) -> Result<(), OAuthError> {
    let token = match (params.remove("request"), params.remove("request_uri")) {
        (Some(_), Some(_)) => return Err(OAuthError::invalid_request("request and request_uri cannot both be used")),
        (Some(token), None) => token,
        (None, Some(uri)) => fetch(provider, client, &uri).await?,
        (None, None) => return Ok(()),
    };
    let claims = decode(provider, client, token.trim()).await?;
    if let Some(inner) = claims.get("client_id").and_then(Value::as_str)
        && inner != client.client_id
    {
        return Err(invalid("the request object's client_id differs from the request's"));
    }
    for (name, value) in claims {
        if matches!(name.as_str(), "iss" | "aud" | "exp" | "iat" | "nbf" | "jti" | "request" | "request_uri") {
            continue;
        }
        let text = match value {
            Value::String(s) => s,
            Value::Null => continue,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        params.insert(name, text);
    }
    Ok(())
}

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, description)
}

async fn fetch(provider: &Provider, client: &Client, uri: &str) -> Result<String, OAuthError> {
    let bare = uri.split('#').next().unwrap_or(uri);
    let registered = client.request_uris.iter().any(|r| r.split('#').next() == Some(bare));
    if !registered {
        return Err(OAuthError::new(ErrorCode::InvalidRequestUri, "the request_uri is not registered for this client"));
    }
    provider.fetcher.request_object(uri).await.map_err(|e| {
        tracing::info!(client_id = %client.client_id, error = %e, "fetching the client's request_uri failed");
        OAuthError::new(ErrorCode::InvalidRequestUri, Document::RequestObject.unavailable())
    })
}

async fn decode(
    provider: &Provider,
    client: &Client,
    token: &str,
) -> Result<serde_json::Map<String, Value>, OAuthError> {
    let header = jose::peek_header(token).map_err(|_| invalid("the request object is not a JWT"))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    if alg == "none" {
        if client.request_object_signing_alg.as_deref().is_some_and(|a| a != "none") {
            return Err(invalid("this client must sign its request objects"));
        }
        let (_, claims) =
            jose::decode_unsigned(token).map_err(|_| invalid("the unsigned request object is malformed"))?;
        return Ok(claims);
    }
    if client.request_object_signing_alg.as_deref().is_some_and(|a| a != alg) {
        return Err(invalid("the request object is signed with another algorithm than the client registered"));
    }
    let keys_error = |_| invalid("the client's keys could not be loaded");
    let jwks = client_keys::jwks(provider, client, false).await.map_err(keys_error)?;
    let result = match jose::verify_with_jwks(token, &jwks, &SIGNING_ALGS) {
        Ok(ok) => Ok(ok),
        Err(_) if client.jwks_uri.is_some() => {
            let fresh = client_keys::jwks(provider, client, true).await.map_err(keys_error)?;
            jose::verify_with_jwks(token, &fresh, &SIGNING_ALGS)
        }
        Err(e) => Err(e),
    };
    let (_, claims) =
        result.map_err(|_| invalid("the request object's signature does not verify with the client's keys"))?;
    if let Some(iss) = claims.get("iss").and_then(Value::as_str)
        && iss != client.client_id
    {
        return Err(invalid("the request object's iss must be the client_id"));
    }
    if let Some(aud) = claims.get("aud") {
        let ok = match aud {
            Value::String(a) => a == provider.issuer(),
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(provider.issuer())),
            _ => false,
        };
        if !ok {
            return Err(invalid("the request object's aud must be the issuer"));
        }
    }
    if let Some(exp) = claims.get("exp") {
        // RFC 7519 §2: a NumericDate may carry a fraction.
        let exp = exp.as_f64().ok_or_else(|| invalid("the request object's exp must be a number"))?;
        if (exp.floor() as i64) < provider.now() {
            return Err(invalid("the request object has expired"));
        }
    }
    Ok(claims)
}
