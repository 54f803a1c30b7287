//! The SAML service provider the SAML SSO scenario plays: an RSA-2048 key with a self-signed
//! certificate (openssl, as the hand-made SP of identita's tests), its metadata for `identita
//! saml sp add`, and its AuthnRequests over HTTP-Redirect, signed over the query (rsa-sha256).
//! `identita-bench saml-sp --out DIR` writes the key and the metadata; `run --scenario
//! saml-sso --saml-sp DIR` reads the key back.

use std::io::Write as _;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};

use crate::http::{Error, encode};

/// The SP's entityID.
pub const ENTITY_ID: &str = "https://bench-sp.example/saml";
/// Its assertion consumer service (never called: the generator reads the form).
pub const ACS: &str = "http://127.0.0.1:9/saml/acs";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const KEY_FILE: &str = "sp.key.pem";
const METADATA_FILE: &str = "metadata.xml";

pub struct ServiceProvider {
    key: PKey<Private>,
}

impl ServiceProvider {
    /// A new SP: writes its key and its metadata into `dir`, and returns the metadata's path.
    pub fn create(dir: &Path) -> Result<serde_json::Value, Error> {
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048)?)?;
        let cert = self_signed(&key)?;
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(KEY_FILE), key.private_key_to_pem_pkcs8()?)?;
        let metadata = dir.join(METADATA_FILE);
        std::fs::write(&metadata, metadata_of(&cert))?;
        Ok(serde_json::json!({ "entity_id": ENTITY_ID, "metadata": metadata }))
    }

    /// The SP whose key `create` wrote into `dir`.
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let pem = std::fs::read(dir.join(KEY_FILE)).map_err(|e| format!("{}: {e}", dir.join(KEY_FILE).display()))?;
        Ok(Self { key: PKey::private_key_from_pem(&pem)? })
    }

    /// The path and query of a signed HTTP-Redirect AuthnRequest with `id` to the SSO URL
    /// `sso` (the face's, as its issuer names it: the request's `Destination`), asking for no
    /// level in particular (a password session's low serves it).
    pub fn redirect_path(&self, sso: &str, sso_path: &str, id: &str, now: i64) -> Result<String, Error> {
        let instant = instant_of(now);
        let xml = format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{sso}" AssertionConsumerServiceURL="{ACS}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{ENTITY_ID}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/></samlp:AuthnRequest>"#
        );
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflate.write_all(xml.as_bytes())?;
        let message = STANDARD.encode(deflate.finish()?);
        let mut query =
            format!("SAMLRequest={}&RelayState={}&SigAlg={}", encode(&message), encode("bench"), encode(RSA_SHA256));
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(query.as_bytes())?;
        query.push_str(&format!("&Signature={}", encode(&STANDARD.encode(signer.sign_to_vec()?))));
        Ok(format!("{sso_path}?{query}"))
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` of a Unix time (days to a civil date, Howard Hinnant's algorithm).
fn instant_of(now: i64) -> String {
    let (days, secs) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn self_signed(key: &PKey<Private>) -> Result<String, Error> {
    use openssl::x509::{X509, X509NameBuilder};
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", "identita-bench SP")?;
    let name = name.build();
    let mut cert = X509::builder()?;
    cert.set_version(2)?;
    cert.set_subject_name(&name)?;
    cert.set_issuer_name(&name)?;
    cert.set_pubkey(key)?;
    cert.set_not_before(&*openssl::asn1::Asn1Time::days_from_now(0)?)?;
    cert.set_not_after(&*openssl::asn1::Asn1Time::days_from_now(30)?)?;
    cert.sign(key, MessageDigest::sha256())?;
    Ok(STANDARD.encode(cert.build().to_der()?))
}

/// The SP's metadata: signed requests, the key for both signing and encryption, and assertions
/// not signed apart (the Response is): one signature per response, as the bound counts.
fn metadata_of(cert: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{ENTITY_ID}"><md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions><eidas:SPType xmlns:eidas="http://eidas.europa.eu/saml-extensions">public</eidas:SPType></md:Extensions><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="1" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn instants_are_civil_dates() {
        assert_eq!(super::instant_of(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::instant_of(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(super::instant_of(951_782_400), "2000-02-29T00:00:00Z");
    }
}
