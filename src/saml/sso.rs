//! Single sign-on: what happens to a verified request — answered at once from the person's
//! SSO session, refused (`IsPassive` without one, a level no means reaches), or a login — and
//! the response once the person is known. The level of assurance is weighed by the same policy
//! as OpenID Connect's (`authn::loa::plan`), and the persistent NameID is what the face's OpenID
//! Connect gives the same portal (the SP's entityID playing the `client_id`): NIA's
//! PersonIdentifier, or the standard face's `sub` (`name_id`). What the assertion says and how it
//! is wrapped follow the face's `SamlProfile`.

use super::attributes;
use super::name_id;
use super::request::SamlRequest;
use super::response::{self, Addressing, Failure, Statement};
use super::status::Status;
use super::{SamlError, idp_key, profile};
use crate::authn::loa::{self, SessionLevel};
use crate::authn::means;
use crate::model::interaction::{LoginRequest, PendingRequest, Protocol};
use crate::model::{ApplicationType, AuthMethod, Authentication, Client, Loa, ServiceProvider, Session, SubjectType};
use crate::oidc::{Provider, subject};
use crate::persona::AttributeNaming;

/// A response on its way to the SP's assertion consumer service (HTTP-POST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub acs: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
}

/// What to do with a request.
#[derive(Debug)]
pub enum Step {
    Respond(Delivery),
    Login,
}

/// The decision on a request as it arrives, with the browser's SSO session if any.
pub async fn decide(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &SamlRequest,
    session: Option<&Session>,
) -> Result<Step, SamlError> {
    let Ok(plan) = loa::plan(&request.loa, &means::reachable(&provider.persona)) else {
        return Ok(Step::Respond(fail(provider, sp, request, &no_authn_context())?));
    };
    let usable = session.filter(|s| !request.force_authn && plan.session(s.authn.acr) == SessionLevel::Enough);
    match usable {
        Some(session) => Ok(Step::Respond(respond(provider, sp, request, &session.authn, session).await?)),
        None if request.is_passive => {
            let status = Status::responder(Some(Status::NO_PASSIVE), "the person is not logged in");
            Ok(Step::Respond(fail(provider, sp, request, &status)?))
        }
        None => Ok(Step::Login),
    }
}

/// The response once the person has authenticated (or been found) in `session`.
pub async fn after_login(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &SamlRequest,
    authn: &Authentication,
    session: &Session,
) -> Result<Delivery, SamlError> {
    if !request.loa.accepts(authn.acr) {
        return fail(provider, sp, request, &no_authn_context());
    }
    respond(provider, sp, request, authn, session).await
}

fn no_authn_context() -> Status {
    Status::responder(
        Some(Status::NO_AUTHN_CONTEXT),
        "no available means of authentication reaches the level of assurance the request requires",
    )
}

/// The answer to a login that failed or was refused with `status` (a `Responder` one): NIA's
/// form when the face's quirks say so (`saml_failure_as_success`), else the standard refusal.
pub fn fail(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &SamlRequest,
    status: &Status,
) -> Result<Delivery, SamlError> {
    if !provider.persona.quirks.saml_failure_as_success {
        return refuse(provider, request, status);
    }
    let key = idp_key(provider)?;
    let to = addressing(provider, request);
    let failed = Failure {
        audience: &sp.entity_id,
        client_address: &request.client_address,
        loa: Loa::ALL.into_iter().find(|l| request.loa.accepts(*l)).unwrap_or(Loa::Low),
        code: Status::AUTHN_FAILED,
    };
    let encryption_cert = encryption_certificate(provider, sp)?;
    let saml_response = response::failure(&to, &failed, sp.want_assertions_signed, encryption_cert, key)?;
    Ok(Delivery { acs: request.acs.clone(), saml_response, relay_state: request.relay_state.clone() })
}

/// The signed response refusing `request` with `status`.
pub fn refuse(provider: &Provider, request: &SamlRequest, status: &Status) -> Result<Delivery, SamlError> {
    let key = idp_key(provider)?;
    let to = addressing(provider, request);
    Ok(Delivery {
        acs: request.acs.clone(),
        saml_response: response::refusal(&to, status, key)?,
        relay_state: request.relay_state.clone(),
    })
}

async fn respond(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &SamlRequest,
    authn: &Authentication,
    session: &Session,
) -> Result<Delivery, SamlError> {
    let key = idp_key(provider)?;
    let profile = profile(provider)?;
    let user = provider.stores.users.get(&authn.user_id).await?.ok_or(SamlError::NoSuchPerson)?;
    let format = request.name_id_format;
    let name_id = match name_id::issue(provider, &profile, sp, format, &user, &session.sid).await? {
        Ok(name_id) => name_id,
        Err(status) => return fail(provider, sp, request, &status),
    };
    let released = match profile.attributes {
        AttributeNaming::Eidas => {
            let today = chrono::DateTime::from_timestamp(provider.now(), 0).unwrap_or_default().date_naive();
            let person = provider.person_of(&user).await?;
            let person_identifier = name_id::persistent(provider, &profile, sp, &user.id).await?;
            attributes::release(&user, person.as_ref(), &request.requested, &person_identifier, today)
        }
        AttributeNaming::OidcClaims => attributes::release_claims(&user),
    };
    let statement = Statement {
        audience: &sp.entity_id,
        name_id: &name_id,
        name_id_format: format.uri(),
        session_index: &session.sid,
        auth_time: authn.auth_time,
        client_address: &request.client_address,
        loa: authn.acr,
        attributes: &released,
        original_issuer: profile.original_issuer,
    };
    let encryption_cert = encryption_certificate(provider, sp)?;
    let to = addressing(provider, request);
    let saml_response = response::success(&to, &statement, sp.want_assertions_signed, encryption_cert, key)?;
    // The session now serves this SP: its single logout tells it.
    provider.stores.sessions.add_client(&session.key, &Session::saml_participant(&sp.entity_id)).await?;
    Ok(Delivery { acs: request.acs.clone(), saml_response, relay_state: request.relay_state.clone() })
}

/// The certificate `sp`'s assertions are encrypted to: its first, or none (the assertion is then
/// only signed) where the profile does not require encryption.
fn encryption_certificate<'a>(provider: &Provider, sp: &'a ServiceProvider) -> Result<Option<&'a str>, SamlError> {
    match (sp.encryption_certs.first(), profile(provider)?.encryption_required) {
        (Some(cert), _) => Ok(Some(cert)),
        (None, true) => Err(SamlError::NoEncryptionCertificate),
        (None, false) => Ok(None),
    }
}

/// NIA's `PersonIdentifier` of the account `user_id` at the SP `entity_id`: the one the face's
/// OpenID Connect gives a portal whose `client_id` is the entityID (the eIDAS profile's NameID).
pub fn person_identifier(provider: &Provider, entity_id: &str, user_id: &str) -> String {
    subject::person_identifier_of(provider, entity_id, user_id)
}

fn addressing<'a>(provider: &'a Provider, request: &'a SamlRequest) -> Addressing<'a> {
    let issuer = provider.persona.saml_entity_id().unwrap_or_default();
    Addressing { issuer, in_response_to: &request.id, acs: &request.acs, now: provider.now() }
}

impl SamlRequest {
    /// The request as the login flow keeps it while the person logs in.
    pub(crate) fn to_pending(&self, sp: &ServiceProvider) -> Result<PendingRequest, SamlError> {
        Ok(PendingRequest {
            protocol: Protocol::Saml,
            login: LoginRequest {
                client_id: sp.entity_id.clone(),
                loa: self.loa.clone(),
                login_hint: None,
                ui_locales: None,
                force_authn: self.force_authn,
            },
            request: serde_json::to_value(self).map_err(|e| SamlError::Internal(e.to_string()))?,
        })
    }

    /// The request a login waits with, if it is SAML's.
    pub(crate) fn from_pending(pending: &PendingRequest) -> Option<Self> {
        match pending.protocol {
            Protocol::Saml => serde_json::from_value(pending.request.clone()).ok(),
            Protocol::Oidc => None,
        }
    }
}

/// The service provider as the login pages show a relying party (its name, its website): a
/// client that can do nothing at the OpenID Connect endpoints, since it is never stored.
pub fn client_view(sp: &ServiceProvider) -> Client {
    // Its website: the origin of its assertion consumer service.
    let website =
        sp.default_acs().and_then(|acs| url::Url::parse(&acs.location).ok()).map(|u| u.origin().ascii_serialization());
    Client {
        client_id: sp.entity_id.clone(),
        face: sp.face.clone(),
        secret_digest: None,
        client_name: sp.name.clone(),
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        response_types: Vec::new(),
        token_endpoint_auth_method: AuthMethod::None,
        scope: None,
        jwks: None,
        jwks_uri: None,
        id_token_signed_response_alg: "RS256".into(),
        id_token_encrypted_response_alg: None,
        id_token_encrypted_response_enc: None,
        userinfo_signed_response_alg: None,
        userinfo_encrypted_response_alg: None,
        userinfo_encrypted_response_enc: None,
        request_object_signing_alg: None,
        token_endpoint_auth_signing_alg: None,
        request_uris: Vec::new(),
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        sector_identifier: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        default_max_age: None,
        require_auth_time: false,
        default_acr_values: Vec::new(),
        contacts: Vec::new(),
        logo_uri: None,
        policy_uri: None,
        tos_uri: None,
        client_uri: website,
        first_party: false,
        full_access: false,
        application_type: ApplicationType::Web,
        registration_token_digest: None,
        created_at: sp.created_at,
    }
}
