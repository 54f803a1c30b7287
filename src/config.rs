//! The one typed configuration: defaults → `identita.toml` → `IDENTITA_*` environment variables.
//!
//! Nested keys are separated by a double underscore in the environment, e.g.
//! `IDENTITA_TOKENS__ACCESS_TOKEN_TTL=600`. A bad value stops the start with a message that names it.

mod banks;
mod desk;
mod faces;
mod mojeid;
mod notifier;
mod upstream;
mod webauthn;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use banks::BankConfig;
pub use desk::DeskConfig;
pub use faces::FaceConfig;
pub use mojeid::MojeidUpstreamConfig;
pub use notifier::{EmailRoute, NotifierConfig, SmsRoute, SmtpSecurity, SmtpServer};
pub use webauthn::WebauthnConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The address the HTTP server binds to.
    #[serde(deserialize_with = "listen_address")]
    pub listen: SocketAddr,
    /// The issuer identifier: the public base URL of this provider.
    pub issuer: String,
    /// The protocol face: `standard` (plain OpenID Provider).
    pub persona: String,
    /// Where the SQLite database lives when `database_url` is not set.
    pub data_dir: PathBuf,
    /// A database URL, `sqlite://...` or `postgres://user:password@host/database`; defaults to
    /// `<data_dir>/identita.db`.
    pub database_url: Option<String>,
    /// A Redis URL, `redis://[user:password@]host:port[/db]` (`rediss://` for TLS); when set,
    /// the expiring stores (sessions, logins in progress, codes, replay keys, counters) live there
    /// and the durable ones stay in `database_url`.
    pub redis_url: Option<String>,
    /// What every Redis key starts with, so that several deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    /// Where the key ring lives.
    pub keys_dir: PathBuf,
    /// How often, in seconds, the key ring is read again from `keys_dir`, so that a rotation
    /// done elsewhere (`identita keys rotate`, another node sharing the directory) is published.
    pub keys_reload_interval: u64,
    pub tokens: TokenConfig,
    pub password: PasswordConfig,
    pub registration: RegistrationConfig,
    /// Outbound fetches on a client's behalf (`jwks_uri`, `request_uri`, ...).
    pub outbound: OutboundConfig,
    /// Logins in progress (interactions) one source address may start.
    pub interactions: InteractionLimits,
    /// Maximum size of a request body, in bytes.
    pub max_body_bytes: usize,
    pub tls: TlsConfig,
    /// Extra CA certificates (PEM) to trust for outgoing https: client `jwks_uri`, `request_uri`,
    /// `sector_identifier_uri`, back-channel logout, the SMS gateway, the SMTP server, the banks and
    /// mojeID — e.g. a local conformance suite's.
    pub outbound_ca_file: Option<PathBuf>,
    /// Addresses or ranges (`10.0.0.0/8`) of reverse proxies in front of identita (e.g. the
    /// compose file's nginx). A
    /// request from one of them is attributed to the last address in its `X-Forwarded-For`
    /// that is not itself a trusted proxy; from anyone else, to the connection's peer. Throttles
    /// per source count by that address, so an untrusted client cannot pick its own.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub http: HttpConfig,
    /// Prometheus metrics (src/metrics.rs).
    pub metrics: MetricsConfig,
    /// The log's format; its filter is `IDENTITA_LOG` (src/logging.rs).
    pub log: LogConfig,
    /// Where SMS texts (later e-mails) to people go (src/config/notifier.rs).
    pub notifier: NotifierConfig,
    /// Further issuers served beside the primary one (`[[faces]]`, src/config/faces.rs).
    pub faces: Vec<FaceConfig>,
    /// The banks whose identity a citizen may log in with (`[[banks]]`, src/config/banks.rs).
    pub banks: Vec<BankConfig>,
    /// mojeID + WebAuthn: which authenticator models are certified (`[webauthn]`, src/config/webauthn.rs).
    pub webauthn: WebauthnConfig,
    /// When mojeID's validation desk approves requests (`[validation_desk]`, src/config/desk.rs).
    pub validation_desk: DeskConfig,
    /// Set by `identita serve --dev` alone, never by a file or the environment: dev mode has
    /// checks of its own before it starts (src/cli/dev.rs).
    #[serde(skip)]
    pub dev: Option<DevMode>,
}

/// What dev mode shows beside the usual pages: the demo citizens whose password is still the
/// public one of the dev fixture (their usernames and those passwords).
#[derive(Clone, Default)]
pub struct DevMode {
    pub citizens: Vec<(String, String)>,
}

impl std::fmt::Debug for DevMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.citizens.iter().map(|(username, _)| username.as_str()).collect();
        f.debug_struct("DevMode").field("citizens", &names).finish_non_exhaustive()
    }
}

/// Prometheus metrics at `/metrics`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Whether metrics are recorded and served.
    pub enabled: bool,
    /// When set, `/metrics` is served on this address (plain http) instead of on `listen`, so
    /// it can stay on a private interface; when unset, it is on the main router with the rest.
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { enabled: true, listen: None }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (the default) or `json`: one JSON object per line, for a log collector.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Limits on connections (src/server.rs), in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// A request's head must arrive whole within this, counted from when the connection starts
    /// waiting for it — also how long a keep-alive connection may sit idle between requests.
    pub header_read_timeout: u64,
    /// A connection on which no byte moves either way for this long is closed.
    pub idle_timeout: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { header_read_timeout: 10, idle_timeout: 60 }
    }
}

/// Serve https directly (PEM files); both or neither. `identita tls self-signed` makes a pair.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// The stores behind the provider, chosen by the scheme of `database_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseBackend {
    /// One embedded SQLite file: the default.
    Sqlite,
    /// A PostgreSQL server, shared by any number of nodes.
    Postgres,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// Seconds after a rotation during which presenting the rotated-out refresh token again is
    /// taken for a retry and answered with the same tokens the rotation issued (not new ones);
    /// after it, or with the default 0, any reuse revokes the whole family (RFC 9700 §4.14.2).
    pub refresh_grace_seconds: i64,
    pub session_ttl: i64,
    /// How long a started login may take before it must start again.
    pub interaction_ttl: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// argon2id memory cost in KiB (OWASP: 19456).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// How many hashes may run at once; 0 means one per CPU core.
    pub max_concurrent: usize,
    /// Login attempts at one account within `lockout_window` seconds after which it is slowed
    /// down (and the most one source address may make at it); 0 turns both off.
    pub lockout_threshold: u32,
    pub lockout_window: i64,
    /// The first wait of a slowed-down account, in seconds; each further wait doubles, up to
    /// `lockout_window` (see `authn::throttle`).
    pub lockout_delay: i64,
    /// Login attempts one source address may make within `address_window` seconds, whatever
    /// the accounts; 0 turns the limit off.
    pub address_limit: u32,
    pub address_window: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Whether dynamic client registration (RFC 7591) is served; off by default, as in
    /// node-oidc-provider. Enabled without `initial_access_token`, anyone may register.
    pub enabled: bool,
    /// When set, registration requires this bearer token.
    pub initial_access_token: Option<String>,
    /// Registrations one source address may make within `per_source_window` seconds; 0 means
    /// no limit.
    pub per_source_limit: u32,
    pub per_source_window: i64,
}

/// Where identita may connect on a client's behalf. Loopback, private, link-local (cloud
/// metadata), CGNAT, multicast and unspecified addresses are always refused, after DNS resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Development and tests only: allow client URLs on this machine (127.0.0.0/8, ::1,
    /// `localhost`), e.g. a conformance runner serving its JWKS on loopback.
    pub allow_loopback: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InteractionLimits {
    /// Logins in progress one source address may start within `window` seconds; 0 means no limit.
    pub per_source: u32,
    pub window: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            issuer: "http://127.0.0.1:8080".into(),
            persona: "standard".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            redis_url: None,
            redis_prefix: "identita:".into(),
            keys_dir: PathBuf::from("keys"),
            keys_reload_interval: 60,
            tokens: TokenConfig::default(),
            password: PasswordConfig::default(),
            registration: RegistrationConfig::default(),
            outbound: OutboundConfig::default(),
            interactions: InteractionLimits::default(),
            max_body_bytes: 64 * 1024,
            tls: TlsConfig::default(),
            outbound_ca_file: None,
            trusted_proxies: Vec::new(),
            http: HttpConfig::default(),
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
            notifier: NotifierConfig::default(),
            faces: Vec::new(),
            banks: Vec::new(),
            webauthn: WebauthnConfig::default(),
            validation_desk: DeskConfig::default(),
            dev: None,
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            code_ttl: 60,
            access_token_ttl: 3600,
            id_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            refresh_grace_seconds: 0,
            session_ttl: 12 * 3600,
            interaction_ttl: 1800,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 0,
            lockout_threshold: 10,
            lockout_window: 900,
            lockout_delay: 60,
            address_limit: 100,
            address_window: 900,
        }
    }
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self { enabled: false, initial_access_token: None, per_source_limit: 20, per_source_window: 3600 }
    }
}

impl Default for InteractionLimits {
    fn default() -> Self {
        Self { per_source: 300, window: 600 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Whether an `IDENTITA_*` variable (named without the prefix) is a setting: `IDENTITA_LOG` is
/// the log filter, `IDENTITA_DEFECTS` switches test-build defects (src/defects/) and
/// `IDENTITA_TEST_*` belong to the test suite, so none of them may fail the start.
fn is_setting(key: &figment::value::UncasedStr) -> bool {
    let key = key.as_str().to_ascii_lowercase();
    key != "log" && key != "defects" && !key.starts_with("test_")
}

impl Config {
    /// Loads defaults, then `file` (when it exists), then `IDENTITA_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let path = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("identita.toml"));
        if file.is_some() && !path.exists() {
            return Err(ConfigError::Invalid(format!("file {} does not exist", path.display())));
        }
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("IDENTITA_").filter(is_setting).split("__"))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types cannot: URLs, ranges, known names.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_issuer(&self.issuer).map_err(ConfigError::Invalid)?;
        let Some(primary) = crate::persona::Persona::by_name(&self.persona, Some(&self.issuer), None) else {
            return Err(ConfigError::Invalid(format!(
                "unknown persona {:?} (known: {})",
                self.persona,
                crate::persona::NAMES
            )));
        };
        faces::validate(&self.faces, &self.issuer, &primary.served_paths(), self.listen)?;
        let t = &self.tokens;
        for (name, value) in [
            ("tokens.code_ttl", t.code_ttl),
            ("tokens.access_token_ttl", t.access_token_ttl),
            ("tokens.id_token_ttl", t.id_token_ttl),
            ("tokens.refresh_token_ttl", t.refresh_token_ttl),
            ("tokens.session_ttl", t.session_ttl),
            ("tokens.interaction_ttl", t.interaction_ttl),
        ] {
            if value <= 0 {
                return Err(ConfigError::Invalid(format!("{name} must be a positive number of seconds")));
            }
        }
        if t.refresh_grace_seconds < 0 {
            return Err(ConfigError::Invalid("tokens.refresh_grace_seconds must not be negative".into()));
        }
        let p = &self.password;
        if p.memory_kib < 8 * p.parallelism.max(1) || p.iterations == 0 || p.parallelism == 0 {
            return Err(ConfigError::Invalid("password: argon2 parameters out of range".into()));
        }
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            return Err(ConfigError::Invalid("tls.cert_file and tls.key_file go together".into()));
        }
        if p.lockout_threshold > 0 && p.lockout_window <= 0 {
            return Err(ConfigError::Invalid("password.lockout_window must be a positive number of seconds".into()));
        }
        if self.registration.per_source_limit > 0 && self.registration.per_source_window <= 0 {
            return Err(ConfigError::Invalid(
                "registration.per_source_window must be a positive number of seconds".into(),
            ));
        }
        if self.interactions.per_source > 0 && self.interactions.window <= 0 {
            return Err(ConfigError::Invalid("interactions.window must be a positive number of seconds".into()));
        }
        if p.lockout_threshold > 0 && p.lockout_delay <= 0 {
            return Err(ConfigError::Invalid("password.lockout_delay must be a positive number of seconds".into()));
        }
        if p.address_limit > 0 && p.address_window <= 0 {
            return Err(ConfigError::Invalid("password.address_window must be a positive number of seconds".into()));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid("max_body_bytes must be at least 1024".into()));
        }
        self.database_backend()?;
        if let Some(url) = &self.redis_url {
            validate_redis_url(url)?;
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.len() > 100 {
            return Err(ConfigError::Invalid("redis_prefix must have 1 to 100 characters".into()));
        }
        if self.keys_reload_interval == 0 {
            return Err(ConfigError::Invalid("keys_reload_interval must be a positive number of seconds".into()));
        }
        if self.http.header_read_timeout == 0 || self.http.idle_timeout == 0 {
            return Err(ConfigError::Invalid(
                "http.header_read_timeout and http.idle_timeout must be positive numbers of seconds".into(),
            ));
        }
        self.notifier.validate()?;
        banks::validate(&self.banks)?;
        self.webauthn.validate()?;
        self.validation_desk.validate()?;
        if self.metrics.enabled && self.metrics.listen == Some(self.listen) {
            return Err(ConfigError::Invalid(format!(
                "metrics.listen {} is the main listen address: leave metrics.listen unset to serve /metrics there",
                self.listen
            )));
        }
        Ok(())
    }

    /// Which store `database_url` asks for, by its scheme.
    pub fn database_backend(&self) -> Result<DatabaseBackend, ConfigError> {
        let url = self.database_url();
        // Only the scheme goes into the message: the rest of the URL may hold a password.
        match url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase()).as_deref() {
            Some("sqlite") => Ok(DatabaseBackend::Sqlite),
            Some("postgres" | "postgresql") => Ok(DatabaseBackend::Postgres),
            other => Err(ConfigError::Invalid(format!(
                "database_url must start with sqlite:, postgres: or postgresql: (not {:?})",
                other.unwrap_or_default()
            ))),
        }
    }

    /// The SQLite (or other) database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("identita.db").display()),
        }
    }

    /// Whether cookies must carry `Secure`: the issuer is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

/// `listen` read from a string such as `127.0.0.1:8080`; a bad value is named in the message
/// with the form expected (serde's own says only "invalid socket address syntax").
fn listen_address<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    let expected = "an IP address and port such as 127.0.0.1:8080 or [::1]:8080";
    let text = match Raw::deserialize(deserializer) {
        Ok(Raw::Text(text)) => text,
        Ok(Raw::Number(n)) => n.to_string(),
        Err(_) => return Err(D::Error::custom(format!("listen must be {expected}, in quotes"))),
    };
    text.trim().parse().map_err(|_| {
        D::Error::custom(format!("listen {text:?} is not {expected} (a host name such as localhost is not taken)"))
    })
}

/// A URL the Redis client can use. Only the scheme goes into a message: the rest of the URL may
/// hold a password.
fn validate_redis_url(url: &str) -> Result<(), ConfigError> {
    const SCHEMES: [&str; 6] =
        ["redis", "rediss", "redis-cluster", "rediss-cluster", "redis-sentinel", "rediss-sentinel"];
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some(scheme) if SCHEMES.contains(&scheme) => {}
        other => {
            return Err(ConfigError::Invalid(format!(
                "redis_url must start with redis:// or rediss:// (not {:?})",
                other.unwrap_or_default()
            )));
        }
    }
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        Ok(_) => Err(ConfigError::Invalid("redis_url has no host".into())),
        // `url`'s errors name what is wrong, never the input.
        Err(e) => Err(ConfigError::Invalid(format!("redis_url is not a valid URL: {e}"))),
    }
}

/// An issuer identifier as OpenID Connect Discovery wants it: an http(s) URL without query,
/// fragment or trailing slash.
pub(crate) fn check_issuer(issuer: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("issuer {issuer:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("issuer {issuer:?} must be an http(s) URL without query or fragment"));
    }
    if issuer.ends_with('/') {
        return Err(format!("issuer {issuer:?} must not end with '/'"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn the_database_url_scheme_picks_the_store() {
        let with_url = |url: &str| Config { database_url: Some(url.into()), ..Config::default() };
        assert_eq!(Config::default().database_backend().unwrap(), DatabaseBackend::Sqlite);
        assert_eq!(with_url("sqlite::memory:").database_backend().unwrap(), DatabaseBackend::Sqlite);
        assert_eq!(with_url("postgres://u:p@db/identita").database_backend().unwrap(), DatabaseBackend::Postgres);
        assert_eq!(with_url("postgresql://db/identita").database_backend().unwrap(), DatabaseBackend::Postgres);
        let err = with_url("mysql://u:secret@db/identita").validate().unwrap_err().to_string();
        assert!(err.contains("database_url") && err.contains("mysql") && !err.contains("secret"), "{err}");
        assert!(with_url("data/identita.db").validate().is_err());
    }

    #[test]
    fn a_bad_redis_url_is_named_without_its_password() {
        let with_url = |url: &str| Config { redis_url: Some(url.into()), ..Config::default() };
        with_url("redis://127.0.0.1:6379").validate().unwrap();
        with_url("rediss://user:pass@cache.example:6380/2").validate().unwrap();
        for bad in ["http://u:s3cret@cache", "redis://u:s3cret@cache:notaport", "redis://u:s3cret@:6379", "s3cret"] {
            let err = with_url(bad).validate().unwrap_err().to_string();
            assert!(err.contains("redis_url") && !err.contains("s3cret"), "{bad}: {err}");
        }
        let no_prefix = Config { redis_prefix: String::new(), ..Config::default() };
        assert!(no_prefix.validate().unwrap_err().to_string().contains("redis_prefix"));
    }

    #[test]
    fn a_bad_listen_value_is_named_with_the_form_expected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("identita.toml");
        for bad in ["\"localhost:8080\"", "8080", "\"127.0.0.1\""] {
            std::fs::write(&file, format!("listen = {bad}\n")).unwrap();
            let err = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(err.contains(bad.trim_matches('"')) && err.contains("127.0.0.1:8080"), "{bad}: {err}");
        }
        std::fs::write(&file, "listen = \"[::1]:9000\"\n").unwrap();
        assert_eq!(Config::load(Some(&file)).unwrap().listen, "[::1]:9000".parse().unwrap());
    }

    #[test]
    fn bad_issuer_is_rejected_with_its_name() {
        let config = Config { issuer: "not a url".into(), ..Config::default() };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("issuer"), "{err}");
    }
}
