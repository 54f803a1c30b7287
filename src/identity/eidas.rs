//! NIA's attributes: the eIDAS-named claims the `nia` persona releases, each only when the
//! request's `claims` parameter names it, in the real service's formats
//! (`shared/reference/nia_mojeid.md` §2.5, §3.5). Until the citizen register holds them, the
//! attributes come from the account's profile; those it cannot hold (place and country of
//! birth, the identity document, RÚIAN codes) are left out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::model::{Address, User};

/// Every attribute NIA's discovery lists, in its order.
pub const SUPPORTED: [&str; 15] = [
    "CurrentGivenName",
    "CurrentFamilyName",
    "PersonIdentifier",
    "DateOfBirth",
    "PlaceOfBirth",
    "CurrentAddress",
    "countryCodeOfBirth",
    "age",
    "isAgeOver",
    "idtype",
    "idnumber",
    "fullids",
    "tradresaid",
    "phonenumber",
    "eMail",
];

/// The age `isAgeOver` asks about when the request gives none.
const DEFAULT_AGE_OVER: u32 = 18;

/// What is needed beside the account: the citizen's identifier towards this portal, and today.
pub struct Context<'a> {
    pub person_identifier: &'a str,
    /// Today's date, for `age` and `isAgeOver`.
    pub today: chrono::NaiveDate,
}

/// The attributes `requested` names (a member of the `claims` parameter) that the person has.
pub fn release(user: &User, requested: Option<&Map<String, Value>>, context: &Context<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, request) in requested.into_iter().flatten() {
        if let Some(value) = attribute(user, name, request, context) {
            out.insert(name.clone(), value);
        }
    }
    out
}

/// The attributes `requested` names that the person has, as (name, text) for the consent page:
/// the address on one line, `isAgeOver` as the age asked about with ✓ or ✗.
pub fn shared_values(user: &User, requested: &Map<String, Value>, context: &Context<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, request) in requested {
        let text = match (name.as_str(), attribute(user, name, request, context)) {
            (_, None) => continue,
            ("CurrentAddress", Some(_)) => match &user.profile.address {
                Some(address) => super::claims::one_line(address),
                None => continue,
            },
            ("isAgeOver", Some(over)) => {
                format!("{}+ {}", requested_age(request), if over == Value::Bool(true) { "✓" } else { "✗" })
            }
            (_, Some(Value::String(text))) => text,
            (_, Some(other)) => other.to_string(),
        };
        out.push((name.clone(), text));
    }
    out
}

/// One attribute's value, or `None` when the person has none (or the name is not NIA's).
fn attribute(user: &User, name: &str, request: &Value, context: &Context<'_>) -> Option<Value> {
    let p = &user.profile;
    let text = |value: &Option<String>| value.as_deref().filter(|v| !v.trim().is_empty()).map(Value::from);
    match name {
        "PersonIdentifier" => Some(Value::from(context.person_identifier)),
        "CurrentGivenName" => text(&p.given_name),
        "CurrentFamilyName" => text(&p.family_name),
        "DateOfBirth" => birth_date(user).map(|d| Value::from(d.format("%Y-%m-%d").to_string())),
        "age" => birth_date(user).and_then(|born| context.today.years_since(born)).map(Value::from),
        "isAgeOver" => {
            let age = birth_date(user).and_then(|born| context.today.years_since(born))?;
            Some(Value::from(age >= requested_age(request)))
        }
        "CurrentAddress" => p.address.as_ref().and_then(current_address).map(Value::from),
        "phonenumber" => text(&p.phone_number),
        "eMail" => text(&p.email),
        _ => None,
    }
}

fn birth_date(user: &User) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(user.profile.birthdate.as_deref()?, "%Y-%m-%d").ok()
}

/// The age an `isAgeOver` request asks about: its `value` (a number or a numeric string), 18
/// when it gives none.
fn requested_age(request: &Value) -> u32 {
    let value = request.get("value").or_else(|| request.get("values").and_then(|v| v.get(0)));
    match value {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .unwrap_or(DEFAULT_AGE_OVER)
}

/// `CurrentAddress`: base64 of a root-less fragment of `eidas:` elements (the eIDAS
/// `CurrentAddressType`: LocatorDesignator, Thoroughfare, PostName, PostCode, CvaddressArea),
/// as NIA's relying parties read it. A street address ending in a house number is split into
/// the street and its number.
fn current_address(address: &Address) -> Option<String> {
    let street = address.street_address.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (thoroughfare, designator) = match street.and_then(|s| s.rsplit_once(' ')) {
        Some((name, number)) if number.starts_with(|c: char| c.is_ascii_digit()) => (Some(name), Some(number)),
        _ => (street, None),
    };
    let parts = [
        ("LocatorDesignator", designator),
        ("Thoroughfare", thoroughfare),
        ("PostName", address.locality.as_deref()),
        ("PostCode", address.postal_code.as_deref()),
        ("CvaddressArea", address.region.as_deref()),
    ];
    let xml: String = parts
        .iter()
        .filter_map(|(element, value)| {
            let value = value.map(str::trim).filter(|v| !v.is_empty())?;
            Some(format!("<eidas:{element}>{}</eidas:{element}>", escape(value)))
        })
        .collect();
    (!xml.is_empty()).then(|| STANDARD.encode(xml))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// `CZ/CZ/<uuid>`: the citizen's identifier towards one portal (NIA's BSI/SePP), from a digest
/// that differs for every portal (`sector`) and stays the same across logins.
pub fn person_identifier(digest: &[u8; 32]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Shaped like the real service's random GUIDs: version 4, RFC 4122 variant.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("CZ/CZ/{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;
    use serde_json::json;

    fn citizen() -> User {
        User {
            id: "u1".into(),
            username: "jana".into(),
            password_hash: String::new(),
            profile: Profile {
                given_name: Some("Jana".into()),
                family_name: Some("Nováková".into()),
                birthdate: Some("2008-12-05".into()),
                email: Some("jana@example.cz".into()),
                address: Some(Address {
                    street_address: Some("Dlouhá 12".into()),
                    locality: Some("Praha".into()),
                    postal_code: Some("110 00".into()),
                    ..Address::default()
                }),
                ..Profile::default()
            },
            updated_at: 0,
            created_at: 0,
            disabled: false,
        }
    }

    fn context(today: &str) -> Context<'static> {
        Context {
            person_identifier: "CZ/CZ/00000000-0000-4000-8000-000000000000",
            today: chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap(),
        }
    }

    #[test]
    fn only_the_named_attributes_come_back_in_nias_formats() {
        let requested = json!({
            "PersonIdentifier": null, "CurrentFamilyName": null, "DateOfBirth": null, "age": null,
            "isAgeOver": {"value": 18}, "CurrentAddress": null, "PlaceOfBirth": null, "given_name": null,
        });
        let out = release(&citizen(), requested.as_object(), &context("2026-12-04"));
        assert_eq!(out["PersonIdentifier"], "CZ/CZ/00000000-0000-4000-8000-000000000000");
        assert_eq!(out["CurrentFamilyName"], "Nováková");
        assert_eq!(out["DateOfBirth"], "2008-12-05");
        assert_eq!(out["age"], 17);
        assert_eq!(out["isAgeOver"], false);
        let xml = String::from_utf8(STANDARD.decode(out["CurrentAddress"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(
            xml,
            "<eidas:LocatorDesignator>12</eidas:LocatorDesignator><eidas:Thoroughfare>Dlouhá</eidas:Thoroughfare>\
             <eidas:PostName>Praha</eidas:PostName><eidas:PostCode>110 00</eidas:PostCode>"
        );
        // Not held (PlaceOfBirth), not NIA's (given_name), not asked for (eMail): absent.
        assert_eq!(out.len(), 6, "{out:?}");
        let tomorrow = release(&citizen(), requested.as_object(), &context("2026-12-05"));
        assert_eq!((tomorrow["age"].clone(), tomorrow["isAgeOver"].clone()), (json!(18), json!(true)));
        assert!(release(&citizen(), None, &context("2026-12-04")).is_empty());
    }

    #[test]
    fn a_person_identifier_is_a_version_4_uuid_under_cz_cz() {
        let id = person_identifier(&[0xff; 32]);
        assert_eq!(id, "CZ/CZ/ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
