//! A software security key for the mojeID + WebAuthn scenario: it answers the server's options
//! as a browser with a USB key does (`navigator.credentials.create` and `.get`, as identita's
//! page script serialises them). Registration gives attestation format `none` (no statement,
//! the model unstated: identita lists the key as of unknown model, substantial); each login's
//! authenticator data says the user was present and verified, and carries the key's signature
//! counter, one higher at each use.
//!
//! The CBOR the answers need is small (a map of three members and a COSE EC2 key), so it is
//! written here by hand: unsigned and negative integers, byte and text strings, maps.

use std::cell::Cell;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

use crate::http::Error;

/// Authenticator data flags (WebAuthn §6.1): user present, user verified, attested credential.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// One credential of a security key: its id, its P-256 key and its signature counter.
pub struct SecurityKey {
    id: Vec<u8>,
    key: EcdsaKeyPair,
    counter: Cell<u32>,
    rng: SystemRandom,
}

impl SecurityKey {
    /// A new credential: a random 32-byte id and a fresh P-256 key.
    pub fn generate() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let mut id = vec![0u8; 32];
        rng.fill(&mut id).map_err(|_| "no randomness")?;
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|e| format!("a key: {e}"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|e| format!("a key: {e}"))?;
        Ok(Self { id, key, counter: Cell::new(0), rng })
    }

    /// The credential id as the server lists it (base64url).
    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.id)
    }

    /// The answer to registration `options` (`{"publicKey": …}`) at `origin`, as the page posts it.
    pub fn register(&self, options: &Value, origin: &str) -> Result<Value, Error> {
        let options = options.get("publicKey").ok_or("registration options without publicKey")?;
        let rp_id = text(options, &["rp", "id"])?;
        let client_data = client_data("webauthn.create", text(options, &["challenge"])?, origin);
        let mut auth_data = authenticator_data(rp_id, UP | UV | AT, 0);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none stated
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&self.cose_key()?);
        let mut attestation = Vec::new();
        map(&mut attestation, 3);
        text_string(&mut attestation, "fmt");
        text_string(&mut attestation, "none");
        text_string(&mut attestation, "attStmt");
        map(&mut attestation, 0);
        text_string(&mut attestation, "authData");
        byte_string(&mut attestation, &auth_data);
        Ok(json!({
            "id": self.credential_id(), "rawId": self.credential_id(), "type": "public-key", "extensions": {},
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(&attestation),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "transports": ["usb"],
            },
        }))
    }

    /// The answer to login `options` at `origin`: the authenticator data (user present and
    /// verified, the next counter value) and the key's signature over it and the client data's
    /// SHA-256.
    pub fn assert(&self, options: &Value, origin: &str) -> Result<Value, Error> {
        let options = options.get("publicKey").ok_or("login options without publicKey")?;
        let allowed = options.get("allowCredentials").and_then(Value::as_array).ok_or("no allowCredentials")?;
        let mine = self.credential_id();
        if !allowed.iter().any(|c| c.get("id").and_then(Value::as_str) == Some(mine.as_str())) {
            return Err("the server does not ask for this key".into());
        }
        let client_data = client_data("webauthn.get", text(options, &["challenge"])?, origin);
        self.counter.set(self.counter.get() + 1);
        let auth_data = authenticator_data(text(options, &["rpId"])?, UP | UV, self.counter.get());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self.key.sign(&self.rng, &signed).map_err(|e| format!("signing: {e}"))?;
        Ok(json!({
            "id": mine, "rawId": mine, "type": "public-key", "extensions": {},
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": null,
            },
        }))
    }

    /// The public key as an uncompressed SEC1 point.
    pub fn public_point(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// The public key as COSE (RFC 9053): EC2, ES256, P-256, x and y.
    fn cose_key(&self) -> Result<Vec<u8>, Error> {
        let point = self.key.public_key().as_ref();
        if point.len() != 65 || point[0] != 4 {
            return Err("not an uncompressed P-256 point".into());
        }
        let mut out = Vec::new();
        map(&mut out, 5);
        integer(&mut out, 1); // kty: EC2
        integer(&mut out, 2);
        integer(&mut out, 3); // alg: ES256
        integer(&mut out, -7);
        integer(&mut out, -1); // crv: P-256
        integer(&mut out, 1);
        integer(&mut out, -2); // x
        byte_string(&mut out, &point[1..33]);
        integer(&mut out, -3); // y
        byte_string(&mut out, &point[33..]);
        Ok(out)
    }
}

/// The client data a browser makes (its JSON, as bytes).
fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }).to_string().into_bytes()
}

/// The relying party id's SHA-256, the flags and the signature counter.
fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut out = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    out
}

/// A string member at `path` of the options.
fn text<'a>(options: &'a Value, path: &[&str]) -> Result<&'a str, Error> {
    let mut value = options;
    for name in path {
        value = value.get(name).ok_or_else(|| format!("the options have no {}", path.join(".")))?;
    }
    value.as_str().ok_or_else(|| format!("{} is not a string", path.join(".")).into())
}

/// A CBOR head: major type and argument (RFC 8949 §3).
fn head(out: &mut Vec<u8>, major: u8, argument: u64) {
    let major = major << 5;
    match argument {
        0..=23 => out.push(major | argument as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, argument as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(argument as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(argument as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&argument.to_be_bytes());
        }
    }
}

fn integer(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        head(out, 0, value as u64);
    } else {
        head(out, 1, (-1 - value) as u64);
    }
}

fn byte_string(out: &mut Vec<u8>, bytes: &[u8]) {
    head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn text_string(out: &mut Vec<u8>, text: &str) {
    head(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn map(out: &mut Vec<u8>, pairs: u64) {
    head(out, 5, pairs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_heads_integers_and_strings_are_encoded_as_rfc_8949_says() {
        let mut out = Vec::new();
        integer(&mut out, 1);
        integer(&mut out, -7);
        integer(&mut out, 24);
        integer(&mut out, -1000);
        text_string(&mut out, "fmt");
        byte_string(&mut out, &[0xaa; 32]);
        map(&mut out, 0);
        let mut want = vec![0x01, 0x26, 0x18, 0x18, 0x39, 0x03, 0xe7, 0x63, b'f', b'm', b't', 0x58, 0x20];
        want.extend_from_slice(&[0xaa; 32]);
        want.push(0xa0);
        assert_eq!(out, want);
    }

    #[test]
    fn a_cose_key_is_an_ec2_es256_p256_map() {
        let key = SecurityKey::generate().unwrap();
        let cose = key.cose_key().unwrap();
        // a5 01 02 03 26 20 01 21 58 20 <x> 22 58 20 <y>
        assert_eq!(&cose[..10], &[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
        assert_eq!(&cose[42..45], &[0x22, 0x58, 0x20]);
        assert_eq!(cose.len(), 77);
    }

    #[test]
    fn each_login_counts_up_and_signs_what_webauthn_says() {
        let key = SecurityKey::generate().unwrap();
        let options = json!({ "publicKey": {
            "challenge": "Y2hhbGxlbmdl", "rpId": "localhost",
            "allowCredentials": [{ "type": "public-key", "id": key.credential_id() }],
        }});
        for counter in 1..=2u32 {
            let answer = key.assert(&options, "http://localhost:18080").unwrap();
            let decode = |name: &str| URL_SAFE_NO_PAD.decode(answer["response"][name].as_str().unwrap()).unwrap();
            let (auth_data, client_data) = (decode("authenticatorData"), decode("clientDataJSON"));
            assert_eq!(auth_data[32], UP | UV);
            assert_eq!(auth_data[33..37], counter.to_be_bytes());
            let mut signed = auth_data.clone();
            signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key.key.public_key())
                .verify(&signed, &decode("signature"))
                .unwrap();
        }
        let elsewhere = json!({ "publicKey": { "challenge": "x", "rpId": "localhost", "allowCredentials": [] } });
        assert!(key.assert(&elsewhere, "http://localhost:18080").is_err());
    }
}
