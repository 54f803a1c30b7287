//! The client-credentials grant (RFC 6749 §4.4): a confidential client gets an access token for
//! itself; no person, so no ID token and no refresh token.

use super::{ClientCredentialsRequest, TokenResponse};
use crate::model::{Client, Grant};
use crate::oidc::Provider;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::scopes;
use crate::oidc::tokens;
use crate::secret;

pub(crate) async fn exchange(
    provider: &Provider,
    client: &Client,
    request: &ClientCredentialsRequest,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "a public client cannot use client_credentials"));
    }
    let mut granted = Vec::new();
    for scope in request.scope.iter().flatten().map(String::as_str) {
        // Person-related scopes make no sense without a person.
        let registered = client.scope.as_deref().is_some_and(|list| list.split(' ').any(|s| s == scope));
        if provider.persona.scopes.contains(&scope) || !registered {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {scope} is not registered for this client's own use"),
            ));
        }
        granted.push(scope.to_owned());
    }
    let grant = Grant {
        face: provider.persona.face.clone(),
        grant_id: secret::ordered_id(provider.now()),
        client_id: client.client_id.clone(),
        authn: None,
        sid: None,
        scopes: granted,
        claims: None,
        nonce: None,
    };
    let (access_token, expires_in) = tokens::access_token(provider, &grant).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: None,
        id_token: None,
        scope: scopes::join(&grant.scopes),
    })
}
