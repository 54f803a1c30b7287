//! The run configuration (TOML): which OP to test, the static clients registered there, the user
//! to log in as, where the relying-party endpoints listen, and how to drive the OP's pages.
//! Mirrors the suite's JSON test configuration (`server`, `client`, `client_secret_post`,
//! `client2`, `browser`), with defaults for everything that has one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The OP's issuer; discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// A PEM certificate to trust (a self-signed https OP).
    pub ca_cert: Option<PathBuf>,
    #[serde(default)]
    pub insecure_tls: bool,
    /// The `client` block: client_secret_basic, or private_key_jwt when it has a `jwk`.
    pub client: ClientConfig,
    /// A separate client for `oidcc-server-client-secret-post`.
    pub client_secret_post: Option<ClientConfig>,
    /// The second client of `oidcc-refresh-token`.
    pub client2: Option<ClientConfig>,
    /// The private_key_jwt client (the `client` block of a private_key_jwt run).
    pub client_private_key_jwt: Option<ClientConfig>,
    pub username: String,
    pub password: String,
    /// Default `buffy@<issuer host>`, as the suite's.
    pub login_hint: Option<String>,
    /// Default `se`, as the suite's.
    pub ui_locales: Option<String>,
    /// Space-separated, used when discovery has no `acr_values_supported`.
    pub acr_values: Option<String>,
    /// How long `oidcc-refresh-token-rp-key-rotation` waits after rotating the RP's key for the
    /// OP's cache of the client's `jwks_uri` (the suite's `server.jwks_refresh_delay`; default 60 s).
    #[serde(default = "default_jwks_refresh_delay")]
    pub jwks_refresh_delay: u64,
    /// A shell command (`sh -c`, in the runner's working directory) that makes the OP rotate its
    /// signing keys, for `oidcc-server-rotate-keys` (the suite asks a person to do it). Without
    /// it that module is SKIPPED.
    pub rotate_keys_command: Option<String>,
    /// Where the relying-party endpoints are reachable (default `http://127.0.0.1:4400`).
    #[serde(default = "default_rp_base")]
    pub rp_base_url: String,
    /// With an https `rp_base_url`: the PEM certificate and key the RP endpoints serve (the OP
    /// must trust the certificate for its calls: `jwks_uri`, `request_uri`, sector document,
    /// back-channel logout).
    pub rp_tls_cert: Option<PathBuf>,
    pub rp_tls_key: Option<PathBuf>,
    /// The listen address of the RP endpoints (default `127.0.0.1:4400`).
    #[serde(default = "default_rp_listen")]
    pub rp_listen: String,
    #[serde(default)]
    pub browser: BrowserConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The private JWK (with `alg` and `kid`) for private_key_jwt.
    pub jwk: Option<serde_json::Value>,
    /// The client's private keys, `{"keys": [...]}` (the suite's `client.jwks`): an ID token the
    /// OP encrypts to the client (registered `id_token_encrypted_response_alg`) is decrypted
    /// with them.
    pub jwks: Option<serde_json::Value>,
    /// How this client authenticates when the run's variant does not decide it (client2);
    /// default: private_key_jwt with a `jwk`, otherwise client_secret_basic.
    pub token_endpoint_auth_method: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserConfig {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    /// Present only on the OP's login page.
    pub login_page: String,
    pub username_field: String,
    pub password_field: String,
    pub login_submit: String,
    /// Present only on the consent page.
    pub consent_page: String,
    pub consent_allow: String,
    /// Other buttons to press to continue (e.g. an account chooser), tried in order.
    pub continue_buttons: Vec<String>,
    /// Present on the OP's error page (what the error-page checks look for, besides an OAuth
    /// error code in the page's text); empty: only the text counts.
    pub error_page: String,
    /// The logout confirmation button of the end-session page (pressed, as a person would, in
    /// the logout plans).
    pub logout_confirm: String,
    /// Present only on the OP's logged-out page (what the logout plans' page checks look for);
    /// empty: those pages are left to a person (REVIEW).
    pub logged_out_page: String,
    /// Seconds a page that is neither login nor consent must stay before it counts as the outcome.
    pub settle_seconds: u64,
    /// Seconds to wait for a redirect back before giving up.
    pub timeout_seconds: u64,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        Self {
            chromedriver: "/usr/bin/chromedriver".into(),
            chromium: "/usr/bin/chromium".into(),
            login_page: "form#login".into(),
            username_field: "#username".into(),
            password_field: "#password".into(),
            login_submit: "#login-submit".into(),
            consent_page: "form#consent".into(),
            consent_allow: "#consent-allow".into(),
            continue_buttons: Vec::new(),
            error_page: "#error-code".into(),
            logout_confirm: "#logout-confirm".into(),
            logged_out_page: "#logged-out".into(),
            settle_seconds: 3,
            timeout_seconds: 30,
        }
    }
}

fn default_jwks_refresh_delay() -> u64 {
    60
}

fn default_rp_base() -> String {
    "http://127.0.0.1:4400".into()
}

fn default_rp_listen() -> String {
    "127.0.0.1:4400".into()
}

impl RunConfig {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut config: Self = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        // `ca_cert` stays relative to the working directory, like the OP's own `keys/tls.crt`.
        config.rp_base_url = config.rp_base_url.trim_end_matches('/').to_string();
        if config.rp_base_url.starts_with("https:") && (config.rp_tls_cert.is_none() || config.rp_tls_key.is_none()) {
            return Err(format!("{}: an https rp_base_url needs rp_tls_cert and rp_tls_key", path.display()));
        }
        Ok(config)
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'))
    }

    /// The RP's certificate and key when it serves https.
    pub fn rp_tls(&self) -> Option<(&Path, &Path)> {
        match (&self.rp_tls_cert, &self.rp_tls_key) {
            (Some(cert), Some(key)) if self.rp_base_url.starts_with("https:") => Some((cert, key)),
            _ => None,
        }
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.rp_base_url)
    }

    pub fn login_hint(&self) -> String {
        self.login_hint.clone().unwrap_or_else(|| {
            let host = url::Url::parse(&self.issuer).ok().and_then(|u| u.host_str().map(str::to_string));
            format!("buffy@{}", host.unwrap_or_default())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_identita_configuration_parses() {
        let config: RunConfig = toml::from_str(include_str!("../identita.toml")).unwrap();
        assert_eq!(config.discovery_url(), "https://127.0.0.1:8443/.well-known/openid-configuration");
        assert_eq!(config.redirect_uri(), "https://127.0.0.1:4400/callback");
        assert!(config.rp_tls().is_some());
        assert_eq!(config.login_hint(), "buffy@127.0.0.1");
        let jwk = config.client_private_key_jwt.unwrap().jwk.unwrap();
        assert_eq!(jwk["alg"], "RS256");
        assert!(jwk.get("d").is_some(), "the private half");
    }
}
