//! Outbound fetches on a client's behalf (`jwks_uri`, `request_uri`, `sector_identifier_uri`),
//! bounded in time and size, with a short cache for JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MAX_BYTES: usize = 256 * 1024;
const JWKS_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("could not fetch {0}")]
    Failed(String),
    #[error("{0} answered with HTTP {1}")]
    Status(String, u16),
    #[error("{0} returned more than {MAX_BYTES} bytes")]
    TooLarge(String),
    #[error("{0} did not return valid JSON")]
    NotJson(String),
}

#[derive(Clone)]
pub struct Fetcher {
    http: reqwest::Client,
    jwks_cache: Arc<Mutex<HashMap<String, (Instant, serde_json::Value)>>>,
}

impl Fetcher {
    pub fn new() -> Self {
        Self::with_http(Self::builder().build().unwrap_or_default())
    }

    /// A fetcher that also trusts the CA certificates in the PEM file `ca_file`.
    pub fn trusting(ca_file: &std::path::Path) -> Result<Self, String> {
        let pem = std::fs::read(ca_file).map_err(|e| format!("reading {}: {e}", ca_file.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("{}: {e}", ca_file.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: no certificate in the file", ca_file.display()));
        }
        let builder = certs.into_iter().fold(Self::builder(), |b, cert| b.add_root_certificate(cert));
        builder.build().map(Self::with_http).map_err(|e| format!("{}: {e}", ca_file.display()))
    }

    fn with_http(http: reqwest::Client) -> Self {
        Self { http, jwks_cache: Arc::default() }
    }

    fn builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identita/", env!("CARGO_PKG_VERSION")))
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The body of `url` as text, at most 256 KiB.
    pub async fn text(&self, url: &str) -> Result<String, FetchError> {
        let response = self.http.get(url).send().await.map_err(|_| FetchError::Failed(url.into()))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(url.into(), response.status().as_u16()));
        }
        if response.content_length().is_some_and(|n| n as usize > MAX_BYTES) {
            return Err(FetchError::TooLarge(url.into()));
        }
        let bytes = response.bytes().await.map_err(|_| FetchError::Failed(url.into()))?;
        if bytes.len() > MAX_BYTES {
            return Err(FetchError::TooLarge(url.into()));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| FetchError::NotJson(url.into()))
    }

    pub async fn json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let text = self.text(url).await?;
        serde_json::from_str(&text).map_err(|_| FetchError::NotJson(url.into()))
    }

    /// A client's JWKS from its `jwks_uri`; cached for a minute unless `refresh` is set
    /// (used when a `kid` is not found, so a client's key rotation is picked up at once).
    pub async fn jwks(&self, url: &str, refresh: bool) -> Result<serde_json::Value, FetchError> {
        if !refresh
            && let Ok(cache) = self.jwks_cache.lock()
            && let Some((at, value)) = cache.get(url)
            && at.elapsed() < JWKS_TTL
        {
            return Ok(value.clone());
        }
        let value = self.json(url).await?;
        if let Ok(mut cache) = self.jwks_cache.lock() {
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(url.to_string(), (Instant::now(), value.clone()));
        }
        Ok(value)
    }
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new()
    }
}
