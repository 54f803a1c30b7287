//! The authorization-code grant (RFC 6749 §4.1.3, RFC 7636): a code is redeemed once; a second
//! attempt revokes everything the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.1.3).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{TokenResponse, required};
use crate::oidc::Provider;
use crate::oidc::client::Client;
use crate::oidc::error::OAuthError;
use crate::oidc::scopes;
use crate::oidc::tokens::{self, IdTokenInput};
use crate::secret;
use crate::store::Redemption;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let digest = secret::bearer_digest(required(form, "code")?);
    let code = match provider.stores.codes.redeem(&digest, provider.now()).await? {
        Redemption::Fresh(code) => code,
        Redemption::Replayed(code) if crate::defects::on(crate::defects::Defect::ReplayableCode) => code,
        Redemption::Replayed(code) => {
            provider.stores.tokens.revoke_grant(&code.grant.grant_id).await?;
            tracing::warn!(client_id = %code.grant.client_id, "authorization code replayed; its tokens are revoked");
            return Err(OAuthError::invalid_grant("the authorization code has already been used"));
        }
        Redemption::Unknown => {
            return Err(OAuthError::invalid_grant("the authorization code is invalid or has expired"));
        }
    };
    if code.grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if form.get("redirect_uri").map(String::as_str) != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the one in the authorization request"));
    }
    check_pkce(code.code_challenge.as_deref(), form.get("code_verifier").map(String::as_str))?;

    let grant = code.grant;
    if !session_alive(provider, &grant).await? {
        return Err(OAuthError::invalid_grant("the person logged out after this code was issued"));
    }
    let (access_token, expires_in, refresh_token) = if client.allows_grant("refresh_token") {
        let (access, expires_in, refresh) = tokens::access_and_refresh_token(provider, &grant, &grant).await?;
        (access, expires_in, Some(refresh))
    } else {
        let (access, expires_in) = tokens::access_token(provider, &grant).await?;
        (access, expires_in, None)
    };
    let id_token = if grant.scopes.iter().any(|s| s == "openid") {
        let input = IdTokenInput { access_token: Some(&access_token), code: None, scope_claims: false, nonce: true };
        Some(tokens::id_token(provider, client, &grant, input).await?)
    } else {
        None
    };
    // A replay that raced this exchange revoked the grant before these tokens existed: revoke
    // them now, so that a replayed code never leaves live tokens behind.
    if provider.stores.codes.replayed(&digest).await? && !crate::defects::on(crate::defects::Defect::ReplayableCode) {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the authorization code has already been used"));
    }
    // Likewise a logout that raced this exchange revoked the session's tokens before these existed.
    if !session_alive(provider, &grant).await? {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the person logged out after this code was issued"));
    }
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        id_token,
        scope: scopes::join(&grant.scopes),
    })
}

/// RFC 7636 §4.6 with S256; a verifier without a challenge is refused (a PKCE downgrade).
/// Whether the SSO session the code was issued in (if any) is still there: a code issued before
/// a logout must not bring the logged-out person's tokens to life afterwards.
async fn session_alive(provider: &Provider, grant: &crate::store::Grant) -> Result<bool, OAuthError> {
    match &grant.sid {
        Some(sid) => Ok(provider.stores.sessions.get_by_sid(sid, provider.now()).await?.is_some()),
        None => Ok(true),
    }
}

fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => {
            Err(OAuthError::invalid_grant("code_verifier was sent but the authorization request had no code_challenge"))
        }
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is missing")),
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return Err(OAuthError::invalid_grant("code_verifier must be 43 to 128 unreserved characters"));
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if secret::constant_time_eq(&computed, challenge) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_rfc7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_pkce(Some(challenge), Some(verifier)).is_ok());
        assert!(check_pkce(Some(challenge), Some(&verifier.replace('d', "e"))).is_err());
        assert!(check_pkce(Some(challenge), None).is_err());
        assert!(check_pkce(None, Some(verifier)).is_err());
        assert!(check_pkce(None, None).is_ok());
    }
}
