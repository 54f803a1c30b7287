//! `[faces.mojeid]`: the mojeID a face of the `nia` persona logs citizens in at when they choose
//! "mojeID" on its login page (`crate::authn::mojeid_federation`). Without it, a NIA face uses
//! the `mojeid` face of the same server, if there is one.
//!
//! ```toml
//! [[faces]]
//! name = "nia"
//! persona = "nia"
//! url = "https://login.example/nia"
//! [faces.mojeid]
//! issuer = "https://mojeid.regtest.nic.cz/oidc/"
//! discovery = "https://mojeid.regtest.nic.cz/.well-known/openid-configuration/"  # if not under the issuer
//! client_id = "…"
//! client_secret_file = "/run/secrets/mojeid"
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// An external mojeID (or any OpenID Provider speaking as mojeID does) at which the face is a
/// registered client, its redirect URI the face's `/login/mojeid/callback`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MojeidUpstreamConfig {
    /// mojeID's issuer identifier (the real one's is `https://mojeid.cz/oidc/`, its slash
    /// included); its discovery document is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// Where its discovery document is, when not at `{issuer}/.well-known/openid-configuration`:
    /// mojeID documents `https://mojeid.cz/.well-known/openid-configuration/` (reference §8.1).
    /// It must state `issuer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<String>,
    pub client_id: String,
    /// The client secret identita has at mojeID; never logged.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<Secret>,
    /// Or a file holding it (surrounding whitespace ignored), read at start.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
}

impl MojeidUpstreamConfig {
    /// Why these settings are unusable, or `Ok`.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        super::upstream::check(
            &self.issuer,
            &self.client_id,
            self.client_secret.as_ref(),
            self.client_secret_file.as_ref(),
        )?;
        match &self.discovery {
            Some(url) => super::upstream::check_url(url).map_err(|_| "discovery must be https (http only on loopback)"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(issuer: &str) -> MojeidUpstreamConfig {
        MojeidUpstreamConfig {
            issuer: issuer.into(),
            discovery: None,
            client_id: "nia".into(),
            client_secret: Some(Secret::new("s3cret")),
            client_secret_file: None,
        }
    }

    #[test]
    fn an_upstream_is_https_or_on_loopback_with_one_secret() {
        upstream("https://mojeid.cz/oidc/").check().unwrap();
        upstream("http://127.0.0.1:8080/mojeid/oidc/").check().unwrap();
        assert!(upstream("http://mojeid.cz/oidc/").check().is_err());
        let both = MojeidUpstreamConfig { client_secret_file: Some("/run/s".into()), ..upstream("https://mojeid.cz") };
        assert_eq!(both.check(), Err("set client_secret or client_secret_file, not both"));
        assert!(!format!("{:?}", upstream("https://mojeid.cz")).contains("s3cret"));
        let elsewhere =
            |url: &str| MojeidUpstreamConfig { discovery: Some(url.into()), ..upstream("https://mojeid.cz/oidc/") };
        elsewhere("https://mojeid.cz/.well-known/openid-configuration/").check().unwrap();
        assert!(elsewhere("http://mojeid.cz/.well-known/openid-configuration/").check().is_err());
    }
}
