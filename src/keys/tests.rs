//! Behaviour of the key ring and the JOSE layer. RSA key generation is the slow part, so the ring
//! tests share one ring across many assertions; client keys are made directly, without a ring.

// Tests fail loudly on purpose: an unwrap here is an assertion.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::alg::{self, Alg};
use super::{KeyError, KeyRing, jose, store};

const NOW: i64 = 1_700_000_000;
const ALL_RING_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn claims() -> Map<String, Value> {
    object(json!({"iss": "https://idp.example", "sub": "alice", "aud": "rp", "exp": NOW + 300}))
}

fn kids(ring: &KeyRing) -> Vec<String> {
    ring.list().into_iter().map(|k| k.kid).collect()
}

fn active_kid(ring: &KeyRing, alg: &str) -> String {
    let info = ring.list().into_iter().find(|k| k.alg == alg && k.status == "active");
    info.map(|k| k.kid).unwrap_or_default()
}

fn header_of(token: &str) -> Map<String, Value> {
    jose::peek_header(token).unwrap()
}

/// Replaces the payload of `token` with `claims`, keeping header and signature.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

#[test]
fn ring_signs_with_every_alg_verifies_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "not a key").unwrap();
    let ring = KeyRing::load_or_create(dir.path(), NOW).unwrap();

    assert_eq!(ring.signing_algs(), ALL_RING_ALGS);
    let jwks = ring.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        assert!(seen.insert(key["kid"].as_str().unwrap().to_owned()), "duplicate kid in {key}");
        assert_eq!(key["use"], "sig");
        for member in PRIVATE_MEMBERS {
            assert!(key.get(member).is_none(), "private member {member} published: kid {}", key["kid"]);
        }
        let (crv, public): (Option<&str>, &[&str]) = match key["kty"].as_str().unwrap() {
            "RSA" => (None, &["n", "e"]),
            "EC" => (Some("P-256"), &["x", "y"]),
            "OKP" => (Some("Ed25519"), &["x"]),
            other => panic!("unexpected kty {other}"),
        };
        assert_eq!(key["crv"].as_str(), crv);
        for member in public {
            let value = key[member].as_str().unwrap();
            assert!(URL_SAFE_NO_PAD.decode(value).is_ok(), "{member} is not unpadded base64url");
        }
    }

    for alg in ALL_RING_ALGS {
        let token = ring.sign(alg, Some("JWT"), &claims()).unwrap();
        let header = header_of(&token);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["kid"], active_kid(&ring, alg).as_str());
        assert_eq!(ring.verify(&token).unwrap(), claims());
        let (jwks_header, jwks_claims) = jose::verify_with_jwks(&token, &jwks, &[alg]).unwrap();
        assert_eq!(jwks_header["kid"], header["kid"]);
        assert_eq!(jwks_claims, claims());

        let tampered = with_payload(&token, &json!({"sub": "mallory"}));
        assert!(matches!(ring.verify(&tampered), Err(KeyError::BadSignature)), "{alg} tampered token verified");
        assert!(matches!(jose::verify_with_jwks(&tampered, &jwks, &[alg]), Err(KeyError::BadSignature)));
    }
    assert!(!header_of(&ring.sign("ES256", None, &claims()).unwrap()).contains_key("typ"));
    assert!(matches!(ring.sign("HS256", None, &claims()), Err(KeyError::UnsupportedAlg(_))));
    assert!(matches!(ring.sign("none", None, &claims()), Err(KeyError::UnsupportedAlg(_))));

    // Nothing private in Debug output or on disk with loose permissions.
    let files = store::read_all(dir.path()).unwrap();
    let debug = format!("{ring:?}");
    for file in &files {
        let d = file.private_jwk["d"].as_str().unwrap();
        assert!(!debug.contains(d));
        assert!(!jwks.to_string().contains(d));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join(file.file_name())).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    // Keys persist: a second load creates nothing, and verifies what the first ring signed.
    let token = ring.sign("PS256", None, &claims()).unwrap();
    let again = KeyRing::load_or_create(dir.path(), NOW + 60).unwrap();
    assert_eq!(kids(&again), kids(&ring));
    assert_eq!(again.verify(&token).unwrap(), claims());
}

#[test]
fn rotate_publishes_old_keys_until_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let ring = KeyRing::load_or_create(dir.path(), NOW).unwrap();
    let other_process = KeyRing::load_or_create(dir.path(), NOW).unwrap();
    let old_kid = active_kid(&ring, "RS256");
    let old_token = ring.sign("RS256", None, &claims()).unwrap();

    let listed = ring.rotate(NOW + 100, 1_000).unwrap();
    assert_eq!(listed.len(), 8);
    let new_kid = active_kid(&ring, "RS256");
    assert_ne!(new_kid, old_kid);
    let old = listed.iter().find(|k| k.kid == old_kid).unwrap();
    assert_eq!((old.status.as_str(), old.retired_at), ("retired", Some(NOW + 100)));
    assert!(ring.jwks()["keys"].as_array().unwrap().iter().any(|k| k["kid"] == old_kid.as_str()));
    assert_eq!(header_of(&ring.sign("RS256", None, &claims()).unwrap())["kid"], new_kid.as_str());
    assert_eq!(ring.verify(&old_token).unwrap(), claims());

    // Another process sees the rotation after reload.
    assert_eq!(active_kid(&other_process, "RS256"), old_kid);
    other_process.reload().unwrap();
    assert_eq!(active_kid(&other_process, "RS256"), new_kid);

    // Within keep_seconds nothing goes; after it the retired keys do, from disk too.
    assert_eq!(ring.prune(NOW + 1_100, 1_000).unwrap(), 0);
    assert_eq!(ring.prune(NOW + 1_101, 1_000).unwrap(), 4);
    assert_eq!(ring.list().len(), 4);
    assert!(!dir.path().join(format!("{old_kid}.json")).exists());
    assert!(!ring.jwks().to_string().contains(&old_kid));
    assert!(matches!(ring.verify(&old_token), Err(KeyError::UnknownKey(_))));

    // A directory holding only retired keys gets new active keys.
    for mut file in store::read_all(dir.path()).unwrap() {
        file.retired_at = Some(NOW + 2_000);
        store::write(dir.path(), &file).unwrap();
    }
    assert!(matches!(ring.reload(), Err(KeyError::NoActiveKey(_))));
    assert_eq!(active_kid(&ring, "RS256"), new_kid, "a failed reload keeps the ring");
    let fresh = KeyRing::load_or_create(dir.path(), NOW + 2_001).unwrap();
    assert_eq!(fresh.signing_algs(), ALL_RING_ALGS);
    assert_eq!(fresh.list().len(), 8);
    assert_ne!(active_kid(&fresh, "RS256"), new_kid);
}

#[test]
fn corrupt_key_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), r#"{"kid": "broken", "alg": "ES256", "private_jwk": "#).unwrap();
    let err = KeyRing::load_or_create(dir.path(), NOW).unwrap_err();
    assert!(matches!(&err, KeyError::Corrupt { file, .. } if file.ends_with("broken.json")), "{err}");

    // A value of the wrong type is reported by position, never quoted.
    let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA";
    let body = json!({"kid": "broken", "alg": "ES256", "created_at": NOW, "private_jwk": secret});
    std::fs::write(dir.path().join("broken.json"), body.to_string()).unwrap();
    let err = KeyRing::load_or_create(dir.path(), NOW).unwrap_err();
    assert!(err.to_string().contains("broken.json") && !err.to_string().contains(secret), "{err}");
    assert!(!format!("{err:?}").contains(secret));
}

/// A client's EC or Ed25519 key: its signer and its public JWK with `kid`.
fn client_key(alg: Alg, kid: &str) -> (alg::Signer, Value) {
    let private = alg.generate().unwrap();
    let signer = alg.signer(&private).unwrap();
    let mut public = alg::public_jwk(&private).unwrap();
    public.insert("kid".into(), kid.into());
    (signer, Value::Object(public))
}

fn client_token(signer: &alg::Signer, header: Value) -> String {
    signer.sign_compact(object(header), json!({"iss": "rp", "sub": "rp"}).to_string().as_bytes()).unwrap()
}

#[test]
fn verify_with_jwks_picks_keys_and_enforces_algs() {
    let (es, es_jwk) = client_key(Alg::Es256, "ec-1");
    let (ed, ed_jwk) = client_key(Alg::EdDsa, "ed-1");
    let (other_es, _) = client_key(Alg::Es256, "ec-2");
    let jwks = json!({"keys": [ed_jwk, es_jwk]});
    let allowed = ["ES256", "EdDSA"];

    let (header, claims) = jose::verify_with_jwks(&client_token(&es, json!({"kid": "ec-1"})), &jwks, &allowed).unwrap();
    assert_eq!((header["alg"].as_str(), claims["sub"].as_str()), (Some("ES256"), Some("rp")));
    // Without kid every fitting key is tried.
    assert!(jose::verify_with_jwks(&client_token(&ed, json!({})), &jwks, &allowed).is_ok());
    assert!(jose::verify_with_jwks(&client_token(&es, json!({})), &jwks, &allowed).is_ok());

    let err = |token: &str, allowed: &[&str]| jose::verify_with_jwks(token, &jwks, allowed).unwrap_err();
    assert!(matches!(err(&client_token(&es, json!({"kid": "ec-1"})), &["RS256"]), KeyError::UnsupportedAlg(_)));
    assert!(matches!(err(&client_token(&es, json!({"kid": "nope"})), &allowed), KeyError::UnknownKey(_)));
    assert!(matches!(err(&client_token(&other_es, json!({"kid": "ec-1"})), &allowed), KeyError::BadSignature));
    assert!(matches!(err(&client_token(&other_es, json!({})), &allowed), KeyError::BadSignature));
    assert!(matches!(
        err(&client_token(&es, json!({"crit": ["b64"], "b64": false})), &allowed),
        KeyError::Malformed(_)
    ));

    // alg none is refused even when a caller lists it.
    let unsigned =
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#));
    assert!(matches!(err(&unsigned, &["none", "ES256"]), KeyError::UnsupportedAlg(_)));
    let (header, claims) = jose::decode_unsigned(&unsigned).unwrap();
    assert_eq!((header["alg"].as_str(), claims["sub"].as_str()), (Some("none"), Some("x")));
    assert!(jose::decode_unsigned(&client_token(&es, json!({}))).is_err());
    assert!(jose::decode_unsigned(&format!("{unsigned}c2ln")).is_err());
}

#[test]
fn hmac_tokens_only_when_listed() {
    use hmac::{Hmac, Mac};
    let secret = b"a client secret of thirty-two bytes!";
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#), URL_SAFE_NO_PAD.encode("{}"));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    let jwks = json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)}]});

    assert!(jose::verify_with_jwks(&token, &jwks, &["HS256"]).is_ok());
    assert!(matches!(jose::verify_with_jwks(&token, &jwks, &["RS256", "ES256"]), Err(KeyError::UnsupportedAlg(_))));
    let wrong = json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode(b"another secret")}]});
    assert!(matches!(jose::verify_with_jwks(&token, &wrong, &["HS256"]), Err(KeyError::BadSignature)));
}

#[test]
fn half_hash_follows_the_id_token_alg() {
    // OpenID Connect Core 1.0, appendix A.4: the c_hash of the example code. (The at_hash in
    // A.3, 77QmUPtjPfzWtF2AnpK9RQ, does not belong to the access token printed next to it.)
    let value = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    assert_eq!(jose::half_hash("RS256", value).unwrap(), "LDktKdoQak3Pk0cnXxCltA");
    let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNjC3tBqoCt4R4R6_84Lx";
    assert_eq!(jose::half_hash("RS256", access_token).unwrap(), "1jgKzGyQ2pyB9SAxUN1uBA");
    let by_hand = URL_SAFE_NO_PAD.encode(&Sha256::digest(value)[..16]);
    assert_eq!(jose::half_hash("ES256", value).unwrap(), by_hand);
    assert_eq!(jose::half_hash("PS256", value).unwrap(), by_hand);
    assert_eq!(URL_SAFE_NO_PAD.decode(jose::half_hash("RS384", value).unwrap()).unwrap().len(), 24);
    assert_eq!(URL_SAFE_NO_PAD.decode(jose::half_hash("EdDSA", value).unwrap()).unwrap().len(), 32);
    assert!(matches!(jose::half_hash("none", value), Err(KeyError::UnsupportedAlg(_))));
}

#[test]
fn peek_header_reads_jws_and_jwe_headers_only() {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA-OAEP","enc":"A256CBC-HS512"}"#);
    assert_eq!(jose::peek_header(&format!("{header}.a.b.c.d")).unwrap()["enc"], "A256CBC-HS512");
    assert!(matches!(jose::peek_header("not-a-token"), Err(KeyError::Malformed(_))));
    assert!(matches!(jose::peek_header("%%%.a.b"), Err(KeyError::Malformed(_))));
}

#[test]
fn kid_dates_are_utc_calendar_dates() {
    assert_eq!(super::ring::date(0), "19700101");
    assert_eq!(super::ring::date(NOW), "20231114");
    assert_eq!(super::ring::date(951_782_400), "20000229");
}

#[test]
fn key_ring_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<KeyRing>();
}

#[test]
fn verify_with_jwks_supports_every_client_alg() {
    let algs = [Alg::Rs384, Alg::Rs512, Alg::Ps256, Alg::Ps384, Alg::Ps512, Alg::Es384, Alg::Es512];
    let keys: Vec<(alg::Signer, Value)> = algs.iter().map(|alg| client_key(*alg, alg.name())).collect();
    let jwks = json!({"keys": keys.iter().map(|(_, jwk)| jwk.clone()).collect::<Vec<_>>()});
    for (alg, (signer, _)) in algs.iter().zip(&keys) {
        let (header, _) = jose::verify_with_jwks(&client_token(signer, json!({})), &jwks, &[alg.name()]).unwrap();
        assert_eq!(header["alg"], alg.name());
    }
}
