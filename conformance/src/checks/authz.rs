//! The authorization response: where it is read from (query, fragment, form post), the happy-flow
//! callback conditions of section 1.5, and the generic error-response validation of 1.10.

use crate::log::{Level, Step, TestLog};
use crate::rp::Hit;

/// How the response is expected to come back.
/// `Fragment` and `FormPost` serve the implicit, hybrid and form-post plans.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// The response parameters, with the form-post / fragment conditions recorded on the way.
pub fn read_response(
    log: &mut TestLog,
    mode: ResponseMode,
    hit: &Hit,
    fragment: Option<&str>,
) -> Vec<(String, String)> {
    let query = hit.query_params();
    let has = |p: &[(String, String)], k: &str| p.iter().any(|(n, _)| n == k);
    match mode {
        ResponseMode::Query => query,
        ResponseMode::Fragment => {
            log.check(
                "RejectAuthCodeInUrlQuery",
                Level::Failure,
                if has(&query, "code") { Err("code in the URL query".into()) } else { Ok(()) },
            );
            log.check(
                "RejectErrorInUrlQuery",
                Level::Failure,
                if has(&query, "error") { Err("error in the URL query".into()) } else { Ok(()) },
            );
            url::form_urlencoded::parse(fragment.unwrap_or_default().as_bytes()).into_owned().collect()
        }
        ResponseMode::FormPost => {
            log.check(
                "CheckCallbackHttpMethodIsPost",
                Level::Failure,
                if hit.method == "POST" { Ok(()) } else { Err(format!("the callback was a {}", hit.method)) },
            );
            let ct = hit.content_type.as_deref().unwrap_or("");
            log.check(
                "CheckCallbackContentTypeIsFormUrlEncoded",
                Level::Failure,
                if ct.split(';').next() == Some("application/x-www-form-urlencoded") {
                    Ok(())
                } else {
                    Err(format!("content type '{ct}'"))
                },
            );
            log.check(
                "RejectAuthCodeInUrlQuery",
                Level::Failure,
                if has(&query, "code") { Err("code in the URL query".into()) } else { Ok(()) },
            );
            log.check(
                "RejectErrorInUrlQuery",
                Level::Failure,
                if has(&query, "error") { Err("error in the URL query".into()) } else { Ok(()) },
            );
            hit.body_params()
        }
    }
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn iss(params: &[(String, String)], issuer: &str) -> Result<(), String> {
    match param(params, "iss") {
        Some(i) if i != issuer => Err(format!("iss '{i}' is not the issuer '{issuer}'")),
        _ => Ok(()),
    }
}

fn state(params: &[(String, String)], sent: Option<&str>) -> Result<(), String> {
    match (sent, param(params, "state")) {
        (Some(s), Some(r)) if s == r => Ok(()),
        (Some(s), Some(r)) => Err(format!("state '{r}' is not the one sent ('{s}')")),
        (Some(_), None) => Err("state is missing".into()),
        (None, None) => Ok(()),
        (None, Some(r)) => Err(format!("no state was sent, but '{r}' came back")),
    }
}

/// Section 1.5, up to extracting the code (when `want_code`).
pub fn happy_callback(
    log: &mut TestLog,
    params: &[(String, String)],
    sent_state: Option<&str>,
    issuer: &str,
    want_code: bool,
) -> Step<Option<String>> {
    log.check("ValidateIssIfPresentInAuthorizationResponse", Level::Failure, iss(params, issuer));
    let error = param(params, "error").map(|e| {
        let d = param(params, "error_description").unwrap_or_default();
        format!("the authorization endpoint returned error '{e}' {d}")
    });
    log.require("CheckIfAuthorizationEndpointError", error.map_or(Ok(()), Err))?;
    log.check("CheckStateInAuthorizationResponse", Level::Failure, state(params, sent_state));
    if !want_code {
        return Ok(None);
    }
    let code = log.need(
        "ExtractAuthorizationCodeFromAuthorizationResponse",
        param(params, "code").map(str::to_string).ok_or_else(|| "no code in the response".to_string()),
    )?;
    Ok(Some(code))
}

/// `performGenericAuthorizationEndpointErrorResponseValidation` (1.10). `code_anywhere` says
/// whether a code appeared in the query or the fragment.
pub fn generic_error_checks(
    log: &mut TestLog,
    params: &[(String, String)],
    sent_state: Option<&str>,
    issuer: &str,
    code_anywhere: bool,
) {
    log.check("CheckStateInAuthorizationResponse", Level::Failure, state(params, sent_state));
    log.check("ValidateIssIfPresentInAuthorizationResponse", Level::Failure, iss(params, issuer));
    log.check(
        "EnsureErrorFromAuthorizationEndpointResponse",
        Level::Failure,
        if param(params, "error").is_some() { Ok(()) } else { Err("no error in the response".into()) },
    );
    log.check(
        "RejectAuthCodeInAuthorizationEndpointResponse",
        Level::Failure,
        if code_anywhere { Err("a code came back with the error".into()) } else { Ok(()) },
    );
    const ALLOWED: &[&str] = &["error", "error_description", "error_uri", "state", "session_state", "iss"];
    let extra: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).filter(|k| !ALLOWED.contains(k)).collect();
    log.check(
        "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint",
        Level::Warning,
        if extra.is_empty() { Ok(()) } else { Err(format!("unexpected parameters {extra:?}")) },
    );
    error_field_charsets(
        log,
        param(params, "error"),
        param(params, "error_description"),
        param(params, "error_uri"),
        "AuthorizationEndpointResponse",
    );
}

/// The charset conditions on `error`, `error_description` and `error_uri` (authorization and
/// token endpoint variants share them).
pub fn error_field_charsets(
    log: &mut TestLog,
    error: Option<&str>,
    description: Option<&str>,
    uri: Option<&str>,
    endpoint: &str,
) {
    use super::entropy::{error_code_charset, error_description_charset, error_uri_charset};
    // The suite's names: ValidateErrorFromTokenEndpointResponseError (the token endpoint only; for
    // the authorization endpoint the suite does not check the code's characters, the runner does),
    // ValidateErrorDescriptionFrom…Error, CheckErrorDescriptionFrom…ErrorContainsCRLFTAB,
    // ValidateErrorUriFrom…Error.
    if let Some(e) = error {
        let name = if endpoint == "TokenEndpointResponse" {
            format!("ValidateErrorFrom{endpoint}Error")
        } else {
            format!("RunnerValidateErrorFrom{endpoint}Error")
        };
        log.check(&name, Level::Failure, error_code_charset(e));
    }
    if let Some(d) = description {
        match error_description_charset(d) {
            Ok(whitespace) => {
                log.check(&format!("ValidateErrorDescriptionFrom{endpoint}Error"), Level::Failure, Ok(()));
                log.check(
                    &format!("CheckErrorDescriptionFrom{endpoint}ErrorContainsCRLFTAB"),
                    Level::Warning,
                    if whitespace { Err("error_description contains CR, LF or TAB".into()) } else { Ok(()) },
                );
            }
            Err(e) => {
                log.check(&format!("ValidateErrorDescriptionFrom{endpoint}Error"), Level::Failure, Err(e));
            }
        }
    }
    if let Some(u) = uri {
        log.check(&format!("ValidateErrorUriFrom{endpoint}Error"), Level::Failure, error_uri_charset(u));
    }
}
