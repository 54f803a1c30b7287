//! Encrypted ID tokens and userinfo (OpenID Connect Core §10.2, §5.3.2, Registration 1.0 §2): a
//! client that registered `id_token_encrypted_response_alg` gets every ID token signed, then
//! encrypted to a key of its registered `jwks` or `jwks_uri` — a nested JWT, `cty: JWT`; one
//! that registered `userinfo_encrypted_response_alg` gets its userinfo encrypted the same way
//! (the signed JWT when it also registered `userinfo_signed_response_alg`, else the JSON).
//!
//! Only registered keys are used: nothing in a request can name a key to encrypt to. A client
//! whose keys have no fitting one is misconfigured, and is told so as `invalid_client_metadata`
//! (what node-oidc-provider answers, "no suitable encryption key found"): it is neither our
//! failure (`server_error`) nor a failed authentication (`invalid_client`).

use serde_json::Value;

use crate::keys::KeyError;
use crate::keys::jwe::{self, ContentEnc, Encryption, KeyAlg};
use crate::model::Client;
use crate::oidc::Provider;
use crate::oidc::client_keys;
use crate::oidc::error::{ErrorCode, OAuthError};

/// What a face that encrypts every ID token (`Quirks::encrypt_id_tokens`) uses for a client
/// that registered nothing: NIA's `RSA-OAEP` with `A256CBC-HS512`.
pub(crate) const ALWAYS: (&str, &str) = ("RSA-OAEP", "A256CBC-HS512");

/// The JWE `alg` values discovery lists and registration accepts.
pub(crate) fn algs_supported() -> Vec<&'static str> {
    KeyAlg::ALL.iter().map(|alg| alg.name()).collect()
}

/// The JWE `enc` values discovery lists and registration accepts.
pub(crate) fn encs_supported() -> Vec<&'static str> {
    ContentEnc::ALL.iter().map(|enc| enc.name()).collect()
}

fn misconfigured(text: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, text)
}

/// The encryption a registration asks for of `what` (`id_token`, `userinfo`), checked: `enc`
/// needs an `alg` and defaults to `A128CBC-HS256`; the client needs keys, and registered inline
/// (`jwks`) they must hold one for the `alg` (a `jwks_uri` is read only when a token is issued).
/// Returns `(alg, enc)` as stored, `None` for a client that asked for no encryption.
pub(crate) fn registered(
    what: &str,
    alg: Option<&str>,
    enc: Option<&str>,
    jwks: Option<&Value>,
    jwks_uri: Option<&str>,
) -> Result<Option<(String, String)>, OAuthError> {
    let Some(alg_name) = alg else {
        if enc.is_some() {
            return Err(misconfigured(format!("{what}_encrypted_response_enc needs {what}_encrypted_response_alg")));
        }
        return Ok(None);
    };
    let alg = KeyAlg::parse(alg_name)
        .ok_or_else(|| misconfigured(format!("{what}_encrypted_response_alg {alg_name} is not supported")))?;
    let enc = match enc {
        None => ContentEnc::DEFAULT,
        Some(name) => ContentEnc::parse(name)
            .ok_or_else(|| misconfigured(format!("{what}_encrypted_response_enc {name} is not supported")))?,
    };
    match (jwks, jwks_uri) {
        (Some(jwks), _) if !jwe::has_key_for(jwks, alg) => {
            return Err(misconfigured(format!(
                "{what}_encrypted_response_alg {alg_name} needs a public {alg_name} encryption key in jwks"
            )));
        }
        (None, None) => {
            return Err(misconfigured(format!(
                "{what}_encrypted_response_alg {alg_name} needs jwks or jwks_uri with an encryption key"
            )));
        }
        _ => {}
    }
    Ok(Some((alg.name().to_owned(), enc.name().to_owned())))
}

/// The signed ID token `signed` as `client` receives it: as it is, or encrypted when the client
/// registered for encryption.
pub(crate) async fn id_token(provider: &Provider, client: &Client, signed: String) -> Result<String, OAuthError> {
    let Some(alg) = client.id_token_encrypted_response_alg.as_deref() else {
        return Ok(signed);
    };
    let enc = client.id_token_encrypted_response_enc.as_deref();
    seal(provider, client, (alg, enc), signed.as_bytes(), Some("JWT")).await
}

/// The client's userinfo encrypted, when it registered for it: `signed` (a JWT, when it also
/// registered a signing alg) or else the JSON `claims`. `None` for a client that did not.
pub(crate) async fn userinfo(
    provider: &Provider,
    client: &Client,
    signed: Option<&str>,
    claims: &serde_json::Map<String, Value>,
) -> Result<Option<String>, OAuthError> {
    let Some(alg) = client.userinfo_encrypted_response_alg.as_deref() else {
        return Ok(None);
    };
    let enc = client.userinfo_encrypted_response_enc.as_deref();
    let sealed = match signed {
        Some(jwt) => seal(provider, client, (alg, enc), jwt.as_bytes(), Some("JWT")).await?,
        None => {
            let json = serde_json::to_vec(claims).map_err(|_| OAuthError::server_error())?;
            seal(provider, client, (alg, enc), &json, None).await?
        }
    };
    Ok(Some(sealed))
}

/// `payload` encrypted with the client's registered `(alg, enc)` to a key it registered.
async fn seal(
    provider: &Provider,
    client: &Client,
    (alg_name, enc_name): (&str, Option<&str>),
    payload: &[u8],
    content_type: Option<&str>,
) -> Result<String, OAuthError> {
    // Registration stored only values it checked; anything else is a record gone bad.
    let enc_name = enc_name.unwrap_or(ContentEnc::DEFAULT.name());
    let (Some(alg), Some(enc)) = (KeyAlg::parse(alg_name), ContentEnc::parse(enc_name)) else {
        tracing::error!(client_id = %client.client_id, alg_name, enc_name, "a stored client has unknown encryption");
        return Err(misconfigured("the client's encryption algorithms are not supported"));
    };
    let how = Encryption { alg, enc, content_type, name_key: provider.persona.encryption.names_key };
    let jwks = keys(provider, client, false).await?;
    let sealed = match jwe::encrypt_to(&jwks, payload, how) {
        // The client may have added its key since its jwks_uri was fetched: look once more.
        Err(KeyError::UnknownKey(_)) if client.jwks_uri.is_some() => {
            jwe::encrypt_to(&keys(provider, client, true).await?, payload, how)
        }
        other => other,
    };
    sealed.map_err(|e| match e {
        KeyError::UnknownKey(_) | KeyError::Invalid(_) => {
            tracing::info!(client_id = %client.client_id, error = %e, "no key to encrypt to");
            misconfigured(format!("no suitable encryption key found for {alg_name} in the client's JWKS"))
        }
        other => {
            tracing::error!(client_id = %client.client_id, error = %other, "encrypting for a client failed");
            OAuthError::server_error()
        }
    })
}

/// The client's registered keys; a `jwks_uri` that cannot be fetched is the client's problem.
async fn keys(provider: &Provider, client: &Client, refresh: bool) -> Result<Value, OAuthError> {
    client_keys::jwks(provider, client, refresh).await.map_err(|e| misconfigured(e.description))
}
