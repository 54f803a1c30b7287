//! Which of a person's claims a client receives, in its face's names: OpenID Connect's standard
//! claims (by scope and `claims`) or NIA's eIDAS attributes (only as `claims` names them).

use serde_json::{Map, Value};

use crate::identity::{claims, eidas, mojeid};
use crate::model::{Client, Grant, MojeidAccount, Person, User};
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::{Provider, subject};
use crate::persona::Surface;

/// What a person will share with a client, for the consent page, as (claim name, text).
pub(crate) fn shared_values(
    provider: &Provider,
    client: &Client,
    user: &User,
    person: Option<&Person>,
    request: &AuthorizationRequest,
) -> Vec<(String, String)> {
    let requested: Vec<_> = request.claims.iter().flat_map(|c| [&c.id_token, &c.userinfo]).collect();
    match provider.persona.surface {
        Surface::Standard | Surface::MojeId => claims::shared_values(user, &request.scopes, &requested),
        Surface::Nia => {
            let person_identifier = subject::person_identifier(provider, client, &user.id);
            let context = eidas::Context { person_identifier: &person_identifier, person, today: today(provider) };
            requested.into_iter().flat_map(|r| eidas::shared_values(user, r, &context)).fold(
                Vec::new(),
                |mut all, v| {
                    if !all.iter().any(|(name, _)| *name == v.0) {
                        all.push(v);
                    }
                    all
                },
            )
        }
    }
}

/// Where the claims go.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    /// The ID token; `scope_claims`: the granted scopes' claims too (when no access token is
    /// issued to fetch them from userinfo).
    IdToken {
        scope_claims: bool,
    },
    Userinfo,
}

/// The claims of `user` that `client` receives under `grant` at `place`, `sub` included when the
/// face puts it there.
pub(crate) fn claims(
    provider: &Provider,
    client: &Client,
    user: &User,
    person: Option<&Person>,
    mojeid_account: Option<&MojeidAccount>,
    grant: &Grant,
    place: Place,
) -> Map<String, Value> {
    let requested = grant.claims.as_ref().map(|r| match place {
        Place::IdToken { .. } => &r.id_token,
        Place::Userinfo => &r.userinfo,
    });
    let quirks = &provider.persona.quirks;
    if matches!(place, Place::Userinfo) && quirks.userinfo_empty {
        return Map::new();
    }
    let mut out = match provider.persona.surface {
        Surface::Standard => {
            let scope_claims = match place {
                Place::IdToken { scope_claims } => scope_claims,
                Place::Userinfo => true,
            };
            claims::release(user, &grant.scopes, scope_claims, requested)
        }
        Surface::Nia => {
            let person_identifier = subject::person_identifier(provider, client, &user.id);
            eidas::release(
                user,
                requested,
                &eidas::Context { person_identifier: &person_identifier, person, today: today(provider) },
            )
        }
        Surface::MojeId => {
            let scope_claims = match place {
                Place::IdToken { scope_claims } => scope_claims,
                Place::Userinfo => true,
            };
            let mut out = claims::release(user, &grant.scopes, scope_claims, requested);
            let context = mojeid::Context {
                today: today(provider),
                full_access: client.full_access,
                addresses_as_strings: quirks.mojeid_addresses_as_strings,
                base_url: provider.persona.base_url.clone(),
                status: crate::model::mojeid::status(user, mojeid_account),
            };
            out.extend(mojeid::release(user, requested, &context));
            out
        }
    };
    // mojeID: the e-mail address in the ID token only when `claims` asks for it there.
    if matches!(place, Place::IdToken { .. }) && quirks.email_in_id_token_only_when_claimed {
        for name in ["email", "email_verified"] {
            if !requested.is_some_and(|r| r.contains_key(name)) {
                out.remove(name);
            }
        }
    }
    let sub_asked = requested.is_some_and(|r| r.contains_key("sub"));
    if quirks.sub_in_id_token || matches!(place, Place::Userinfo) || sub_asked {
        out.insert("sub".into(), Value::from(subject::of(provider, client, &user.id)));
    }
    out
}

/// Today's date (UTC), for ages.
fn today(provider: &Provider) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(provider.now(), 0).unwrap_or_default().date_naive()
}
