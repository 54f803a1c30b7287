//! The userinfo endpoint (OpenID Connect Core §5.3): the person's claims for a bearer token.

use serde_json::{Map, Value};

use crate::oidc::Provider;
use crate::oidc::encryption;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::release;
use crate::oidc::tokens;
use crate::secret;

/// Userinfo as JSON, or as a JWT when the client registered `userinfo_signed_response_alg`
/// (signed) or `userinfo_encrypted_response_alg` (encrypted, around the signed JWT or the JSON).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UserInfo {
    Json(Map<String, Value>),
    Jwt(String),
}

/// A refused userinfo request: the error the client is sent and, once the token was found, the
/// client it was issued to (for the log line; an unknown token names no client).
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) error: OAuthError,
    pub(crate) client_id: Option<String>,
}

impl From<OAuthError> for Refusal {
    fn from(error: OAuthError) -> Self {
        Self { error, client_id: None }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(error: crate::store::StoreError) -> Self {
        OAuthError::from(error).into()
    }
}

pub(crate) async fn userinfo(provider: &Provider, bearer: &str) -> Result<UserInfo, Refusal> {
    let invalid = |text: &str| OAuthError::new(ErrorCode::InvalidToken, text);
    let token = provider
        .stores
        .tokens
        .get_access(&secret::bearer_digest(bearer), provider.now())
        .await?
        .ok_or_else(|| invalid("the access token is invalid, expired or revoked"))?;
    let grant = token.grant;
    let client_id = grant.client_id.clone();
    let refused = |error: OAuthError| Refusal { error, client_id: Some(client_id.clone()) };
    let authn = grant.authn.as_ref().ok_or_else(|| refused(invalid("the access token was not issued for a person")))?;
    if !grant.scopes.iter().any(|s| s == "openid") {
        return Err(refused(OAuthError::new(ErrorCode::InsufficientScope, "the access token lacks the openid scope")));
    }
    let client = provider
        .stores
        .clients
        .get(&grant.client_id)
        .await
        .map_err(|e| refused(e.into()))?
        .ok_or_else(|| refused(invalid("the client no longer exists")))?;
    let user = provider
        .stores
        .users
        .get(&authn.user_id)
        .await
        .map_err(|e| refused(e.into()))?
        .filter(|u| !u.disabled)
        .ok_or_else(|| refused(invalid("the account no longer exists or is disabled")))?;
    let person = provider.person_of(&user).await.map_err(|e| refused(e.into()))?;
    let mojeid = provider.mojeid_account_of(&user).await.map_err(|e| refused(e.into()))?;
    let place = release::Place::Userinfo;
    let mut body = release::claims(provider, &client, &user, person.as_ref(), mojeid.as_ref(), &grant, place);

    let signed = match client.userinfo_signed_response_alg.as_deref() {
        None | Some("none") => None,
        Some(alg) => {
            body.insert("iss".into(), Value::from(provider.issuer()));
            body.insert("aud".into(), Value::from(client.client_id.clone()));
            Some(tokens::sign(provider, alg, None, &body).map_err(refused)?)
        }
    };
    if let Some(sealed) = encryption::userinfo(provider, &client, signed.as_deref(), &body).await.map_err(refused)? {
        return Ok(UserInfo::Jwt(sealed));
    }
    Ok(match signed {
        Some(jwt) => UserInfo::Jwt(jwt),
        None => UserInfo::Json(body),
    })
}
