//! The seed fixture the benchmark loads with `identita seed` (test-only credentials, derived
//! from names so the generator needs no other input): a client-credentials client, two
//! first-party code-flow clients signing ID tokens with RS256 and ES256, and bench users (each
//! with a +420 mobile number for NIA ID, and a name and birth date of their own, by which the bank
//! identity matches them). The bank of the bank identity scenario is seeded with the same users
//! and, as its client, the identita under test ([`BANK_CLIENT`]).

use serde_json::json;

pub const CC_CLIENT: &str = "bench-cc";
pub const RS256_CLIENT: &str = "bench-rs256";
pub const ES256_CLIENT: &str = "bench-es256";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
/// The identita under test as a client of the bank, and the bank's id in its `[[banks]]`.
pub const BANK_CLIENT: &str = "bench-identita";
pub const BANK_ID: &str = "bench-bank";

pub fn secret_of(client_id: &str) -> String {
    format!("{client_id}-secret-0123456789abcdef0123456789")
}

pub fn username(i: usize) -> String {
    format!("bench{i}")
}

/// The bench user `i`'s Czech mobile number, to which NIA ID sends the login code.
pub fn phone_of(i: usize) -> String {
    format!("+4206{:08}", i % 100_000_000)
}

pub fn password_of(username: &str) -> String {
    format!("{username}-correct-horse-battery")
}

/// The bench user `i`'s birth date: a day of its own from 1 January 1940 on (`YYYY-MM-DD`).
pub fn birthdate_of(i: usize) -> String {
    let mut days = (i % 29_000) as i64;
    let (mut year, mut month) = (1940, 1);
    loop {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let length = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if days < length {
            return format!("{year:04}-{month:02}-{:02}", days + 1);
        }
        days -= length;
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
}

/// The fixture as JSON (`identita seed FILE.json`). With `bank_client_of` (the issuer of the
/// identita under test) it is the bank's: the same users, and that identita as a first-party
/// client answered at its bank callback.
pub fn fixture(users: usize, bank_client_of: Option<&str>) -> serde_json::Value {
    let code_client = |id: &str, alg: &str| {
        json!({
            "client_id": id,
            "client_secret": secret_of(id),
            "client_name": format!("Benchmark portal ({alg})"),
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "id_token_signed_response_alg": alg,
            "first_party": true,
        })
    };
    let users: Vec<_> = (0..users)
        .map(|i| {
            let name = username(i);
            json!({
                "username": name,
                "password": password_of(&name),
                "profile": {
                    "name": format!("Bench User {i}"),
                    "given_name": "Bench",
                    "family_name": format!("User {i}"),
                    "email": format!("{name}@bench.example"),
                    "email_verified": true,
                    "phone_number": phone_of(i),
                    "birthdate": birthdate_of(i),
                },
            })
        })
        .collect();
    let mut clients = vec![
        json!({
            "client_id": CC_CLIENT,
            "client_secret": secret_of(CC_CLIENT),
            "client_name": "Benchmark service (client credentials)",
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["client_credentials"],
            "response_types": [],
        }),
        code_client(RS256_CLIENT, "RS256"),
        code_client(ES256_CLIENT, "ES256"),
    ];
    if let Some(issuer) = bank_client_of {
        clients.push(json!({
            "client_id": BANK_CLIENT,
            "client_secret": secret_of(BANK_CLIENT),
            "client_name": "identita under test",
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": [format!("{}/login/bank/callback", issuer.trim_end_matches('/'))],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "first_party": true,
        }));
    }
    json!({ "clients": clients, "users": users })
}

#[cfg(test)]
mod tests {
    #[test]
    fn birth_dates_are_days_of_their_own() {
        assert_eq!(super::birthdate_of(0), "1940-01-01");
        assert_eq!(super::birthdate_of(31 + 28), "1940-02-29");
        assert_eq!(super::birthdate_of(366), "1941-01-01");
        let dates: std::collections::HashSet<_> = (0..2000).map(super::birthdate_of).collect();
        assert_eq!(dates.len(), 2000);
    }
}
