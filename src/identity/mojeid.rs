//! mojeID's own claims (`mojeid_*`), released as the `claims` parameter names them, beside the
//! standard ones (`shared/reference/nia_mojeid.md` §8.3–§8.4). The account's status (and so
//! `mojeid_valid`) is [`crate::model::mojeid::status`]: `REGISTERED`, `CONDITIONALLY_IDENTIFIED`
//! once its e-mail address and phone number are verified, `VALIDATED` while a validation of
//! `crate::validation::mojeid` holds, `IDENTIFIED` once a mandatory field changed after it.

use serde_json::{Map, Value};

use crate::model::mojeid::Status;
use crate::model::{Address, User};

/// The `mojeid_*` claims this face can release, for discovery.
pub const SUPPORTED: [&str; 8] = [
    "mojeid_username",
    "mojeid_is_adult",
    "mojeid_age",
    "mojeid_phone_mobile",
    "mojeid_address_def",
    "mojeid_valid",
    "mojeid_status",
    "openid2_id",
];

/// Released only to clients with full access (`full_access`), as mojeID gives them only to its
/// paid "full access" services.
const FULL_ACCESS: [&str; 2] = ["mojeid_valid", "mojeid_status"];

/// What is needed beside the account.
pub struct Context {
    pub today: chrono::NaiveDate,
    /// The client has full access.
    pub full_access: bool,
    /// Addresses as JSON-encoded strings (`Quirks::mojeid_addresses_as_strings`).
    pub addresses_as_strings: bool,
    /// The face's URL, for `openid2_id` (`<url>/id/<username>/`).
    pub base_url: String,
    /// The account's status (`model::mojeid::status`).
    pub status: Status,
}

/// The `mojeid_*` claims `requested` names that the person has and the client may have.
pub fn release(user: &User, requested: Option<&Map<String, Value>>, context: &Context) -> Map<String, Value> {
    let mut out = Map::new();
    for name in requested.into_iter().flat_map(|r| r.keys()) {
        if FULL_ACCESS.contains(&name.as_str()) && !context.full_access {
            continue;
        }
        if let Some(value) = claim(user, name, context) {
            out.insert(name.clone(), value);
        }
    }
    out
}

fn claim(user: &User, name: &str, context: &Context) -> Option<Value> {
    let p = &user.profile;
    let age = || {
        let born = chrono::NaiveDate::parse_from_str(p.birthdate.as_deref()?, "%Y-%m-%d").ok()?;
        context.today.years_since(born)
    };
    match name {
        "mojeid_username" => Some(Value::from(user.username.clone())),
        "openid2_id" => Some(Value::from(format!("{}/id/{}/", context.base_url, user.username))),
        "mojeid_age" => age().map(Value::from),
        "mojeid_is_adult" => age().map(|a| Value::from(a >= 18)),
        "mojeid_phone_mobile" => p.phone_number.clone().map(Value::from),
        "mojeid_address_def" => p.address.as_ref().map(|a| address(a, context.addresses_as_strings)),
        "mojeid_status" => Some(Value::from(context.status.code())),
        "mojeid_valid" => Some(Value::from(context.status == Status::Validated)),
        _ => None,
    }
}

/// mojeID's address: its fields under mojeID's names, an object or its JSON text.
fn address(address: &Address, as_string: bool) -> Value {
    let mut out = Map::new();
    let fields = [
        ("street", &address.street_address),
        ("city", &address.locality),
        ("state", &address.region),
        ("postal_code", &address.postal_code),
        ("country", &address.country),
    ];
    for (name, value) in fields {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            out.insert(name.to_owned(), Value::from(value));
        }
    }
    match as_string {
        true => Value::from(Value::Object(out).to_string()),
        false => Value::Object(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;
    use serde_json::json;

    fn user() -> User {
        User {
            id: "u1".into(),
            username: "petr".into(),
            password_hash: String::new(),
            profile: Profile {
                birthdate: Some("2010-01-01".into()),
                email_verified: Some(true),
                phone_number_verified: Some(true),
                address: Some(Address {
                    street_address: Some("Milešovská 5".into()),
                    locality: Some("Praha".into()),
                    ..Address::default()
                }),
                ..Profile::default()
            },
            updated_at: 0,
            created_at: 0,
            disabled: false,
        }
    }

    fn context(full_access: bool) -> Context {
        Context {
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            full_access,
            addresses_as_strings: true,
            base_url: "https://mojeid.example".into(),
            status: crate::model::mojeid::status(&user(), None),
        }
    }

    #[test]
    fn full_access_claims_only_to_full_access_clients_and_addresses_as_text() {
        let requested = json!({"mojeid_valid": null, "mojeid_status": null, "mojeid_is_adult": null, "mojeid_address_def": null, "openid2_id": null});
        let ordinary = release(&user(), requested.as_object(), &context(false));
        assert!(ordinary.get("mojeid_valid").is_none() && ordinary.get("mojeid_status").is_none());
        assert_eq!(ordinary["mojeid_is_adult"], false);
        assert_eq!(ordinary["openid2_id"], "https://mojeid.example/id/petr/");
        let text = ordinary["mojeid_address_def"].as_str().expect("a JSON string");
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), json!({"street": "Milešovská 5", "city": "Praha"}));
        let full = release(&user(), requested.as_object(), &context(true));
        assert_eq!(
            (full["mojeid_status"].clone(), full["mojeid_valid"].clone()),
            (json!("CONDITIONALLY_IDENTIFIED"), json!(false))
        );
    }
}
