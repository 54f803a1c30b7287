//! XML Encryption of an assertion to a service provider (reference §3.4, saml_stack §3 step 7),
//! as NIA does it: the content with AES-256-CBC under a fresh key, the key with RSA-OAEP-MGF1P
//! (SHA-1) to the SP's encryption certificate, which the `EncryptedKey` names by issuer and serial
//! number inside a WS-Security `SecurityTokenReference`, NIA's spelling. samael cannot encrypt, so
//! this is openssl.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::rsa::Padding;
use openssl::symm::Cipher;

use super::SamlError;
use super::xml::escape;

/// `assertion` (a standalone `saml:Assertion` element) as a `saml:EncryptedAssertion` for the
/// holder of `cert_b64` (base64 DER).
pub(crate) fn encrypt_assertion(assertion: &str, cert_b64: &str) -> Result<String, SamlError> {
    let crypto = |e: openssl::error::ErrorStack| SamlError::Encryption(e.to_string());
    let der = STANDARD.decode(cert_b64).map_err(|_| SamlError::Encryption("the certificate is not base64".into()))?;
    let cert = openssl::x509::X509::from_der(&der)
        .map_err(|_| SamlError::Encryption("the encryption certificate is not a certificate".into()))?;
    let rsa = cert
        .public_key()
        .and_then(|key| key.rsa())
        .map_err(|_| SamlError::Encryption("the service provider's encryption certificate holds no RSA key".into()))?;
    let serial = cert.serial_number().to_bn().and_then(|n| n.to_dec_str()).map_err(crypto)?.to_string();
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
        r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><ds:KeyInfo><o:SecurityTokenReference xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{issuer}</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></o:SecurityTokenReference></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
        issuer = escape(&distinguished_name(cert.issuer_name())),
        key = STANDARD.encode(&wrapped),
    ))
}

/// A name as XML Signature's `X509IssuerName` writes it (RFC 2253: the most specific part first,
/// `CN=…, O=…`, a value with a special character quoted).
fn distinguished_name(name: &openssl::x509::X509NameRef) -> String {
    let parts: Vec<String> = name
        .entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("UNDEF");
            let value = entry.data().to_string().unwrap_or_default();
            let special = value.contains([',', '+', '"', '\\', '<', '>', ';']) || value.starts_with([' ', '#']);
            match special {
                true => format!("{key}=\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
                false => format!("{key}={value}"),
            }
        })
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_written_most_specific_first_with_special_values_quoted() {
        let mut name = openssl::x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("O", "CZ.NIC, z.s.p.o.").unwrap();
        name.append_entry_by_text("CN", "eidas-proxy-service.test").unwrap();
        assert_eq!(distinguished_name(&name.build()), r#"CN=eidas-proxy-service.test, O="CZ.NIC, z.s.p.o.""#);
    }
}
