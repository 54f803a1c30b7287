//! Turning the raw parameters of an authorization request into an [`AuthorizationRequest`].
//!
//! Order matters: until the client and its redirect URI are known to be good, an error is shown
//! to the person on a page; after that it goes back to the client (RFC 6749 §4.1.2.1).

use std::collections::BTreeMap;

use super::claims_request::ClaimsRequest;
use super::request_object;
use super::{AuthorizationRequest, AuthorizeError, PageReason, Prompt, ResponseMode, ResponseTarget, ResponseType};
use crate::model::Client;
use crate::model::loa::{Requirement, Signals};
use crate::oidc::Provider;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::scopes;

pub(crate) type Params = BTreeMap<String, String>;

/// Parses and validates an authorization request given as (name, value) pairs, from the query
/// string or a form body; with the client it names, looked up once here.
pub async fn parse(
    provider: &Provider,
    raw: Vec<(String, String)>,
) -> Result<(AuthorizationRequest, Client), AuthorizeError> {
    let mut params = Params::new();
    // Every name counts, an empty one too: `state=&state=x` repeats `state` (RFC 6749 §3.1).
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in raw {
        if !seen.insert(name.clone()) {
            return Err(page(format!("the parameter {name} is included more than once")));
        }
        if !value.is_empty() {
            params.insert(name, value);
        }
    }
    let client_id = params
        .get("client_id")
        .cloned()
        .ok_or_else(|| page_for(PageReason::MissingClient, "the client_id parameter is missing"))?;
    let client = provider
        .stores
        .clients
        .get(&client_id)
        .await
        .map_err(|e| AuthorizeError::Page(e.into(), PageReason::Malformed))?
        .ok_or_else(|| page_for(PageReason::UnknownClient, format!("the client {client_id} is not known")))?;

    if params.contains_key("request") || params.contains_key("request_uri") {
        let outer = params.clone();
        if let Err(error) = request_object::merge(provider, &client, &mut params).await {
            return Err(match trusted_redirect(&client, &outer) {
                Some(redirect_uri) => {
                    let mode = error_mode(&outer);
                    let state = if matches!(error.code, ErrorCode::InvalidRequestObject | ErrorCode::InvalidRequestUri)
                    {
                        None
                    } else {
                        outer.get("state").filter(|s| max_length("state").is_some_and(|max| s.len() <= max)).cloned()
                    };
                    AuthorizeError::Redirect(error, ResponseTarget { redirect_uri, mode, state })
                }
                None => AuthorizeError::Page(error, PageReason::Malformed),
            });
        }
    }

    let redirect_uri = match params.get("redirect_uri") {
        Some(uri) if client.has_redirect_uri(uri) => uri.clone(),
        Some(_) => {
            return Err(page_for(PageReason::UntrustedRedirect, "the redirect_uri is not registered for this client"));
        }
        None => return Err(page_for(PageReason::UntrustedRedirect, "the redirect_uri parameter is missing")),
    };
    let too_long = too_long(&params);
    let target = ResponseTarget {
        redirect_uri: redirect_uri.clone(),
        mode: error_mode(&params),
        // An oversized state is not echoed: the error would carry it back, and no further.
        state: params.get("state").filter(|_| too_long != Some("state")).cloned(),
    };
    let fail = |error: OAuthError| AuthorizeError::Redirect(error, target.clone());
    if let Some(name) = too_long {
        let limit = max_length(name).unwrap_or_default();
        return Err(fail(OAuthError::invalid_request(format!("{name} is longer than {limit} bytes"))));
    }

    let request = validate(provider, &client, &params, redirect_uri).await.map_err(fail)?;
    Ok((request, client))
}

async fn validate(
    provider: &Provider,
    client: &Client,
    params: &Params,
    redirect_uri: String,
) -> Result<AuthorizationRequest, OAuthError> {
    let get = |name: &str| params.get(name).cloned();
    if params.contains_key("registration") {
        return Err(OAuthError::new(
            ErrorCode::RegistrationNotSupported,
            "the registration parameter is not supported",
        ));
    }
    let response_type_text =
        get("response_type").ok_or_else(|| OAuthError::invalid_request("response_type is missing"))?;
    let response_type = ResponseType::parse(&response_type_text).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            format!("response_type {response_type_text} is not supported"),
        )
    })?;
    if !client.allows_response_type(&response_type.as_str()) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client is not registered for response_type {}", response_type.as_str()),
        ));
    }
    let response_mode = match params.get("response_mode") {
        None => response_type.default_mode(),
        Some(mode) => {
            let mode = ResponseMode::parse(mode)
                .ok_or_else(|| OAuthError::invalid_request(format!("response_mode {mode} is not supported")))?;
            if mode == ResponseMode::Query && response_type.front_channel_token() {
                return Err(OAuthError::invalid_request("response_mode query cannot carry tokens"));
            }
            mode
        }
    };

    let requested: Vec<&str> =
        params.get("scope").map(|s| s.split(' ').filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    let openid = requested.contains(&"openid");
    if !openid && response_type.id_token {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "the openid scope is required for an id_token"));
    }
    let mut scopes = scopes::grantable(provider.persona.scopes, client, requested.iter().copied());
    let mut prompt = parse_prompt(params.get("prompt").map(String::as_str))?;
    // NIA's scopes for SAML's ForceAuthn and IsPassive.
    let granted = |name: &str| scopes.iter().any(|s| s == name);
    prompt.login |= granted("forceauthn");
    prompt.none |= granted("ispassive");
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(OAuthError::invalid_request(
            "ispassive (prompt none) cannot be combined with forceauthn or prompt",
        ));
    }
    // OpenID Connect Core §11: offline access needs explicit consent (or a first-party client),
    // and only a code can be exchanged for the refresh token it brings.
    if !(response_type.code && (prompt.consent || client.first_party)) {
        scopes.retain(|s| s != scopes::OFFLINE_ACCESS);
    }

    let nonce = get("nonce");
    if response_type.id_token && nonce.is_none() {
        return Err(OAuthError::invalid_request("nonce is required when the response includes an id_token"));
    }

    let max_age = match params.get("max_age") {
        None => client.default_max_age,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer"))?,
        ),
    };
    let claims = params.get("claims").map(|text| ClaimsRequest::parse(text)).transpose()?;

    let (code_challenge, code_challenge_method) = pkce(client, response_type, params)?;

    let hint_sub = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(hint_subject(provider, client, hint)?),
    };
    let acr_values: Vec<String> = match params.get("acr_values") {
        Some(v) => v.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        None => client.default_acr_values.clone(),
    };
    let claims_acr = claims.as_ref().map(ClaimsRequest::acr_claims).unwrap_or_default();
    let loa =
        Requirement::from_signals(Signals { acr_values: &acr_values, claims_acr: &claims_acr, scopes: &requested })
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;

    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        response_type,
        response_mode,
        scopes,
        state: get("state"),
        nonce,
        prompt,
        max_age,
        loa,
        login_hint: get("login_hint"),
        hint_sub,
        ui_locales: get("ui_locales"),
        claims_locales: get("claims_locales"),
        display: get("display"),
        claims,
        code_challenge,
        code_challenge_method,
    })
}

/// The longest value accepted for the parameters that are kept while the person logs in (and
/// for `id_token_hint`, which is verified): a few KB each, so that one request cannot store, or
/// make the provider work on, tens of kilobytes. Real values are far shorter.
fn max_length(name: &str) -> Option<usize> {
    Some(match name {
        "state" | "nonce" | "scope" => 2048,
        "login_hint" | "acr_values" => 1024,
        "claims" => 4096,
        "id_token_hint" => 8192,
        "ui_locales" | "claims_locales" | "response_type" | "response_mode" | "prompt" | "code_challenge_method" => 256,
        "display" | "max_age" => 128,
        _ => return None,
    })
}

/// The first parameter longer than [`max_length`] allows.
fn too_long(params: &Params) -> Option<&'static str> {
    const CAPPED: [&str; 15] = [
        "state",
        "nonce",
        "scope",
        "login_hint",
        "acr_values",
        "claims",
        "id_token_hint",
        "ui_locales",
        "claims_locales",
        "response_type",
        "response_mode",
        "prompt",
        "code_challenge_method",
        "display",
        "max_age",
    ];
    CAPPED.into_iter().find(|name| params.get(*name).is_some_and(|v| max_length(name).is_some_and(|max| v.len() > max)))
}

fn page(description: impl Into<String>) -> AuthorizeError {
    page_for(PageReason::Malformed, description)
}

fn page_for(reason: PageReason, description: impl Into<String>) -> AuthorizeError {
    AuthorizeError::Page(OAuthError::invalid_request(description), reason)
}

/// The redirect URI of the outer request, if registered: where errors about a request object go.
fn trusted_redirect(client: &Client, params: &Params) -> Option<String> {
    params.get("redirect_uri").filter(|uri| client.has_redirect_uri(uri)).cloned()
}

/// The response mode an error is delivered with, from whatever of the request is readable.
fn error_mode(params: &Params) -> ResponseMode {
    let response_type = params.get("response_type").and_then(|rt| ResponseType::parse(rt));
    match params.get("response_mode").and_then(|m| ResponseMode::parse(m)) {
        Some(ResponseMode::Query) if response_type.is_some_and(ResponseType::front_channel_token) => {
            ResponseMode::Fragment
        }
        Some(mode) => mode,
        None => response_type.map(ResponseType::default_mode).unwrap_or(ResponseMode::Query),
    }
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    for word in value.unwrap_or_default().split(' ').filter(|w| !w.is_empty()) {
        match word {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            other => return Err(OAuthError::invalid_request(format!("prompt value {other} is not supported"))),
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(OAuthError::invalid_request("prompt none cannot be combined with other values"));
    }
    Ok(prompt)
}

fn pkce(
    client: &Client,
    response_type: ResponseType,
    params: &Params,
) -> Result<(Option<String>, Option<String>), OAuthError> {
    let challenge = params.get("code_challenge").cloned();
    let method = params.get("code_challenge_method").cloned();
    match (&challenge, method.as_deref()) {
        (None, Some(_)) => Err(OAuthError::invalid_request("code_challenge_method without code_challenge")),
        (None, None) if client.is_public() && response_type.code => {
            Err(OAuthError::invalid_request("PKCE (code_challenge with S256) is required for public clients"))
        }
        (None, None) => Ok((None, None)),
        (Some(_), None | Some("plain")) => Err(OAuthError::invalid_request("code_challenge_method must be S256")),
        (Some(c), Some("S256")) => {
            let valid = c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(OAuthError::invalid_request(
                    "code_challenge must be a base64url SHA-256 digest (43 characters)",
                ));
            }
            Ok((challenge, method))
        }
        (Some(_), Some(other)) => {
            Err(OAuthError::invalid_request(format!("code_challenge_method {other} is not supported")))
        }
    }
}

/// The `sub` of an ID token this provider issued; an expired token is still a valid hint.
fn hint_subject(provider: &Provider, client: &Client, hint: &str) -> Result<String, OAuthError> {
    let invalid = || OAuthError::invalid_request("id_token_hint is not an ID token issued by this provider");
    let claims = provider.keys.verify(hint).map_err(|_| invalid())?;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(provider.issuer()) {
        return Err(invalid());
    }
    let audience_ok = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud == &client.client_id,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&client.client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(OAuthError::invalid_request("id_token_hint was issued to another client"));
    }
    claims.get("sub").and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_stands_alone() {
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("banana")).is_err());
        let p = parse_prompt(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
    }

    #[test]
    fn errors_for_token_responses_never_go_in_the_query() {
        let mut params = Params::new();
        params.insert("response_type".into(), "code id_token".into());
        params.insert("response_mode".into(), "query".into());
        assert_eq!(error_mode(&params), ResponseMode::Fragment);
        params.insert("response_mode".into(), "form_post".into());
        assert_eq!(error_mode(&params), ResponseMode::FormPost);
    }
}
