//! The seed fixture the benchmark loads with `identita seed` (test-only credentials, derived
//! from names so the generator needs no other input): a client-credentials client, two
//! first-party code-flow clients signing ID tokens with RS256 and ES256, and bench users (each
//! with a +420 mobile number for NIA ID).

use serde_json::json;

pub const CC_CLIENT: &str = "bench-cc";
pub const RS256_CLIENT: &str = "bench-rs256";
pub const ES256_CLIENT: &str = "bench-es256";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

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

/// The fixture as JSON (`identita seed FILE.json`).
pub fn fixture(users: usize) -> serde_json::Value {
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
                },
            })
        })
        .collect();
    json!({
        "clients": [
            {
                "client_id": CC_CLIENT,
                "client_secret": secret_of(CC_CLIENT),
                "client_name": "Benchmark service (client credentials)",
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["client_credentials"],
                "response_types": [],
            },
            code_client(RS256_CLIENT, "RS256"),
            code_client(ES256_CLIENT, "ES256"),
        ],
        "users": users,
    })
}
