//! Client registration: dynamic (RFC 7591, OpenID Connect Dynamic Client Registration) with
//! management (RFC 7592), and the same validation for clients added by an operator.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{ApplicationType, AuthMethod, Client, RedirectUri, SubjectType, UriRules};
use crate::oidc::Provider;
use crate::oidc::authorize::{REQUEST_OBJECT_ALGS, ResponseType};
use crate::oidc::encryption;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::fetch::Document;
use crate::oidc::outbound;
use crate::oidc::quota::{Quota, QuotaError};
use crate::secret;

/// Client metadata as a registration request carries it. Unknown members are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientMetadata {
    pub client_id: Option<String>,
    pub(crate) client_name: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) post_logout_redirect_uris: Vec<String>,
    pub(crate) response_types: Option<Vec<String>>,
    pub(crate) grant_types: Option<Vec<String>>,
    pub(crate) token_endpoint_auth_method: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) jwks: Option<Value>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) id_token_signed_response_alg: Option<String>,
    pub(crate) id_token_encrypted_response_alg: Option<String>,
    pub(crate) id_token_encrypted_response_enc: Option<String>,
    pub(crate) userinfo_signed_response_alg: Option<String>,
    pub(crate) userinfo_encrypted_response_alg: Option<String>,
    pub(crate) userinfo_encrypted_response_enc: Option<String>,
    pub(crate) request_object_signing_alg: Option<String>,
    pub(crate) token_endpoint_auth_signing_alg: Option<String>,
    pub(crate) request_uris: Vec<String>,
    pub(crate) subject_type: Option<String>,
    pub(crate) sector_identifier_uri: Option<String>,
    pub(crate) backchannel_logout_uri: Option<String>,
    pub(crate) backchannel_logout_session_required: Option<bool>,
    pub(crate) default_max_age: Option<i64>,
    pub(crate) require_auth_time: Option<bool>,
    pub(crate) default_acr_values: Vec<String>,
    pub(crate) contacts: Vec<String>,
    pub(crate) logo_uri: Option<String>,
    pub(crate) policy_uri: Option<String>,
    pub(crate) tos_uri: Option<String>,
    pub(crate) client_uri: Option<String>,
    pub(crate) application_type: Option<String>,
    /// Operators only; ignored in dynamic registration.
    pub(crate) first_party: Option<bool>,
    /// Operators only (mojeID's full access); ignored in dynamic registration.
    pub(crate) full_access: Option<bool>,
    /// Operators only: a chosen secret (for fixtures); otherwise one is generated.
    pub(crate) client_secret: Option<String>,
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
    let front_channel_tokens =
        response_types.iter().filter_map(|rt| ResponseType::parse(rt)).any(ResponseType::front_channel_token);
    let application_type = check_uris(&meta, front_channel_tokens, provider.fetcher.allows_loopback())?;
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
    // A face that encrypts every ID token (NIA) gives a client that asked for nothing its
    // default, and so needs the client's encryption key.
    let (id_alg_asked, id_enc_asked) = match meta.id_token_encrypted_response_alg.as_deref() {
        None if provider.persona.quirks.encrypt_id_tokens => {
            let (alg, enc) = encryption::ALWAYS;
            (Some(alg), Some(meta.id_token_encrypted_response_enc.as_deref().unwrap_or(enc)))
        }
        alg => (alg, meta.id_token_encrypted_response_enc.as_deref()),
    };
    let id_token_encryption =
        encryption::registered("id_token", id_alg_asked, id_enc_asked, meta.jwks.as_ref(), meta.jwks_uri.as_deref())
            .map_err(|e| match meta.id_token_encrypted_response_alg {
                None => bad(format!(
                    "this face encrypts every ID token ({} with {}, setting encrypt_id_tokens): {}",
                    encryption::ALWAYS.0,
                    encryption::ALWAYS.1,
                    e.description
                )),
                Some(_) => e,
            })?;
    let userinfo_encryption = encryption::registered(
        "userinfo",
        meta.userinfo_encrypted_response_alg.as_deref(),
        meta.userinfo_encrypted_response_enc.as_deref(),
        meta.jwks.as_ref(),
        meta.jwks_uri.as_deref(),
    )?;
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
        face: provider.persona.face.clone(),
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
        id_token_encrypted_response_alg: id_token_encryption.as_ref().map(|(alg, _)| alg.clone()),
        id_token_encrypted_response_enc: id_token_encryption.map(|(_, enc)| enc),
        userinfo_signed_response_alg: meta.userinfo_signed_response_alg,
        userinfo_encrypted_response_alg: userinfo_encryption.as_ref().map(|(alg, _)| alg.clone()),
        userinfo_encrypted_response_enc: userinfo_encryption.map(|(_, enc)| enc),
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
        full_access: meta.full_access.unwrap_or(false),
        application_type,
        registration_token_digest: None,
        created_at: now,
    };
    Ok((client, secret))
}

/// Every URI of the metadata: redirect URIs by [`RedirectUri::parse`], the URLs identita fetches
/// from or posts to by [`outbound::check_client_url`]. Returns the application type they were
/// checked for.
fn check_uris(
    meta: &ClientMetadata,
    front_channel_tokens: bool,
    allow_loopback: bool,
) -> Result<ApplicationType, OAuthError> {
    let application_type = match meta.application_type.as_deref() {
        None => ApplicationType::Web,
        Some(name) => ApplicationType::parse(name)
            .ok_or_else(|| bad(format!("application_type {name} is not supported (web or native)")))?,
    };
    let rules = UriRules { application_type, front_channel_tokens };
    for uri in &meta.redirect_uris {
        RedirectUri::parse(uri, rules).map_err(|e| bad_uri(e.to_string()))?;
    }
    for uri in &meta.post_logout_redirect_uris {
        RedirectUri::parse(uri, rules.without_tokens()).map_err(|e| bad(format!("post_logout_redirect_uris: {e}")))?;
    }
    let fetched = [
        ("jwks_uri", meta.jwks_uri.as_ref()),
        ("sector_identifier_uri", meta.sector_identifier_uri.as_ref()),
        ("backchannel_logout_uri", meta.backchannel_logout_uri.as_ref()),
    ];
    let fetched = fetched.into_iter().filter_map(|(name, uri)| Some((name, uri?, false)));
    // A request_uri may carry a fragment: the hash of its content (OpenID Connect Core §6.2).
    for (name, uri, fragment) in fetched.chain(meta.request_uris.iter().map(|uri| ("request_uris", uri, true))) {
        outbound::check_client_url(uri, fragment, allow_loopback).map_err(|e| bad(format!("{name}: {e}")))?;
    }
    Ok(application_type)
}

/// The sector pairwise identifiers are computed for: the host of `sector_identifier_uri` (whose
/// document must list every redirect URI), or the single host of the redirect URIs.
async fn sector(
    provider: &Provider,
    meta: &ClientMetadata,
    subject_type: SubjectType,
) -> Result<Option<String>, OAuthError> {
    if let Some(uri) = &meta.sector_identifier_uri {
        let listed = provider.fetcher.json(uri).await.map_err(|e| {
            tracing::info!(error = %e, "fetching a sector_identifier_uri failed");
            bad(Document::SectorIdentifier.unavailable())
        })?;
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
pub(crate) fn response(
    provider: &Provider,
    client: &Client,
    secret: Option<&str>,
    registration_token: Option<&str>,
) -> Value {
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

/// A registration request as the endpoint received it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegisterInput<'a> {
    pub(crate) body: &'a [u8],
    /// The bearer token the request carried, if any.
    pub(crate) initial_token: Option<&'a str>,
    /// Where the request came from, for the quota per source.
    pub(crate) source: IpAddr,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum RegisterError {
    #[error("{0}")]
    OAuth(#[from] OAuthError),
    /// The source made too many registrations; it may try again after `retry_after` seconds.
    #[error("too many registrations from this address")]
    Throttled { retry_after: i64 },
}

/// RFC 7591: registers a client. Served only when `registration.enabled`; with an
/// `initial_access_token` only to its holder; at most `per_source_limit` times per window from
/// one address (reserved before anything else is checked, so guessing the token counts too).
pub(crate) async fn register(provider: &Provider, input: RegisterInput<'_>) -> Result<Value, RegisterError> {
    let reg = &provider.config.registration;
    if !reg.enabled {
        return Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "dynamic client registration is not enabled on this provider; ask its operator for a client",
        )
        .into());
    }
    match Quota::registrations(provider).reserve(provider, input.source).await {
        Ok(()) => {}
        Err(QuotaError::Exceeded { retry_after }) => return Err(RegisterError::Throttled { retry_after }),
        Err(QuotaError::Store(e)) => return Err(e.into()),
    }
    if let Some(expected) = &reg.initial_access_token
        && !input.initial_token.is_some_and(|t| secret::constant_time_eq(t, expected))
    {
        return Err(OAuthError::new(ErrorCode::InvalidToken, "a valid initial access token is required").into());
    }
    let mut meta: ClientMetadata = serde_json::from_slice(input.body)
        .map_err(|e| bad(format!("the request body is not valid client metadata: {e}")))?;
    meta.first_party = None;
    meta.full_access = None;
    meta.client_secret = None;
    meta.client_id = None;
    let client_id = secret::random_token(16);
    let (mut client, secret) = build(provider, meta, client_id, provider.now()).await?;
    let token = secret::random_token(32);
    client.registration_token_digest = Some(secret::digest(&token));
    provider.stores.clients.insert(&client).await.map_err(OAuthError::from)?;
    Ok(response(provider, &client, secret.as_deref(), Some(&token)))
}

/// RFC 7592: the client a registration access token manages.
pub(crate) async fn managed(provider: &Provider, client_id: &str, token: Option<&str>) -> Result<Client, OAuthError> {
    let denied = || OAuthError::new(ErrorCode::InvalidToken, "the registration access token is invalid");
    let token = token.ok_or_else(denied)?;
    let client = provider.stores.clients.get(client_id).await?.ok_or_else(denied)?;
    match &client.registration_token_digest {
        Some(digest) if secret::constant_time_eq(digest, &secret::digest(token)) => Ok(client),
        _ => Err(denied()),
    }
}

/// RFC 7592 §2.2: replaces the metadata; the client keeps its id, secret and token.
pub(crate) async fn update(provider: &Provider, current: Client, body: &[u8]) -> Result<Value, OAuthError> {
    let mut meta: ClientMetadata =
        serde_json::from_slice(body).map_err(|e| bad(format!("the request body is not valid client metadata: {e}")))?;
    if meta.client_id.as_deref().is_some_and(|id| id != current.client_id) {
        return Err(bad("client_id cannot be changed"));
    }
    meta.first_party = None;
    meta.full_access = None;
    meta.client_secret = None;
    let (mut client, _) = build(provider, meta, current.client_id.clone(), current.created_at).await?;
    if client.token_endpoint_auth_method.uses_secret() != current.token_endpoint_auth_method.uses_secret() {
        return Err(bad("token_endpoint_auth_method cannot change between secret and non-secret methods"));
    }
    client.secret_digest = current.secret_digest;
    client.registration_token_digest = current.registration_token_digest;
    // What only an operator sets stays as the operator set it.
    client.first_party = current.first_party;
    client.full_access = current.full_access;
    provider.stores.clients.put(&client).await?;
    Ok(response(provider, &client, None, None))
}
