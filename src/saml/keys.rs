//! The identity provider's SAML signing key and its self-signed certificate, kept beside the
//! face's JSON Web Keys (`<keys dir>/saml/`): read at start when it exists, else made once, when
//! the face first serves SAML (every standard face serves it, and most never get a request:
//! an RSA-3072 key a start would slow every start), and read back on every start after.
//! Service providers pin the certificate from the metadata, so it is not rotated with the JWKS.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};

use crate::keys::KeyError;

const KEY_FILE: &str = "signing.key.pem";
const CERT_FILE: &str = "signing.crt.pem";
/// Ten years: a service provider configured once keeps working.
const VALID_DAYS: u32 = 3650;

/// The key the face signs its SAML metadata and responses with.
#[derive(Clone)]
pub struct IdpKey {
    /// PKCS#8 DER, as xmlsec (through samael) reads it.
    pub(crate) pkcs8_der: Vec<u8>,
    /// The certificate, base64 DER, as `ds:X509Certificate` carries it.
    pub(crate) cert_b64: String,
}

impl std::fmt::Debug for IdpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpKey").field("cert_b64", &self.cert_b64).finish_non_exhaustive()
    }
}

/// A face's [`IdpKey`]: loaded at start if it exists, else made on first use.
pub struct SamlKey {
    dir: PathBuf,
    subject: String,
    key: OnceLock<IdpKey>,
}

impl std::fmt::Debug for SamlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlKey").field("dir", &self.dir).field("key", &self.key.get()).finish()
    }
}

impl SamlKey {
    /// The key in `dir`, read now when it is there (a corrupt one fails the start), else made
    /// with a certificate for `subject` when first asked for.
    pub fn open(dir: &Path, subject: &str) -> Result<Self, KeyError> {
        let key = OnceLock::new();
        if dir.join(KEY_FILE).exists() {
            let _ = key.set(IdpKey::load_or_create(dir, subject)?);
        }
        Ok(Self { dir: dir.to_owned(), subject: subject.to_owned(), key })
    }

    /// The key, made and written first if it does not exist yet.
    pub(crate) fn get(&self) -> Result<&IdpKey, KeyError> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let made = IdpKey::load_or_create(&self.dir, &self.subject)?;
        Ok(self.key.get_or_init(|| made))
    }
}

impl IdpKey {
    /// The key in `dir` (`<keys dir>/saml/`), made with a certificate for `subject` when missing.
    pub fn load_or_create(dir: &Path, subject: &str) -> Result<Self, KeyError> {
        let (key_path, cert_path) = (dir.join(KEY_FILE), dir.join(CERT_FILE));
        if !key_path.exists() {
            create(dir, subject)?;
        }
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |e: std::io::Error| KeyError::Io(format!("reading {path}: {e}"))
        };
        let key_pem = std::fs::read(&key_path).map_err(io(&key_path))?;
        let cert_pem = std::fs::read(&cert_path).map_err(io(&cert_path))?;
        let corrupt = |file: &str| {
            let file = file.to_owned();
            move |e: openssl::error::ErrorStack| KeyError::Corrupt { file: file.clone(), reason: e.to_string() }
        };
        let key = PKey::private_key_from_pem(&key_pem).map_err(corrupt(KEY_FILE))?;
        let cert = X509::from_pem(&cert_pem).map_err(corrupt(CERT_FILE))?;
        Ok(Self {
            pkcs8_der: key.private_key_to_pkcs8().map_err(corrupt(KEY_FILE))?,
            cert_b64: STANDARD.encode(cert.to_der().map_err(corrupt(CERT_FILE))?),
        })
    }
}

fn crypto(e: openssl::error::ErrorStack) -> KeyError {
    KeyError::Crypto(e.to_string())
}

/// Writes a new RSA-3072 key (0600) and its self-signed certificate into `dir`.
fn create(dir: &Path, subject: &str) -> Result<(), KeyError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| KeyError::Io(format!("creating {}: {e}", dir.display())))?;
    let key = PKey::from_rsa(Rsa::generate(3072).map_err(crypto)?).map_err(crypto)?;
    let cert = self_signed(&key, subject).map_err(crypto)?;
    write(&dir.join(CERT_FILE), &cert.to_pem().map_err(crypto)?, 0o644)?;
    write(&dir.join(KEY_FILE), &key.private_key_to_pem_pkcs8().map_err(crypto)?, 0o600)
}

fn self_signed(key: &PKey<Private>, subject: &str) -> Result<X509, openssl::error::ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    // A common name holds at most 64 characters.
    name.append_entry_by_text("CN", &subject.chars().take(64).collect::<String>())?;
    name.append_entry_by_text("O", "identita")?;
    let name = name.build();
    let mut serial = BigNum::new()?;
    serial.rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false)?;
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = serial.to_asn1_integer()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(&name)?;
    builder.set_pubkey(key)?;
    let (not_before, not_after) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(VALID_DAYS)?);
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;
    builder.sign(key, MessageDigest::sha256())?;
    Ok(builder.build())
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .map_err(|e| KeyError::Io(format!("writing {}: {e}", path.display())))
}
