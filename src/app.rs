//! Assembling and running the provider: configuration → stores, keys, clock → HTTP server with
//! graceful shutdown and background housekeeping.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::authn::Authn;
use crate::authn::mojeid_federation::{self, Federation, Source};
use crate::clock::SharedClock;
use crate::config::{Config, DatabaseBackend, FaceConfig};
use crate::keys::KeyRing;
use crate::notify::Notifier;
use crate::oidc::Provider;
use crate::oidc::fetch::Fetcher;
use crate::oidc::tokens::IdTokenSigner;
use crate::persona::Persona;
use crate::store::Stores;
use crate::store::client_cache::CachedClients;
use crate::store::face::Face;
use crate::store::postgres::PostgresStore;
use crate::store::redis::RedisStore;
use crate::store::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error("{0}")]
    Io(String),
}

/// Builds the provider from its configuration: opens (and migrates) the database, loads or
/// creates the key ring and the pairwise salt.
pub async fn provider(config: Config, clock: SharedClock) -> Result<Provider, StartError> {
    config.validate().map_err(|e| StartError::Config(e.to_string()))?;
    let persona = Persona::by_name(&config.persona, Some(&config.issuer), None)
        .ok_or_else(|| StartError::Config(format!("unknown persona {}", config.persona)))?;
    let url = config.database_url();
    let durable = match config.database_backend().map_err(|e| StartError::Config(e.to_string()))? {
        DatabaseBackend::Sqlite => Stores::from_one(SqliteStore::connect(&url).await?),
        DatabaseBackend::Postgres => {
            let store = PostgresStore::connect(&url).await?;
            let broadcast = Arc::new(store.broadcast().await?);
            Stores { broadcast, ..Stores::from_one(store) }
        }
    };
    // With Redis, what expires lives there and the durable data stays in the database.
    let mut stores = match &config.redis_url {
        Some(redis_url) => RedisStore::connect(redis_url, &config.redis_prefix, clock.clone()).await?.compose(durable),
        None => durable,
    };
    stores.clients = Arc::new(CachedClients::new(stores.clients));
    // Each face finds only its own clients, sessions, codes and tokens (src/store/face.rs).
    let shared = stores;
    let stores = Face { name: None }.view(shared.clone());
    let opened_at = clock.now();
    let keys = KeyRing::load_or_create(&config.keys_dir, opened_at)?;
    // A key made now was made by this start: a missing or new keys directory, or a key lost.
    let keys_generated = keys.list().iter().any(|k| k.status == "active" && k.created_at == opened_at);
    tracing::info!(
        database = %crate::logging::redacted_url(&url),
        redis = config.redis_url.as_deref().map(crate::logging::redacted_url).map(tracing::field::display),
        keys_dir = %config.keys_dir.display(),
        keys_generated,
        "storage and keys ready"
    );
    let pairwise_salt = load_or_create_salt(&config.keys_dir.join("pairwise.salt"))?;
    let fetcher = Fetcher::new(config.outbound.allow_loopback, config.outbound_ca_file.as_deref())
        .map_err(|e| StartError::Config(format!("outbound_ca_file: {e}")))?;
    let id_token_signer: Arc<dyn IdTokenSigner> = Arc::new(keys.clone());
    // The deliberate defects of a test build wrap what was assembled above (src/defects/).
    #[cfg(feature = "defects")]
    let (stores, id_token_signer, persona) = {
        let defects = crate::defects::Defects::from_env().map_err(StartError::Config)?;
        defects.warn();
        (defects.wrap_stores(stores), defects.wrap_id_token_signer(id_token_signer), defects.spoil_persona(persona))
    };
    let (persona_saml, config_keys_dir, persona_issuer) =
        (persona.saml, config.keys_dir.clone(), persona.issuer.clone());
    let primary = Provider {
        config: Arc::new(config),
        persona: Arc::new(persona),
        stores,
        keys,
        clock,
        fetcher,
        pairwise_salt: Arc::new(pairwise_salt),
        id_token_signer,
        faces: Arc::new([]),
        siblings: Arc::new([]),
        saml: saml_key(&persona_saml, &config_keys_dir, &persona_issuer)?,
    };
    let faces: Vec<Provider> =
        primary.config.faces.iter().map(|face| other_face(&primary, &shared, face)).collect::<Result<_, _>>()?;
    // The faces that share sessions know each other (one level deep: siblings have none).
    let sharing: Vec<Provider> =
        std::iter::once(&primary).chain(faces.iter()).filter(|f| f.persona.shares_sessions).cloned().collect();
    let siblings_of = |face: &Provider| -> Arc<[Provider]> {
        match face.persona.shares_sessions {
            true => sharing.iter().filter(|s| s.persona.face != face.persona.face).cloned().collect(),
            false => Arc::new([]),
        }
    };
    let faces: Arc<[Provider]> =
        faces.iter().map(|face| Provider { siblings: siblings_of(face), ..face.clone() }).collect();
    Ok(Provider { siblings: siblings_of(&primary), faces, ..primary })
}

/// The provider of a face of `[[faces]]`: the primary's configuration, clock and outbound
/// clients; its own issuer, keys (`<keys_dir>/faces/<name>/`) and view of the `shared` stores.
fn other_face(primary: &Provider, shared: &Stores, face: &FaceConfig) -> Result<Provider, StartError> {
    let persona = face.persona().map_err(|e| StartError::Config(e.to_string()))?;
    let keys_dir = primary.config.keys_dir.join("faces").join(&face.name);
    let keys = KeyRing::load_or_create(&keys_dir, primary.now())?;
    tracing::info!(face = %face.name, issuer = %persona.issuer, url = %persona.base_url, keys_dir = %keys_dir.display(), "face ready");
    let stores = Face { name: persona.face.clone() }.view(shared.clone());
    let saml = saml_key(&persona.saml, &keys_dir, &persona.issuer)?;
    Ok(Provider {
        persona: Arc::new(persona),
        stores,
        id_token_signer: Arc::new(keys.clone()),
        keys,
        faces: Arc::new([]),
        siblings: Arc::new([]),
        saml,
        ..primary.clone()
    })
}

/// The SAML signing key of a face that serves SAML (`<keys dir>/saml/`, made when first used).
fn saml_key(
    surface: &Option<crate::persona::SamlSurface>,
    keys_dir: &Path,
    issuer: &str,
) -> Result<Option<Arc<crate::saml::SamlKey>>, StartError> {
    match surface {
        Some(_) => Ok(Some(Arc::new(crate::saml::SamlKey::open(&keys_dir.join("saml"), issuer)?))),
        None => Ok(None),
    }
}

/// The authentication services over the provider's stores, with its password settings and the
/// notifier of `[notifier]` (its outbox in the provider's stores).
pub fn authn(provider: &Provider) -> Result<Authn, StartError> {
    let config = &provider.config;
    let notifier = Notifier::new(
        &config.notifier,
        config.outbound_ca_file.as_deref(),
        provider.stores.outbox.clone(),
        provider.clock.clone(),
    )
    .map_err(|e| StartError::Config(e.to_string()))?;
    let mut authn =
        Authn::new(&config.password, &provider.stores, notifier).map_err(|e| StartError::Config(e.to_string()))?;
    let (clock, ca_file) = (provider.clock.clone(), config.outbound_ca_file.as_deref());
    authn.banks = crate::authn::bank::Banks::new(&config.banks, clock.clone(), ca_file)
        .map_err(|e| StartError::Config(e.to_string()))?;
    let faces = std::iter::once(provider).chain(provider.faces.iter()).map(|f| &*f.persona);
    authn.mojeid = Federation::new(config, faces, &provider.pairwise_salt, clock, ca_file)
        .map_err(|e| StartError::Config(e.to_string()))?;
    Ok(authn)
}

/// Makes (or brings up to date) the client of each face that logs citizens in at this server's
/// `mojeid` face (`authn::mojeid_federation`, [`Source::Local`]): its redirect URI the face's
/// mojeID callback, its secret derived from the server's secret (so every node and every start
/// makes the same one), first-party (the citizen consents at the face that asked), with full
/// access (mojeID's status and validity claims) and the account's id as its `sub`.
async fn ensure_mojeid_clients(provider: &Provider) -> Result<(), StartError> {
    let faces: Vec<&Provider> = std::iter::once(provider).chain(provider.faces.iter()).collect();
    for face in &faces {
        let Some(Source::Local(mojeid)) = mojeid_federation::source(&provider.config, &face.persona) else { continue };
        let Some(at) = faces.iter().find(|f| f.persona.face == mojeid.face) else { continue };
        let id = mojeid_federation::local_client_id(&face.persona);
        let secret = mojeid_federation::local_client_secret(&provider.pairwise_salt, &face.persona);
        let meta = crate::oidc::registration::ClientMetadata {
            client_name: Some("Národní identitní autorita (NIA)".into()),
            redirect_uris: vec![face.persona.url(face.persona.paths.login_mojeid_callback)],
            token_endpoint_auth_method: Some("client_secret_basic".into()),
            subject_type: Some("public".into()),
            first_party: Some(true),
            full_access: Some(true),
            client_secret: Some(secret.expose().to_owned()),
            ..Default::default()
        };
        let invalid = |e: String| StartError::Config(format!("the client {id} at the face {:?}: {e}", mojeid.face));
        let (mut client, _) = crate::oidc::registration::build(at, meta, id.clone(), provider.now())
            .await
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(existing) = at.stores.clients.get(&id).await? {
            client.created_at = existing.created_at;
            if existing == client {
                continue;
            }
        }
        at.stores.clients.put(&client).await?;
        tracing::info!(client_id = %id, face = ?mojeid.face, "the client for mojeID as a means is ready");
    }
    Ok(())
}

/// Starts handing MEG pushes sent by any node to the devices connected to this one; while the
/// store refuses, tries again every few seconds in the background.
async fn hear_pushes(authn: &Authn) {
    let Err(e) = authn.push.listen().await else { return };
    tracing::warn!(error = %e, "MEG pushes from other nodes are not heard yet; trying again");
    let push = authn.push.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if push.listen().await.is_ok() {
                tracing::info!("MEG pushes from other nodes are heard again");
                return;
            }
        }
    });
}

/// The secret behind every pairwise `sub`: read when present, made (0600) only when absent. A
/// salt that is there but unusable stops the start: replacing it would change every pairwise
/// subject identifier the relying parties hold.
fn load_or_create_salt(path: &Path) -> Result<String, StartError> {
    match std::fs::read_to_string(path) {
        Ok(existing) => {
            let salt = existing.trim();
            if salt.len() < SALT_MIN_LEN || !salt.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(StartError::Io(format!(
                    "{} is not a valid pairwise salt (at least {SALT_MIN_LEN} printable characters); \
                     restore it from a backup: replacing it would change every pairwise subject identifier",
                    path.display()
                )));
            }
            Ok(salt.to_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_salt(path),
        Err(e) => Err(StartError::Io(format!("reading {}: {e}", path.display()))),
    }
}

const SALT_MIN_LEN: usize = 32;

fn create_salt(path: &Path) -> Result<String, StartError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StartError::Io(format!("creating {}: {e}", dir.display())))?;
    }
    let salt = crate::secret::random_token(32);
    // Written whole under a temporary name, then linked into place: a process starting at the same
    // moment sees no salt or the whole salt, and the link fails rather than replace its salt.
    let temp = path.with_extension(format!("salt.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp); // left by a crash of a process with the same id
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut file| file.write_all(salt.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match written {
        Ok(()) => Ok(salt),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.exists() => load_or_create_salt(path),
        Err(e) => Err(StartError::Io(format!("writing {}: {e}", path.display()))),
    }
}

/// Serves on `listener` (plain TCP or [`crate::tls::TlsListener`]) until `shutdown` completes,
/// with the connection limits of `http.*` (src/server.rs); housekeeping runs beside it.
pub async fn serve<L>(
    provider: Provider,
    authn: Authn,
    listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    ensure_mojeid_clients(&provider).await.map_err(|e| std::io::Error::other(e.to_string()))?;
    let housekeeping = tokio::spawn(housekeeping(provider.clone()));
    let key_reloading: Vec<_> =
        std::iter::once(&provider).chain(provider.faces.iter()).map(|p| tokio::spawn(reload_keys(p.clone()))).collect();
    hear_pushes(&authn).await;
    let timeouts = crate::server::Timeouts {
        header_read: Duration::from_secs(provider.config.http.header_read_timeout),
        idle: Duration::from_secs(provider.config.http.idle_timeout),
    };
    // One shutdown for every listener: the main one's and those of faces with their own.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let stopped = move |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let own = own_listeners(&provider, &authn, &timeouts, stopped, &stopping).await?;
    #[cfg(feature = "defects")]
    let defects = crate::defects::Defects::from_env().unwrap_or_default().layers(&provider);
    let router = crate::http::router(provider, authn);
    #[cfg(feature = "defects")]
    let router = defects.around(router);
    let main = crate::server::serve(listener, router, timeouts, stopped(stopping));
    tokio::pin!(main);
    let result = tokio::select! {
        result = &mut main => result,
        () = shutdown => {
            let _ = stop.send(true);
            main.await
        }
    };
    let _ = stop.send(true);
    for served in own {
        let _ = served.await;
    }
    housekeeping.abort();
    key_reloading.iter().for_each(tokio::task::JoinHandle::abort);
    result
}

/// Binds the listeners of the faces that have their own (`[[faces]] listen`) and serves each
/// face there until `stopped`.
async fn own_listeners<F, Fut>(
    provider: &Provider,
    authn: &Authn,
    timeouts: &crate::server::Timeouts,
    stopped: F,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<Vec<tokio::task::JoinHandle<std::io::Result<()>>>>
where
    F: Fn(tokio::sync::watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut served = Vec::new();
    for face in provider.faces.iter() {
        let listen =
            provider.config.faces.iter().find(|f| Some(&f.name) == face.persona.face.as_ref()).and_then(|f| f.listen);
        let Some(addr) = listen else { continue };
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("binding {addr} for the face {}: {e}", face.persona.name))
        })?;
        tracing::info!(%addr, face = face.persona.face.as_deref().unwrap_or_default(), url = %face.persona.base_url, "face listening");
        let router = crate::http::router_of_face(face, authn.clone());
        let timeouts = *timeouts;
        let stop = stopped(stopping.clone());
        let tls = (&provider.config.tls.cert_file, &provider.config.tls.key_file);
        served.push(match tls {
            (Some(cert), Some(key)) => {
                let acceptor = crate::tls::acceptor(cert, key).map_err(|e| std::io::Error::other(e.to_string()))?;
                let listener = crate::tls::TlsListener::new(listener, acceptor)?;
                tokio::spawn(crate::server::serve(listener, router, timeouts, stop))
            }
            _ => tokio::spawn(crate::server::serve(listener, router, timeouts, stop)),
        });
    }
    Ok(served)
}

/// Binds to the configured address and serves until SIGTERM or Ctrl-C.
pub async fn run(provider: Provider, authn: Authn) -> Result<(), StartError> {
    let addr: SocketAddr = provider.config.listen;
    let listener = TcpListener::bind(addr).await.map_err(|e| StartError::Io(format!("binding {addr}: {e}")))?;
    let metrics = &provider.config.metrics;
    let metrics_listen = match metrics.listen.filter(|_| metrics.enabled) {
        Some(metrics_addr) => Some(crate::metrics::serve_on(metrics_addr).await.map_err(StartError::Io)?),
        None => None,
    };
    tracing::info!(
        %addr,
        issuer = %provider.issuer(),
        database = %crate::logging::redacted_url(&provider.config.database_url()),
        keys_dir = %provider.config.keys_dir.display(),
        metrics = %match (metrics.enabled, metrics_listen) {
            (false, _) => "off".to_owned(),
            (true, Some(at)) => format!("http://{at}/metrics"),
            (true, None) => "/metrics".to_owned(),
        },
        sms = provider.config.notifier.sms.as_str(),
        email = provider.config.notifier.email.as_str(),
        "identita is listening"
    );
    crate::http::security::warn_about_transport(&provider.config);
    let served = match (&provider.config.tls.cert_file, &provider.config.tls.key_file) {
        (Some(cert), Some(key)) => {
            let acceptor = crate::tls::acceptor(cert, key).map_err(|e| StartError::Config(e.to_string()))?;
            let listener =
                crate::tls::TlsListener::new(listener, acceptor).map_err(|e| StartError::Io(e.to_string()))?;
            serve(provider, authn, listener, shutdown_signal()).await
        }
        _ => serve(provider, authn, listener, shutdown_signal()).await,
    };
    served.map_err(|e| StartError::Io(e.to_string()))?;
    tracing::info!("identita stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Every `keys_reload_interval`: pick up keys rotated by another process (`identita keys rotate`,
/// or another node sharing the keys directory), so that every node publishes and uses them.
async fn reload_keys(provider: Provider) {
    let mut tick = tokio::time::interval(Duration::from_secs(provider.config.keys_reload_interval));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = provider.keys.reload() {
            tracing::warn!(error = %e, "reloading keys failed");
        }
    }
}

/// Every minute: purge expired records, prune keys whose tokens have all expired.
async fn housekeeping(provider: Provider) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = provider.now();
        if let Err(e) = provider.stores.maintenance.purge_expired(now).await {
            crate::metrics::store_error(&e);
            tracing::warn!(error = %e, "purging expired records failed");
        }
        for face in std::iter::once(&provider).chain(provider.faces.iter()) {
            if let Err(e) = face.keys.prune(now, face.key_retention()) {
                tracing::warn!(error = %e, issuer = %face.issuer(), "pruning retired keys failed");
            }
        }
    }
}
