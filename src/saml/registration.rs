//! The SAML service providers of a face, as an administrator manages them: registered from their
//! metadata (given, or fetched from the SP's URL by `metadata_url`), listed, shown and removed.
//! The command line (`identita saml sp`, as the operator) and the admin API (`/saml/…`, as a
//! clerk) both call these, so they cannot differ: each asks the actor for the `administrator`
//! role, and each change is recorded in the audit log.

use serde_json::{Value, json};

use super::{SamlError, metadata_url, sp_metadata};
use crate::model::ServiceProvider;
use crate::model::clerk::Role;
use crate::oidc::Provider;
use crate::store::StoreError;
use crate::validation::actor::{Actor, Forbidden};
use crate::validation::audit;

/// Why a service provider was not registered, shown or removed.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// No face (or not the one named) serves SAML, or the face to act on is not clear.
    #[error("{0}")]
    Face(String),
    /// The metadata cannot be fetched or does not describe a usable service provider.
    #[error("{0}")]
    Metadata(String),
    #[error("no service provider {0:?}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SamlError> for SpError {
    fn from(error: SamlError) -> Self {
        match error {
            SamlError::Store(e) => SpError::Store(e),
            other => SpError::Metadata(other.to_string()),
        }
    }
}

/// Where the metadata of a service provider to register is.
#[derive(Debug, Clone)]
pub enum Source {
    /// The document itself.
    Document(String),
    /// The URL the SP publishes it at (https, or http to this machine).
    Url(String),
}

/// The face the administrator acts on: the one named `face` (its `[[faces]]` name), which must
/// serve SAML; without a name the primary face if it serves SAML, else the one face that does.
pub fn serving<'a>(provider: &'a Provider, face: Option<&str>) -> Result<&'a Provider, SpError> {
    let all = || std::iter::once(provider).chain(provider.faces.iter());
    if let Some(name) = face {
        let named = all()
            .find(|f| f.persona.face.as_deref() == Some(name))
            .ok_or_else(|| SpError::Face(format!("face: there is no face {name:?}")))?;
        return match named.persona.saml {
            Some(_) => Ok(named),
            None => Err(SpError::Face(format!("face: {name} serves no SAML (a face of the nia persona does)"))),
        };
    }
    if provider.persona.saml.is_some() {
        return Ok(provider);
    }
    let mut serving = all().filter(|f| f.persona.saml.is_some());
    match (serving.next(), serving.next()) {
        (Some(face), None) => Ok(face),
        (None, _) => Err(SpError::Face("no face serves SAML; add a face of the nia persona to [[faces]]".into())),
        (Some(_), Some(_)) => Err(SpError::Face("several faces serve SAML; name one (face)".into())),
    }
}

/// Registers the service provider `source` describes at `face` (replacing one with the same
/// entityID there), under `name` if given: an administrator's decision.
pub async fn add(
    face: &Provider,
    actor: &Actor,
    source: Source,
    name: Option<&str>,
) -> Result<ServiceProvider, SpError> {
    let role = actor.require(&[Role::Administrator])?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let (xml, from) = match source {
        Source::Document(xml) => (xml, Value::Null),
        Source::Url(url) => (metadata_url::fetch(&url).await?, json!(url)),
    };
    let tag = face.persona.face.as_deref();
    let profile = face.persona.saml.map(|s| s.profile).unwrap_or(crate::persona::SamlProfile::EIDAS);
    let sp = sp_metadata::parse_for(&profile, &xml, tag, name, face.now())?;
    let replaced = face.stores.saml_sps.get(tag, &sp.entity_id).await?.is_some();
    face.stores.saml_sps.put(&sp).await?;
    let detail = json!({
        "entity_id": sp.entity_id, "face": tag, "name": sp.name, "metadata_url": from, "replaced": replaced,
    });
    audit::record(&*face.stores.audit, actor.record(role, "saml_sp.add", None, detail, face.now())).await?;
    Ok(sp)
}

/// The face's service providers, by entityID (administrators only).
pub async fn list(face: &Provider, actor: &Actor) -> Result<Vec<ServiceProvider>, SpError> {
    actor.require(&[Role::Administrator])?;
    Ok(face.stores.saml_sps.list(face.persona.face.as_deref()).await?)
}

/// The face's service provider with `entity_id` (administrators only).
pub async fn show(face: &Provider, actor: &Actor, entity_id: &str) -> Result<ServiceProvider, SpError> {
    actor.require(&[Role::Administrator])?;
    let found = face.stores.saml_sps.get(face.persona.face.as_deref(), entity_id).await?;
    found.ok_or_else(|| SpError::Unknown(entity_id.to_owned()))
}

/// Removes the face's service provider with `entity_id`: an administrator's decision. Its
/// requests are refused from then on as an unknown SP's.
pub async fn remove(face: &Provider, actor: &Actor, entity_id: &str) -> Result<(), SpError> {
    let role = actor.require(&[Role::Administrator])?;
    let tag = face.persona.face.as_deref();
    if !face.stores.saml_sps.delete(tag, entity_id).await? {
        return Err(SpError::Unknown(entity_id.to_owned()));
    }
    let detail = json!({ "entity_id": entity_id, "face": tag });
    audit::record(&*face.stores.audit, actor.record(role, "saml_sp.remove", None, detail, face.now())).await?;
    Ok(())
}

/// How the command line and the API show a service provider.
pub fn describe(sp: &ServiceProvider) -> Value {
    json!({
        "entity_id": sp.entity_id,
        "face": sp.face,
        "name": sp.name,
        "acs": sp.acs,
        "slo": sp.slo,
        "signing_certificates": sp.signing_certs.len(),
        "encryption_certificates": sp.encryption_certs.len(),
        "sp_type": sp.sp_type,
        "authn_requests_signed": sp.authn_requests_signed,
        "want_assertions_signed": sp.want_assertions_signed,
        "created_at": sp.created_at,
    })
}
