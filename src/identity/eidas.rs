//! NIA's attributes: the eIDAS-named claims the `nia` persona releases, each only when the
//! request's `claims` parameter names it, in the real service's formats
//! (`shared/reference/nia_mojeid.md` §2.5, §3.5). The register's record of the person the
//! account belongs to is what NIA vouches for: names, date and place of birth, country of birth,
//! the permanent address (with its RÚIAN codes, `tradresaid`) and the identity document come from
//! it. An account of no person gives what its profile holds (names, date of birth, address,
//! phone, e-mail) and nothing of the rest. `fullids` is listed by NIA's discovery but its format
//! is unknown: it is never released.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::model::person::{Date, DocumentKind, Person};
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

/// What is needed beside the account: the citizen's identifier towards this portal, the
/// register's record of the person the account belongs to, and today.
pub struct Context<'a> {
    pub person_identifier: &'a str,
    pub person: Option<&'a Person>,
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
            ("CurrentAddress", Some(_)) => {
                match (context.person.and_then(|p| p.address.as_ref()), &user.profile.address) {
                    (Some(registered), _) => registered.text.clone(),
                    (None, Some(address)) => super::claims::one_line(address),
                    (None, None) => continue,
                }
            }
            ("tradresaid", Some(_)) => match context.person.and_then(|p| p.address.as_ref()) {
                Some(registered) => registered.text.clone(),
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
    let person = context.person;
    let text = |value: &Option<String>| value.as_deref().filter(|v| !v.trim().is_empty()).map(Value::from);
    let born = birth_date(user, person);
    match name {
        "PersonIdentifier" => Some(Value::from(context.person_identifier)),
        "CurrentGivenName" => person.map(|p| Value::from(p.given_names.as_str())).or_else(|| text(&p.given_name)),
        "CurrentFamilyName" => person.map(|p| Value::from(p.family_name.as_str())).or_else(|| text(&p.family_name)),
        "DateOfBirth" => born.map(|d| Value::from(d.format("%Y-%m-%d").to_string())),
        "age" => born.and_then(|born| context.today.years_since(born)).map(Value::from),
        "isAgeOver" => {
            let age = born.and_then(|born| context.today.years_since(born))?;
            Some(Value::from(age >= requested_age(request)))
        }
        "PlaceOfBirth" => person.map(|p| p.birth_place.trim()).filter(|place| !place.is_empty()).map(Value::from),
        "countryCodeOfBirth" => person.map(|p| Value::from(p.birth_country.to_string())),
        "CurrentAddress" => match person {
            Some(person) => person.address.as_ref().and_then(|a| registered_address(&a.text)),
            None => p.address.as_ref().and_then(current_address),
        }
        .map(Value::from),
        "tradresaid" => person.and_then(|p| p.address.as_ref()).map(|a| Value::from(address_codes(a))),
        "idtype" => document(person, context.today).map(|(kind, _)| Value::from(kind.code())),
        "idnumber" => document(person, context.today).map(|(_, number)| Value::from(number)),
        // The contact details of the citizen's NIA profile (the account), else the register's.
        "phonenumber" => text(&p.phone_number).or_else(|| person?.phone.as_ref().map(|n| Value::from(n.to_string()))),
        "eMail" => text(&p.email).or_else(|| person?.email.as_ref().map(|e| Value::from(e.to_string()))),
        _ => None,
    }
}

/// The date of birth: the register's, else the profile's.
fn birth_date(user: &User, person: Option<&Person>) -> Option<chrono::NaiveDate> {
    match person {
        Some(person) => naive(person.birth_date),
        None => chrono::NaiveDate::parse_from_str(user.profile.birthdate.as_deref()?, "%Y-%m-%d").ok(),
    }
}

fn naive(date: Date) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(i32::from(date.year()), u32::from(date.month()), u32::from(date.day()))
}

/// The person's identity document valid `today` that NIA names (`idtype`, `idnumber`): an
/// identity card before a passport before a residence permit.
fn document(person: Option<&Person>, today: chrono::NaiveDate) -> Option<(DocumentKind, &str)> {
    let order = [DocumentKind::IdCard, DocumentKind::Passport, DocumentKind::ResidencePermit];
    let valid = person?.documents.iter().filter(|d| naive(d.valid_until).is_some_and(|until| until >= today));
    valid.min_by_key(|d| order.iter().position(|k| *k == d.kind)).map(|d| (d.kind, d.number.as_str()))
}

/// `CurrentAddress` of a registered address written as the register writes it, "Street
/// 681/14, Part of town, 110 00 Town": the house number as `LocatorDesignator`, the street as
/// `Thoroughfare`, the part of town as `CvaddressArea`, the postcode and town as `PostCode` and
/// `PostName`; a text of another shape goes whole into `Thoroughfare`.
fn registered_address(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let (first, last) = (parts.first()?, parts.last()?);
    let post = (parts.len() > 1).then(|| split_postcode(last)).flatten();
    let Some((postcode, town)) = post else {
        return current_address(&Address { street_address: Some(text.to_owned()), ..Address::default() });
    };
    let area = (parts.len() > 2).then(|| parts[1..parts.len() - 1].join(", "));
    let address = Address {
        street_address: Some((*first).to_owned()),
        locality: Some(town.to_owned()),
        postal_code: Some(postcode.to_owned()),
        region: area,
        ..Address::default()
    };
    current_address(&address)
}

/// "110 00 Praha 1" as ("110 00", "Praha 1").
fn split_postcode(text: &str) -> Option<(&str, &str)> {
    let digits = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    let postcode = text.get(..6)?;
    let (a, b) = postcode.split_at(3);
    (digits(a) && b.starts_with(' ') && b[1..].len() == 2 && b[1..].bytes().all(|b| b.is_ascii_digit()))
        .then(|| (postcode, text[6..].trim()))
        .filter(|(_, town)| !town.is_empty())
}

/// `tradresaid`: base64 of a root-less fragment of the `TRadresaIDType` elements the register
/// holds, in the schema's order — `obecKod` (the municipality), `postaKod` (the postcode's
/// digits), `adresniMistoKod` (the address place), `cisloDomovni` and `cisloOrientacni` (and
/// its letter) from the house number "681/14a". The real service's wrapping is unknown (the
/// reference gives the type, not a sample); a fragment matches how `CurrentAddress` is sent.
fn address_codes(address: &crate::model::person::PermanentAddress) -> String {
    let street = address.text.split(',').next().unwrap_or_default().trim();
    let number = street.rsplit_once(' ').map(|(_, n)| n).filter(|n| n.starts_with(|c: char| c.is_ascii_digit()));
    let (house, oriented) = match number.map(|n| n.split_once('/')) {
        Some(Some((house, oriented))) => (Some(house), Some(oriented)),
        Some(None) => (number, None),
        None => (None, None),
    };
    let oriented_digits = oriented.map(|o| o.trim_end_matches(|c: char| c.is_ascii_alphabetic()));
    let oriented_letter = oriented.zip(oriented_digits).map(|(o, d)| &o[d.len()..]).filter(|l| !l.is_empty());
    let postcode = address.text.split(',').skip(1).filter_map(|p| split_postcode(p.trim())).last();
    let post_digits = postcode.map(|(code, _)| code.replace(' ', ""));
    let parts = [
        ("obecKod", Some(address.municipality.code().to_string())),
        ("postaKod", post_digits),
        ("adresniMistoKod", Some(address.address_place.code().to_string())),
        ("cisloDomovni", house.map(str::to_owned)),
        ("cisloOrientacni", oriented_digits.filter(|d| !d.is_empty()).map(str::to_owned)),
        ("cisloOrientacniPismeno", oriented_letter.map(str::to_owned)),
    ];
    let xml: String = parts
        .iter()
        .filter_map(|(element, value)| Some(format!("<{element}>{}</{element}>", escape(value.as_deref()?))))
        .collect();
    STANDARD.encode(xml)
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
            person: None,
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

    /// Jan Novák of the shipped test citizens (`examples/registry.jsonl`).
    fn registered() -> Person {
        let line = r#"{"id":"jan-novak","given_names":"Jan","family_name":"Novák","birth_date":"1985-03-14","birth_number":"850314/1251","birth_place":"Praha","birth_country":"CZ","sex":"M","citizenship":["CZ"],"address":{"text":"Vodičkova 681/14a, Nové Město, 110 00 Praha 1","address_place":21717036,"municipality":554782},"phone":"+420601123456","email":"jan.novak@example.cz","documents":[{"type":"P","number":"45128733","valid_until":"2029-09-30"},{"type":"ID","number":"204518736","valid_until":"2026-12-03"}]}"#;
        Person::parse(&serde_json::from_str(line).unwrap()).unwrap()
    }

    #[test]
    fn the_register_is_what_nia_vouches_for_over_the_accounts_profile() {
        let person = registered();
        let requested = json!({
            "CurrentGivenName": null, "CurrentFamilyName": null, "DateOfBirth": null, "PlaceOfBirth": null,
            "countryCodeOfBirth": null, "CurrentAddress": null, "tradresaid": null, "idtype": null,
            "idnumber": null, "eMail": null, "phonenumber": null, "fullids": null, "age": null,
        });
        let registered_today = Context { person: Some(&person), ..context("2026-12-04") };
        let out = release(&citizen(), requested.as_object(), &registered_today);
        assert_eq!(out["CurrentGivenName"], "Jan", "the register's, not the profile's Jana");
        assert_eq!(out["CurrentFamilyName"], "Novák");
        assert_eq!(out["DateOfBirth"], "1985-03-14");
        assert_eq!(out["age"], 41);
        assert_eq!(out["PlaceOfBirth"], "Praha");
        assert_eq!(out["countryCodeOfBirth"], "CZ");
        // The identity card expired yesterday: the passport is the valid document.
        assert_eq!((out["idtype"].as_str(), out["idnumber"].as_str()), (Some("P"), Some("45128733")));
        let decoded = |name: &str| String::from_utf8(STANDARD.decode(out[name].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(
            decoded("CurrentAddress"),
            "<eidas:LocatorDesignator>681/14a</eidas:LocatorDesignator><eidas:Thoroughfare>Vodičkova</eidas:Thoroughfare>\
             <eidas:PostName>Praha 1</eidas:PostName><eidas:PostCode>110 00</eidas:PostCode>\
             <eidas:CvaddressArea>Nové Město</eidas:CvaddressArea>"
        );
        assert_eq!(
            decoded("tradresaid"),
            "<obecKod>554782</obecKod><postaKod>11000</postaKod><adresniMistoKod>21717036</adresniMistoKod>\
             <cisloDomovni>681</cisloDomovni><cisloOrientacni>14</cisloOrientacni>\
             <cisloOrientacniPismeno>a</cisloOrientacniPismeno>"
        );
        // The NIA profile's contact (the account's e-mail), the register's phone where it has none.
        assert_eq!(out["eMail"], "jana@example.cz");
        assert_eq!(out["phonenumber"], "+420601123456");
        assert!(!out.contains_key("fullids"), "its format is unknown: never released");
        let card_valid = Context { person: Some(&person), ..context("2026-12-03") };
        let out = release(&citizen(), requested.as_object(), &card_valid);
        assert_eq!((out["idtype"].as_str(), out["idnumber"].as_str()), (Some("ID"), Some("204518736")));
        // Without the register, nothing the profile cannot hold.
        let out = release(&citizen(), requested.as_object(), &context("2026-12-04"));
        for name in ["PlaceOfBirth", "countryCodeOfBirth", "tradresaid", "idtype", "idnumber"] {
            assert!(!out.contains_key(name), "{name}: {out:?}");
        }
    }

    #[test]
    fn a_person_identifier_is_a_version_4_uuid_under_cz_cz() {
        let id = person_identifier(&[0xff; 32]);
        assert_eq!(id, "CZ/CZ/ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
