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
}
