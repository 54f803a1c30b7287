//! Which of a person's claims a client receives: those of the granted scopes (OpenID Connect
//! Core §5.4) and those named in the `claims` request parameter (§5.5).

use serde_json::{Map, Value};

use crate::model::User;

/// The standard claims each scope releases.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// Every claim name this provider can release, for discovery's `claims_supported`.
pub fn supported() -> Vec<&'static str> {
    let mut names = vec!["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"];
    for scope in ["profile", "email", "address", "phone"] {
        names.extend_from_slice(scope_claims(scope));
    }
    names
}

/// The person's claims a client receives: the scopes' claims when `include_scopes`, plus every
/// claim named in `requested` (a member of the `claims` parameter). `sub` is not included.
pub fn release(
    user: &User,
    scopes: &[String],
    include_scopes: bool,
    requested: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut all = match serde_json::to_value(&user.profile) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    all.insert("updated_at".into(), Value::from(user.updated_at));
    let mut out = Map::new();
    let mut take = |name: &str| {
        if let Some(value) = all.get(name) {
            out.insert(name.to_owned(), value.clone());
        }
    };
    if include_scopes {
        for scope in scopes {
            for name in scope_claims(scope) {
                take(name);
            }
        }
    }
    for name in requested.into_iter().flat_map(|r| r.keys()) {
        take(name);
    }
    out
}

/// What a person will share with a client, for the consent page: each released claim that has
/// a value to read, as (claim name, text), in the order of [`scope_claims`] then of `requested`.
/// Flags (`email_verified`) and bookkeeping (`updated_at`) are left out: they say nothing about
/// the person; an address reads as one line.
pub fn shared_values(user: &User, scopes: &[String], requested: &[&Map<String, Value>]) -> Vec<(String, String)> {
    let mut claims = release(user, scopes, true, None);
    for map in requested {
        claims.extend(release(user, scopes, false, Some(map)));
    }
    let mut order: Vec<&str> = scopes.iter().flat_map(|s| scope_claims(s).iter().copied()).collect();
    order.extend(requested.iter().flat_map(|r| r.keys().map(String::as_str)));
    let mut out: Vec<(String, String)> = Vec::new();
    for name in order {
        if name == "updated_at" || out.iter().any(|(n, _)| n == name) {
            continue;
        }
        let text = match claims.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Object(_)) if name == "address" => match &user.profile.address {
                Some(address) => one_line(address),
                None => continue,
            },
            _ => continue,
        };
        if !text.is_empty() {
            out.push((name.to_owned(), text));
        }
    }
    out
}

/// A postal address on one line: its `formatted` text, else its parts joined by commas.
pub(crate) fn one_line(address: &crate::model::Address) -> String {
    if let Some(formatted) = address.formatted.as_deref().filter(|f| !f.trim().is_empty()) {
        return formatted.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let locality = [address.postal_code.as_deref(), address.locality.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [address.street_address.as_deref(), Some(locality.as_str()), address.region.as_deref(), address.country.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn user() -> User {
        User {
            id: "u1".into(),
            username: "jan".into(),
            password_hash: String::new(),
            profile: Profile {
                name: Some("Jan Novák".into()),
                email: Some("jan@example.cz".into()),
                email_verified: Some(true),
                ..Profile::default()
            },
            updated_at: 1_700_000_000,
            created_at: 1_700_000_000,
            disabled: false,
        }
    }

    #[test]
    fn scopes_release_their_claims_only() {
        let claims = release(&user(), &["openid".into(), "email".into()], true, None);
        assert_eq!(claims.get("email").and_then(Value::as_str), Some("jan@example.cz"));
        assert_eq!(claims.get("email_verified"), Some(&Value::Bool(true)));
        assert!(!claims.contains_key("name"));
    }

    #[test]
    fn requested_claims_are_released_without_their_scope() {
        let mut requested = Map::new();
        requested.insert("name".into(), Value::Null);
        let claims = release(&user(), &["openid".into()], true, Some(&requested));
        assert_eq!(claims.get("name").and_then(Value::as_str), Some("Jan Novák"));
        assert!(!claims.contains_key("email"));
    }

    #[test]
    fn shared_values_are_the_texts_a_client_receives() {
        let mut person = user();
        person.profile.birthdate = Some("1980-02-29".into());
        person.profile.address = Some(crate::model::Address {
            street_address: Some("Dlouhá 1".into()),
            locality: Some("Praha".into()),
            postal_code: Some("110 00".into()),
            ..Default::default()
        });
        let scopes: Vec<String> = ["openid", "profile", "email"].map(String::from).to_vec();
        let values = shared_values(&person, &scopes, &[]);
        assert_eq!(
            values,
            [("name", "Jan Novák"), ("birthdate", "1980-02-29"), ("email", "jan@example.cz")]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .to_vec()
        );
        let mut requested = Map::new();
        requested.insert("address".into(), Value::Null);
        requested.insert("email".into(), Value::Null);
        let values = shared_values(&person, &["openid".into()], &[&requested]);
        assert_eq!(
            values,
            vec![
                ("address".to_owned(), "Dlouhá 1, 110 00 Praha".to_owned()),
                ("email".to_owned(), "jan@example.cz".to_owned()),
            ]
        );
    }
}
