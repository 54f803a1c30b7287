//! The attributes of an assertion. NIA's eIDAS profile (reference §3.5): each attribute's SAML
//! `Name`, `FriendlyName` and `xsi:type`, over the values `identity::eidas` gives the OpenID
//! Connect nia face, so both protocols release the same data under the same short names. The
//! generic profile: the standard face's OpenID Connect claims of the `profile` and `email` scopes
//! (`identity::claims`), each named by its claim name with `NameFormat` basic, as Keycloak's and
//! SimpleSAMLphp's "basic" attribute names are.

use serde_json::{Map, Value};

use super::extensions::RequestedAttribute;
use crate::identity::{claims, eidas};
use crate::model::{Person, User};

const NATURAL_PERSON: &str = "http://eidas.europa.eu/attributes/naturalperson/";
const STORK: &str = "http://www.stork.gov.eu/1.0/";
const MORIS: &str = "http://schemas.eidentita.cz/moris/2016/identity/claims/";

/// The attributes released when a request names none: eIDAS's minimum data set.
const MINIMUM: [&str; 4] = ["PersonIdentifier", "CurrentFamilyName", "CurrentGivenName", "DateOfBirth"];

const URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

/// The scopes whose claims the generic profile releases: who the person is, and how to reach them.
const GENERIC_SCOPES: [&str; 2] = ["profile", "email"];

/// One attribute of an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Released {
    pub(crate) name: String,
    pub(crate) name_format: &'static str,
    pub(crate) friendly_name: Option<&'static str>,
    /// The value's `xsi:type` (a QName whose prefix the assertion declares).
    pub(crate) xsi_type: &'static str,
    pub(crate) value: String,
}

/// The `Name` URI, `FriendlyName` and `xsi:type` of one of NIA's attributes by its short name.
fn describe(short: &str) -> Option<(String, &'static str, &'static str)> {
    let (short, friendly, prefix, xsi_type): (&str, &'static str, &str, &'static str) = match short {
        "PersonIdentifier" => ("PersonIdentifier", "PersonIdentifier", NATURAL_PERSON, "tn:PersonIdentifierType"),
        "CurrentGivenName" => ("CurrentGivenName", "CurrentGivenName", NATURAL_PERSON, "tn:CurrentGivenNameType"),
        "CurrentFamilyName" => ("CurrentFamilyName", "CurrentFamilyName", NATURAL_PERSON, "tn:CurrentFamilyNameType"),
        "DateOfBirth" => ("DateOfBirth", "DateOfBirth", NATURAL_PERSON, "tn:DateOfBirthType"),
        "PlaceOfBirth" => ("PlaceOfBirth", "PlaceOfBirth", NATURAL_PERSON, "tn:PlaceOfBirthType"),
        "CurrentAddress" => ("CurrentAddress", "CurrentAddress", NATURAL_PERSON, "tn:CurrentAddressType"),
        "countryCodeOfBirth" => ("countryCodeOfBirth", "countryCodeOfBirth", STORK, "xs:string"),
        "eMail" => ("eMail", "eMail", STORK, "xs:string"),
        "age" => ("age", "age", STORK, "xs:string"),
        "isAgeOver" => ("isAgeOver", "isAgeOver", STORK, "xs:string"),
        "phonenumber" => ("phonenumber", "phonenumber", MORIS, "xs:string"),
        "tradresaid" => ("tradresaid", "tradresaid", MORIS, "xs:string"),
        "idtype" => ("idtype", "idtype", MORIS, "xs:string"),
        "idnumber" => ("idnumber", "idnumber", MORIS, "xs:string"),
        _ => return None,
    };
    Some((format!("{prefix}{short}"), friendly, xsi_type))
}

/// The short name of a requested attribute's `Name` URI, when it is one of NIA's.
fn short_name(uri: &str) -> Option<&str> {
    let short = [NATURAL_PERSON, STORK, MORIS, "http://schemas.eidentity.cz/moris/2016/identity/claims/"]
        .iter()
        .find_map(|prefix| uri.strip_prefix(prefix))?;
    describe(short).is_some().then_some(short)
}

/// The attributes `requested` asks for (eIDAS's minimum data set when it asks for none) that
/// the person has, in the formats of the OpenID Connect nia face.
pub(crate) fn release(
    user: &User,
    person: Option<&Person>,
    requested: &[RequestedAttribute],
    person_identifier: &str,
    today: chrono::NaiveDate,
) -> Vec<Released> {
    let mut asked = Map::new();
    for attribute in requested {
        if let Some(short) = short_name(&attribute.name) {
            let request = match attribute.values.first() {
                Some(value) => serde_json::json!({ "value": value }),
                None => Value::Null,
            };
            asked.insert(short.to_owned(), request);
        }
    }
    if requested.is_empty() {
        asked.extend(MINIMUM.iter().map(|name| ((*name).to_owned(), Value::Null)));
    }
    let context = eidas::Context { person_identifier, person, today };
    let values = eidas::release(user, Some(&asked), &context);
    let mut released: Vec<Released> = asked
        .keys()
        .filter_map(|short| {
            let value = match values.get(short)? {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let (name, friendly_name, xsi_type) = describe(short)?;
            Some(Released { name, name_format: URI, friendly_name: Some(friendly_name), xsi_type, value })
        })
        .collect();
    // In the order of NIA's responses, whatever the request's: by FriendlyName (reference §3.4).
    released.sort_by_key(|r| r.friendly_name);
    released
}

/// The person's OpenID Connect claims of the `profile` and `email` scopes that have a value, by
/// claim name (booleans and numbers written out; `updated_at` is bookkeeping, not the person).
pub(crate) fn release_claims(user: &User) -> Vec<Released> {
    let scopes: Vec<String> = GENERIC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    claims::release(user, &scopes, true, None)
        .into_iter()
        .filter(|(name, _)| name != "updated_at")
        .filter_map(|(name, value)| {
            let value = match value {
                Value::String(text) => text,
                Value::Bool(_) | Value::Number(_) => value.to_string(),
                _ => return None,
            };
            Some(Released { name, name_format: BASIC, friendly_name: None, xsi_type: "xs:string", value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_namespace_are_recognised_and_others_are_not() {
        assert_eq!(
            short_name("http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName"),
            Some("CurrentFamilyName")
        );
        assert_eq!(short_name("http://www.stork.gov.eu/1.0/isAgeOver"), Some("isAgeOver"));
        assert_eq!(
            short_name("http://schemas.eidentita.cz/moris/2016/identity/claims/phonenumber"),
            Some("phonenumber")
        );
        assert_eq!(short_name("http://eidas.europa.eu/attributes/naturalperson/Nothing"), None);
        assert_eq!(short_name("urn:other:PersonIdentifier"), None);
    }
}
