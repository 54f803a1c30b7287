//! Outbound requests on a client's behalf (`jwks_uri`, `request_uri`, `sector_identifier_uri`,
//! back-channel logout): bounded in time and size, only to addresses [`outbound::allowed`]
//! permits, and cached so that a stranger cannot make identita fetch a URL on every request.
//!
//! Host names are resolved by [`GuardedResolver`], which drops every refused address, so the
//! address connected to is always one that was checked (a DNS answer that changes between a
//! check and the connection — a rebind — cannot slip a private address through). Literal
//! addresses are checked before the request; redirects are not followed and no proxy is used.
//!
//! What went wrong (a refused address, a closed port, a status) goes to the log only: a client
//! is told "could not fetch the client's <document>", so the provider is no port scanner.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::outbound;

const MAX_BYTES: usize = 256 * 1024;
const MAX_CACHED: usize = 1000;
/// How long a client's JWKS is used before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(60);
/// A JWKS is fetched again early (an unknown `kid`, a signature that does not verify) at most
/// this often per URL, so bad signatures cannot make identita fetch on every request.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(10);
/// How long a request object fetched from a `request_uri` is reused (OpenID Connect Core §6.2:
/// a client whose object changes gives it a new fragment, which is a new cache entry).
const REQUEST_URI_TTL: Duration = Duration::from_secs(30);
/// How long a failed fetch is remembered, so a failing URL is not tried on every request.
const FAILURE_TTL: Duration = Duration::from_secs(10);

/// What was fetched, as the client is told when it could not be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    Jwks,
    RequestObject,
    SectorIdentifier,
}

impl Document {
    /// The one error text a client gets, whatever went wrong.
    pub(crate) fn unavailable(self) -> &'static str {
        match self {
            Self::Jwks => "could not fetch the client's JWKS (jwks_uri)",
            Self::RequestObject => "could not fetch the client's request object (request_uri)",
            Self::SectorIdentifier => "could not fetch the client's sector identifier document (sector_identifier_uri)",
        }
    }
}

/// Why a fetch failed; for the log (see the module doc).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("{0}: {1}")]
    Refused(String, outbound::ClientUrlError),
    #[error("{0}: {1}")]
    Failed(String, String),
    #[error("{0} answered with HTTP {1}")]
    Status(String, u16),
    #[error("{0} returned more than {MAX_BYTES} bytes")]
    TooLarge(String),
    #[error("{0} did not return valid JSON (or text)")]
    NotJson(String),
}

#[derive(Clone)]
struct Cached {
    at: Instant,
    result: Result<serde_json::Value, FetchError>,
}

#[derive(Clone)]
pub(crate) struct Fetcher {
    http: reqwest::Client,
    allow_loopback: bool,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

/// Resolves host names and keeps only the addresses [`outbound::allowed`] permits.
struct GuardedResolver {
    allow_loopback: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no address identita may connect to")]
struct NoAllowedAddress(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found.filter(|a| outbound::allowed(a.ip(), allow_loopback)).collect();
            if kept.is_empty() {
                return Err(Box::new(NoAllowedAddress(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

impl Fetcher {
    /// A fetcher for `outbound.allow_loopback`, trusting the CA certificates in the PEM file
    /// `ca_file` besides the usual ones.
    pub(crate) fn new(allow_loopback: bool, ca_file: Option<&std::path::Path>) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            .user_agent(concat!("identita/", env!("CARGO_PKG_VERSION")));
        if let Some(ca_file) = ca_file {
            let pem = std::fs::read(ca_file).map_err(|e| format!("reading {}: {e}", ca_file.display()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("{}: {e}", ca_file.display()))?;
            if certs.is_empty() {
                return Err(format!("{}: no certificate in the file", ca_file.display()));
            }
            builder = certs.into_iter().fold(builder, |b, cert| b.add_root_certificate(cert));
        }
        let http = builder.build().map_err(|e| format!("the outbound HTTP client: {e}"))?;
        Ok(Self { http, allow_loopback, cache: Arc::default() })
    }

    /// Whether client URLs may point to this machine (`outbound.allow_loopback`).
    pub(crate) fn allows_loopback(&self) -> bool {
        self.allow_loopback
    }

    /// The URL checked for what a client may make identita connect to.
    fn checked(&self, url: &str) -> Result<url::Url, FetchError> {
        outbound::check_client_url(url, true, self.allow_loopback).map_err(|e| FetchError::Refused(url.into(), e))
    }

    /// The body of `url` as text, at most 256 KiB; not cached.
    async fn text(&self, url: &str) -> Result<String, FetchError> {
        let mut target = self.checked(url)?;
        target.set_fragment(None);
        let failed = |e: reqwest::Error| FetchError::Failed(url.into(), error_chain(&e));
        let response = self.http.get(target).send().await.map_err(failed)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(url.into(), response.status().as_u16()));
        }
        if response.content_length().is_some_and(|n| n as usize > MAX_BYTES) {
            return Err(FetchError::TooLarge(url.into()));
        }
        let bytes = response.bytes().await.map_err(failed)?;
        if bytes.len() > MAX_BYTES {
            return Err(FetchError::TooLarge(url.into()));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| FetchError::NotJson(url.into()))
    }

    /// The JSON document at `url`; not cached (a `sector_identifier_uri` is read at registration).
    pub(crate) async fn json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let text = self.text(url).await?;
        serde_json::from_str(&text).map_err(|_| FetchError::NotJson(url.into()))
    }

    /// A request object from a `request_uri`, reused for [`REQUEST_URI_TTL`] (keyed by the URI
    /// with its fragment); a failure is remembered for [`FAILURE_TTL`].
    pub(crate) async fn request_object(&self, url: &str) -> Result<String, FetchError> {
        if let Some(cached) = self.cached(&format!("request_uri {url}"), REQUEST_URI_TTL, false) {
            return cached.and_then(|v| v.as_str().map(str::to_owned).ok_or_else(|| FetchError::NotJson(url.into())));
        }
        let result = self.text(url).await;
        self.remember(&format!("request_uri {url}"), result.clone().map(serde_json::Value::from));
        result
    }

    /// The JWKS of the client `client_id` from its `jwks_uri`, cached for a minute. `refresh` (an
    /// unknown `kid`, a signature that did not verify) fetches it again unless that was done in
    /// the last [`JWKS_MIN_REFRESH`], so a client's key rotation is picked up at once. The cache is
    /// the client's own: a client newly registered with the URL of another (or of one deleted a
    /// moment ago) reads the document afresh instead of being held to the other's copy.
    pub(crate) async fn jwks(
        &self,
        client_id: &str,
        url: &str,
        refresh: bool,
    ) -> Result<serde_json::Value, FetchError> {
        let key = format!("jwks {client_id} {url}");
        if let Some(cached) = self.cached(&key, JWKS_TTL, refresh) {
            return cached;
        }
        let result = self.json(url).await;
        self.remember(&key, result.clone());
        result
    }

    /// A usable cache entry: a success younger than `ttl` (younger than [`JWKS_MIN_REFRESH`]
    /// when `refresh`), or a failure younger than [`FAILURE_TTL`].
    fn cached(&self, key: &str, ttl: Duration, refresh: bool) -> Option<Result<serde_json::Value, FetchError>> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(key)?;
        let fresh_for = match (&entry.result, refresh) {
            (Err(_), _) => FAILURE_TTL,
            (Ok(_), true) => JWKS_MIN_REFRESH,
            (Ok(_), false) => ttl,
        };
        (entry.at.elapsed() < fresh_for).then(|| entry.result.clone())
    }

    fn remember(&self, key: &str, result: Result<serde_json::Value, FetchError>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, e| e.at.elapsed() < JWKS_TTL);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(key.to_owned(), Cached { at: Instant::now(), result });
        }
    }

    /// POSTs `form` to a client's URL (back-channel logout); returns the HTTP status.
    pub(crate) async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<u16, FetchError> {
        let target = self.checked(url)?;
        let response = self
            .http
            .post(target)
            .form(form)
            .send()
            .await
            .map_err(|e| FetchError::Failed(url.into(), error_chain(&e)))?;
        Ok(response.status().as_u16())
    }
}

/// An error with its causes, for the log (reqwest's own text hides the resolver's reason).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_yields_no_address_without_the_setting() {
        use std::str::FromStr;
        let name = || Name::from_str("localhost").unwrap();
        let refused = GuardedResolver { allow_loopback: false }.resolve(name()).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("resolves to no address")));
        let allowed: Vec<SocketAddr> =
            GuardedResolver { allow_loopback: true }.resolve(name()).await.unwrap().collect();
        assert!(!allowed.is_empty() && allowed.iter().all(|a| a.ip().is_loopback()), "{allowed:?}");
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_before_connecting() {
        let fetcher = Fetcher::new(false, None).unwrap();
        for url in ["http://169.254.169.254/latest/meta-data/", "https://10.0.0.1/jwks", "http://[::ffff:127.0.0.1]:9/"]
        {
            assert!(matches!(fetcher.text(url).await, Err(FetchError::Refused(..))), "{url}");
        }
    }
}
