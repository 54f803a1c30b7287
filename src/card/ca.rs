//! identita's card CA: a P-256 key and a self-signed certificate in the keys directory
//! (`card-ca.key`, `card-ca.pem`, owner-only), made by the first `identita card issue`. It
//! certifies each card's key; the server trusts its own card register, the certificate is
//! what the card shows.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};

use crate::clock::Timestamp;

pub const KEY_FILE: &str = "card-ca.key";
pub const CERT_FILE: &str = "card-ca.pem";

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("the card CA: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("a date out of range")]
    Date,
}

/// The card CA, loaded or made.
pub struct CardCa {
    issuer: Issuer<'static, KeyPair>,
}

/// A card's key and certificate, fresh from the CA.
pub struct Issued {
    pub key: KeyPair,
    pub certificate: String,
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "identita eObcanka CA");
    name.push(DnType::OrganizationName, "identita");
    name.push(DnType::CountryName, "CZ");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn date(at: Timestamp) -> Result<time::OffsetDateTime, CaError> {
    time::OffsetDateTime::from_unix_timestamp(at).map_err(|_| CaError::Date)
}

impl CardCa {
    /// The CA in `keys_dir`, made there (key and certificate, owner-only) when missing.
    pub fn open_or_create(keys_dir: &Path, now: Timestamp) -> Result<CardCa, CaError> {
        let key_file = keys_dir.join(KEY_FILE);
        let key = match std::fs::read_to_string(&key_file) {
            Ok(pem) => KeyPair::from_pem(&pem)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
                let mut params = ca_params();
                params.not_before = date(now)?;
                params.not_after = date(now + 30 * 365 * 86_400)?;
                let certificate = params.self_signed(&key)?;
                write_private(&key_file, key.serialize_pem().as_bytes())?;
                write_private(&keys_dir.join(CERT_FILE), certificate.pem().as_bytes())?;
                key
            }
            Err(e) => return Err(CaError::Io(key_file, e)),
        };
        Ok(CardCa { issuer: Issuer::new(ca_params(), key) })
    }

    /// A new card key and its certificate for card `number`, valid from `now` to `valid_until`.
    pub fn issue(&self, number: &str, now: Timestamp, valid_until: Timestamp) -> Result<Issued, CaError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, format!("eObcanka {number}"));
        params.serial_number = Some(rcgen::SerialNumber::from_slice(number.as_bytes()));
        name.push(DnType::CountryName, "CZ");
        params.distinguished_name = name;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = date(now)?;
        params.not_after = date(valid_until)?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        Ok(Issued { key, certificate: certificate.pem() })
    }
}

/// Writes a file only its owner may read, replacing it whole (a temporary file renamed).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CaError> {
    let failed = |e| CaError::Io(path.to_path_buf(), e);
    let temp = path.with_extension("tmp");
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temp).map_err(failed)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(failed)?;
    std::fs::rename(&temp, path).map_err(failed)
}
