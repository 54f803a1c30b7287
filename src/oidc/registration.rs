//! Client registration: dynamic (RFC 7591, OpenID Connect Dynamic Client Registration) with
//! management (RFC 7592), and the same validation for clients added by an operator.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::oidc::Provider;
use crate::oidc::authorize::{REQUEST_OBJECT_ALGS, ResponseType};
use crate::oidc::client::{AuthMethod, Client, SubjectType};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::secret;

/// Client metadata as a registration request carries it. Unknown members are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientMetadata {
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub response_types: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub scope: Option<String>,
    pub jwks: Option<Value>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    pub userinfo_signed_response_alg: Option<String>,
    pub request_object_signing_alg: Option<String>,
    pub token_endpoint_auth_signing_alg: Option<String>,
    pub request_uris: Vec<String>,
    pub subject_type: Option<String>,
    pub sector_identifier_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub default_max_age: Option<i64>,
    pub require_auth_time: Option<bool>,
    pub default_acr_values: Vec<String>,
    pub contacts: Vec<String>,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub client_uri: Option<String>,
    pub application_type: Option<String>,
    /// Operators only; ignored in dynamic registration.
    pub first_party: Option<bool>,
    /// Operators only: a chosen secret (for fixtures); otherwise one is generated.
    pub client_secret: Option<String>,
}

fn bad(text: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, text)
}

fn bad_uri(text: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, text)
}

/// A new or updated client from metadata. Returns the client and, when one was generated or
/// given, the plain secret (to be shown once).
pub async fn build(
    provider: &Provider,
    meta: ClientMetadata,
    client_id: String,
    now: i64,
) -> Result<(Client, Option<String>), OAuthError> {
    let response_types = meta.response_types.clone().unwrap_or_else(|| vec!["code".into()]);
    let mut needed_grants: Vec<String> = Vec::new();
    for rt in &response_types {
        let parsed = ResponseType::parse(rt).ok_or_else(|| bad(format!("response_type {rt} is not supported")))?;
        if parsed.code && !needed_grants.iter().any(|g| g == "authorization_code") {
            needed_grants.push("authorization_code".into());
        }
        if (parsed.id_token || parsed.token) && !needed_grants.iter().any(|g| g == "implicit") {
            needed_grants.push("implicit".into());
        }
    }
    let mut grant_types = meta.grant_types.clone().unwrap_or_default();
    for g in &grant_types {
        if !crate::oidc::token::GRANT_TYPES.contains(&g.as_str()) {
            return Err(bad(format!("grant_type {g} is not supported")));
        }
    }
    for g in needed_grants {
        if !grant_types.contains(&g) {
            grant_types.push(g);
        }
    }
    let method_name = meta.token_endpoint_auth_method.as_deref().unwrap_or("client_secret_basic");
    let method = AuthMethod::parse(method_name)
        .ok_or_else(|| bad(format!("token_endpoint_auth_method {method_name} is not supported")))?;

    let redirect_needed = grant_types.iter().any(|g| g == "authorization_code" || g == "implicit");
    if redirect_needed && meta.redirect_uris.is_empty() {
        return Err(bad_uri("redirect_uris must list at least one URI"));
    }
    for uri in meta.redirect_uris.iter().chain(&meta.post_logout_redirect_uris) {
        check_uri(uri, false).map_err(bad_uri)?;
    }
    for uri in &meta.request_uris {
        check_uri(uri, true).map_err(bad)?;
    }
    for uri in meta.backchannel_logout_uri.iter().chain(&meta.jwks_uri).chain(&meta.sector_identifier_uri) {
        check_uri(uri, false).map_err(bad)?;
    }
    if let Some(uri) = &meta.sector_identifier_uri {
        check_https(uri).map_err(|e| bad(format!("sector_identifier_uri: {e}")))?;
    }
    for uri in [&meta.logo_uri, &meta.policy_uri, &meta.tos_uri, &meta.client_uri].into_iter().flatten() {
        // Shown to people as links and images: nothing but web URLs (no javascript:, data:, ...).
        let web = url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !web {
            return Err(bad(format!("{uri} must be an http or https URL")));
        }
    }
    if meta.jwks.is_some() && meta.jwks_uri.is_some() {
        return Err(bad("jwks and jwks_uri cannot both be given"));
    }
    if let Some(jwks) = &meta.jwks {
        if !jwks.get("keys").is_some_and(Value::is_array) {
            return Err(bad("jwks must be a JSON Web Key Set with a keys array"));
        }
        if let Some(keys) = jwks.get("keys").and_then(Value::as_array) {
            let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
            if keys.iter().any(|k| private.iter().any(|m| k.get(m).is_some())) {
                return Err(bad("jwks must contain public keys only"));
            }
        }
    }
    if method == AuthMethod::PrivateKeyJwt && meta.jwks.is_none() && meta.jwks_uri.is_none() {
        return Err(bad("private_key_jwt needs jwks or jwks_uri"));
    }
    let algs = provider.keys.signing_algs();
    let id_alg = meta.id_token_signed_response_alg.clone().unwrap_or_else(|| "RS256".into());
    if !algs.contains(&id_alg) {
        return Err(bad(format!("id_token_signed_response_alg {id_alg} is not supported")));
    }
    if let Some(alg) = &meta.userinfo_signed_response_alg
        && alg != "none"
        && !algs.contains(alg)
    {
        return Err(bad(format!("userinfo_signed_response_alg {alg} is not supported")));
    }
    if let Some(alg) = &meta.request_object_signing_alg
        && alg != "none"
        && !REQUEST_OBJECT_ALGS.contains(&alg.as_str())
    {
        return Err(bad(format!("request_object_signing_alg {alg} is not supported")));
    }
    if let Some(alg) = &meta.token_endpoint_auth_signing_alg
        && !crate::oidc::client_auth::ASSERTION_ALGS.contains(&alg.as_str())
    {
        return Err(bad(format!("token_endpoint_auth_signing_alg {alg} is not supported")));
    }
    let subject_type = match meta.subject_type.as_deref() {
        None | Some("public") => SubjectType::Public,
        Some("pairwise") => SubjectType::Pairwise,
        Some(other) => return Err(bad(format!("subject_type {other} is not supported"))),
    };
    let sector_identifier = sector(provider, &meta, subject_type).await?;
    if meta.default_max_age.is_some_and(|a| a < 0) {
        return Err(bad("default_max_age must not be negative"));
    }

    let secret = if method.uses_secret() {
        Some(meta.client_secret.clone().unwrap_or_else(|| secret::random_token(32)))
    } else {
        None
    };
    let client = Client {
        client_id,
        secret_digest: secret.as_deref().map(secret::digest),
        client_name: meta.client_name,
        redirect_uris: meta.redirect_uris,
        post_logout_redirect_uris: meta.post_logout_redirect_uris,
        grant_types,
        response_types,
        token_endpoint_auth_method: method,
        scope: meta.scope,
        jwks: meta.jwks,
        jwks_uri: meta.jwks_uri,
        id_token_signed_response_alg: id_alg,
        userinfo_signed_response_alg: meta.userinfo_signed_response_alg,
        request_object_signing_alg: meta.request_object_signing_alg,
        token_endpoint_auth_signing_alg: meta.token_endpoint_auth_signing_alg,
        request_uris: meta.request_uris,
        subject_type,
        sector_identifier_uri: meta.sector_identifier_uri,
        sector_identifier,
        backchannel_logout_uri: meta.backchannel_logout_uri,
        backchannel_logout_session_required: meta.backchannel_logout_session_required.unwrap_or(false),
        default_max_age: meta.default_max_age,
        require_auth_time: meta.require_auth_time.unwrap_or(false),
        default_acr_values: meta.default_acr_values,
        contacts: meta.contacts,
        logo_uri: meta.logo_uri,
        policy_uri: meta.policy_uri,
        tos_uri: meta.tos_uri,
        client_uri: meta.client_uri,
        first_party: meta.first_party.unwrap_or(false),
        registration_token_digest: None,
        created_at: now,
    };
    Ok((client, secret))
}

fn check_uri(uri: &str, allow_fragment: bool) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|_| format!("{uri} is not an absolute URI"))?;
    if parsed.fragment().is_some() && !allow_fragment {
        return Err(format!("{uri} must not contain a fragment"));
    }
    Ok(())
}

/// OpenID Connect Dynamic Client Registration §2: a URL using the https scheme. Plain http is
/// allowed to a loopback host only (`localhost`, 127.0.0.0/8, `[::1]`), for a relying party under
/// development on the same machine, as RFC 8252 §7.3 allows for redirect URIs.
fn check_https(uri: &str) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|_| format!("{uri} is not an absolute URI"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!("{uri} must be an https URL")),
    }
}

/// The sector pairwise identifiers are computed for: the host of `sector_identifier_uri` (whose
/// document must list every redirect URI), or the single host of the redirect URIs.
async fn sector(
    provider: &Provider,
    meta: &ClientMetadata,
    subject_type: SubjectType,
) -> Result<Option<String>, OAuthError> {
    if let Some(uri) = &meta.sector_identifier_uri {
        let listed = provider.fetcher.json(uri).await.map_err(|e| bad(format!("sector_identifier_uri: {e}")))?;
        let listed: Vec<&str> =
            listed.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if let Some(missing) = meta.redirect_uris.iter().find(|r| !listed.contains(&r.as_str())) {
            return Err(bad(format!("sector_identifier_uri does not list the redirect URI {missing}")));
        }
        return Ok(url::Url::parse(uri).ok().and_then(|u| u.host_str().map(str::to_owned)));
    }
    let hosts: Vec<String> =
        meta.redirect_uris.iter().filter_map(|r| url::Url::parse(r).ok()?.host_str().map(str::to_owned)).collect();
    match hosts.first() {
        Some(first) if hosts.iter().all(|h| h == first) => Ok(Some(first.clone())),
        Some(_) if subject_type == SubjectType::Pairwise => {
            Err(bad("pairwise clients with redirect URIs on several hosts need a sector_identifier_uri"))
        }
        _ => Ok(None),
    }
}

/// The registration response (RFC 7591 §3.2.1): the metadata plus credentials.
pub fn response(provider: &Provider, client: &Client, secret: Option<&str>, registration_token: Option<&str>) -> Value {
    let mut out = match serde_json::to_value(client) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for private in ["secret_digest", "registration_token_digest", "first_party", "sector_identifier", "created_at"] {
        out.remove(private);
    }
    out.retain(|_, v| !v.is_null() && v != &Value::Array(vec![]));
    out.insert("client_id_issued_at".into(), Value::from(client.created_at));
    if let Some(secret) = secret {
        out.insert("client_secret".into(), Value::from(secret));
        out.insert("client_secret_expires_at".into(), Value::from(0));
    }
    if let Some(token) = registration_token {
        out.insert("registration_access_token".into(), Value::from(token));
    }
    let uri = format!("{}/{}", provider.persona.url(provider.persona.paths.registration), client.client_id);
    out.insert("registration_client_uri".into(), Value::from(uri));
    Value::Object(out)
}

/// RFC 7591: registers a client; `initial_token` is the bearer the request carried.
pub async fn register(provider: &Provider, body: &[u8], initial_token: Option<&str>) -> Result<Value, OAuthError> {
    let reg = &provider.config.registration;
    if !reg.enabled {
        return Err(OAuthError::new(ErrorCode::AccessDenied, "dynamic client registration is disabled"));
    }
    if let Some(expected) = &reg.initial_access_token
        && !initial_token.is_some_and(|t| secret::constant_time_eq(t, expected))
    {
        return Err(OAuthError::new(ErrorCode::InvalidToken, "a valid initial access token is required"));
    }
    let mut meta: ClientMetadata =
        serde_json::from_slice(body).map_err(|e| bad(format!("the request body is not valid client metadata: {e}")))?;
    meta.first_party = None;
    meta.client_secret = None;
    meta.client_id = None;
    let client_id = secret::random_token(16);
    let (mut client, secret) = build(provider, meta, client_id, provider.now()).await?;
    let token = secret::random_token(32);
    client.registration_token_digest = Some(secret::digest(&token));
    provider.stores.clients.insert(&client).await?;
    Ok(response(provider, &client, secret.as_deref(), Some(&token)))
}

/// RFC 7592: the client a registration access token manages.
pub async fn managed(provider: &Provider, client_id: &str, token: Option<&str>) -> Result<Client, OAuthError> {
    let denied = || OAuthError::new(ErrorCode::InvalidToken, "the registration access token is invalid");
    let token = token.ok_or_else(denied)?;
    let client = provider.stores.clients.get(client_id).await?.ok_or_else(denied)?;
    match &client.registration_token_digest {
        Some(digest) if secret::constant_time_eq(digest, &secret::digest(token)) => Ok(client),
        _ => Err(denied()),
    }
}

/// RFC 7592 §2.2: replaces the metadata; the client keeps its id, secret and token.
pub async fn update(provider: &Provider, current: Client, body: &[u8]) -> Result<Value, OAuthError> {
    let mut meta: ClientMetadata =
        serde_json::from_slice(body).map_err(|e| bad(format!("the request body is not valid client metadata: {e}")))?;
    if meta.client_id.as_deref().is_some_and(|id| id != current.client_id) {
        return Err(bad("client_id cannot be changed"));
    }
    meta.first_party = None;
    meta.client_secret = None;
    let (mut client, _) = build(provider, meta, current.client_id.clone(), current.created_at).await?;
    if client.token_endpoint_auth_method.uses_secret() != current.token_endpoint_auth_method.uses_secret() {
        return Err(bad("token_endpoint_auth_method cannot change between secret and non-secret methods"));
    }
    client.secret_digest = current.secret_digest;
    client.registration_token_digest = current.registration_token_digest;
    provider.stores.clients.put(&client).await?;
    Ok(response(provider, &client, None, None))
}
