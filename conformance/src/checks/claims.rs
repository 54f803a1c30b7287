//! The standard-claim type table of `AbstractValidateOpenIdStandardClaims` (used for userinfo and
//! for the identity claims in ID tokens), and the claim sets each scope is expected to release.

use serde_json::{Map, Value};

const STRINGS: &[&str] = &[
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "gender",
    "zoneinfo",
    "locale",
    "phone_number",
    "txn",
];
const ADDRESS_MEMBERS: &[&str] = &["formatted", "street_address", "locality", "region", "postal_code", "country"];

/// Protocol claims removed before the ID token's identity claims are validated.
pub const ID_TOKEN_PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "c_hash",
    "at_hash",
    "s_hash",
    "jti",
    "nbf",
    "verified_claims",
];

pub const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "preferred_username",
];
pub const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];
pub const ADDRESS_CLAIMS: &[&str] = &["address"];
pub const PHONE_CLAIMS: &[&str] = &["phone_number", "phone_number_verified"];

/// The claims the suite expects for a space-separated scope.
pub fn expected_for_scope(scope: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for s in scope.split(' ') {
        out.extend_from_slice(match s {
            "profile" => PROFILE_CLAIMS,
            "email" => EMAIL_CLAIMS,
            "address" => ADDRESS_CLAIMS,
            "phone" => PHONE_CLAIMS,
            _ => &[],
        });
    }
    out
}

fn non_blank_string(name: &str, v: &Value) -> Result<(), String> {
    match v.as_str() {
        None => Err(format!("'{name}' must be a string, is {v}")),
        Some(s) if s.trim().is_empty() => Err(format!("'{name}' is blank")),
        Some(s) if s.eq_ignore_ascii_case("null") => Err(format!("'{name}' is the string \"null\"")),
        Some(_) => Ok(()),
    }
}

fn leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// `YYYY-MM-DD` (year 1850..this year, or 0000 when the year is withheld) or `YYYY`.
pub fn valid_birthdate(s: &str, this_year: u32) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = s.split('-').collect();
    let year_ok =
        |y: &str| y.len() == 4 && digits(y) && y.parse::<u32>().is_ok_and(|y| (1850..=this_year).contains(&y));
    match parts.as_slice() {
        [y] => year_ok(y),
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 && digits(y) && digits(m) && digits(d) => {
            let (yn, mn, dn) =
                (y.parse::<u32>().unwrap_or(0), m.parse::<u32>().unwrap_or(0), d.parse::<u32>().unwrap_or(0));
            let days = match mn {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if yn == 0 || leap(yn) => 29,
                2 => 28,
                _ => return false,
            };
            (*y == "0000" || year_ok(y)) && (1..=days).contains(&dn)
        }
        _ => false,
    }
}

pub fn current_year() -> u32 {
    // Days since the epoch to a civil year (Howard Hinnant's algorithm), to avoid a date crate.
    let days = super::now().div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as u32
}

/// Validates every standard claim present in `claims`; unknown claims are not errors.
pub fn validate_standard_claims(claims: &Map<String, Value>) -> Result<(), String> {
    let mut errors = Vec::new();
    for (name, v) in claims {
        let result = match name.as_str() {
            n if STRINGS.contains(&n) => non_blank_string(n, v),
            "email_verified" | "phone_number_verified" => {
                if v.is_boolean() {
                    Ok(())
                } else {
                    Err(format!("'{name}' must be a boolean, is {v}"))
                }
            }
            "birthdate" => match v.as_str() {
                Some(s) if valid_birthdate(s, current_year()) => Ok(()),
                _ => Err(format!("'birthdate' must be YYYY-MM-DD or YYYY, is {v}")),
            },
            "updated_at" => {
                if v.is_number() {
                    Ok(())
                } else {
                    Err(format!("'updated_at' must be a number, is {v}"))
                }
            }
            "address" => match v.as_object() {
                Some(a) if !a.is_empty() => ADDRESS_MEMBERS
                    .iter()
                    .filter_map(|m| a.get(*m).map(|mv| non_blank_string(&format!("address.{m}"), mv)))
                    .collect::<Result<(), String>>(),
                _ => Err(format!("'address' must be a non-empty object, is {v}")),
            },
            "_claim_names" | "_claim_sources" => {
                if v.is_object() {
                    Ok(())
                } else {
                    Err(format!("'{name}' must be an object"))
                }
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<(), String> {
        validate_standard_claims(v.as_object().unwrap())
    }

    #[test]
    fn claim_types_follow_the_suites_table() {
        assert!(check(json!({"sub": "a", "name": "Jan", "email_verified": true, "updated_at": 1700000000})).is_ok());
        assert!(check(json!({"name": "null"})).is_err());
        assert!(check(json!({"name": " "})).is_err());
        assert!(check(json!({"email_verified": "true"})).is_err());
        assert!(check(json!({"updated_at": "1700000000"})).is_err());
        assert!(check(json!({"address": {}})).is_err());
        assert!(check(json!({"address": {"country": ""}})).is_err());
        assert!(check(json!({"address": {"country": "CZ", "x": 1}})).is_ok());
        assert!(check(json!({"unknown": 5})).is_ok());
    }

    #[test]
    fn birthdates() {
        assert!(valid_birthdate("1980-02-29", 2026));
        assert!(!valid_birthdate("1981-02-29", 2026));
        assert!(valid_birthdate("0000-03-15", 2026));
        assert!(valid_birthdate("1990", 2026));
        assert!(!valid_birthdate("1849-01-01", 2026));
        assert!(!valid_birthdate("1990-1-01", 2026));
        assert!(!valid_birthdate("2030-01-01", 2026));
        assert!(current_year() >= 2025);
    }
}
