//! The bounding operations, measured on this machine with the crates and settings identita
//! uses: one argon2id password check as identita does it (what a password or NIA ID login
//! costs), one RS256 and one ES256 signature over an ID token's claims (what a code exchange
//! costs), one check of an eObčanka card's ECDSA P-256 signature (what a card login costs, and a
//! MEG login too: identita checks a MEG device's approval with the same ring call), and
//! one check of a security key's ECDSA P-256 signature (what a mojeID login costs after its
//! password). Run it pinned to the server's core.
//!
//! The card's and the key's checks are the same mathematics by different code: identita checks a
//! card with ring, and a key through webauthn-rs, which uses RustCrypto's `p256`; each is
//! measured with the crate that does it.

use std::time::{Duration, Instant};

use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use josekit::jws::{self, JwsSigner};
use serde::Serialize;

use crate::http::Error;
use crate::load::cpu_seconds;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Bounds {
    /// argon2id verifications per second, and the parameters.
    pub argon2id_per_second: f64,
    pub argon2id_params: String,
    pub rs256_per_second: f64,
    pub es256_per_second: f64,
    /// Checks of a card's signature of a login challenge (ring, as identita checks it).
    #[serde(default)]
    pub card_check_per_second: f64,
    /// The same rates per second of this process's CPU time, unaffected by sharing the core.
    pub argon2id_per_cpu_second: f64,
    pub rs256_per_cpu_second: f64,
    pub es256_per_cpu_second: f64,
    #[serde(default)]
    pub card_check_per_cpu_second: f64,
    /// Checks of a security key's assertion signature (p256, as webauthn-rs checks it).
    #[serde(default)]
    pub key_check_per_second: f64,
    #[serde(default)]
    pub key_check_per_cpu_second: f64,
    /// A SAML response's cryptography: one RSA-3072 rsa-sha256 signature (the face's key) and
    /// one RSA-OAEP wrap of an AES-256 key to a 2048-bit key (the bench SP's), in turn (openssl).
    #[serde(default)]
    pub saml_response_per_second: f64,
    #[serde(default)]
    pub saml_response_per_cpu_second: f64,
}

/// Operations per second of wall-clock time and per second of CPU time.
struct Rate {
    wall: f64,
    cpu: f64,
}

/// Calls `op` for at least `time` (and at least 20 times) and returns its rates.
fn rate(time: Duration, mut op: impl FnMut() -> Result<(), Error>) -> Result<Rate, Error> {
    for _ in 0..3 {
        op()?;
    }
    let pid = std::process::id();
    let (start, cpu_start) = (Instant::now(), cpu_seconds(pid)?);
    let mut n = 0u64;
    while start.elapsed() < time || n < 20 {
        op()?;
        n += 1;
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds(pid)? - cpu_start);
    Ok(Rate { wall: n as f64 / wall, cpu: if cpu > 0.0 { n as f64 / cpu } else { f64::NAN } })
}

/// A signing input the size of an ID token's (header and claims, base64url).
fn id_token_input() -> Vec<u8> {
    use base64::Engine;
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:8080", "sub": "0b5cf6a0-8d2c-4c3e-9f0e-7a1d2b3c4d5e", "aud": "bench-rs256",
        "exp": 1_800_000_000, "iat": 1_799_996_400, "auth_time": 1_799_996_400,
        "acr": "http://eidas.europa.eu/LoA/low", "amr": ["pwd"], "azp": "bench-rs256",
        "sid": "Vx3kq0yZrL9mB1cN2dE4fG5hI6jK7lM8", "nonce": "bench-nonce",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "name": "Bench User 0", "email": "bench0@bench.example",
    });
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", b64.encode(r#"{"kid":"k","alg":"RS256"}"#), b64.encode(claims.to_string())).into_bytes()
}

fn sign_rate(signer: &dyn JwsSigner, time: Duration) -> Result<Rate, Error> {
    let input = id_token_input();
    rate(time, || {
        signer.sign(&input)?;
        Ok(())
    })
}

pub fn measure(memory_kib: u32, iterations: u32, parallelism: u32, time: Duration) -> Result<Bounds, Error> {
    let params = Params::new(memory_kib, iterations, parallelism, None).map_err(|e| e.to_string())?;
    // As identita checks a password: the salt and parameters from the stored PHC string, the
    // work in memory kept from the check before (so no allocation is counted).
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let stored = argon.hash_password(b"bench0-correct-horse-battery").map_err(|e| e.to_string())?.to_string();
    let mut memory = vec![Block::new(); params.block_count()];
    let argon2id = rate(time, || {
        let parsed = PasswordHash::new(&stored).map_err(|e| e.to_string())?;
        let salt = parsed.salt.as_ref().ok_or("no salt")?;
        let expected = parsed.hash.as_ref().ok_or("no hash")?.as_bytes();
        let mut computed = vec![0u8; expected.len()];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::try_from(&parsed).map_err(|e| e.to_string())?)
            .hash_password_into_with_memory(b"bench0-correct-horse-battery", salt, &mut computed, &mut memory[..])
            .map_err(|e| e.to_string())?;
        if computed != expected {
            return Err("the argon2id check failed".into());
        }
        Ok(())
    })?;

    let rsa = jws::RS256.generate_key_pair(2048)?.to_jwk_key_pair();
    let rs256 = sign_rate(&jws::RS256.signer_from_jwk(&rsa)?, time)?;
    let ec = jws::ES256.generate_key_pair()?.to_jwk_key_pair();
    let es256 = sign_rate(&jws::ES256.signer_from_jwk(&ec)?, time)?;
    let card_check = card_check_rate(time)?;
    let key_check = key_check_rate(time)?;
    let saml_response = saml_response_rate(time)?;
    Ok(Bounds {
        argon2id_per_second: argon2id.wall,
        argon2id_params: format!("m={memory_kib} KiB, t={iterations}, p={parallelism}"),
        rs256_per_second: rs256.wall,
        es256_per_second: es256.wall,
        argon2id_per_cpu_second: argon2id.cpu,
        rs256_per_cpu_second: rs256.cpu,
        es256_per_cpu_second: es256.cpu,
        card_check_per_second: card_check.wall,
        card_check_per_cpu_second: card_check.cpu,
        key_check_per_second: key_check.wall,
        key_check_per_cpu_second: key_check.cpu,
        saml_response_per_second: saml_response.wall,
        saml_response_per_cpu_second: saml_response.cpu,
    })
}

/// As identita makes a SAML response's cryptography (openssl, which xmlsec signs with): the
/// signature over a `SignedInfo` with the face's RSA-3072 key (`saml/keys.rs`), and a fresh
/// AES-256 key wrapped with RSA-OAEP (MGF1, SHA-1) to the SP's RSA-2048 key (`saml/encrypt.rs`).
/// The digests and the AES-CBC of the assertion are left out: they cost little beside these.
fn saml_response_rate(time: Duration) -> Result<Rate, Error> {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::{Padding, Rsa};
    let idp = PKey::from_rsa(Rsa::generate(3072)?)?;
    let sp = Rsa::public_key_from_der(&Rsa::generate(2048)?.public_key_to_der()?)?;
    let signed_info = r##"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_0123456789abcdef0123456789abcdef"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ds:DigestValue></ds:Reference></ds:SignedInfo>"##;
    let mut wrapped = vec![0u8; usize::try_from(sp.size())?];
    rate(time, || {
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &idp)?;
        signer.update(signed_info.as_bytes())?;
        signer.sign_to_vec()?;
        let mut key = [0u8; 32];
        openssl::rand::rand_bytes(&mut key)?;
        sp.public_encrypt(&key, &mut wrapped, Padding::PKCS1_OAEP)?;
        Ok(())
    })
}

/// As webauthn-rs checks a security key's answer: the DER signature parsed, then ECDSA P-256
/// with SHA-256 (RustCrypto's `p256`, the crate and version webauthn-rs verifies with) over the
/// authenticator data and the SHA-256 of the client data.
fn key_check_rate(time: Duration) -> Result<Rate, Error> {
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    let key = crate::authenticator::SecurityKey::generate()?;
    let options = serde_json::json!({ "publicKey": {
        "challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "rpId": "localhost",
        "allowCredentials": [{ "type": "public-key", "id": key.credential_id() }],
    }});
    let answer = key.assert(&options, "http://localhost:18080")?;
    let decode = |name: &str| -> Result<Vec<u8>, Error> {
        use base64::Engine;
        let text = answer["response"][name].as_str().ok_or_else(|| format!("an answer without {name}"))?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text)?)
    };
    let (auth_data, client_data, signature) =
        (decode("authenticatorData")?, decode("clientDataJSON")?, decode("signature")?);
    let public = VerifyingKey::from_sec1_bytes(&key.public_point()).map_err(|e| format!("the key: {e}"))?;
    rate(time, || {
        let mut signed = auth_data.clone();
        signed.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, &client_data).as_ref());
        let signature = Signature::from_der(&signature).map_err(|e| format!("the signature: {e}"))?;
        public.verify(&signed, &signature).map_err(|_| "the key signature check failed".into())
    })
}

/// As identita checks a card's answer: the public key from the register (an uncompressed point),
/// the signature (ASN.1 DER) over the challenge's URL, both base64url-decoded, then ECDSA P-256.
fn card_check_rate(time: Duration) -> Result<Rate, Error> {
    use base64::Engine;
    use ring::signature::{self, EcdsaKeyPair, KeyPair};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|e| format!("a card key: {e}"))?;
    let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|e| format!("a card key: {e}"))?;
    let url = "http://127.0.0.1:18080/login/card/0123456789abcdef0123456789abcdef/0123456789abcdef01234567";
    let message = crate::card::signed_message(url);
    let public = b64.encode(key.public_key().as_ref());
    let signed = b64.encode(key.sign(&rng, &message).map_err(|e| format!("signing: {e}"))?.as_ref());
    rate(time, || {
        let (public, signed) = (b64.decode(&public)?, b64.decode(&signed)?);
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, public)
            .verify(&message, &signed)
            .map_err(|_| "the card signature check failed".into())
    })
}
