//! Brings the schema up to date with `migrations/sqlite`, each migration in a transaction of its
//! own. The record of applied migrations is the one `sqlx migrate` keeps (`_sqlx_migrations`,
//! with the same checksums), so a database made by either can be opened by the other.

use std::collections::HashMap;
use std::time::Instant;

use rusqlite::{Connection, TransactionBehavior};

use crate::store::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

pub(super) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let failed = |e: rusqlite::Error| StoreError::Unavailable(format!("migrating the database: {e}"));
    conn.execute_batch(CREATE_TABLE).map_err(failed)?;
    let applied: HashMap<i64, (Vec<u8>, bool)> = conn
        .prepare("SELECT version, checksum, success FROM _sqlx_migrations")
        .and_then(|mut statement| {
            statement.query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?.collect()
        })
        .map_err(failed)?;
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    if let Some(newer) = applied.keys().filter(|v| !known.contains(v)).max() {
        return Err(StoreError::Unavailable(format!(
            "the database has migration {newer}, which this identita does not know: it was made by a newer version"
        )));
    }
    for migration in MIGRATOR.iter().filter(|m| !m.migration_type.is_down_migration()) {
        let version = migration.version;
        match applied.get(&version) {
            Some((_, false)) => {
                return Err(StoreError::Unavailable(format!(
                    "migration {version} ({}) failed partway earlier; restore the database from a backup",
                    migration.description
                )));
            }
            Some((checksum, true)) if checksum[..] != migration.checksum[..] => {
                return Err(StoreError::Unavailable(format!(
                    "migration {version} ({}) was changed after it was applied to this database",
                    migration.description
                )));
            }
            Some(_) => continue,
            None => {}
        }
        let started = Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
        tx.execute_batch(migration.sql.as_str()).map_err(failed)?;
        let elapsed = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            (version, &*migration.description, &*migration.checksum, elapsed),
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_changes_nothing_and_a_changed_migration_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM _sqlx_migrations", [], |row| row.get(0)).unwrap();
        assert_eq!(count, i64::try_from(MIGRATOR.iter().count()).unwrap());

        conn.execute("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1", []).unwrap();
        let err = run(&mut conn).unwrap_err();
        assert!(err.to_string().contains("was changed after it was applied"), "{err}");
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'future', TRUE, x'00', 0)",
            [],
        )
        .unwrap();
        let err = run(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer version"), "{err}");
    }
}
