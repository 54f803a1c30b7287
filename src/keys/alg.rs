//! The JWS algorithms identita knows, and the one place that maps them onto josekit.
//!
//! Everything josekit-specific about keys (generation, building signers and verifiers from a JWK)
//! lives here, so that swapping the JOSE library touches this file and little else. HMAC is done
//! with the `hmac` crate instead, because josekit compares MACs in variable time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use josekit::jwk::{self, Jwk, KeyPair};
use josekit::jws::{self, JwsSigner, JwsVerifier};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};

use super::KeyError;

/// A JWS `alg` value identita can sign or verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    EdDsa,
    Hs256,
    Hs384,
    Hs512,
}

/// The algorithms the key ring holds a key for, in the order they are advertised (RS256 first,
/// as OpenID Connect requires it to be supported).
pub(crate) const RING_ALGS: [Alg; 4] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa];

/// The digest behind an algorithm, used for `at_hash`, `c_hash` and `s_hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    Sha256,
    Sha384,
    Sha512,
}

const RSA_BITS: u32 = 2048;

impl Alg {
    const ALL: [Alg; 13] = [
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::Es384,
        Alg::Es512,
        Alg::EdDsa,
        Alg::Hs256,
        Alg::Hs384,
        Alg::Hs512,
    ];

    /// The algorithm named `name` (case-sensitive, as in a JOSE header); `None` for anything
    /// unknown, including `none`.
    pub(crate) fn parse(name: &str) -> Option<Alg> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Es512 => "ES512",
            Alg::EdDsa => "EdDSA",
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
        }
    }

    /// The JWK `kty` of the keys this algorithm uses.
    pub(crate) fn kty(self) -> &'static str {
        match self {
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => "RSA",
            Alg::Es256 | Alg::Es384 | Alg::Es512 => "EC",
            Alg::EdDsa => "OKP",
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => "oct",
        }
    }

    /// The hash for the OpenID Connect half-hashes: the one the algorithm signs with, and
    /// SHA-512 for EdDSA (Ed25519 hashes with SHA-512 internally).
    pub(crate) fn digest(self) -> Digest {
        match self {
            Alg::Rs256 | Alg::Ps256 | Alg::Es256 | Alg::Hs256 => Digest::Sha256,
            Alg::Rs384 | Alg::Ps384 | Alg::Es384 | Alg::Hs384 => Digest::Sha384,
            Alg::Rs512 | Alg::Ps512 | Alg::Es512 | Alg::Hs512 | Alg::EdDsa => Digest::Sha512,
        }
    }

    /// A fresh private key for this algorithm as a JWK object (RSA 2048, P-256/384/521, Ed25519).
    pub(crate) fn generate(self) -> Result<Map<String, Value>, KeyError> {
        let failed = |e: josekit::JoseError| KeyError::Crypto(format!("generating a {} key failed: {e}", self.name()));
        let jwk = match self {
            Alg::Rs256 => jws::RS256.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Rs384 => jws::RS384.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Rs512 => jws::RS512.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Ps256 => jws::PS256.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Ps384 => jws::PS384.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Ps512 => jws::PS512.generate_key_pair(RSA_BITS).map_err(failed)?.to_jwk_key_pair(),
            Alg::Es256 => jws::ES256.generate_key_pair().map_err(failed)?.to_jwk_key_pair(),
            Alg::Es384 => jws::ES384.generate_key_pair().map_err(failed)?.to_jwk_key_pair(),
            Alg::Es512 => jws::ES512.generate_key_pair().map_err(failed)?.to_jwk_key_pair(),
            Alg::EdDsa => jws::EdDSA.generate_key_pair(jwk::Ed25519).map_err(failed)?.to_jwk_key_pair(),
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => return Err(KeyError::UnsupportedAlg(self.name().to_owned())),
        };
        Ok(jwk.into())
    }

    /// A signer for the private key `jwk` (a JWK object), parsed once here.
    pub(crate) fn signer(self, jwk: &Map<String, Value>) -> Result<Signer, KeyError> {
        let jwk = Jwk::from_map(jwk.clone()).map_err(|e| KeyError::Invalid(format!("not a JWK: {e}")))?;
        let invalid = |e: josekit::JoseError| KeyError::Invalid(format!("not a {} private key: {e}", self.name()));
        let inner: Box<dyn JwsSigner> = match self {
            Alg::Rs256 => Box::new(jws::RS256.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Rs384 => Box::new(jws::RS384.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Rs512 => Box::new(jws::RS512.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps256 => Box::new(jws::PS256.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps384 => Box::new(jws::PS384.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps512 => Box::new(jws::PS512.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es256 => Box::new(jws::ES256.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es384 => Box::new(jws::ES384.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es512 => Box::new(jws::ES512.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::EdDsa => Box::new(jws::EdDSA.signer_from_jwk(&jwk).map_err(invalid)?),
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => return Err(KeyError::UnsupportedAlg(self.name().to_owned())),
        };
        Ok(Signer { alg: self, inner })
    }

    /// A verifier for the key `jwk` (a JWK object). Its `kid` is ignored: callers choose keys.
    pub(crate) fn verifier(self, jwk: &Map<String, Value>) -> Result<Verifier, KeyError> {
        let mut jwk = jwk.clone();
        jwk.remove("kid");
        if matches!(self, Alg::Hs256 | Alg::Hs384 | Alg::Hs512) {
            return hmac_key(&jwk).map(|key| Verifier::Hmac(self, key));
        }
        let jwk = Jwk::from_map(jwk).map_err(|e| KeyError::Invalid(format!("not a JWK: {e}")))?;
        let invalid = |e: josekit::JoseError| KeyError::Invalid(format!("not a {} public key: {e}", self.name()));
        let verifier: Box<dyn JwsVerifier> = match self {
            Alg::Rs256 => Box::new(jws::RS256.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Rs384 => Box::new(jws::RS384.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Rs512 => Box::new(jws::RS512.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps256 => Box::new(jws::PS256.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps384 => Box::new(jws::PS384.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Ps512 => Box::new(jws::PS512.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es256 => Box::new(jws::ES256.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es384 => Box::new(jws::ES384.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Es512 => Box::new(jws::ES512.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::EdDsa => Box::new(jws::EdDSA.verifier_from_jwk(&jwk).map_err(invalid)?),
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => return Err(KeyError::UnsupportedAlg(self.name().to_owned())),
        };
        Ok(Verifier::Public(verifier))
    }
}

/// The secret of an `oct` JWK. The error never repeats the value, which is a shared secret.
fn hmac_key(jwk: &Map<String, Value>) -> Result<Vec<u8>, KeyError> {
    let k = jwk.get("k").and_then(Value::as_str).ok_or_else(|| KeyError::Invalid("oct key without k".into()))?;
    let key =
        URL_SAFE_NO_PAD.decode(k).map_err(|_| KeyError::Invalid("oct key with a k that is not base64url".into()))?;
    if key.is_empty() {
        return Err(KeyError::Invalid("oct key with an empty k".into()));
    }
    Ok(key)
}

/// A key that checks signatures of one algorithm.
pub(crate) enum Verifier {
    Public(Box<dyn JwsVerifier>),
    Hmac(Alg, Vec<u8>),
}

impl Verifier {
    /// Whether `signature` is valid over `message` (the ASCII `header.payload` of a compact JWS).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Public(verifier) => verifier.verify(message, signature).is_ok(),
            Verifier::Hmac(alg, key) => match alg.digest() {
                Digest::Sha256 => mac_ok::<Hmac<Sha256>>(key, message, signature),
                Digest::Sha384 => mac_ok::<Hmac<Sha384>>(key, message, signature),
                Digest::Sha512 => mac_ok::<Hmac<Sha512>>(key, message, signature),
            },
        }
    }
}

/// Compares the MAC in constant time (`verify_slice`).
fn mac_ok<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match <M as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        Err(_) => false,
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verifier::Public(verifier) => write!(f, "Verifier({})", verifier.algorithm().name()),
            Verifier::Hmac(alg, _) => write!(f, "Verifier({}, <secret>)", alg.name()),
        }
    }
}

/// The public half of the private key `jwk`: `kty` and n, e / crv, x, y / crv, x, nothing else.
pub(crate) fn public_jwk(jwk: &Map<String, Value>) -> Result<Map<String, Value>, KeyError> {
    let jwk = Jwk::from_map(jwk.clone()).map_err(|e| KeyError::Invalid(format!("not a JWK: {e}")))?;
    let public = jwk.to_public_key().map_err(|e| KeyError::Invalid(format!("no public key: {e}")))?;
    let mut public: Map<String, Value> = public.into();
    public.remove("use");
    Ok(public)
}

/// A private key parsed into a ready-to-use signer.
pub(crate) struct Signer {
    alg: Alg,
    inner: Box<dyn JwsSigner>,
}

impl Signer {
    /// A compact JWS over `payload`; `header` gets this key's `alg` (whatever it said).
    pub(crate) fn sign_compact(&self, mut header: Map<String, Value>, payload: &[u8]) -> Result<String, KeyError> {
        header.insert("alg".into(), self.alg.name().into());
        let header = serde_json::to_vec(&header).map_err(|e| KeyError::Crypto(e.to_string()))?;
        let mut jws = URL_SAFE_NO_PAD.encode(header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut jws);
        let signature = self.inner.sign(jws.as_bytes()).map_err(|e| KeyError::Crypto(e.to_string()))?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
        Ok(jws)
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({}, <private key>)", self.alg.name())
    }
}
