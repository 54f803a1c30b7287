//! Records for the tests of the stores, filled in just enough to be told apart.

use crate::model::{AuthMethod, Authentication, Client, Grant, Profile, SubjectType, User};

/// An arbitrary fixed "now", far from zero so that `now - x` stays positive.
pub const NOW: i64 = 1_700_000_000;

pub fn authn(user_id: &str) -> Authentication {
    Authentication { user_id: user_id.into(), auth_time: NOW, acr: crate::model::Loa::High, amr: vec!["pwd".into()] }
}

pub fn grant(grant_id: &str, sid: Option<&str>, scopes: &[&str]) -> Grant {
    Grant {
        face: None,
        grant_id: grant_id.into(),
        client_id: "rp".into(),
        authn: Some(authn("u1")),
        sid: sid.map(Into::into),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        claims: None,
        nonce: Some("n".into()),
    }
}

pub fn client(client_id: &str) -> Client {
    Client {
        face: None,
        client_id: client_id.into(),
        secret_digest: Some("digest".into()),
        client_name: Some("Relying party".into()),
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into()],
        response_types: vec!["code".into()],
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        scope: None,
        jwks: None,
        jwks_uri: None,
        id_token_signed_response_alg: "RS256".into(),
        id_token_encrypted_response_alg: None,
        id_token_encrypted_response_enc: None,
        userinfo_signed_response_alg: None,
        userinfo_encrypted_response_alg: None,
        userinfo_encrypted_response_enc: None,
        request_object_signing_alg: None,
        token_endpoint_auth_signing_alg: None,
        request_uris: vec![],
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        sector_identifier: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        default_max_age: None,
        require_auth_time: false,
        default_acr_values: vec![],
        contacts: vec![],
        logo_uri: None,
        policy_uri: None,
        tos_uri: None,
        client_uri: None,
        application_type: Default::default(),
        first_party: false,
        full_access: false,
        registration_token_digest: None,
        created_at: NOW,
    }
}

pub fn user(id: &str, username: &str) -> User {
    User {
        id: id.into(),
        username: username.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        profile: Profile {
            given_name: Some("Jana".into()),
            email: Some("jana@example.cz".into()),
            ..Profile::default()
        },
        updated_at: NOW,
        created_at: NOW,
        disabled: false,
    }
}

/// A person of the register born on 1985-03-14 as Jan Novák, with the birth number and data box
/// given (each unique when given).
pub fn person(id: &str, birth_number: Option<&str>, data_box: Option<&str>) -> crate::model::Person {
    let record = serde_json::json!({
        "id": id,
        "given_names": "Jan",
        "family_name": "Novák",
        "birth_date": "1985-03-14",
        "birth_number": birth_number,
        "birth_place": "Praha",
        "birth_country": "CZ",
        "sex": "M",
        "citizenship": ["CZ"],
        "data_box": data_box,
        "documents": [{ "type": "ID", "number": "123456789", "valid_until": "2031-05-01" }],
    });
    crate::model::Person::parse(&serde_json::from_value(record).unwrap()).unwrap()
}
