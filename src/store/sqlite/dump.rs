//! Every row of the SQLite database as backend-neutral values ([`crate::store::dump`]), and back.
//! Booleans are INTEGER 0/1 here, consented scopes a JSON array in TEXT, keys stored as given.

use std::path::PathBuf;

use rusqlite::{TransactionBehavior, params_from_iter};

use super::{Location, SqliteStore, from_json, parse_url, to_json};
use crate::store::dump::{Column, DumpError, Kind, Row, TABLES, Table, Value, ensure_empty};
use crate::store::{StoreError, StoreResult};

/// A column's value as SQLite holds it.
type Cell = rusqlite::types::Value;

impl SqliteStore {
    /// The file a `sqlite:` URL names; `None` for an in-memory database or a malformed URL.
    pub fn file_of(url: &str) -> Option<PathBuf> {
        match parse_url(url) {
            Ok(Location::File { path, .. }) => Some(path),
            _ => None,
        }
    }

    /// Every row of every table, in [`TABLES`] order, read in one transaction: with WAL, its
    /// first read fixes the snapshot the others see, whatever a running server writes meanwhile.
    pub(crate) async fn export_rows(&self) -> StoreResult<Vec<Vec<Row>>> {
        let cells: Vec<Vec<Vec<Cell>>> = self
            .alone(|db| {
                let tx = db.transaction()?;
                let mut all = Vec::with_capacity(TABLES.len());
                for table in TABLES {
                    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
                    let sql = format!("SELECT {} FROM {}", names.join(", "), table.name);
                    let mut statement = tx.prepare(&sql)?;
                    let rows = statement
                        .query_map([], |row| (0..names.len()).map(|index| row.get::<_, Cell>(index)).collect())?;
                    all.push(rows.collect::<rusqlite::Result<Vec<Vec<Cell>>>>()?);
                }
                tx.rollback()?;
                Ok(all)
            })
            .await?;
        TABLES
            .iter()
            .zip(cells)
            .map(|(table, rows)| rows.into_iter().map(|row| read_row(table, row)).collect())
            .collect()
    }

    /// Writes `rows` (in [`TABLES`] order) in one transaction that holds SQLite's write lock from
    /// its start, after checking in it that every table is empty. Any failure rolls it all back.
    pub(crate) async fn import_rows(&self, rows: &[Vec<Row>]) -> Result<(), DumpError> {
        let mut cells = Vec::with_capacity(TABLES.len());
        for (table, rows) in TABLES.iter().zip(rows) {
            cells.push(rows.iter().map(|row| write_row(table, row)).collect::<StoreResult<Vec<Vec<Cell>>>>()?);
        }
        let counts = self
            .alone(|db| {
                let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut counts = Vec::with_capacity(TABLES.len());
                for table in TABLES {
                    let sql = format!("SELECT COUNT(*) FROM {}", table.name);
                    counts.push((table.name, tx.query_row(&sql, [], |row| row.get::<_, i64>(0))?));
                }
                // Only into an empty database: the counts are returned and the transaction rolled back.
                if counts.iter().any(|(_, n)| *n > 0) {
                    tx.rollback()?;
                    return Ok(counts);
                }
                for (table, rows) in TABLES.iter().zip(&cells) {
                    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
                    let marks = vec!["?"; names.len()].join(", ");
                    let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", table.name, names.join(", "));
                    let mut statement = tx.prepare(&sql)?;
                    for row in rows {
                        statement.execute(params_from_iter(row.iter()))?;
                    }
                }
                tx.commit()?;
                Ok(counts)
            })
            .await?;
        ensure_empty(&counts)
    }
}

fn read_row(table: &Table, cells: Vec<Cell>) -> StoreResult<Row> {
    table.columns.iter().zip(cells).map(|(column, cell)| read_value(table, column, cell)).collect()
}

fn read_value(table: &Table, column: &Column, cell: Cell) -> StoreResult<Value> {
    let wrong = |cell: &Cell| {
        StoreError::Corrupt(format!("{}.{} holds {cell:?}, not a {:?}", table.name, column.name, column.kind))
    };
    Ok(match (column.kind, cell) {
        (_, Cell::Null) if column.nullable => Value::Null,
        (_, Cell::Null) => return Err(StoreError::Corrupt(format!("{}.{} holds NULL", table.name, column.name))),
        (Kind::Int, Cell::Integer(n)) => Value::Int(n),
        (Kind::Bool, Cell::Integer(n)) => Value::Bool(n != 0),
        (Kind::Text | Kind::Json | Kind::Key, Cell::Text(text)) => Value::Text(text),
        (Kind::TextList, Cell::Text(json)) => Value::List(from_json(&json)?),
        (_, cell) => return Err(wrong(&cell)),
    })
}

fn write_row(table: &Table, row: &Row) -> StoreResult<Vec<Cell>> {
    table.columns.iter().zip(row).map(|(column, value)| write_value(table, column, value)).collect()
}

fn write_value(table: &Table, column: &Column, value: &Value) -> StoreResult<Cell> {
    Ok(match (column.kind, value) {
        (_, Value::Null) if column.nullable => Cell::Null,
        (Kind::Int, Value::Int(n)) => Cell::Integer(*n),
        (Kind::Bool, Value::Bool(b)) => Cell::Integer(i64::from(*b)),
        (Kind::Text | Kind::Json | Kind::Key, Value::Text(text)) => Cell::Text(text.clone()),
        (Kind::TextList, Value::List(items)) => Cell::Text(to_json(items)?),
        (_, other) => {
            return Err(StoreError::Corrupt(format!("{}.{} cannot hold {other:?}", table.name, column.name)));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, client, user};
    use super::*;
    use crate::store::dump::{Database, Dump};
    use crate::store::{ClientStore, ConsentStore, CounterStore, ReplayStore, UserStore};

    #[tokio::test]
    async fn an_export_imports_into_an_empty_database_unchanged() {
        let source = SqliteStore::memory().await.unwrap();
        source.put(&client("rp")).await.unwrap();
        UserStore::insert(&source, &user("u1", "jan")).await.unwrap();
        source.grant("u1", "rp", &["openid".into(), "email".into()], NOW).await.unwrap();
        source.remember("jti:a\0b\\c", NOW + 60, NOW).await.unwrap();
        source.increment("login:jan", NOW + 60, NOW).await.unwrap();
        let dump = Database::Sqlite(source).export().await.unwrap();
        assert_eq!(dump.total(), 5, "{dump:?}");

        let target = SqliteStore::memory().await.unwrap();
        Database::Sqlite(target.clone()).import(&dump).await.unwrap();
        assert_eq!(Database::Sqlite(target.clone()).export().await.unwrap(), dump);
        assert_eq!(UserStore::get(&target, "u1").await.unwrap(), Some(user("u1", "jan")));
        assert_eq!(
            ConsentStore::get(&target, "u1", "rp").await.unwrap(),
            Some(vec!["email".to_string(), "openid".to_string()])
        );
        assert!(!target.remember("jti:a\0b\\c", NOW + 60, NOW).await.unwrap(), "the replay key came along");
        assert_eq!(target.count("login:jan", NOW).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn an_import_into_a_database_with_data_writes_nothing() {
        let dump = {
            let source = SqliteStore::memory().await.unwrap();
            source.put(&client("rp")).await.unwrap();
            Database::Sqlite(source).export().await.unwrap()
        };
        let target = SqliteStore::memory().await.unwrap();
        target.remember("jti", NOW + 60, NOW).await.unwrap();
        let err = Database::Sqlite(target.clone()).import(&dump).await.unwrap_err();
        assert!(matches!(err, DumpError::NotEmpty(_)), "{err}");
        assert!(err.to_string().contains("1 rows in replay"), "{err}");
        assert!(ClientStore::get(&target, "rp").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_failing_row_rolls_back_the_rows_before_it() {
        let mut dump = Database::Sqlite(SqliteStore::memory().await.unwrap()).export().await.unwrap();
        let t = |s: &str| Value::Text(s.into());
        let person = |id: &str| {
            vec![t(id), t("jan"), t("hash"), t("{}"), Value::Int(NOW), Value::Int(NOW), Value::Bool(false), Value::Null]
        };
        // Two accounts with one username: the second insert fails on the UNIQUE constraint.
        dump.rows[0] = vec![vec![t("rp"), t("{}"), Value::Int(NOW)]];
        dump.rows[2] = vec![person("u1"), person("u2")];
        let dump = Dump::new(dump.rows);
        let target = SqliteStore::memory().await.unwrap();
        assert!(Database::Sqlite(target.clone()).import(&dump).await.is_err());
        assert_eq!(Database::Sqlite(target).export().await.unwrap().total(), 0);
    }
}
