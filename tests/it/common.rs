//! The test harness: a real identita server on a loopback port with its own temporary data and
//! key directories, and a cookie-keeping "browser" that fills in the login and consent forms the
//! way a person would.
#![allow(dead_code)]

mod database;
pub mod logs;
mod pg_cluster;
mod portal;
mod redis;
mod redis_server;
#[path = "../support/skips.rs"]
pub mod skips;

pub use portal::{PORTAL_REDIRECT, Portal, interaction_of, page, text_of};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use identita::authn::Authn;
use identita::clock::{ManualClock, SharedClock};
use identita::config::Config;
use identita::oidc::Provider;
use identita::oidc::registration::{self, ClientMetadata};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use database::TestDatabase;
pub use pg_cluster::PgCluster;
pub use redis::TestRedis;
pub use redis_server::RedisServer;

pub struct TestServer {
    pub issuer: String,
    pub addr: SocketAddr,
    pub provider: Provider,
    /// The authentication services the server runs with (its password hasher).
    pub authn: Authn,
    pub clock: ManualClock,
    pub dir: PathBuf,
    _tempdir: Option<tempfile::TempDir>,
    /// The PostgreSQL schema the server keeps its stores in, if not in SQLite.
    database: Option<Arc<TestDatabase>>,
    /// The Redis key prefix the server keeps its expiring stores under, if in Redis.
    redis: Option<Arc<TestRedis>>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// Gives a new server's empty key directories (its own and each face's) signing keys made
/// once per test process, so that the suite does not spend most of its time making RSA keys:
/// each directory gets the keys of a template of its own rank (the primary's the first, the
/// n-th face's the n+1-th), so the faces of one server still sign with different keys. A
/// directory that has keys (a restart, a second node) keeps them; the pairwise salt and the
/// SAML key (whose certificate names the issuer) are each server's own.
async fn seed_keys(config: &Config) {
    static TEMPLATES: tokio::sync::Mutex<Vec<tempfile::TempDir>> = tokio::sync::Mutex::const_new(Vec::new());
    let dirs = std::iter::once(config.keys_dir.clone())
        .chain(config.faces.iter().map(|face| config.keys_dir.join("faces").join(&face.name)));
    let mut templates = TEMPLATES.lock().await;
    for (rank, dir) in dirs.enumerate() {
        if dir.exists() {
            continue;
        }
        while templates.len() <= rank {
            let template = tempfile::tempdir().unwrap();
            let made = Config {
                data_dir: template.path().join("data"),
                keys_dir: template.path().join("keys"),
                ..Config::default()
            };
            identita::app::provider(made, Arc::new(ManualClock::default())).await.unwrap();
            templates.push(template);
        }
        let from = templates[rank].path().join("keys");
        std::fs::create_dir_all(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() && path.extension().is_some_and(|e| e == "json") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

impl TestServer {
    /// A fresh server with an empty database.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A fresh server, `tweak`ed. Its stores are in SQLite, or, with `IDENTITA_TEST_BACKEND`
    /// (how CI runs the whole suite again), in a fresh PostgreSQL schema (`postgres`) and also
    /// under a fresh Redis prefix (`postgres+redis`); a `tweak` that sets `database_url` or
    /// `redis_url` itself wins.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let tempdir = tempfile::tempdir().unwrap();
        let dir = tempdir.path().to_path_buf();
        let (postgres, redis) = match std::env::var("IDENTITA_TEST_BACKEND").as_deref() {
            Ok("sqlite") | Err(_) => (false, false),
            Ok("postgres") => (true, false),
            Ok("postgres+redis") => (true, true),
            Ok(other) => panic!("IDENTITA_TEST_BACKEND={other}: expected sqlite, postgres or postgres+redis"),
        };
        let database = match postgres {
            true => Some(Arc::new(
                TestDatabase::create("IDENTITA_TEST_BACKEND")
                    .await
                    .expect("IDENTITA_TEST_BACKEND needs IDENTITA_TEST_POSTGRES_URL"),
            )),
            false => None,
        };
        let redis = match redis {
            true => Some(Arc::new(
                TestRedis::create("IDENTITA_TEST_BACKEND")
                    .expect("IDENTITA_TEST_BACKEND needs IDENTITA_TEST_REDIS_URL"),
            )),
            false => None,
        };
        let url = database.as_ref().map(|d| d.url.clone());
        let redis_at = redis.as_ref().map(|r| (r.url.clone(), r.prefix.clone()));
        let mut server = Self::start_in(&dir, None, |config| {
            config.database_url = url;
            if let Some((url, prefix)) = redis_at {
                config.redis_url = Some(url);
                config.redis_prefix = prefix;
            }
            tweak(config)
        })
        .await;
        server._tempdir = Some(tempdir);
        server.database = database;
        server.redis = redis;
        server
    }

    /// A fresh server whose stores are in a fresh PostgreSQL schema, or `None` (the test is
    /// skipped) when no PostgreSQL server is configured; see [`TestDatabase`].
    pub async fn start_postgres(test: &str) -> Option<Self> {
        let database = TestDatabase::create(test).await?;
        let url = database.url.clone();
        let mut server = Self::start_with(|config| config.database_url = Some(url)).await;
        server.database = Some(Arc::new(database));
        Some(server)
    }

    /// A node of `deployment`: its own port and data directory, the deployment's issuer,
    /// PostgreSQL schema, Redis prefix and keys directory (read again every second).
    pub async fn start_node(deployment: &Deployment, tweak: impl FnOnce(&mut Config)) -> Self {
        let tempdir = tempfile::tempdir().unwrap();
        let mut server = Self::start_in(tempdir.path(), None, |config| {
            config.issuer = deployment.issuer.clone();
            config.database_url = Some(deployment.database.url.clone());
            config.redis_url = Some(deployment.redis.url.clone());
            config.redis_prefix = deployment.redis.prefix.clone();
            config.keys_dir = deployment.keys.path().to_path_buf();
            config.keys_reload_interval = 1;
            tweak(config);
        })
        .await;
        server.issuer = deployment.issuer.clone();
        server._tempdir = Some(tempdir);
        server.database = Some(deployment.database.clone());
        server
    }

    /// A client that sends every request for the issuer's host to this node, as a load balancer
    /// in front of several nodes would; with `jar`, it shares the cookies of a browser.
    pub fn routed_http(&self, jar: Option<Arc<reqwest::cookie::Jar>>) -> reqwest::Client {
        let host = url::Url::parse(&self.issuer).unwrap().host_str().unwrap().to_owned();
        let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).resolve(&host, self.addr);
        match jar {
            Some(jar) => builder.cookie_provider(jar),
            None => builder,
        }
        .build()
        .unwrap()
    }

    /// Stops the server and starts it again with the same configuration, directories, port and
    /// database: what a restart of the process keeps.
    pub async fn restart(mut self) -> Self {
        let config = (*self.provider.config).clone();
        let database = self.database.take();
        let redis = self.redis.take();
        let (tempdir, dir, port) = self.stop().await;
        let mut server = Self::start_in(&dir, Some(port), |c| *c = config).await;
        server._tempdir = tempdir;
        server.database = database;
        server.redis = redis;
        server
    }

    /// A server on `dir` (data and keys), on `port` if given (to restart on the same issuer).
    pub async fn start_in(dir: &Path, port: Option<u16>, tweak: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0))).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("http://{addr}");
        let mut config = Config {
            issuer: issuer.clone(),
            listen: addr,
            data_dir: dir.join("data"),
            keys_dir: dir.join("keys"),
            ..Config::default()
        };
        // Cheap hashing: the tests are about behaviour, not about argon2's cost.
        config.password.memory_kib = 256;
        config.password.iterations = 1;
        // The tests serve client documents (JWKS, request objects, sector identifiers,
        // back-channel logout receivers) on loopback, as a developer's relying party would.
        config.outbound.allow_loopback = true;
        tweak(&mut config);
        seed_keys(&config).await;
        let clock = ManualClock::default();
        let shared: SharedClock = Arc::new(clock.clone());
        let provider = identita::app::provider(config, shared).await.unwrap();
        let authn = identita::app::authn(&provider).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let (serving, serving_authn) = (provider.clone(), authn.clone());
        let handle = tokio::spawn(async move {
            identita::app::serve(serving, serving_authn, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        // The faces with a listener of their own bind it as serving starts: wait until they do.
        for listen in provider.config.faces.iter().filter_map(|face| face.listen) {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while tokio::net::TcpStream::connect(listen).await.is_err() {
                assert!(std::time::Instant::now() < deadline, "the face's listener {listen} did not start");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        Self {
            issuer,
            addr,
            provider,
            authn,
            clock,
            dir: dir.to_path_buf(),
            _tempdir: None,
            database: None,
            redis: None,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server (graceful shutdown) and returns what is needed to start it again on the
    /// same directory and port.
    pub async fn stop(mut self) -> (Option<tempfile::TempDir>, PathBuf, u16) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
        (self._tempdir.take(), self.dir.clone(), self.addr.port())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Registers a client from RFC 7591 metadata (plus `client_id`, `client_secret`, `first_party`).
    pub async fn add_client(&self, metadata: Value) -> (String, Option<String>) {
        let meta: ClientMetadata = serde_json::from_value(metadata).unwrap();
        let id = meta.client_id.clone().unwrap_or_else(|| identita::secret::random_token(12));
        let (client, secret) =
            registration::build(&self.provider, meta, id.clone(), self.provider.now()).await.unwrap();
        self.provider.stores.clients.insert(&client).await.unwrap();
        (id, secret)
    }

    /// Creates an account; `profile` holds standard claims.
    pub async fn add_user(&self, username: &str, password: &str, profile: Value) -> identita::model::User {
        let now = self.provider.now();
        let user = identita::model::User {
            id: uuid::Uuid::new_v4().to_string(),
            username: username.into(),
            password_hash: self.authn.passwords.hash(password).await.unwrap(),
            profile: serde_json::from_value(profile).unwrap(),
            updated_at: now,
            created_at: now,
            disabled: false,
        };
        self.provider.stores.users.insert(&user).await.unwrap();
        user
    }

    pub fn browser(&self) -> Browser {
        Browser::new()
    }
}

/// Several identita nodes as one deployment: one issuer (`http://identita.test`, which each
/// test client resolves to the node it means to talk to), one PostgreSQL schema, one Redis prefix
/// and one keys directory. `None` (the test is skipped) without PostgreSQL or Redis.
pub struct Deployment {
    pub issuer: String,
    pub database: Arc<TestDatabase>,
    pub redis: TestRedis,
    pub keys: tempfile::TempDir,
}

impl Deployment {
    pub async fn create(test: &str) -> Option<Deployment> {
        let database = TestDatabase::create(test).await?;
        let redis = TestRedis::create(test)?;
        Some(Deployment {
            issuer: "http://identita.test".into(),
            database: Arc::new(database),
            redis,
            keys: tempfile::tempdir().unwrap(),
        })
    }
}

/// A browser: keeps cookies, does not follow redirects, reads and submits forms.
pub struct Browser {
    pub http: reqwest::Client,
}

/// Where a browser ended up.
#[derive(Debug)]
pub enum Landing {
    /// Redirected away from the provider (to a client).
    Redirect(String),
    /// A page of the provider, with its status and HTML.
    Page(u16, String),
}

impl Browser {
    /// A browser whose requests go to `node`, keeping its cookies in `jar`: the same browser
    /// (the same jar) can be sent to another node next.
    pub fn at(node: &TestServer, jar: &Arc<reqwest::cookie::Jar>) -> Self {
        Self { http: node.routed_http(Some(jar.clone())) }
    }

    pub fn new() -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http }
    }

    /// GETs `url` and follows redirects while they stay on `issuer`.
    pub async fn visit(&self, issuer: &str, url: &str) -> Landing {
        let response = self.http.get(url).send().await.unwrap();
        self.follow(issuer, response).await
    }

    pub async fn follow(&self, issuer: &str, mut response: reqwest::Response) -> Landing {
        loop {
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()["location"].to_str().unwrap().to_string();
                let absolute = if location.starts_with('/') { format!("{issuer}{location}") } else { location };
                if !absolute.starts_with(issuer) {
                    return Landing::Redirect(absolute);
                }
                response = self.http.get(&absolute).send().await.unwrap();
                continue;
            }
            return Landing::Page(status.as_u16(), response.text().await.unwrap());
        }
    }

    /// Submits the form `form_id` of `html` (its hidden fields plus `fields`).
    pub async fn submit(&self, issuer: &str, html: &str, form_id: &str, fields: &[(&str, &str)]) -> Landing {
        let form = form_of(html, form_id).unwrap_or_else(|| panic!("no form #{form_id} in:\n{html}"));
        let action = attr(&form, "action").unwrap_or_default();
        let action = if action.starts_with('/') { format!("{issuer}{action}") } else { action };
        let mut body: Vec<(String, String)> = hidden_inputs(&form);
        for (k, v) in fields {
            body.push((k.to_string(), v.to_string()));
        }
        let response = self.http.post(&action).form(&body).send().await.unwrap();
        self.follow(issuer, response).await
    }

    /// Goes through the login (and, if asked, consent) pages; returns the redirect to the client.
    pub async fn authorize(&self, issuer: &str, url: &str, username: &str, password: &str) -> String {
        let mut landing = self.visit(issuer, url).await;
        loop {
            match landing {
                Landing::Redirect(to) => return to,
                Landing::Page(_, html) if html.contains("id=\"login\"") => {
                    landing =
                        self.submit(issuer, &html, "login", &[("username", username), ("password", password)]).await;
                }
                Landing::Page(_, html) if html.contains("id=\"consent\"") => {
                    landing = self.submit(issuer, &html, "consent", &[("decision", "allow")]).await;
                }
                Landing::Page(_, html) if html.contains("id=\"select-account\"") => {
                    landing = self.submit(issuer, &html, "select-account", &[("choice", "continue")]).await;
                }
                Landing::Page(status, html) => panic!("unexpected page ({status}):\n{html}"),
            }
        }
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

/// The HTML of `<form id="...">...</form>`.
pub fn form_of(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = html[..start].rfind("<form")?;
    let end = html[open..].find("</form>")? + open;
    Some(html[open..end].to_string())
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn hidden_inputs(form: &str) -> Vec<(String, String)> {
    form.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default()))
        })
        .collect()
}

/// The query (or fragment) parameters of a URL as a map.
pub fn params_of(url: &str) -> std::collections::HashMap<String, String> {
    let parsed = url::Url::parse(url).unwrap();
    let mut map: std::collections::HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    if let Some(fragment) = parsed.fragment() {
        map.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    map
}

/// The hidden fields of the form `form_id` in `html`.
pub fn hidden_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    form_of(html, form_id).map(|form| hidden_inputs(&form)).unwrap_or_default()
}

/// The `action` and hidden fields of the first form of `html` (e.g. the form_post page).
pub fn first_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let open = html.find("<form")?;
    let end = html[open..].find("</form>")? + open;
    let form = &html[open..end];
    let tag = &form[..form.find('>')?];
    Some((attr(tag, "action").unwrap_or_default(), hidden_inputs(form)))
}

/// `identita ARGS` on `server`'s data (its database, Redis and keys), as an operator on the same
/// machine runs it, with the settings `env` besides; settings of the developer's shell do not
/// leak in.
pub fn cli_beside(server: &TestServer, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let config = &server.provider.config;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_identita"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .current_dir(&server.dir)
        .env("IDENTITA_DATABASE_URL", config.database_url())
        .env("IDENTITA_KEYS_DIR", &config.keys_dir)
        .env("IDENTITA_LOG", "warn")
        .stdin(std::process::Stdio::null());
    if let Some(redis_url) = &config.redis_url {
        command.env("IDENTITA_REDIS_URL", redis_url).env("IDENTITA_REDIS_PREFIX", &config.redis_prefix);
    }
    command.envs(env.iter().copied()).output().unwrap()
}

/// Fails the test under `CI=true`, where a skip is a failure.
pub fn under_ci_a_skip_fails(test: &str, what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: needs {what}; under CI=true a skip is a failure");
    }
}

/// A `[[faces]]` entry: face `name` of `persona`, served at `url` on the main listener, with the
/// persona's own issuer and quirks.
pub fn face(name: &str, persona: &str, url: String) -> identita::config::FaceConfig {
    identita::config::FaceConfig {
        name: name.into(),
        persona: persona.into(),
        issuer: None,
        url: Some(url),
        listen: None,
        share_sessions: None,
        mojeid: None,
        quirks: identita::persona::QuirkSettings::default(),
    }
}
