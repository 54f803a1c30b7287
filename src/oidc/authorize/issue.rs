//! Issuing what the response type asks for — a code, an access token, an ID token — once the
//! person has authenticated and consented.

use super::{AuthorizationRequest, AuthorizationResponse};
use crate::model::{AuthCode, Authentication, Client, Grant, RequestedClaims, Session};
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;
use crate::oidc::tokens::{self, IdTokenInput};
use crate::secret;

pub async fn issue(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    authn: &Authentication,
    session: Option<&Session>,
) -> Result<AuthorizationResponse, OAuthError> {
    let grant = Grant {
        face: provider.persona.face.clone(),
        grant_id: secret::ordered_id(provider.now()),
        client_id: client.client_id.clone(),
        authn: Some(authn.clone()),
        sid: session.map(|s| s.sid.clone()),
        scopes: request.scopes.clone(),
        claims: request
            .claims
            .as_ref()
            .map(|c| RequestedClaims { userinfo: c.userinfo.clone(), id_token: c.id_token.clone() }),
        nonce: request.nonce.clone(),
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let rt = request.response_type;

    let code = if rt.code {
        let code = secret::bearer_token(provider.now());
        provider
            .stores
            .codes
            .insert(&AuthCode {
                digest: secret::bearer_digest(&code),
                grant: grant.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                code_challenge_method: request.code_challenge_method.clone(),
                expires_at: provider.now() + provider.config.tokens.code_ttl,
            })
            .await?;
        fields.push(("code".into(), code.clone()));
        Some(code)
    } else {
        None
    };

    let access_token = if rt.token {
        let (token, expires_in) = tokens::access_token(provider, &grant).await?;
        fields.push(("access_token".into(), token.clone()));
        fields.push(("token_type".into(), "Bearer".into()));
        fields.push(("expires_in".into(), expires_in.to_string()));
        Some(token)
    } else {
        None
    };

    if rt.id_token {
        let id_token = tokens::id_token(
            provider,
            client,
            &grant,
            IdTokenInput {
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                // Without an access token there is no userinfo call: the scopes' claims go here.
                scope_claims: !rt.token && !rt.code,
                nonce: true,
            },
        )
        .await?;
        fields.push(("id_token".into(), id_token));
    }

    if let Some(session) = session {
        provider.stores.sessions.add_client(&session.key, &client.client_id).await?;
    }
    Ok(AuthorizationResponse::success(request.target(), provider.issuer(), fields))
}
