//! Encrypted ID tokens (OpenID Connect Core §10.2, Registration 1.0 §2): a client that registered
//! `id_token_encrypted_response_alg` gets every ID token signed, then encrypted to a key of its
//! registered `jwks` or `jwks_uri` — a nested JWT, `cty: JWT`.
//!
//! Only registered keys are used: nothing in a request can name a key to encrypt to. A client
//! whose keys have no fitting one is misconfigured, and is told so as `invalid_client_metadata`
//! (what node-oidc-provider answers, "no suitable encryption key found"): it is neither our
//! failure (`server_error`) nor a failed authentication (`invalid_client`).

use serde_json::Value;

use crate::keys::jwe::{self, ContentEnc, Encryption, KeyAlg};
use crate::model::Client;
use crate::oidc::Provider;
use crate::oidc::client_keys;
use crate::oidc::error::{ErrorCode, OAuthError};

/// The JWE `alg` values discovery lists and registration accepts.
pub fn algs_supported() -> Vec<&'static str> {
    KeyAlg::ALL.iter().map(|alg| alg.name()).collect()
}

/// The JWE `enc` values discovery lists and registration accepts.
pub fn encs_supported() -> Vec<&'static str> {
    ContentEnc::ALL.iter().map(|enc| enc.name()).collect()
}

fn misconfigured(text: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, text)
}

/// The encryption a registration asks for, checked: `enc` needs an `alg` and defaults to
/// `A128CBC-HS256`; the client needs keys, and registered inline (`jwks`) they must hold one
/// for the `alg` (a `jwks_uri` is read only when a token is issued). Returns `(alg, enc)` as
/// stored, `None` for a client whose ID tokens are only signed.
pub fn registered(
    alg: Option<&str>,
    enc: Option<&str>,
    jwks: Option<&Value>,
    jwks_uri: Option<&str>,
) -> Result<Option<(String, String)>, OAuthError> {
    let Some(alg_name) = alg else {
        if enc.is_some() {
            return Err(misconfigured("id_token_encrypted_response_enc needs id_token_encrypted_response_alg"));
        }
        return Ok(None);
    };
    let alg = KeyAlg::parse(alg_name)
        .ok_or_else(|| misconfigured(format!("id_token_encrypted_response_alg {alg_name} is not supported")))?;
    let enc = match enc {
        None => ContentEnc::DEFAULT,
        Some(name) => ContentEnc::parse(name)
            .ok_or_else(|| misconfigured(format!("id_token_encrypted_response_enc {name} is not supported")))?,
    };
    match (jwks, jwks_uri) {
        (Some(jwks), _) if !jwe::has_key_for(jwks, alg) => {
            return Err(misconfigured(format!(
                "id_token_encrypted_response_alg {alg_name} needs a public {alg_name} encryption key in jwks"
            )));
        }
        (None, None) => {
            return Err(misconfigured(format!(
                "id_token_encrypted_response_alg {alg_name} needs jwks or jwks_uri with an encryption key"
            )));
        }
        _ => {}
    }
    Ok(Some((alg.name().to_owned(), enc.name().to_owned())))
}

/// The signed ID token `signed` as `client` receives it: as it is, or encrypted when the client
/// registered for encryption.
pub async fn id_token(provider: &Provider, client: &Client, signed: String) -> Result<String, OAuthError> {
    let Some(alg_name) = client.id_token_encrypted_response_alg.as_deref() else {
        return Ok(signed);
    };
    // Registration stored only values it checked; anything else is a record gone bad.
    let enc_name = client.id_token_encrypted_response_enc.as_deref().unwrap_or(ContentEnc::DEFAULT.name());
    let (Some(alg), Some(enc)) = (KeyAlg::parse(alg_name), ContentEnc::parse(enc_name)) else {
        tracing::error!(client_id = %client.client_id, alg_name, enc_name, "a stored client has unknown ID token encryption");
        return Err(misconfigured("the client's ID token encryption is not supported"));
    };
    let how = Encryption { alg, enc, content_type: Some("JWT"), name_key: provider.persona.encryption.names_key };
    let jwks = keys(provider, client, false).await?;
    let sealed = match jwe::encrypt_to(&jwks, signed.as_bytes(), how) {
        // The client may have added its key since its jwks_uri was fetched: look once more.
        Err(crate::keys::KeyError::UnknownKey(_)) if client.jwks_uri.is_some() => {
            jwe::encrypt_to(&keys(provider, client, true).await?, signed.as_bytes(), how)
        }
        other => other,
    };
    sealed.map_err(|e| match e {
        crate::keys::KeyError::UnknownKey(_) | crate::keys::KeyError::Invalid(_) => {
            tracing::info!(client_id = %client.client_id, error = %e, "no key to encrypt the ID token to");
            misconfigured(format!("no suitable encryption key found for {alg_name} in the client's JWKS"))
        }
        other => {
            tracing::error!(client_id = %client.client_id, error = %other, "encrypting an ID token failed");
            OAuthError::server_error()
        }
    })
}

/// The client's registered keys; a `jwks_uri` that cannot be fetched is the client's problem.
async fn keys(provider: &Provider, client: &Client, refresh: bool) -> Result<Value, OAuthError> {
    client_keys::jwks(provider, client, refresh).await.map_err(|e| misconfigured(e.description))
}
