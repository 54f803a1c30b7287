//! `identita persona show NAME`: what a portal must register and configure to log people in
//! through a face of that persona — its issuer, discovery and endpoints, the client metadata it
//! registers, the request it sends, and the face's quirks with their settings.

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliError, print};
use crate::authn::mojeid_federation::{self, Source};
use crate::oidc::Provider;
use crate::persona::{AttributeNaming, NameIdSource, Persona, Surface};

#[derive(Debug, Subcommand)]
pub enum PersonaCommand {
    /// What a portal registers and configures for the face of persona NAME (standard, nia).
    Show {
        /// The persona (`standard`, `nia`); the face of `[[faces]]` with it is described.
        name: String,
    },
}

pub(crate) fn run(provider: &Provider, command: PersonaCommand) -> Result<(), CliError> {
    let PersonaCommand::Show { name } = command;
    let faces = std::iter::once(provider).chain(provider.faces.iter());
    let Some(face) = faces.clone().find(|f| f.persona.name == name) else {
        if Persona::by_name(&name, Some("https://unused.example"), None).is_none() {
            return Err(CliError(format!("no persona {name:?} (known: {})", crate::persona::NAMES)));
        }
        return Err(CliError(format!(
            "no face serves the persona {name:?}; add one to the configuration, e.g.\n\n[[faces]]\nname = \"{name}\"\npersona = \"{name}\"\nurl = \"{}/{name}\"\n",
            provider.persona.base_url
        )));
    };
    print(&describe(face))
}

fn describe(face: &Provider) -> Value {
    let p = &face.persona;
    let quirks: serde_json::Map<String, Value> =
        p.quirks.list().into_iter().map(|(name, on)| (name.to_owned(), Value::from(on))).collect();
    let cli_face = p.face.as_deref().map(|f| format!(" --face {f}")).unwrap_or_default();
    let mut out = json!({
        "persona": p.name,
        "face": p.face,
        "issuer": p.issuer,
        "discovery": p.url(p.paths.discovery),
        "authorization_endpoint": p.url(p.paths.authorization),
        "token_endpoint": p.url(p.paths.token),
        "userinfo_endpoint": p.url(p.paths.userinfo),
        "end_session_endpoint": p.url(p.paths.end_session),
        "jwks_uri": p.url(p.paths.jwks),
        "quirks": quirks,
        "quirks_setting": format!("[faces.quirks] of the face {:?} in the configuration", p.face.as_deref().unwrap_or("")),
    });
    let portal = match p.surface {
        Surface::Nia => json!({
            "register": {
                "client_id": "the portal's unique URL (\"Unikátní URL adresa zabezpečené části Vašeho webu\"), e.g. https://portal.example/app",
                "redirect_uris": "the address that receives the code (\"Adresa pro příjem vydaného tokenu\")",
                "post_logout_redirect_uris": "where people return after logout (\"Adresa pro přesměrování uživatele po odhlášení\")",
                "jwks": if p.quirks.encrypt_id_tokens {
                    "the portal's RSA public key for encryption (use \"enc\"): ID tokens are JWE, RSA-OAEP with A256CBC-HS512, without kid"
                } else {
                    "optional: an encryption key, if the portal registers id_token_encrypted_response_alg"
                },
                "token_endpoint_auth_method": "client_secret_post",
            },
            "command": format!(
                "identita{cli_face} client add --id https://portal.example/app --redirect-uri https://portal.example/app/callback --post-logout-redirect-uri https://portal.example/ --auth-method client_secret_post --jwks-file portal-enc.jwks.json"
            ),
            "request": {
                "scope": "openid (+ loalow | loasubstantial | loahigh, loamin | loaexact | loamax | loabetter, forceauthn, ispassive)",
                "claims": "{\"id_token\":{\"PersonIdentifier\":null,\"CurrentGivenName\":null,\"CurrentFamilyName\":null,\"DateOfBirth\":null}} — nothing is released without it; name \"sub\" there to get one",
                "token": if p.quirks.token_without_secret { "POST grant_type, code, redirect_uri and client_id (a client_secret is ignored)" } else { "POST grant_type, code, redirect_uri, client_id and client_secret" },
                "logout": format!("GET {}?client_id=…&state=… (returns to the registered logout URL)", p.url(p.paths.end_session)),
            },
        }),
        Surface::MojeId => json!({
            "register": {
                "redirect_uris": "the service's callback URLs",
                "token_endpoint_auth_method": "client_secret_basic (recommended) or client_secret_post",
                "full_access": "set by the operator (--full-access): the service also receives mojeid_valid and mojeid_status",
            },
            "command": format!("identita{cli_face} client add --redirect-uri https://service.example/callback"),
            "dynamic_registration": p.url(p.paths.registration),
            "request": {
                "scope": "openid profile email phone address",
                "claims": "{\"id_token\":{\"email\":{\"essential\":true}},\"userinfo\":{\"mojeid_valid\":null}} — email reaches the ID token only this way",
                "logout": format!("send people to {} (no RP-initiated logout)", p.url(p.paths.end_session)),
            },
        }),
        Surface::Standard => json!({
            "register": {
                "redirect_uris": "the relying party's callback URLs",
                "token_endpoint_auth_method": "client_secret_basic (or another of discovery's)",
            },
            "command": format!("identita{cli_face} client add --redirect-uri https://portal.example/callback"),
            "request": { "scope": "openid profile email", "pkce": "S256" },
        }),
    };
    if let (Value::Object(out), Value::Object(portal)) = (&mut out, portal) {
        out.extend(portal);
    }
    if let (Value::Object(out), Some(saml)) = (&mut out, p.saml) {
        let profile = saml.profile;
        let signed = match profile.requests_always_signed {
            true => "AuthnRequests signed with rsa-sha256",
            false => {
                "AuthnRequests signed with rsa-sha256 when the SP's metadata says AuthnRequestsSigned=\"true\", else may be unsigned"
            }
        };
        let certificates = match profile.encryption_required {
            true => "a signing and an encryption certificate",
            false => "a signing certificate, and an encryption certificate if assertions are to be encrypted",
        };
        let attributes = match profile.attributes {
            AttributeNaming::Eidas => {
                "eIDAS names (http://eidas.europa.eu/attributes/naturalperson/…, http://www.stork.gov.eu/1.0/…, http://schemas.eidentita.cz/moris/2016/identity/claims/…) with FriendlyName, as eidas:RequestedAttributes ask"
            }
            AttributeNaming::OidcClaims => {
                "the OpenID Connect claims of the profile and email scopes by claim name (given_name, family_name, email, …), NameFormat basic"
            }
        };
        let name_id = match profile.name_id {
            NameIdSource::PersonIdentifier => {
                "persistent: the PersonIdentifier (CZ/CZ/<uuid>) the face's OpenID Connect gives a client_id equal to the SP's entityID"
            }
            NameIdSource::Subject => {
                "persistent: the sub the face's OpenID Connect gives a client_id equal to the SP's entityID (public, or pairwise if that client is); emailAddress or transient if the NameIDPolicy asks"
            }
        };
        out.insert(
            "saml".into(),
            json!({
                "entity_id": p.saml_entity_id(),
                "metadata": p.url(saml.metadata),
                "single_sign_on": format!("{} (HTTP-Redirect and HTTP-POST; {signed})", p.url(saml.sso)),
                "single_logout": format!("{} (HTTP-Redirect; LogoutRequests signed with rsa-sha256, the LogoutResponse to the SP's HTTP-Redirect SingleLogoutService)", p.url(saml.sso)),
                "name_id": name_id,
                "attributes": attributes,
                "register": format!("identita{cli_face} saml sp add --metadata sp-metadata.xml (or --metadata-url URL; an SPSSODescriptor with {certificates} and an HTTP-POST AssertionConsumerService)"),
            }),
        );
    }
    if p.federates_mojeid {
        out["mojeid_means"] = mojeid_means(face);
    }
    out
}

/// The face's mojeID means (`authn::mojeid_federation`): where its upstream mojeID is, and the
/// redirect URI to register there.
fn mojeid_means(face: &Provider) -> Value {
    let p = &face.persona;
    let redirect_uri = p.url(p.paths.login_mojeid_callback);
    match mojeid_federation::source(&face.config, p) {
        Some(Source::Configured(upstream)) => json!({
            "upstream": upstream.issuer,
            "client_id": upstream.client_id,
            "redirect_uri": redirect_uri,
            "register": "at mojeID, a client with this redirect URI (client_secret_basic)",
        }),
        Some(Source::Local(mojeid)) => json!({
            "upstream": mojeid.issuer,
            "client_id": mojeid_federation::local_client_id(p),
            "redirect_uri": redirect_uri,
            "register": format!("nothing: the client is made at the face {:?} at start", mojeid.face.as_deref().unwrap_or_default()),
        }),
        None => json!({
            "upstream": null,
            "offered": false,
            "configure": "[faces.mojeid] (issuer, client_id, client_secret_file) on this face, or a face with persona = \"mojeid\"",
        }),
    }
}
