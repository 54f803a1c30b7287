//! Single sign-on: what happens to a verified request — answered at once from the person's
//! SSO session, refused (`IsPassive` without one, a level no means reaches), or a login — and
//! the response once the person is known. The level of assurance is weighed by the same policy
//! as OpenID Connect's (`authn::loa::plan`), and the NameID is the PersonIdentifier the nia face
//! gives the same portal over OpenID Connect (the SP's entityID playing the `client_id`).

use super::attributes;
use super::request::SamlRequest;
use super::response::{self, Addressing, Failure, Statement};
use super::status::Status;
use super::{IdpKey, SamlError};
use crate::authn::loa::{self, SessionLevel};
use crate::authn::means;
use crate::model::interaction::{LoginRequest, PendingRequest, Protocol};
use crate::model::{ApplicationType, AuthMethod, Authentication, Client, Loa, ServiceProvider, Session, SubjectType};
use crate::oidc::{Provider, subject};

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
    let key = key(provider)?;
    let to = addressing(provider, request);
    let failed = Failure {
        audience: &sp.entity_id,
        client_address: &request.client_address,
        loa: Loa::ALL.into_iter().find(|l| request.loa.accepts(*l)).unwrap_or(Loa::Low),
        code: Status::AUTHN_FAILED,
    };
    let encryption_cert = sp.encryption_certs.first().ok_or(SamlError::NoEncryptionCertificate)?;
    let saml_response = response::failure(&to, &failed, sp.want_assertions_signed, encryption_cert, key)?;
    Ok(Delivery { acs: request.acs.clone(), saml_response, relay_state: request.relay_state.clone() })
}

/// The signed response refusing `request` with `status`.
pub fn refuse(provider: &Provider, request: &SamlRequest, status: &Status) -> Result<Delivery, SamlError> {
    let key = key(provider)?;
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
    let key = key(provider)?;
    let user = provider.stores.users.get(&authn.user_id).await?.ok_or(SamlError::NoSuchPerson)?;
    let name_id = person_identifier(provider, &sp.entity_id, &user.id);
    let today = chrono::DateTime::from_timestamp(provider.now(), 0).unwrap_or_default().date_naive();
    let person = provider.person_of(&user).await?;
    let released = attributes::release(&user, person.as_ref(), &request.requested, &name_id, today);
    let statement = Statement {
        audience: &sp.entity_id,
        name_id: &name_id,
        session_index: &session.sid,
        auth_time: authn.auth_time,
        client_address: &request.client_address,
        loa: authn.acr,
        attributes: &released,
    };
    let encryption_cert = sp.encryption_certs.first().ok_or(SamlError::NoEncryptionCertificate)?;
    let to = addressing(provider, request);
    let saml_response = response::success(&to, &statement, sp.want_assertions_signed, encryption_cert, key)?;
    // The session now serves this SP: its single logout tells it.
    provider.stores.sessions.add_client(&session.key, &Session::saml_participant(&sp.entity_id)).await?;
    Ok(Delivery { acs: request.acs.clone(), saml_response, relay_state: request.relay_state.clone() })
}

/// The NameID (and `PersonIdentifier`) of the account `user_id` at the SP `entity_id`: the
/// PersonIdentifier the face's OpenID Connect gives a portal whose `client_id` is the entityID.
pub fn person_identifier(provider: &Provider, entity_id: &str, user_id: &str) -> String {
    subject::person_identifier_of(provider, entity_id, user_id)
}

fn key(provider: &Provider) -> Result<&IdpKey, SamlError> {
    provider.saml.as_deref().ok_or(SamlError::NotServed)
}

fn addressing<'a>(provider: &'a Provider, request: &'a SamlRequest) -> Addressing<'a> {
    Addressing { issuer: provider.issuer(), in_response_to: &request.id, acs: &request.acs, now: provider.now() }
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
