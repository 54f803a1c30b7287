//! How a face speaks SAML 2.0: where (`SamlSurface`) and in which profile (`SamlProfile`). NIA's
//! eIDAS profile and a generic identity provider's (as Keycloak's or SimpleSAMLphp's) differ only
//! in the values here; `src/saml/` reads them and never asks which persona it serves.

/// Where a face serves SAML 2.0, relative to its base URL, and in which profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamlSurface {
    /// Single sign-on, HTTP-Redirect and HTTP-POST, and single logout (HTTP-Redirect).
    pub sso: &'static str,
    /// The identity provider's signed metadata.
    pub metadata: &'static str,
    pub profile: SamlProfile,
}

/// What the identity provider calls itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityId {
    /// The face's issuer (NIA's `urn:microsoft:cgg2010:fpsts`).
    Issuer,
    /// The URL of its metadata, as generic identity providers name themselves.
    MetadataUrl,
}

/// Under which names the attributes are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeNaming {
    /// NIA's: the eIDAS, STORK and `schemas.eidentita.cz` URIs with `FriendlyName` and typed
    /// values, over `identity::eidas` (the nia face's OpenID Connect claims).
    Eidas,
    /// The OpenID Connect claim names of the `profile` and `email` scopes as `Name`, with
    /// `NameFormat` basic, as `xs:string` (the standard face's claims over `identity::claims`).
    OidcClaims,
}

/// What the persistent NameID is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameIdSource {
    /// NIA's PersonIdentifier (`CZ/CZ/<uuid>`) towards the SP's entityID.
    PersonIdentifier,
    /// The `sub` the face's OpenID Connect gives the same portal: its client whose `client_id`
    /// is the SP's entityID (public or pairwise as registered), else a public client's.
    Subject,
}

/// A face's SAML profile: each way it differs from another, a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamlProfile {
    pub entity_id: EntityId,
    pub attributes: AttributeNaming,
    pub name_id: NameIdSource,
    /// Besides persistent: the NameID formats an SP may ask for in its `NameIDPolicy`
    /// (`emailAddress`: the person's e-mail; `transient`: a value for this session and SP only).
    pub other_name_id_formats: bool,
    /// Every AuthnRequest must be signed (NIA); otherwise only an SP whose metadata says
    /// `AuthnRequestsSigned="true"` must sign, as Keycloak's "client signature required" is set
    /// from imported metadata. LogoutRequests are always signed.
    pub requests_always_signed: bool,
    /// Every assertion is encrypted, and an SP registers only with an encryption certificate
    /// (NIA); otherwise an assertion is encrypted to an SP that has one and only signed for one
    /// that has none, as Keycloak's per-client "encrypt assertions".
    pub encryption_required: bool,
    /// `eidas:RequestedAttributes` of a request choose the attributes (else a fixed set).
    pub reads_requested_attributes: bool,
    /// Each attribute carries `a:OriginalIssuer`, as NIA's (Microsoft AD FS) do.
    pub original_issuer: bool,
}

impl SamlProfile {
    /// NIA's eIDAS profile (reference `nia_mojeid.md` §3).
    pub const EIDAS: SamlProfile = SamlProfile {
        entity_id: EntityId::Issuer,
        attributes: AttributeNaming::Eidas,
        name_id: NameIdSource::PersonIdentifier,
        other_name_id_formats: false,
        requests_always_signed: true,
        encryption_required: true,
        reads_requested_attributes: true,
        original_issuer: true,
    };

    /// A generic SAML identity provider's, over the standard face's OpenID Connect claims.
    pub const GENERIC: SamlProfile = SamlProfile {
        entity_id: EntityId::MetadataUrl,
        attributes: AttributeNaming::OidcClaims,
        name_id: NameIdSource::Subject,
        other_name_id_formats: true,
        requests_always_signed: false,
        encryption_required: false,
        reads_requested_attributes: false,
        original_issuer: false,
    };
}

/// The standard persona's SAML: single sign-on and logout at `/saml2`, its metadata (and so its
/// entityID) at `/saml2/metadata` — short paths apart from every OpenID Connect one, one URL for
/// both messages as NIA's, so the same edge serves both profiles.
pub(crate) const GENERIC: SamlSurface =
    SamlSurface { sso: "/saml2", metadata: "/saml2/metadata", profile: SamlProfile::GENERIC };
