//! The authorization-code grant (RFC 6749 §4.1.3, RFC 7636): a code is redeemed once; a second
//! attempt revokes everything the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.1.3).
//!
//! Only a request that would be allowed to redeem the code (its client, its redirect URI, its PKCE
//! verifier) touches it: any other is refused against the code as stored and leaves it as it
//! was, so that someone who saw a code but cannot redeem it can neither burn it nor revoke what
//! it issued.

use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{CodeRequest, TokenResponse};
use crate::model::{AuthCode, Client, Grant};
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;
use crate::oidc::scopes;
use crate::oidc::tokens::{self, IdTokenInput};
use crate::secret;
use crate::store::{Issue, Redemption};

pub(crate) async fn exchange(
    provider: &Provider,
    client: &Client,
    request: &CodeRequest,
) -> Result<TokenResponse, OAuthError> {
    let digest = secret::bearer_digest(request.code.expose());
    let redirect_uri = request.redirect_uri.as_deref();
    let verifier = request.code_verifier.as_ref().map(secret::Secret::expose);
    // NIA documents `code_verifier` as ignored (`Quirks::ignore_code_verifier`).
    let pkce = !provider.persona.quirks.ignore_code_verifier;
    let refreshable = client.allows_grant("refresh_token");
    let unknown = || OAuthError::invalid_grant("the authorization code is invalid or has expired");
    // Checked against the code as stored, before anything is spent or revoked.
    let stored = provider.stores.codes.peek(&digest, provider.now()).await?.ok_or_else(unknown)?;
    check(&stored, client, redirect_uri, verifier, pkce)?;
    // What the checks decided for the code and, when they passed, the tokens made for it; set by
    // `issue`, which the store calls with the code while redeeming it, so that the code is spent
    // and its tokens stored in one write. The checks are made again on the code being redeemed,
    // which is the one just checked: a code's record never changes.
    let outcome: Mutex<Option<Result<Tokens, OAuthError>>> = Mutex::new(None);
    let issue = |code: &AuthCode| -> Option<Issue> {
        let (result, issued) = match check(code, client, redirect_uri, verifier, pkce) {
            Err(e) => (Err(e), None),
            Ok(()) => {
                let (access_token, access) = tokens::new_access(provider, &code.grant);
                let (refresh_token, refresh) = refreshable.then(|| tokens::new_refresh(provider, &code.grant)).unzip();
                (Ok(Tokens { access_token, refresh_token }), Some(Issue { access, refresh }))
            }
        };
        *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        issued
    };
    let code = match provider.stores.exchange.redeem_and_issue(&digest, provider.now(), &issue).await? {
        Redemption::Fresh(code) => code,
        Redemption::Replayed(code) => {
            provider.stores.tokens.revoke_grant(&code.grant.grant_id).await?;
            tracing::warn!(client_id = %code.grant.client_id, "authorization code replayed; its tokens are revoked");
            return Err(OAuthError::invalid_grant("the authorization code has already been used"));
        }
        Redemption::Unknown => return Err(unknown()),
    };
    let Tokens { access_token, refresh_token } =
        outcome.into_inner().unwrap_or_else(PoisonError::into_inner).ok_or_else(OAuthError::server_error)??;
    let grant = code.grant;
    // A logout before this exchange, or racing it, ends the session: a code issued before a
    // logout must not bring the logged-out person's tokens to life. The tokens are stored before
    // this look, so a logout after it revokes them.
    if !session_alive(provider, &grant).await? {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the person logged out after this code was issued"));
    }
    // Likewise an account disabled or removed since the code was issued, whatever the scope (an
    // ID token would look the person up anyway; an access token alone would not).
    if !person_active(provider, &grant).await? {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the account no longer exists or is disabled"));
    }
    let id_token = if grant.scopes.iter().any(|s| s == "openid") {
        let input = IdTokenInput { access_token: Some(&access_token), code: None, scope_claims: false, nonce: true };
        Some(tokens::id_token(provider, client, &grant, input).await?)
    } else {
        None
    };
    // A replay that raced this exchange revoked the grant before these tokens existed: revoke
    // them now, so that a replayed code never leaves live tokens behind.
    if provider.stores.codes.replayed(&digest).await? {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the authorization code has already been used"));
    }
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: provider.config.tokens.access_token_ttl,
        refresh_token,
        id_token,
        scope: scopes::join(&grant.scopes),
    })
}

/// The tokens of a token response, as handed to the client.
struct Tokens {
    access_token: String,
    refresh_token: Option<String>,
}

/// Whether the request may redeem `code`: the client it was issued to, the same redirect URI,
/// and the PKCE verifier.
fn check(
    code: &AuthCode,
    client: &Client,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    pkce: bool,
) -> Result<(), OAuthError> {
    if code.grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the one in the authorization request"));
    }
    if pkce { check_pkce(code.code_challenge.as_deref(), verifier) } else { Ok(()) }
}

/// Whether the SSO session the code was issued in (if any) is still there: a code issued before
/// a logout must not bring the logged-out person's tokens to life afterwards.
async fn session_alive(provider: &Provider, grant: &Grant) -> Result<bool, OAuthError> {
    match &grant.sid {
        Some(sid) => Ok(provider.stores.sessions.get_by_sid(sid, provider.now()).await?.is_some()),
        None => Ok(true),
    }
}

/// Whether the person a grant was made to still has an account that is not disabled (`true` for a
/// grant made to no person). Looked at after the grant's tokens are stored: `identita user
/// disable` marks the account before it revokes the person's tokens, so a disable racing this
/// look either is seen here or revokes the tokens just stored.
pub(crate) async fn person_active(provider: &Provider, grant: &Grant) -> Result<bool, OAuthError> {
    match &grant.authn {
        Some(authn) => Ok(provider.stores.users.get(&authn.user_id).await?.is_some_and(|user| !user.disabled)),
        None => Ok(true),
    }
}

/// RFC 7636 §4.6 with S256; a verifier without a challenge is refused (a PKCE downgrade).
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
