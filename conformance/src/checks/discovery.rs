//! The discovery-document conditions of `oidcc-discovery-endpoint-verification` (section 4.1),
//! in the suite's order, plus the client-auth capability checks of section 2. The metadata
//! schema is the suite's `oauth_authorization_server_metadata.json`, transcribed as a table.

use serde_json::Value;

use crate::log::{Level, TestLog};

use super::metadata_schema::Kind::*;
use super::metadata_schema::SCHEMA;

fn strings<'a>(doc: &'a Value, name: &str) -> Option<Vec<&'a str>> {
    doc.get(name).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect())
}

/// A string member that is an https URL.
pub fn https_member(doc: &Value, name: &str) -> Result<(), String> {
    let v = doc.get(name).ok_or_else(|| format!("'{name}' is missing"))?;
    let s = v.as_str().ok_or_else(|| format!("'{name}' is not a string"))?;
    let u = url::Url::parse(s).map_err(|e| format!("'{name}' is not a URL: {e}"))?;
    if u.scheme() == "https" { Ok(()) } else { Err(format!("'{name}' ({s}) is not https")) }
}

fn schema(doc: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    for (name, kind) in SCHEMA {
        let Some(v) = doc.get(*name) else { continue };
        let ok = match kind {
            Uri => v.as_str().is_some_and(|s| url::Url::parse(s).is_ok()),
            Str => v.is_string(),
            Strings => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Bool => v.is_boolean(),
            Object => v.is_object(),
            Any => true,
        };
        if !ok {
            errors.push(format!("'{name}' has the wrong type: {v}"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

fn unexpected(doc: &Value) -> Result<(), String> {
    let extra: Vec<&String> =
        doc.as_object().map(|o| o.keys().filter(|k| !SCHEMA.iter().any(|(n, _)| n == k)).collect()).unwrap_or_default();
    if extra.is_empty() { Ok(()) } else { Err(format!("unexpected metadata: {extra:?}")) }
}

/// A response type as a set of space-separated tokens (the suite compares them order-insensitively).
fn norm(s: &str) -> String {
    let mut v: Vec<&str> = s.split(' ').filter(|t| !t.is_empty()).collect();
    v.sort_unstable();
    v.join(" ")
}

/// `OIDCCCheckDiscEndpointResponseTypesSupportedDynamic`: all of code, id_token, token id_token.
fn response_types_dynamic(doc: &Value) -> Result<(), String> {
    const NEEDED: &[&str] = &["code", "id_token", "token id_token"];
    let list = strings(doc, "response_types_supported").ok_or("'response_types_supported' is not an array")?;
    let have: Vec<String> = list.iter().map(|t| norm(t)).collect();
    let missing: Vec<&str> = NEEDED.iter().copied().filter(|n| !have.contains(&norm(n))).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("{list:?} lacks {missing:?}")) }
}

fn response_types_static(doc: &Value) -> Result<(), String> {
    const KNOWN: &[&str] =
        &["code", "code id_token", "id_token", "token id_token", "code id_token token", "code token"];
    let list = strings(doc, "response_types_supported").ok_or("'response_types_supported' is not an array")?;
    let known: Vec<String> = KNOWN.iter().map(|k| norm(k)).collect();
    if list.iter().any(|t| known.contains(&norm(t))) { Ok(()) } else { Err(format!("none of {KNOWN:?} in {list:?}")) }
}

fn issuer_matches(doc: &Value, discovery_url: &str) -> Result<(), String> {
    let issuer = doc.get("issuer").and_then(Value::as_str).ok_or("'issuer' is missing")?;
    let expected = discovery_url.strip_suffix(".well-known/openid-configuration").unwrap_or(discovery_url);
    if issuer.trim_end_matches('/') == expected.trim_end_matches('/') {
        Ok(())
    } else {
        Err(format!("issuer '{issuer}' does not match the discovery URL '{discovery_url}'"))
    }
}

fn issuer_valid_url(doc: &Value) -> Result<(), String> {
    let issuer = doc.get("issuer").and_then(Value::as_str).ok_or("'issuer' is not a string")?;
    let u = url::Url::parse(issuer).map_err(|e| format!("issuer is not a URL: {e}"))?;
    if u.scheme() != "https" {
        return Err("issuer is not https".into());
    }
    if u.host_str().is_none_or(str::is_empty) || u.query().is_some() || u.fragment().is_some() {
        return Err("issuer must have a host and no query or fragment".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("issuer must not contain userinfo".into());
    }
    Ok(())
}

fn array_containing(doc: &Value, name: &str, wanted: &[&str], all: bool) -> Result<(), String> {
    let list = strings(doc, name).ok_or_else(|| format!("'{name}' is missing or not an array"))?;
    let has = |w: &&str| list.contains(w);
    let ok = if all { wanted.iter().all(has) } else { wanted.iter().any(has) };
    if ok { Ok(()) } else { Err(format!("'{name}' {list:?} lacks {wanted:?}")) }
}

/// RFC 6749 scope-token: 0x21, 0x23-5B, 0x5D-7E, non-empty.
fn scope_syntax(doc: &Value) -> Result<(), String> {
    let Some(list) = doc.get("scopes_supported").and_then(Value::as_array) else { return Ok(()) };
    for s in list {
        let ok = s.as_str().is_some_and(|t| {
            !t.is_empty() && t.chars().all(|c| matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}'))
        });
        if !ok {
            return Err(format!("{s} is not a valid scope token"));
        }
    }
    Ok(())
}

/// `CheckDiscEndpointLocalesSyntax`: BCP 47 syntax (language[-script][-region][-variant]*) and,
/// as the suite's `Bcp47LocaleValidation`, every subtag in the IANA Language Subtag Registry (the
/// registry copy of the `language-tags` crate, RFC 5646 2.2.9 "valid"). Returns whether the tag is
/// canonically cased (`CheckDiscEndpointLocalesCanonicalCasing`).
pub fn locale_syntax(tag: &str) -> Result<bool, String> {
    let canonical = locale_shape(tag)?;
    let parsed = language_tags::LanguageTag::parse(tag).map_err(|e| format!("'{tag}': {e}"))?;
    parsed.validate().map_err(|e| format!("'{tag}': {e}"))?;
    Ok(canonical)
}

/// The shape of each subtag; whether the casing is canonical.
fn locale_shape(tag: &str) -> Result<bool, String> {
    let parts: Vec<&str> = tag.split('-').collect();
    let alpha = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let Some((lang, rest)) = parts.split_first() else { return Err(format!("'{tag}' is empty")) };
    if !alpha(lang, 2..=8) {
        return Err(format!("'{tag}': bad language subtag"));
    }
    let mut canonical = lang.chars().all(|c| c.is_ascii_lowercase());
    for p in rest {
        let ok = alpha(p, 4..=4)
            || alpha(p, 2..=2)
            || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
            || ((5..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !ok {
            return Err(format!("'{tag}': bad subtag '{p}'"));
        }
        canonical &= match p.len() {
            2 => p.chars().all(|c| c.is_ascii_uppercase()),
            4 if alpha(p, 4..=4) => {
                p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && p[1..].chars().all(|c| c.is_ascii_lowercase())
            }
            _ => true,
        };
    }
    Ok(canonical)
}

fn locales(doc: &Value) -> (Result<(), String>, Result<(), String>) {
    let mut bad = Vec::new();
    let mut casing = Vec::new();
    for name in ["ui_locales_supported", "claims_locales_supported"] {
        for tag in strings(doc, name).unwrap_or_default() {
            match locale_syntax(tag) {
                Ok(true) => {}
                Ok(false) => casing.push(tag.to_string()),
                Err(e) => bad.push(e),
            }
        }
    }
    let r = |v: Vec<String>| if v.is_empty() { Ok(()) } else { Err(v.join("; ")) };
    (r(bad), r(casing))
}

pub fn all_endpoints_https(doc: &Value) -> Result<(), String> {
    let Some(o) = doc.as_object() else { return Ok(()) };
    let bad: Vec<String> =
        o.keys().filter(|k| k.ends_with("_endpoint")).filter_map(|k| https_member(doc, k).err()).collect();
    if bad.is_empty() { Ok(()) } else { Err(bad.join("; ")) }
}

pub fn is_true(doc: &Value, name: &str) -> Result<(), String> {
    if doc.get(name).and_then(Value::as_bool) == Some(true) { Ok(()) } else { Err(format!("'{name}' is not true")) }
}

/// Section 4.1 after the fetch checks; `dynamic` tightens response_types and grant_types.
pub fn check_document(log: &mut TestLog, doc: &Value, discovery_url: &str, dynamic: bool) {
    use Level::*;
    if dynamic {
        log.check("OIDCCCheckDiscEndpointResponseTypesSupportedDynamic", Failure, response_types_dynamic(doc));
    } else {
        log.check("OIDCCCheckDiscEndpointResponseTypesSupported", Failure, response_types_static(doc));
    }
    let discovery = url::Url::parse(discovery_url).map_err(|e| e.to_string()).and_then(|u| {
        if u.scheme() == "https" && u.path().ends_with("/.well-known/openid-configuration") {
            Ok(())
        } else {
            Err(format!("{discovery_url} is not https or not at /.well-known/openid-configuration"))
        }
    });
    log.check("CheckDiscEndpointDiscoveryUrl", Failure, discovery);
    log.check("CheckDiscEndpointIssuer", Failure, issuer_matches(doc, discovery_url));
    log.check("CheckDiscEndpointIssuerIsValidUrl", Failure, issuer_valid_url(doc));
    log.check("ValidateServerMetadataAgainstSchema", Failure, schema(doc));
    log.check("CheckForUnexpectedParametersInServerMetadata", Warning, unexpected(doc));
    log.check(
        "CheckDiscEndpointSubjectTypesSupported",
        Failure,
        array_containing(doc, "subject_types_supported", &["public", "pairwise"], false),
    );
    log.check(
        "OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported",
        Failure,
        array_containing(doc, "id_token_signing_alg_values_supported", &["RS256"], false),
    );
    if let Some(v) = doc.get("userinfo_signing_alg_values_supported") {
        log.check(
            "OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported",
            Failure,
            if v.is_array() { Ok(()) } else { Err("not an array".into()) },
        );
    }
    log.check("CheckDiscEndpointAuthorizationEndpoint", Failure, https_member(doc, "authorization_endpoint"));
    log.check("CheckDiscEndpointTokenEndpoint", Failure, https_member(doc, "token_endpoint"));
    if doc.get("userinfo_endpoint").is_some() {
        log.check("CheckDiscEndpointUserinfoEndpoint", Failure, https_member(doc, "userinfo_endpoint"));
    } else {
        log.check(
            "CheckDiscEndpointUserinfoEndpoint",
            Warning,
            Err("'userinfo_endpoint' is absent (recommended)".into()),
        );
    }
    if doc.get("registration_endpoint").is_some() {
        log.check("CheckDiscEndpointRegistrationEndpoint", Failure, https_member(doc, "registration_endpoint"));
    } else {
        log.info("CheckDiscEndpointRegistrationEndpoint", "no registration_endpoint");
    }
    log.check("CheckJwksUri", Failure, https_member(doc, "jwks_uri"));
}

/// The checks of 4.1 that follow the JWKS validation.
pub fn check_document_after_jwks(log: &mut TestLog, doc: &Value, dynamic: bool) {
    use Level::*;
    let info = |log: &mut TestLog, name: &str, r: Result<(), String>| log.check(name, Info, r);
    info(log, "CheckDiscEndpointRequestParameterSupported", is_true(doc, "request_parameter_supported"));
    let request_uri = doc.get("request_uri_parameter_supported").and_then(Value::as_bool).unwrap_or(true);
    info(log, "CheckDiscEndpointRequestUriParameterSupported", if request_uri { Ok(()) } else { Err("false".into()) });
    if doc.get("request_object_signing_alg_values_supported").is_some() {
        log.check(
            "CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256",
            Warning,
            array_containing(doc, "request_object_signing_alg_values_supported", &["RS256"], false),
        );
    }
    info(log, "CheckDiscEndpointClaimsParameterSupported", is_true(doc, "claims_parameter_supported"));
    log.check(
        "OIDCCCheckDiscEndpointClaimsSupported",
        Warning,
        strings(doc, "claims_supported")
            .map(|_| ())
            .ok_or_else(|| "'claims_supported' is missing or not an array".into()),
    );
    if let Some(g) = doc.get("grant_types_supported") {
        if dynamic {
            log.check(
                "OIDCCCheckDiscEndpointGrantTypesSupportedDynamic",
                Failure,
                array_containing(doc, "grant_types_supported", &["authorization_code", "implicit"], true),
            );
        } else {
            log.check(
                "OIDCCCheckDiscEndpointGrantTypesSupported",
                Failure,
                if g.as_array().is_some_and(|a| !a.is_empty()) { Ok(()) } else { Err("not a non-empty array".into()) },
            );
        }
    }
    if doc.get("scopes_supported").is_some() {
        log.check(
            "CheckDiscEndpointScopesSupportedContainsOpenId",
            Failure,
            array_containing(doc, "scopes_supported", &["openid"], false),
        );
    } else {
        log.check(
            "CheckDiscEndpointScopesSupportedContainsOpenId",
            Warning,
            Err("'scopes_supported' is absent".into()),
        );
    }
    log.check("CheckDiscEndpointScopesSupportedSyntax", Failure, scope_syntax(doc));
    let (syntax, casing) = locales(doc);
    log.check("CheckDiscEndpointLocalesSyntax", Failure, syntax);
    log.check("CheckDiscEndpointLocalesCanonicalCasing", Warning, casing);
    log.check("CheckDiscEndpointAllEndpointsAreHttps", Failure, all_endpoints_https(doc));
    if doc.get("code_challenge_methods_supported").and_then(Value::as_array).is_some_and(|a| !a.is_empty())
        || doc.get("code_challenge_methods_supported").is_some_and(|v| !v.is_array())
    {
        log.check(
            "EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray",
            Failure,
            array_containing(doc, "code_challenge_methods_supported", &["S256", "plain"], false),
        );
    }
}

/// Section 2: the discovery requirement of each client-auth variant.
pub fn check_client_auth_supported(log: &mut TestLog, doc: &Value, variant: &str) {
    let methods = strings(doc, "token_endpoint_auth_methods_supported");
    let (name, result) = match variant {
        "client_secret_basic" => (
            "EnsureServerConfigurationSupportsClientSecretBasic",
            match methods {
                None => Ok(()),
                Some(m) if m.contains(&"client_secret_basic") => Ok(()),
                Some(m) => Err(format!("token_endpoint_auth_methods_supported {m:?} lacks client_secret_basic")),
            },
        ),
        "client_secret_post" => (
            "EnsureServerConfigurationSupportsClientSecretPost",
            array_containing(doc, "token_endpoint_auth_methods_supported", &["client_secret_post"], false),
        ),
        "private_key_jwt" => (
            "EnsureServerConfigurationSupportsPrivateKeyJwt",
            array_containing(doc, "token_endpoint_auth_methods_supported", &["private_key_jwt"], false),
        ),
        _ => return,
    };
    log.check(name, Level::Failure, result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(locale_syntax("en-US"), Ok(true));
        assert_eq!(locale_syntax("zh-Hant"), Ok(true));
        assert_eq!(locale_syntax("en-us"), Ok(false));
        assert!(locale_syntax("e").is_err());
        assert!(locale_syntax("en_US").is_err());
        // Well-formed, but not in the subtag registry: an unknown language, script or region.
        assert_eq!(locale_syntax("cs-CZ"), Ok(true));
        assert_eq!(locale_syntax("se"), Ok(true));
        assert!(locale_syntax("qqq-CZ").is_ok(), "qaa..qtz is private use");
        assert!(locale_syntax("xy-CZ").unwrap_err().contains("xy-CZ"));
        assert!(locale_syntax("en-Abcd").is_err());
        assert!(locale_syntax("en-QQ").is_ok(), "QM..QZ is private use");
        assert!(locale_syntax("en-JJ").is_err());
    }

    #[test]
    fn issuer_comparison_ignores_one_trailing_slash() {
        let doc = serde_json::json!({"issuer": "https://op.example/"});
        assert!(issuer_matches(&doc, "https://op.example/.well-known/openid-configuration").is_ok());
        let doc = serde_json::json!({"issuer": "https://op.example/x"});
        assert!(issuer_matches(&doc, "https://op.example/.well-known/openid-configuration").is_err());
    }
}
