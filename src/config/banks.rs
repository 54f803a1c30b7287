//! `[[banks]]`: the banks whose identity a citizen may log in with (the `bank` means,
//! `crate::authn::bank`). Each is an upstream OpenID Provider at which identita is a registered
//! client. The operator configures these URLs, so unlike a client's they may be on loopback.
//!
//! ```toml
//! [[banks]]
//! id = "csas"
//! name = "Česká spořitelna"
//! issuer = "https://bankid.example"
//! client_id = "identita"
//! client_secret_file = "/run/secrets/bank-csas"
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::secret::Secret;

/// What identita asks of a bank unless told otherwise: the eIDAS level the bank means reaches.
pub(crate) const DEFAULT_ACR_VALUES: &str = "http://eidas.europa.eu/LoA/substantial";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankConfig {
    /// A short name in URLs and forms: lower-case letters, digits and `-`.
    pub id: String,
    /// The name the bank picker shows, e.g. "Česká spořitelna".
    pub name: String,
    /// The bank's issuer identifier; its discovery document is at
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret identita has at the bank; never logged.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<Secret>,
    /// Or a file holding it (surrounding whitespace ignored), read at start.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// The `acr_values` asked of the bank (space-separated; empty asks for none). Whatever is
    /// asked, an answer below substantial is refused.
    #[serde(default = "default_acr_values")]
    pub acr_values: String,
}

fn default_acr_values() -> String {
    DEFAULT_ACR_VALUES.to_owned()
}

/// The banks are usable: unique ids, https issuers (http only on loopback), one secret each.
pub(crate) fn validate(banks: &[BankConfig]) -> Result<(), ConfigError> {
    for (i, bank) in banks.iter().enumerate() {
        let invalid = |text: &str| Err(ConfigError::Invalid(format!("banks[{i}] ({}): {text}", bank.id)));
        let slug = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if bank.id.is_empty() || bank.id.len() > 40 || !bank.id.chars().all(slug) {
            return invalid("id must be 1 to 40 lower-case letters, digits or '-'");
        }
        if banks[..i].iter().any(|b| b.id == bank.id) {
            return invalid("id is used by another bank");
        }
        if bank.name.trim().is_empty() {
            return invalid("name is empty");
        }
        super::upstream::check(
            &bank.issuer,
            &bank.client_id,
            bank.client_secret.as_ref(),
            bank.client_secret_file.as_ref(),
        )
        .or_else(invalid)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank(id: &str, issuer: &str) -> BankConfig {
        BankConfig {
            id: id.into(),
            name: "Banka".into(),
            issuer: issuer.into(),
            client_id: "identita".into(),
            client_secret: Some(Secret::new("s3cret")),
            client_secret_file: None,
            acr_values: default_acr_values(),
        }
    }

    #[test]
    fn issuers_are_https_or_on_loopback() {
        validate(&[bank("a", "https://bank.example"), bank("b", "http://127.0.0.1:8081")]).unwrap();
        for bad in ["http://bank.example", "ftp://bank.example", "bank", "https://bank.example/?x=1"] {
            assert!(validate(&[bank("a", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_unique_slugs_and_the_secret_is_not_shown() {
        let err = validate(&[bank("a", "https://x.example"), bank("a", "https://y.example")]).unwrap_err();
        assert!(err.to_string().contains("another bank"), "{err}");
        assert!(validate(&[bank("Česká", "https://x.example")]).is_err());
        let no_secret = BankConfig { client_secret: None, ..bank("a", "https://x.example") };
        assert!(validate(&[no_secret]).unwrap_err().to_string().contains("client_secret"));
        assert!(!format!("{:?}", bank("a", "https://x.example")).contains("s3cret"));
    }
}
