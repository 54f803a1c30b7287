//! Single logout (reference §3.6): a service provider's `LogoutRequest` over HTTP-Redirect at the
//! SSO URL. Its signature is checked against the SP's registered certificates exactly as an
//! `AuthnRequest`'s (over the query's raw octets, or xmlsec's signed subset of a message signed
//! inside), then its NameID and SessionIndex must name a session of this face whose person the
//! NameID is towards that SP. The session ends as an OpenID Connect logout ends one (its tokens
//! revoked, its clients told by back-channel logout); the session's other SAML service
//! providers each get a signed `LogoutRequest` (front-channel: the browser carries them), and
//! the SP that asked gets a signed `LogoutResponse` at its single logout service.
//!
//! A request from an SP that is not registered, or that has no HTTP-Redirect single logout
//! service, cannot be answered there and is refused on a page; any other bad request (unsigned,
//! wrongly signed, stale, replayed, a NameID not the session's) gets a `LogoutResponse` with an
//! error status, and no session ends.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::SamlError;
use super::redirect::{self, Envelope};
use super::request::{self, RedirectQuery, RequestError};
use super::status::Status;
use super::{idp_key, name_id, profile};
use crate::model::saml::BINDING_REDIRECT;
use crate::model::{ServiceProvider, Session};
use crate::oidc::{Provider, logout};

const PROTOCOL: &[u8] = b"urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";
/// How far a request's `IssueInstant` may be in the future, and how old it may be.
const SKEW: i64 = 180;
const MAX_AGE: i64 = 600;

/// What a message arriving over HTTP-Redirect at the SSO URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `AuthnRequest` (or something unreadable, which its parser then refuses).
    Authn,
    /// A service provider's `LogoutRequest`.
    LogoutRequest,
    /// A service provider's `LogoutResponse` to one of this identity provider's requests.
    LogoutResponse,
}

/// Which message `raw_query` carries, by the root element of its `SAMLRequest`.
pub fn kind(raw_query: &str) -> Kind {
    let Ok(query) = RedirectQuery::parse(raw_query) else { return Kind::Authn };
    if query.get("SAMLRequest").is_none() && query.get("SAMLResponse").is_some() {
        return Kind::LogoutResponse;
    }
    let xml = query.value("SAMLRequest").and_then(|m| request::decode_base64(&m)).and_then(|b| request::inflate(&b));
    match xml.ok().and_then(|xml| root_name(&xml)) {
        Some(name) if name == "LogoutRequest" => Kind::LogoutRequest,
        _ => Kind::Authn,
    }
}

fn root_name(xml: &str) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => return Some(String::from_utf8_lossy(e.local_name().as_ref()).into()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Why a logout request is refused on a page rather than answered at the SP.
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error("malformed SAML logout request: {0}")]
    Malformed(String),
    #[error("the service provider {0} is not registered here")]
    UnknownSp(String),
    #[error("the service provider {0} registered no single logout service with the HTTP-Redirect binding")]
    NoLogoutService(String),
    #[error(transparent)]
    Saml(#[from] SamlError),
}

impl From<RequestError> for LogoutError {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::Store(e) => Self::Saml(SamlError::Store(e)),
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// What a logout request came to.
#[derive(Debug)]
pub struct Outcome {
    /// The signed `LogoutResponse` to the SP that asked (its HTTP-Redirect URL).
    pub response_url: String,
    /// The session that ended, if one did.
    pub ended: Option<Session>,
    /// The signed `LogoutRequest`s (HTTP-Redirect URLs) to the session's other SAML SPs.
    pub others: Vec<String>,
}

/// A `LogoutRequest` as read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct LogoutRequest {
    id: String,
    version: String,
    issue_instant: String,
    destination: Option<String>,
    not_on_or_after: Option<String>,
    issuer: String,
    name_id: String,
    session_indexes: Vec<String>,
}

/// Serves the logout request in `raw_query`; `browser` is the session of the browser that
/// brought it, if any (the session ended when the request names no SessionIndex).
pub async fn handle(provider: &Provider, raw_query: &str, browser: Option<&Session>) -> Result<Outcome, LogoutError> {
    let key = idp_key(provider)?;
    let profile = profile(provider)?;
    let entity_id = provider.persona.saml_entity_id().unwrap_or_default();
    let query = RedirectQuery::parse(raw_query)?;
    let xml = request::inflate(&request::decode_base64(&query.value("SAMLRequest")?)?)?;
    // Which SP claims to send it, to know whose certificate checks it and where to answer;
    // nothing else of the unverified message is used.
    let claimed = parse(&xml)?;
    let sp = provider
        .stores
        .saml_sps
        .get(provider.persona.face.as_deref(), claimed.issuer.trim())
        .await
        .map_err(SamlError::Store)?
        .ok_or_else(|| LogoutError::UnknownSp(claimed.issuer.trim().to_owned()))?;
    let slo = sp
        .slo
        .iter()
        .find(|e| e.binding == BINDING_REDIRECT)
        .map(|e| e.location.clone())
        .ok_or_else(|| LogoutError::NoLogoutService(sp.entity_id.clone()))?;
    let raw_relay_state = query.get("RelayState").map(|(_, raw, _)| *raw);
    let envelope = Envelope { issuer: &entity_id, destination: &slo, now: provider.now() };
    let answer = |in_response_to: &str, status: &Status| {
        redirect::logout_response(&envelope, in_response_to, status, raw_relay_state, key)
    };
    let refused = |request: &LogoutRequest, status: Status| -> Result<Outcome, LogoutError> {
        tracing::info!(sp = %sp.entity_id, status = status.code, sub = status.sub, message = %status.message, "SAML logout request refused");
        Ok(Outcome { response_url: answer(&request.id, &status)?, ended: None, others: Vec::new() })
    };
    let request = match verified(&query, &xml, claimed.clone(), &sp) {
        Ok(request) => request,
        Err(RequestError::Malformed(why)) => return Err(LogoutError::Malformed(why)),
        Err(RequestError::Store(e)) => return Err(SamlError::Store(e).into()),
        Err(error) => return refused(&claimed, Status::requester(Some(Status::REQUEST_DENIED), &error.to_string())),
    };
    if let Err(status) = validate(provider, &sp, &request).await? {
        return refused(&request, status);
    }
    let session = match request.session_indexes.first() {
        Some(index) => provider.stores.sessions.get_by_sid(index, provider.now()).await.map_err(SamlError::Store)?,
        None => browser.cloned(),
    };
    let Some(session) = session else {
        // Nothing left to end: logged out already, or the session expired.
        return Ok(Outcome { response_url: answer(&request.id, &Status::success())?, ended: None, others: Vec::new() });
    };
    if !name_id::names(provider, &profile, &sp, &session, request.name_id.trim()).await? {
        let status = Status::requester(Some(Status::UNKNOWN_PRINCIPAL), "the NameID is not the session's person");
        return refused(&request, status);
    }
    let others = other_sps(provider, &session, &sp).await?;
    logout::end_session(provider, &session)
        .await
        .map_err(|e| SamlError::Internal(format!("ending the session: {e}")))?;
    tracing::info!(sp = %sp.entity_id, others = others.len(), "SAML single logout");
    Ok(Outcome { response_url: answer(&request.id, &Status::success())?, ended: Some(session), others })
}

/// The request as its SP signed it: over the query (the message is then the one signed), or
/// the signed subset of a message signed inside.
fn verified(
    query: &RedirectQuery<'_>,
    xml: &str,
    claimed: LogoutRequest,
    sp: &ServiceProvider,
) -> Result<LogoutRequest, RequestError> {
    let request = match query.signature()? {
        Some((sig_alg, signature)) => {
            request::verify_redirect(&query.signed_octets(), &sig_alg, &signature, sp)?;
            claimed
        }
        None if request::has_signature(xml) => parse(&request::reduce_to_signed(xml, sp)?)
            .map_err(|_| RequestError::BadSignature("the signed part is not the request".into()))?,
        None => return Err(RequestError::Unsigned),
    };
    if request.issuer.trim() != sp.entity_id {
        return Err(RequestError::BadSignature("the signed request names another issuer".into()));
    }
    Ok(request)
}

/// The rules a verified request must meet, or the status that refuses it.
async fn validate(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &LogoutRequest,
) -> Result<Result<(), Status>, SamlError> {
    if request.version != "2.0" {
        return Ok(Err(Status::version_mismatch()));
    }
    let sso = provider.persona.saml.map(|s| provider.persona.url(s.sso)).unwrap_or_default();
    if request.destination.as_deref().is_some_and(|d| d != sso) {
        return Ok(Err(Status::requester(None, "the request's Destination is not this identity provider")));
    }
    let now = provider.now();
    let denied = |why: &str| Ok(Err(Status::requester(Some(Status::REQUEST_DENIED), why)));
    let Some(issued) = timestamp(&request.issue_instant) else {
        return denied("the request has no valid IssueInstant");
    };
    if issued > now + SKEW || issued < now - MAX_AGE {
        return denied("the request's IssueInstant is too old or in the future");
    }
    if request.not_on_or_after.as_deref().is_some_and(|t| timestamp(t).is_none_or(|t| t <= now)) {
        return denied("the request has expired (NotOnOrAfter)");
    }
    if request.name_id.trim().is_empty() {
        return Ok(Err(Status::requester(Some(Status::UNKNOWN_PRINCIPAL), "the request names no NameID")));
    }
    let key = format!("saml-logout:{}:{}", sp.entity_id, request.id);
    if !provider.stores.replay.remember(&key, issued.max(now) + MAX_AGE + SKEW, now).await? {
        return denied("this request has already been served");
    }
    Ok(Ok(()))
}

fn timestamp(instant: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(instant.trim()).ok().map(|t| t.timestamp())
}

/// The signed `LogoutRequest` URLs for the SAML SPs `session` served besides `asking`.
async fn other_sps(provider: &Provider, session: &Session, asking: &ServiceProvider) -> Result<Vec<String>, SamlError> {
    let key = idp_key(provider)?;
    let profile = profile(provider)?;
    let issuer = provider.persona.saml_entity_id().unwrap_or_default();
    let mut urls = Vec::new();
    for entity_id in session.saml_sps().filter(|e| *e != asking.entity_id) {
        let Some(sp) = provider.stores.saml_sps.get(provider.persona.face.as_deref(), entity_id).await? else {
            continue;
        };
        let Some(slo) = sp.slo.iter().find(|e| e.binding == BINDING_REDIRECT) else { continue };
        let envelope = Envelope { issuer: &issuer, destination: &slo.location, now: provider.now() };
        // The persistent NameID: which format the SP received is not kept.
        let name_id = name_id::persistent(provider, &profile, &sp, &session.authn.user_id).await?;
        urls.push(redirect::logout_request(&envelope, &name_id, &session.sid, key)?);
    }
    Ok(urls)
}

/// Reads a `LogoutRequest`: the root's attributes, its Issuer, NameID and SessionIndexes. A
/// text is read whole (a comment inside it neither cuts nor hides a part); quick-xml resolves no
/// DTD and refuses undeclared entities.
fn parse(xml: &str) -> Result<LogoutRequest, LogoutError> {
    let malformed = |e: &dyn std::fmt::Display| LogoutError::Malformed(e.to_string());
    let mut reader = NsReader::from_str(xml);
    let mut out = LogoutRequest::default();
    let mut root = false;
    let mut depth = 0usize;
    // The child of the root whose text is being read.
    let mut reading: Option<&'static str> = None;
    let mut text = String::new();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| malformed(&e))?;
        let namespace = match ns {
            ResolveResult::Bound(Namespace(n)) => Some(n.to_vec()),
            _ => None,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if !root => {
                if namespace.as_deref() != Some(PROTOCOL) || e.local_name().as_ref() != b"LogoutRequest" {
                    return Err(LogoutError::Malformed("not a SAML LogoutRequest".into()));
                }
                root = true;
                read_root(&e, &mut out).map_err(|e| malformed(&e))?;
            }
            Event::Start(e) => {
                depth += 1;
                if depth == 1 {
                    reading = match (namespace.as_deref(), e.local_name().as_ref()) {
                        (Some(ASSERTION), b"Issuer") => Some("Issuer"),
                        (Some(ASSERTION), b"NameID") => Some("NameID"),
                        (Some(PROTOCOL), b"SessionIndex") => Some("SessionIndex"),
                        (Some(ASSERTION), b"EncryptedID") => {
                            return Err(LogoutError::Malformed("an encrypted NameID is not supported".into()));
                        }
                        _ => None,
                    };
                    text.clear();
                }
            }
            Event::Text(t) if depth == 1 && reading.is_some() => {
                text.push_str(&t.xml10_content().map_err(|e| malformed(&e))?);
            }
            Event::GeneralRef(r) if depth == 1 && reading.is_some() => {
                let resolved = r.resolve_char_ref().map_err(|e| malformed(&e))?;
                match resolved.or_else(|| predefined(r.as_ref())) {
                    Some(c) => text.push(c),
                    None => return Err(LogoutError::Malformed("an undeclared entity".into())),
                }
            }
            Event::End(_) if depth > 0 => {
                if depth == 1 {
                    match reading.take() {
                        Some("Issuer") => out.issuer = std::mem::take(&mut text),
                        Some("NameID") => out.name_id = std::mem::take(&mut text),
                        Some(_) => out.session_indexes.push(std::mem::take(&mut text).trim().to_owned()),
                        None => {}
                    }
                }
                depth -= 1;
            }
            Event::Eof if root => return Ok(out),
            Event::Eof => return Err(LogoutError::Malformed("not a SAML LogoutRequest".into())),
            _ => {}
        }
    }
}

fn predefined(name: &[u8]) -> Option<char> {
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => None,
    }
}

fn read_root(e: &BytesStart<'_>, out: &mut LogoutRequest) -> Result<(), quick_xml::Error> {
    for attribute in e.attributes() {
        let attribute = attribute.map_err(quick_xml::Error::from)?;
        let value = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)?.into_owned();
        match attribute.key.as_ref() {
            b"ID" => out.id = value,
            b"Version" => out.version = value,
            b"IssueInstant" => out.issue_instant = value,
            b"Destination" => out.destination = Some(value),
            b"NotOnOrAfter" => out.not_on_or_after = Some(value),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" IssueInstant="2026-12-04T10:00:00Z" Destination="https://idp/slo"><saml:Issuer>https://sp.example/</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">CZ/CZ/a<!-- x -->b&amp;c</saml:NameID><samlp:SessionIndex>sid-1</samlp:SessionIndex></samlp:LogoutRequest>"#;

    #[test]
    fn a_logout_request_is_read_whole_across_comments_and_references() {
        let read = parse(REQUEST).unwrap();
        assert_eq!(read.id, "_l1");
        assert_eq!(read.issuer, "https://sp.example/");
        assert_eq!(read.name_id, "CZ/CZ/ab&c");
        assert_eq!(read.session_indexes, ["sid-1"]);
        assert_eq!(read.destination.as_deref(), Some("https://idp/slo"));
    }

    #[test]
    fn another_message_or_an_external_entity_is_malformed() {
        assert!(matches!(
            parse("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"),
            Err(LogoutError::Malformed(_))
        ));
        let external =
            format!(r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>{}"#, REQUEST.replace("CZ/CZ/a", "&x;"));
        assert!(matches!(parse(&external), Err(LogoutError::Malformed(_))));
    }
}
