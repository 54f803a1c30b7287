//! A relying party with the `openidconnect` crate against `identita serve --dev`: it prints an
//! authorization URL, reads the address the browser came back to, checks the ID token and reads
//! userinfo. Needs `openidconnect = "4"`, `reqwest` and `tokio`; `cargo run --example quickstart`.

use std::error::Error;

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let issuer = std::env::var("IDENTITA_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let (sub, name) = sign_in(&issuer, async |url| {
        println!("open: {url}");
        println!("the address you came back to:");
        std::io::stdin().lines().next().and_then(Result::ok).unwrap_or_default()
    })
    .await?;
    println!("signed in: {sub} {name}");
    Ok(())
}

/// Signs in through `browse` (given the authorization URL, it answers the address the browser
/// came back to); returns the `sub` of the ID token and the `name` of userinfo.
pub async fn sign_in(
    issuer: &str,
    browse: impl AsyncFnOnce(String) -> String,
) -> Result<(String, String), Box<dyn Error>> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.into())?, &http).await?;
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new("demo-portal".into()),
        Some(ClientSecret::new("demo-portal-secret".into())),
    )
    .set_redirect_uri(RedirectUrl::new("http://localhost:8081/callback".into())?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let back = url::Url::parse(&browse(url.to_string()).await)?;
    let param = |name: &str| back.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    if param("state").as_deref() != Some(state.secret().as_str()) {
        return Err(format!("the state of {back} is not this sign-in's").into());
    }
    let code = param("code").ok_or_else(|| format!("{back} carries no code"))?;
    let tokens =
        client.exchange_code(AuthorizationCode::new(code))?.set_pkce_verifier(verifier).request_async(&http).await?;
    let id_token = tokens.id_token().ok_or("no ID token")?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
    let info: CoreUserInfoClaims = client.user_info(tokens.access_token().clone(), None)?.request_async(&http).await?;
    let name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string()).unwrap_or_default();
    Ok((claims.subject().to_string(), name))
}
