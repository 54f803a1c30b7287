//! Assembling and running the provider: configuration → stores, keys, clock → HTTP server with
//! graceful shutdown and background housekeeping.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::authn::PasswordHasher;
use crate::clock::SharedClock;
use crate::config::{Config, DatabaseBackend};
use crate::keys::KeyRing;
use crate::oidc::Provider;
use crate::oidc::fetch::Fetcher;
use crate::persona::Persona;
use crate::store::Stores;
use crate::store::client_cache::CachedClients;
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
    let persona = Persona::by_name(&config.persona, &config.issuer)
        .ok_or_else(|| StartError::Config(format!("unknown persona {}", config.persona)))?;
    let url = config.database_url();
    let durable = match config.database_backend().map_err(|e| StartError::Config(e.to_string()))? {
        DatabaseBackend::Sqlite => Stores::from_one(SqliteStore::connect(&url).await?),
        DatabaseBackend::Postgres => Stores::from_one(PostgresStore::connect(&url).await?),
    };
    // With Redis, what expires lives there and the durable data stays in the database.
    let mut stores = match &config.redis_url {
        Some(redis_url) => RedisStore::connect(redis_url, &config.redis_prefix, clock.clone()).await?.compose(durable),
        None => durable,
    };
    stores.clients = Arc::new(CachedClients::new(stores.clients));
    let keys = KeyRing::load_or_create(&config.keys_dir, clock.now())?;
    let pairwise_salt = load_or_create_salt(&config.keys_dir.join("pairwise.salt"))?;
    let passwords = PasswordHasher::new(&config.password).map_err(|e| StartError::Config(e.to_string()))?;
    let fetcher = Fetcher::new(config.outbound.allow_loopback, config.outbound_ca_file.as_deref())
        .map_err(|e| StartError::Config(format!("outbound_ca_file: {e}")))?;
    Ok(Provider {
        config: Arc::new(config),
        persona: Arc::new(persona),
        stores,
        keys,
        clock,
        passwords,
        fetcher,
        pairwise_salt: Arc::new(pairwise_salt),
    })
}

fn load_or_create_salt(path: &Path) -> Result<String, StartError> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StartError::Io(format!("creating {}: {e}", dir.display())))?;
    }
    let salt = crate::secret::random_token(32);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| StartError::Io(format!("writing {}: {e}", path.display())))?;
    file.write_all(salt.as_bytes()).map_err(|e| StartError::Io(format!("writing {}: {e}", path.display())))?;
    Ok(salt)
}

/// Serves on `listener` (plain TCP or [`crate::tls::TlsListener`]) until `shutdown` completes;
/// housekeeping runs beside it.
pub async fn serve<L>(
    provider: Provider,
    listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    crate::http::client_addr::Peer: for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let housekeeping = tokio::spawn(housekeeping(provider.clone()));
    let key_reloading = tokio::spawn(reload_keys(provider.clone()));
    let router = crate::http::router(provider);
    let result = axum::serve(listener, router.into_make_service_with_connect_info::<crate::http::client_addr::Peer>())
        .with_graceful_shutdown(shutdown)
        .await;
    housekeeping.abort();
    key_reloading.abort();
    result
}

/// Binds to the configured address and serves until SIGTERM or Ctrl-C.
pub async fn run(provider: Provider) -> Result<(), StartError> {
    let addr: SocketAddr = provider.config.listen;
    let listener = TcpListener::bind(addr).await.map_err(|e| StartError::Io(format!("binding {addr}: {e}")))?;
    tracing::info!(%addr, issuer = %provider.issuer(), "identita is listening");
    crate::http::security::warn_about_transport(&provider.config);
    let served = match (&provider.config.tls.cert_file, &provider.config.tls.key_file) {
        (Some(cert), Some(key)) => {
            let acceptor = crate::tls::acceptor(cert, key).map_err(|e| StartError::Config(e.to_string()))?;
            let listener =
                crate::tls::TlsListener::new(listener, acceptor).map_err(|e| StartError::Io(e.to_string()))?;
            serve(provider, listener, shutdown_signal()).await
        }
        _ => serve(provider, listener, shutdown_signal()).await,
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
            tracing::warn!(error = %e, "purging expired records failed");
        }
        if let Err(e) = provider.keys.prune(now, provider.key_retention()) {
            tracing::warn!(error = %e, "pruning retired keys failed");
        }
    }
}
