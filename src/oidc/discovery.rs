//! OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414): exactly what works here.

use serde_json::{Value, json};

use crate::identity::{claims, eidas, mojeid};
use crate::model::AuthMethod;
use crate::oidc::Provider;
use crate::oidc::authorize::{ResponseMode, ResponseType};
use crate::oidc::client_auth::ASSERTION_ALGS;
use crate::oidc::encryption;
use crate::oidc::token::GRANT_TYPES;
use crate::persona::Surface;

pub(crate) const UI_LOCALES: [&str; 2] = ["cs", "en"];

pub(crate) fn metadata(provider: &Provider) -> Value {
    match provider.persona.surface {
        Surface::Standard => standard(provider),
        Surface::Nia => nia(provider),
        Surface::MojeId => mojeid(provider),
    }
}

/// mojeID's discovery (`shared/reference/nia_mojeid.md` §8.1–§8.2): a plain provider's, with
/// client_secret_basic and client_secret_post, the `mojeid_*` claims, no end_session endpoint
/// (people log out at its logout page) and no PKCE advertised (it is honoured all the same).
fn mojeid(provider: &Provider) -> Value {
    let mut doc = standard(provider);
    if let Value::Object(map) = &mut doc {
        let methods = json!(["client_secret_basic", "client_secret_post"]);
        for member in ["token_endpoint", "revocation_endpoint", "introspection_endpoint"] {
            map.insert(format!("{member}_auth_methods_supported"), methods.clone());
            map.remove(&format!("{member}_auth_signing_alg_values_supported"));
        }
        for member in [
            "end_session_endpoint",
            "code_challenge_methods_supported",
            "backchannel_logout_supported",
            "backchannel_logout_session_supported",
        ] {
            map.remove(member);
        }
        let mut claims = claims::supported();
        claims.extend(mojeid::SUPPORTED);
        map.insert("claims_supported".into(), claims.into());
    }
    doc
}

/// What NIA's discovery document lists (`shared/reference/nia_mojeid.md` §2.1–§2.2): the
/// endpoints a web portal uses, `client_secret_post` only, NIA's scopes and eIDAS claim names,
/// no encryption values (its ID tokens are encrypted all the same) and no PKCE unless the face
/// checks `code_verifier`.
fn nia(provider: &Provider) -> Value {
    let p = &provider.persona;
    let url = |path: &str| p.url(path);
    let mut doc = json!({
        "issuer": p.issuer,
        "authorization_endpoint": url(p.paths.authorization),
        "token_endpoint": url(p.paths.token),
        "userinfo_endpoint": url(p.paths.userinfo),
        "end_session_endpoint": url(p.paths.end_session),
        "jwks_uri": url(p.paths.jwks),
        "scopes_supported": p.scopes,
        "claims_supported": eidas::SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "claims_parameter_supported": true,
        "acr_values_supported": acr_values_supported(provider),
        "ui_locales_supported": UI_LOCALES,
    });
    if !p.quirks.ignore_code_verifier
        && let Value::Object(map) = &mut doc
    {
        map.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    }
    doc
}

fn standard(provider: &Provider) -> Value {
    let p = &provider.persona;
    let url = |path: &str| p.url(path);
    let algs = provider.keys.signing_algs();
    let mut doc = json!({
        "issuer": p.issuer,
        "authorization_endpoint": url(p.paths.authorization),
        "token_endpoint": url(p.paths.token),
        "userinfo_endpoint": url(p.paths.userinfo),
        "jwks_uri": url(p.paths.jwks),
        "end_session_endpoint": url(p.paths.end_session),
        "revocation_endpoint": url(p.paths.revocation),
        "introspection_endpoint": url(p.paths.introspection),
        "scopes_supported": p.scopes,
        "response_types_supported": ResponseType::SUPPORTED,
        "response_modes_supported": ResponseMode::SUPPORTED,
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": algs,
        "request_object_signing_alg_values_supported": request_object_algs(),
        "token_endpoint_auth_methods_supported": AuthMethod::ALL,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": AuthMethod::ALL,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": AuthMethod::ALL,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims::supported(),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "acr_values_supported": acr_values_supported(provider),
        "display_values_supported": ["page"],
        "ui_locales_supported": UI_LOCALES,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    if provider.config.registration.enabled
        && let Value::Object(map) = &mut doc
    {
        map.insert("registration_endpoint".into(), Value::from(url(p.paths.registration)));
    }
    if p.encryption.advertised
        && let Value::Object(map) = &mut doc
    {
        map.insert("id_token_encryption_alg_values_supported".into(), encryption::algs_supported().into());
        map.insert("id_token_encryption_enc_values_supported".into(), encryption::encs_supported().into());
        map.insert("userinfo_encryption_alg_values_supported".into(), encryption::algs_supported().into());
        map.insert("userinfo_encryption_enc_values_supported".into(), encryption::encs_supported().into());
    }
    doc
}

/// The LoA URIs the available means of authentication reach, weakest first.
pub(crate) fn acr_values_supported(provider: &Provider) -> Vec<&'static str> {
    crate::authn::means::reachable(&provider.persona).into_iter().map(|l| l.uri()).collect()
}

pub(crate) fn request_object_algs() -> Vec<&'static str> {
    let mut algs = vec!["none"];
    algs.extend(crate::oidc::authorize::REQUEST_OBJECT_ALGS);
    algs
}
