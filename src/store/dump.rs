//! Every row of every table, out of one database and into another (SQLite ⇄ PostgreSQL), for
//! `identita export`, `import` and `migrate`.
//!
//! The two schemas hold the same tables but not the same column types: a boolean is an INTEGER
//! 0/1 in SQLite and a BOOLEAN in PostgreSQL, consented scopes are a JSON array in SQLite and a
//! TEXT[] in PostgreSQL, and PostgreSQL keeps opaque keys (replay, counters) escaped because it
//! cannot hold U+0000. [`TABLES`] names every column with the backend-neutral [`Kind`] of its
//! values, and each backend's `dump` module turns its rows into [`Value`]s and back, so that a
//! row read from one backend and written to the other reads back the same. JSON records (`data`,
//! `profile`) travel as their stored text, byte for byte.
//!
//! A [`Dump`] is complete or not made at all: exporting reads in one read-only transaction (a
//! consistent snapshot of a running provider), importing writes in one transaction that first
//! checks the target is empty. The file format is in [`format`].

pub mod format;

use std::collections::BTreeMap;

use super::StoreError;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use crate::config::DatabaseBackend;

/// What a column's values are, whatever each backend stores them as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Text holding a JSON document, kept byte for byte; an import checks that it parses.
    Json,
    /// A 64-bit integer (Unix seconds, counts).
    Int,
    /// SQLite: INTEGER 0/1; PostgreSQL: BOOLEAN.
    Bool,
    /// A list of strings. SQLite: a JSON array in TEXT; PostgreSQL: TEXT[].
    TextList,
    /// An opaque key, any string. PostgreSQL keeps it escaped (see `postgres::opaque_key`).
    Key,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

/// A table of both schemas. The primary key is the leading `key_columns` columns.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key_columns: usize,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: false }
}

const fn nullable(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: true }
}

/// Every table of `migrations/sqlite` and `migrations/postgres`, in the order they are written
/// and read (what others refer to first). A migration that adds a table or a column must add it
/// here too; the unit tests below compare this list with both schemas.
pub const TABLES: &[Table] = {
    use Kind::*;
    &[
        Table {
            name: "clients",
            columns: &[col("client_id", Text), col("data", Json), col("created_at", Int)],
            key_columns: 1,
        },
        // The register before the accounts that belong to its persons.
        Table {
            name: "persons",
            columns: &[
                col("id", Text),
                col("family_name", Text),
                col("given_names", Text),
                col("birth_date", Text),
                nullable("birth_number", Text),
                nullable("data_box", Text),
                col("data", Json),
            ],
            key_columns: 1,
        },
        Table {
            name: "users",
            columns: &[
                col("id", Text),
                col("username", Text),
                col("password_hash", Text),
                col("profile", Json),
                col("updated_at", Int),
                col("created_at", Int),
                col("disabled", Bool),
                nullable("person_id", Text),
            ],
            key_columns: 1,
        },
        Table {
            name: "consents",
            columns: &[col("user_id", Text), col("client_id", Text), col("scopes", TextList), col("updated_at", Int)],
            key_columns: 2,
        },
        Table {
            name: "sessions",
            columns: &[col("key", Text), col("sid", Text), col("data", Json), col("expires_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "interactions",
            columns: &[col("id", Text), col("data", Json), col("expires_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "codes",
            columns: &[
                col("digest", Text),
                col("grant_id", Text),
                col("data", Json),
                col("expires_at", Int),
                nullable("used_at", Int),
                col("replayed", Bool),
            ],
            key_columns: 1,
        },
        Table {
            name: "access_tokens",
            columns: &[
                col("digest", Text),
                col("grant_id", Text),
                nullable("sid", Text),
                col("offline", Bool),
                col("data", Json),
                col("expires_at", Int),
            ],
            key_columns: 1,
        },
        Table {
            name: "refresh_tokens",
            columns: &[
                col("digest", Text),
                col("grant_id", Text),
                nullable("sid", Text),
                col("offline", Bool),
                col("data", Json),
                col("expires_at", Int),
                nullable("used_at", Int),
                nullable("successor", Text),
            ],
            key_columns: 1,
        },
        Table { name: "replay", columns: &[col("key", Key), col("expires_at", Int)], key_columns: 1 },
        Table {
            name: "counters",
            columns: &[col("key", Key), col("count", Int), col("expires_at", Int)],
            key_columns: 1,
        },
        // The outbox travels too: a day of messages at most, and an export is a whole snapshot.
        Table {
            name: "outbox",
            columns: &[
                col("id", Text),
                col("channel", Text),
                col("recipient", Text),
                col("data", Json),
                col("created_at", Int),
            ],
            key_columns: 1,
        },
        Table {
            name: "cards",
            columns: &[
                col("number", Text),
                col("user_id", Text),
                col("record", Json),
                col("status", Text),
                col("issued_at", Int),
            ],
            key_columns: 1,
        },
        Table {
            name: "security_keys",
            columns: &[col("credential_id", Text), col("user_id", Text), col("record", Json), col("created_at", Int)],
            key_columns: 1,
        },
        // The paired MEG devices, and the pairing codes handed out (digests, four minutes).
        Table {
            name: "meg_devices",
            columns: &[
                col("id", Text),
                col("user_id", Text),
                col("record", Json),
                col("status", Text),
                col("created_at", Int),
                nullable("last_used_at", Int),
            ],
            key_columns: 1,
        },
        Table {
            name: "meg_pairings",
            columns: &[col("digest", Text), col("user_id", Text), col("expires_at", Int)],
            key_columns: 1,
        },
        // The audit log travels as written (its hash chain is checked on the entries' content).
        Table {
            name: "audit_log",
            columns: &[col("seq", Int), col("entry", Text), nullable("subject", Text), col("at", Int)],
            key_columns: 1,
        },
        // The SAML service providers, each at a face (the empty name: the primary face).
        Table {
            name: "saml_sps",
            columns: &[col("face", Text), col("entity_id", Text), col("record", Json), col("created_at", Int)],
            key_columns: 2,
        },
        // The back office: clerks before their tokens; the Czech POINT requests after the persons
        // they are about.
        Table {
            name: "clerks",
            columns: &[col("login", Text), col("data", Json), col("created_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "clerk_tokens",
            columns: &[col("digest", Text), col("login", Text), col("created_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "backoffice_sessions",
            columns: &[col("id", Text), col("data", Json), col("expires_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "czech_point_requests",
            columns: &[
                col("id", Text),
                col("person_id", Text),
                col("recipient_ico", Text),
                col("message", Text),
                col("one_time", Bool),
                col("data", Json),
                col("created_at", Int),
                nullable("taken_at", Int),
            ],
            key_columns: 1,
        },
        // NIA ID's online registrations, each of an account above.
        Table {
            name: "nia_registrations",
            columns: &[
                col("user_id", Text),
                col("state", Text),
                col("email_token", Text),
                nullable("identification_code", Text),
                col("record", Json),
                col("expires_at", Int),
            ],
            key_columns: 1,
        },
        // mojeID accounts (their kind, organisation and validation) and the data-box simulator.
        Table {
            name: "mojeid_accounts",
            columns: &[col("user_id", Text), col("record", Json), col("updated_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "data_boxes",
            columns: &[col("id", Text), col("kind", Text), col("record", Json), col("created_at", Int)],
            key_columns: 1,
        },
        Table {
            name: "data_box_messages",
            columns: &[
                col("id", Text),
                col("sender", Text),
                col("recipient", Text),
                col("record", Json),
                col("sent_at", Int),
                nullable("processed_at", Int),
            ],
            key_columns: 1,
        },
    ]
};

/// The table named `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// One value of a row. The derived order sorts text by its bytes, as both databases' keys do
/// under a binary collation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i64),
    Bool(bool),
    /// `Text`, `Json` and `Key` columns.
    Text(String),
    List(Vec<String>),
}

/// A row's values, in the order of its table's columns.
pub type Row = Vec<Value>;

/// Every row of every table: `rows[i]` belongs to `TABLES[i]`, sorted by primary key, so that the
/// same data always makes the same dump whichever backend held it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    pub rows: Vec<Vec<Row>>,
}

impl Dump {
    /// A dump of these rows per table, put in the canonical order.
    pub fn new(mut rows: Vec<Vec<Row>>) -> Dump {
        rows.resize(TABLES.len(), Vec::new());
        for (table, rows) in TABLES.iter().zip(rows.iter_mut()) {
            rows.sort_by(|a, b| a[..table.key_columns].cmp(&b[..table.key_columns]));
        }
        Dump { rows }
    }

    /// How many rows each table has, by table name.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        TABLES.iter().zip(&self.rows).map(|(table, rows)| (table.name, rows.len())).collect()
    }

    #[cfg(test)]
    pub fn total(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The target holds data already; nothing was written.
    #[error(
        "the target database is not empty ({0}); import only into an empty database: point database_url (or --to) \
         at a new SQLite file or PostgreSQL schema, or empty the tables first"
    )]
    NotEmpty(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A database of either backend, opened (and its schema brought up to date) for a dump.
pub enum Database {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Database {
    pub async fn open(backend: DatabaseBackend, url: &str) -> Result<Database, StoreError> {
        Ok(match backend {
            DatabaseBackend::Sqlite => Database::Sqlite(SqliteStore::connect(url).await?),
            DatabaseBackend::Postgres => Database::Postgres(PostgresStore::connect(url).await?),
        })
    }

    /// Opens a database to read from. An SQLite file must exist already: opening it the usual way
    /// would create an empty one, and an export of nothing from a mistyped path helps no one.
    pub async fn open_existing(backend: DatabaseBackend, url: &str) -> Result<Database, StoreError> {
        if backend == DatabaseBackend::Sqlite
            && let Some(file) = SqliteStore::file_of(url)
            && !file.exists()
        {
            return Err(StoreError::Unavailable(format!("there is no SQLite database at {}", file.display())));
        }
        Self::open(backend, url).await
    }

    /// Every row, read in one consistent snapshot.
    pub async fn export(&self) -> Result<Dump, StoreError> {
        let rows = match self {
            Database::Sqlite(store) => store.export_rows().await?,
            Database::Postgres(store) => store.export_rows().await?,
        };
        Ok(Dump::new(rows))
    }

    /// Writes every row of `dump` in one transaction, after checking in it that every table is
    /// empty: all of it is written, or nothing.
    pub async fn import(&self, dump: &Dump) -> Result<(), DumpError> {
        match self {
            Database::Sqlite(store) => store.import_rows(&dump.rows).await,
            Database::Postgres(store) => store.import_rows(&dump.rows).await,
        }
    }
}

/// `Ok` when every table of the target is empty; `counts` has the number of rows per table.
pub(super) fn ensure_empty(counts: &[(&'static str, i64)]) -> Result<(), DumpError> {
    let held: Vec<String> =
        counts.iter().filter(|(_, n)| *n > 0).map(|(name, n)| format!("{n} rows in {name}")).collect();
    if held.is_empty() { Ok(()) } else { Err(DumpError::NotEmpty(held.join(", "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `CREATE TABLE` and `ALTER TABLE … ADD COLUMN` statements of a migration directory:
    /// table name → column names.
    fn schema(dir: &str) -> BTreeMap<String, Vec<String>> {
        let mut tables = BTreeMap::new();
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(file).unwrap();
            for statement in sql.split("CREATE TABLE ").skip(1) {
                let (name, body) = statement.split_once('(').unwrap();
                let body = &body[..body.find(");").unwrap()];
                let columns: Vec<String> = body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with("PRIMARY KEY"))
                    .map(|l| l.split_whitespace().next().unwrap().to_owned())
                    .collect();
                tables.insert(name.trim().to_owned(), columns);
            }
            for statement in sql.split("ALTER TABLE ").skip(1) {
                let mut words = statement.split_whitespace();
                let (name, add, column, added) = (words.next(), words.next(), words.next(), words.next());
                if let (Some(name), Some("ADD"), Some("COLUMN"), Some(added)) = (name, add, column, added) {
                    tables.get_mut(name).unwrap().push(added.to_owned());
                }
            }
        }
        tables
    }

    fn ours() -> BTreeMap<String, Vec<String>> {
        TABLES.iter().map(|t| (t.name.to_owned(), t.columns.iter().map(|c| c.name.to_owned()).collect())).collect()
    }

    #[test]
    fn the_table_list_matches_both_schemas() {
        let root = env!("CARGO_MANIFEST_DIR");
        assert_eq!(schema(&format!("{root}/migrations/sqlite")), ours());
        assert_eq!(schema(&format!("{root}/migrations/postgres")), ours());
    }

    #[test]
    fn rows_are_put_in_primary_key_order_by_bytes() {
        let row = |user: &str, client: &str| {
            vec![Value::Text(user.into()), Value::Text(client.into()), Value::List(vec![]), Value::Int(0)]
        };
        let mut rows = vec![Vec::new(); TABLES.len()];
        rows[3] = vec![row("b", "a"), row("a", "z"), row("a", "Z"), row("a", "é")];
        let dump = Dump::new(rows);
        assert_eq!(dump.rows[3], vec![row("a", "Z"), row("a", "z"), row("a", "é"), row("b", "a")]);
        assert_eq!(dump.counts()["consents"], 4);
        assert_eq!(dump.total(), 4);
    }
}
