//! The embedded SQLite store: one [`SqliteStore`] implements every store trait.
//!
//! Records are kept whole as JSON next to the columns that lookups and expiry need. Everything
//! that must happen at most once (redeeming a code, rotating a refresh token, remembering a key)
//! is a single conditional statement, so SQLite's write lock decides which of two racing
//! requests wins. The schema lives in `migrations/sqlite` and is applied on connect.
//!
//! The process keeps one connection and calls it in place, on the thread that serves the
//! request: a lookup by key in a warm page cache takes microseconds, less than handing it to
//! another thread would (a connection thread of its own, as sqlx has, cost 40–60 µs a query on
//! one core). Nothing waits while holding the connection: the busy timeout is zero, and when
//! another process (the `identita` CLI, say) holds the write lock the statement is retried after
//! an asynchronous pause, up to [`BUSY_TIMEOUT`].
//!
//! Writes commit in groups. A write joins the transaction that is open (or opens one), runs in a
//! savepoint of its own (so it is whole or not there at all), lets the other requests that are
//! ready run and join too, and then commits whatever has joined unless another write already
//! has. A commit costs file locks and a log append whatever it holds, so under load one commit
//! serves many requests; a lone write costs what it did. A write returns only after the commit
//! that holds it, so nothing is answered that is not stored. A read runs inside the open
//! transaction and so sees the writes of requests that are still waiting for their commit;
//! should that commit fail, those requests answer with an error.

mod audit;
mod cards;
mod clerks;
mod clients;
mod codes;
mod consents;
mod counters;
mod dump;
mod interactions;
mod maintenance;
mod meg;
mod migrate;
mod mojeid;
mod outbox;
mod persons;
mod registrations;
mod replay;
mod saml_sps;
mod security_keys;
mod sessions;
mod tokens;
mod users;

#[cfg(test)]
use super::fixtures;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::FromSql;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// How long a statement keeps trying while another process holds the write lock, before the
/// store is reported unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The first pause before retrying a busy statement; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_micros(200);
const MAX_PAUSE: Duration = Duration::from_millis(20);
/// The page cache's ceiling, in KiB (SQLite's default is 2 MiB).
const CACHE_KIB: i64 = 16 * 1024;
/// Log pages between checkpoints (SQLite's default is 1000, 4 MB).
const WAL_AUTOCHECKPOINT: i64 = 10_000;
/// Every statement the stores use, prepared once and kept.
const STATEMENT_CACHE: usize = 96;

/// How many failed group commits are remembered for the writes still to learn of them.
const FAILED_COMMITS_KEPT: usize = 64;

/// Every store, backed by one SQLite database; clones share the connection.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    db: Arc<Mutex<Db>>,
}

/// The connection and the group commit in progress on it.
#[derive(Debug)]
struct Db {
    conn: Connection,
    /// The number of the group that is open (when `open`) or opens next; groups commit in order.
    group: u64,
    open: bool,
    /// Recent groups whose commit failed, with why.
    failed: VecDeque<(u64, String)>,
}

impl Db {
    /// Runs `work` in the open group, opening one if none is; with the group's number.
    ///
    /// A write of several statements runs in a savepoint of its own. One statement needs none:
    /// SQLite undoes a failed statement by itself, and skipping the savepoint spares copying
    /// every page the write touches into the savepoint's journal.
    fn join<T>(
        &mut self,
        scope: Scope,
        work: impl Fn(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<(T, u64)> {
        if !self.open {
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            self.open = true;
        }
        let savepoint = scope == Scope::Statements;
        if savepoint {
            self.conn.prepare_cached("SAVEPOINT write")?.execute([])?;
        }
        let done = work(&self.conn).and_then(|value| {
            if savepoint {
                self.conn.prepare_cached("RELEASE write")?.execute([])?;
            }
            Ok(value)
        });
        match done {
            Ok(value) => Ok((value, self.group)),
            Err(e) if self.conn.is_autocommit() => {
                // SQLite rolled the whole transaction back (a full disk, an I/O error): the
                // group's other writes are gone too, and must not be reported committed.
                self.fail(e.to_string());
                Err(e)
            }
            Err(e) if savepoint => {
                // Undoes this write alone; the others in the group stay.
                if let Err(undo) = self.conn.execute_batch("ROLLBACK TO write; RELEASE write") {
                    tracing::error!(error = %undo, "undoing a failed write");
                }
                Err(e)
            }
            // The failed statement undid itself; the others in the group stay.
            Err(e) => Err(e),
        }
    }

    /// Records the open group as failed and closes it.
    fn fail(&mut self, why: String) {
        self.failed.push_back((self.group, why));
        if self.failed.len() > FAILED_COMMITS_KEPT {
            self.failed.pop_front();
        }
        self.open = false;
        self.group += 1;
    }

    /// Commits the open group, if any.
    fn commit(&mut self) {
        if !self.open {
            return;
        }
        match self.conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])) {
            Ok(_) => {
                self.open = false;
                self.group += 1;
            }
            Err(e) => {
                if !self.conn.is_autocommit()
                    && let Err(undo) = self.conn.execute_batch("ROLLBACK")
                {
                    tracing::error!(error = %undo, "rolling back a group that failed to commit");
                }
                self.fail(e.to_string());
            }
        }
    }

    /// Sees group `group` committed (committing it if it is still open): whether it was.
    fn settle(&mut self, group: u64) -> Result<(), StoreError> {
        if self.open && self.group == group {
            self.commit();
        }
        match self.failed.iter().find(|(failed, _)| *failed == group) {
            Some((_, why)) => Err(StoreError::Unavailable(format!("committing to the database: {why}"))),
            None => Ok(()),
        }
    }
}

/// What a write runs: one statement, or several that must be whole together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Statement,
    Statements,
}

/// A write waiting for its group's commit; dropped unsettled (its request abandoned), it commits
/// the group all the same, so the others in it are not kept waiting and the lock is let go.
struct Pending<'a> {
    store: &'a SqliteStore,
    group: u64,
    settled: bool,
}

impl Pending<'_> {
    fn settle(mut self) -> Result<(), StoreError> {
        self.settled = true;
        self.store.lock().settle(self.group)
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let _ = self.store.lock().settle(self.group);
        }
    }
}

/// Where a `sqlite:` URL points.
#[derive(Debug, PartialEq)]
enum Location {
    Memory,
    File { path: PathBuf, flags: OpenFlags },
}

impl SqliteStore {
    /// Opens (creating if missing, with its directory) the database at `url`
    /// (`sqlite://path/to/file.db`, optionally `?mode=ro|rw|rwc`; `sqlite::memory:`) and brings
    /// its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let location = parse_url(url)?;
        // Opening may wait for another process's lock and migrating writes: off the runtime.
        tokio::task::spawn_blocking(move || open(&location))
            .await
            .map_err(|e| StoreError::Unavailable(format!("opening the database: {e}")))?
    }

    /// A fresh private in-memory database, for tests.
    #[cfg(test)]
    pub async fn memory() -> Result<SqliteStore, StoreError> {
        open(&Location::Memory)
    }

    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads: `work` runs on the connection, inside the open group if there is one.
    async fn read<T>(&self, work: impl Fn(&Connection) -> rusqlite::Result<T> + Send + Sync) -> Result<T, StoreError> {
        self.retrying(|db| work(&db.conn)).await
    }

    /// Writes: `work` joins the group commit (see the module's documentation) and this returns
    /// once the group holding it has committed.
    async fn write<T: Send>(
        &self,
        work: impl Fn(&Connection) -> rusqlite::Result<T> + Send + Sync,
    ) -> Result<T, StoreError> {
        self.write_in(Scope::Statements, work).await
    }

    /// A write of exactly one statement (see [`Db::join`]).
    async fn write_statement<T: Send>(
        &self,
        work: impl Fn(&Connection) -> rusqlite::Result<T> + Send + Sync,
    ) -> Result<T, StoreError> {
        self.write_in(Scope::Statement, work).await
    }

    async fn write_in<T: Send>(
        &self,
        scope: Scope,
        work: impl Fn(&Connection) -> rusqlite::Result<T> + Send + Sync,
    ) -> Result<T, StoreError> {
        // A write that fails (a conflict, say) waits for its group like the others: it may have
        // opened the group, whose transaction would otherwise keep the write lock, with no
        // write left to commit it, until the next write came — and lock the CLI out meanwhile.
        let (outcome, group) = self
            .retrying(|db| match db.join(scope, &work) {
                Ok((value, group)) => Ok((Ok(value), group)),
                Err(e) if !is_busy(&e) => Ok((Err(e), db.group)),
                Err(e) => Err(e),
            })
            .await?;
        let pending = Pending { store: self, group, settled: false };
        // Lets the other requests that are ready run first, and join this group.
        tokio::task::yield_now().await;
        let settled = pending.settle();
        let value = outcome.map_err(db_error)?;
        settled?;
        Ok(value)
    }

    /// Runs `work`, a transaction of its own, after committing the open group.
    async fn alone<T>(
        &self,
        work: impl Fn(&mut Connection) -> rusqlite::Result<T> + Send + Sync,
    ) -> Result<T, StoreError> {
        self.retrying(|db| {
            db.commit();
            work(&mut db.conn)
        })
        .await
    }

    /// Runs `attempt` with the connection, again after an asynchronous pause while another process
    /// holds the lock it needs. `attempt` must be one statement or one transaction, so that a
    /// retry starts from nothing.
    async fn retrying<T>(
        &self,
        mut attempt: impl FnMut(&mut Db) -> rusqlite::Result<T> + Send,
    ) -> Result<T, StoreError> {
        let mut retry: Option<(Instant, Duration)> = None;
        loop {
            let result = attempt(&mut self.lock());
            match result {
                Err(e) if is_busy(&e) => {
                    let (started, pause) = retry.get_or_insert((Instant::now(), FIRST_PAUSE));
                    if started.elapsed() >= BUSY_TIMEOUT {
                        return Err(StoreError::Unavailable(format!(
                            "the database stayed locked by another process for {} s: {e}",
                            BUSY_TIMEOUT.as_secs()
                        )));
                    }
                    tokio::time::sleep(*pause).await;
                    *pause = (*pause * 2).min(MAX_PAUSE);
                }
                other => return other.map_err(db_error),
            }
        }
    }

    /// The first column of the row `sql` returns, if it returns one.
    async fn optional<T: FromSql + Send>(
        &self,
        sql: &'static str,
        params: impl Params + Clone + Send + Sync,
    ) -> Result<Option<T>, StoreError> {
        self.read(|db| db.prepare_cached(sql)?.query_row(params.clone(), |row| row.get(0)).optional()).await
    }

    /// The first column of the row a writing statement (`… RETURNING`) returns, if it returns one.
    async fn write_optional<T: FromSql + Send>(
        &self,
        sql: &'static str,
        params: impl Params + Clone + Send + Sync,
    ) -> Result<Option<T>, StoreError> {
        self.write_statement(|db| db.prepare_cached(sql)?.query_row(params.clone(), |row| row.get(0)).optional()).await
    }

    /// Runs one writing statement; the number of rows it changed.
    async fn execute(&self, sql: &'static str, params: impl Params + Clone + Send + Sync) -> Result<usize, StoreError> {
        self.write_statement(|db| db.prepare_cached(sql)?.execute(params.clone())).await
    }
}

fn open(location: &Location) -> Result<SqliteStore, StoreError> {
    let unavailable = |what: &str, e: rusqlite::Error| StoreError::Unavailable(format!("{what}: {e}"));
    let mut conn = match location {
        Location::Memory => Connection::open_in_memory(),
        Location::File { path, flags } => {
            create_parent_dir(path)?;
            if flags.contains(OpenFlags::SQLITE_OPEN_READ_WRITE) {
                owner_only_files(path)?;
            }
            Connection::open_with_flags(path, *flags)
        }
    }
    .map_err(|e| unavailable("opening the database", e))?;
    // While opening, wait for another process's lock as any client would.
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| unavailable("configuring the database", e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", true).map_err(|e| unavailable("configuring the database", e))?;
    if matches!(location, Location::File { .. }) {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| unavailable("switching the database to WAL", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!("the database stays in {mode} mode, not WAL")));
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| unavailable("configuring the database", e))?;
        // Checkpoints copy the log into the database and wait for the disk, on the thread of the
        // request whose commit triggers them; fewer, larger ones write a page changed many
        // times over (an index's last leaf) once instead of each time.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)
            .map_err(|e| unavailable("configuring the database", e))?;
    }
    // Temporary files in memory: above all the savepoints' journal, which a group commit fills
    // with every page its writes change and which SQLite otherwise spills to a file on disk
    // past 64 KiB, writing each page there once more.
    conn.pragma_update(None, "temp_store", "MEMORY").map_err(|e| unavailable("configuring the database", e))?;
    // The hot pages of every table and index stay in memory; this is a ceiling, used as needed.
    conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(|e| unavailable("configuring the database", e))?;
    migrate::run(&mut conn)?;
    conn.busy_timeout(Duration::ZERO).map_err(|e| unavailable("configuring the database", e))?;
    Ok(SqliteStore { db: Arc::new(Mutex::new(Db { conn, group: 0, open: false, failed: VecDeque::new() })) })
}

/// `sqlite::memory:`, `sqlite:path`, `sqlite://path` (`sqlite:///abs/path`), each optionally
/// with `?mode=ro|rw|rwc|memory`.
fn parse_url(url: &str) -> Result<Location, StoreError> {
    let invalid = |why: String| StoreError::Unavailable(format!("invalid database URL {url}: {why}"));
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| invalid("it must start with sqlite:".into()))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut memory = path == ":memory:";
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match (&*name, &*value) {
            ("mode", "rwc") => {}
            ("mode", "rw") => flags.remove(OpenFlags::SQLITE_OPEN_CREATE),
            ("mode", "ro") => {
                flags.remove(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE);
                flags.insert(OpenFlags::SQLITE_OPEN_READ_ONLY);
            }
            ("mode", "memory") => memory = true,
            ("mode", other) => return Err(invalid(format!("mode must be ro, rw, rwc or memory, not {other}"))),
            (other, _) => return Err(invalid(format!("unknown parameter {other}"))),
        }
    }
    if memory {
        return Ok(Location::Memory);
    }
    if path.is_empty() {
        return Err(invalid("it names no file".into()));
    }
    Ok(Location::File { path: PathBuf::from(path), flags })
}

/// The database's directory, when missing, is made readable by the owner only (0700).
fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

/// The database holds password hashes: its file is made 0600 before SQLite opens it, whatever the
/// umask, and SQLite gives its `-wal` and `-shm` files the database file's mode. Files an older
/// version left readable by others are narrowed too.
fn owner_only_files(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let failed = |p: &Path, e: std::io::Error| StoreError::Unavailable(format!("securing {}: {e}", p.display()));
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed(path, e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = Path::new(&name);
        let Ok(meta) = std::fs::metadata(file) else { continue };
        if meta.permissions().mode() & 0o077 != 0 {
            let mode = meta.permissions().mode() & 0o700;
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).map_err(|e| failed(file, e))?;
        }
    }
    Ok(())
}

/// Another connection holds a lock this statement needs.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// A taken unique value is the caller's conflict; a value that will not decode is corruption;
/// anything else is the database failing, which a later retry may get past.
fn db_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match &error {
        E::SqliteFailure(e, message)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(message.clone().unwrap_or_else(|| e.to_string()))
        }
        E::FromSqlConversionFailure(..) | E::IntegralValueOutOfRange(..) | E::InvalidColumnType(..) => {
            StoreError::Corrupt(error.to_string())
        }
        _ => StoreError::Unavailable(error.to_string()),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding a record: {e}")))
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("decoding a record: {e}")))
}

/// Whether tokens of a grant with these scopes survive the end of the SSO session.
fn is_offline(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClientStore, Stores};

    /// Runs a conformance case on a fresh in-memory database.
    async fn on_memory<F: Future<Output = ()>>(_test: &str, case: impl FnOnce(Stores) -> F) {
        case(Stores::from_one(SqliteStore::memory().await.unwrap())).await;
    }

    mod conformance {
        crate::store::conformance_tests::conformance_suite!(super::on_memory);
    }

    fn token(digest: &str) -> crate::model::AccessToken {
        crate::model::AccessToken {
            digest: digest.into(),
            grant: fixtures::grant("g1", Some("sid1"), &["openid"]),
            issued_at: fixtures::NOW,
            expires_at: fixtures::NOW + 300,
        }
    }

    #[tokio::test]
    async fn writes_ready_together_commit_together_and_a_failing_one_takes_only_itself_back() {
        use crate::store::TokenStore;
        let store = SqliteStore::memory().await.unwrap();
        store.insert_access(&token("taken")).await.unwrap();
        let before = store.lock().group;
        let tokens = [token("a"), token("b"), token("taken"), token("c")];
        let (a, b, taken, c) = tokio::join!(
            store.insert_access(&tokens[0]),
            store.insert_access(&tokens[1]),
            store.insert_access(&tokens[2]),
            store.insert_access(&tokens[3]),
        );
        assert!(a.is_ok() && b.is_ok() && c.is_ok());
        assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
        assert_eq!(store.lock().group, before + 1, "one commit for the four writes");
        for digest in ["a", "b", "c", "taken"] {
            assert!(store.get_access(digest, fixtures::NOW).await.unwrap().is_some(), "{digest}");
        }
    }

    #[tokio::test]
    async fn a_failed_write_alone_does_not_keep_the_write_lock() {
        use crate::store::TokenStore;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("identita.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.insert_access(&token("taken")).await.unwrap();
        let again = store.insert_access(&token("taken")).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // Another process (the CLI) writes at once, not after the busy timeout.
        let other = SqliteStore::connect(&url).await.unwrap();
        let started = Instant::now();
        other.insert_access(&token("from-the-cli")).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert!(store.get_access("from-the-cli", fixtures::NOW).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_write_has_committed_when_it_returns() {
        use crate::store::TokenStore;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("identita.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let writes: Vec<_> = (0..32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { store.insert_access(&token(&format!("t{n}"))).await })
            })
            .collect();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        // Another connection sees only what is committed.
        let other = SqliteStore::connect(&url).await.unwrap();
        for n in 0..32 {
            assert!(other.get_access(&format!("t{n}"), fixtures::NOW).await.unwrap().is_some(), "t{n}");
        }
    }

    #[tokio::test]
    async fn an_in_memory_url_keeps_one_database() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        store.put(&fixtures::client("rp")).await.unwrap();
        assert!(ClientStore::get(&store, "rp").await.unwrap().is_some());
    }

    #[test]
    fn urls_name_a_file_or_memory() {
        let file = |path: &str| match parse_url(path) {
            Ok(Location::File { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(file("sqlite://data/identita.db?mode=rwc"), PathBuf::from("data/identita.db"));
        assert_eq!(file("sqlite:///var/lib/identita.db"), PathBuf::from("/var/lib/identita.db"));
        assert_eq!(file("sqlite:x.db"), PathBuf::from("x.db"));
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Location::Memory);
        assert_eq!(parse_url("sqlite://x.db?mode=memory").unwrap(), Location::Memory);
        assert!(parse_url("postgres://x").is_err());
        assert!(parse_url("sqlite://x.db?cache=shared").is_err());
    }

    #[tokio::test]
    async fn a_bad_url_is_an_error() {
        let result = SqliteStore::connect("sqlite://x.db?mode=bogus").await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
    }

    #[tokio::test]
    async fn undecodable_rows_are_corrupt() {
        let store = SqliteStore::memory().await.unwrap();
        store
            .execute("INSERT INTO clients (client_id, data, created_at) VALUES ('rp', '{not json', 0)", [])
            .await
            .unwrap();
        assert!(matches!(ClientStore::get(&store, "rp").await, Err(StoreError::Corrupt(_))));
    }

    /// A grant's `claims` request that is not of its shape makes the token fail to load (and the
    /// request a logged server error), never a token whose claims request is quietly gone.
    #[tokio::test]
    async fn a_token_whose_claims_request_is_malformed_is_corrupt() {
        use crate::store::TokenStore;
        let store = SqliteStore::memory().await.unwrap();
        let mut record = serde_json::to_value(token("t")).unwrap();
        record["grant"]["claims"] = serde_json::json!({ "userinfo": ["name"] });
        let sql = "INSERT INTO access_tokens (digest, grant_id, sid, offline, data, expires_at) VALUES ('t', 'g1', NULL, 0, ?1, ?2)";
        store.execute(sql, (record.to_string(), fixtures::NOW + 300)).await.unwrap();
        assert!(matches!(store.get_access("t", fixtures::NOW).await, Err(StoreError::Corrupt(_))));
    }
}
