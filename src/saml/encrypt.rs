//! XML Encryption of an assertion to a service provider (reference §3.4, saml_stack §3 step 7),
//! as NIA does it: the content with AES-256-CBC under a fresh key, the key with RSA-OAEP-MGF1P
//! (SHA-1) to the SP's encryption certificate, which the `EncryptedKey` names. samael cannot
//! encrypt, so this is openssl.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::rsa::Padding;
use openssl::symm::Cipher;

use super::SamlError;

/// `assertion` (a standalone `saml:Assertion` element) as a `saml:EncryptedAssertion` for the
/// holder of `cert_b64` (base64 DER).
pub(crate) fn encrypt_assertion(assertion: &str, cert_b64: &str) -> Result<String, SamlError> {
    let crypto = |e: openssl::error::ErrorStack| SamlError::Encryption(e.to_string());
    let der = STANDARD.decode(cert_b64).map_err(|_| SamlError::Encryption("the certificate is not base64".into()))?;
    let rsa = openssl::x509::X509::from_der(&der)
        .and_then(|cert| cert.public_key())
        .and_then(|key| key.rsa())
        .map_err(|_| SamlError::Encryption("the service provider's encryption certificate holds no RSA key".into()))?;
    let mut key = [0u8; 32];
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut key).map_err(crypto)?;
    openssl::rand::rand_bytes(&mut iv).map_err(crypto)?;
    // PKCS#7 padding is a valid XML Encryption padding (its last octet gives the length).
    let ciphertext =
        openssl::symm::encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), assertion.as_bytes()).map_err(crypto)?;
    let mut wrapped = vec![0u8; usize::try_from(rsa.size()).unwrap_or(512)];
    let length = rsa.public_encrypt(&key, &mut wrapped, Padding::PKCS1_OAEP).map_err(crypto)?;
    wrapped.truncate(length);
    let data = STANDARD.encode([&iv[..], &ciphertext].concat());
    Ok(format!(
        r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
        cert = cert_b64,
        key = STANDARD.encode(&wrapped),
    ))
}
