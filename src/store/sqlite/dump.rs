//! Every row of the SQLite database as backend-neutral values ([`crate::store::dump`]), and back.
//! Booleans are INTEGER 0/1 here, consented scopes a JSON array in TEXT, keys stored as given.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Row as _, Sqlite};

use super::{SqliteStore, db_error, from_json, to_json};
use crate::store::dump::{Column, DumpError, Kind, Row, TABLES, Table, Value, ensure_empty};
use crate::store::{StoreError, StoreResult};

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

impl SqliteStore {
    /// The file a `sqlite:` URL names; `None` for an in-memory database or a malformed URL.
    pub fn file_of(url: &str) -> Option<PathBuf> {
        if super::is_memory_url(url) {
            return None;
        }
        SqliteConnectOptions::from_str(url).ok().map(|options| options.get_filename().to_path_buf())
    }

    /// Every row of every table, in [`TABLES`] order, read in one transaction: with WAL, its
    /// first read fixes the snapshot the others see, whatever a running server writes meanwhile.
    pub(crate) async fn export_rows(&self) -> StoreResult<Vec<Vec<Row>>> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let mut all = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let sql = format!("SELECT {} FROM {}", names.join(", "), table.name);
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await.map_err(db_error)?;
            all.push(rows.iter().map(|row| read_row(table, row)).collect::<StoreResult<Vec<Row>>>()?);
        }
        tx.rollback().await.map_err(db_error)?;
        Ok(all)
    }

    /// Writes `rows` (in [`TABLES`] order) in one transaction that holds SQLite's write lock from
    /// its start, after checking in it that every table is empty.
    pub(crate) async fn import_rows(&self, rows: &[Vec<Row>]) -> Result<(), DumpError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?;
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {}", table.name);
            let count: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *tx).await.map_err(db_error)?;
            counts.push((table.name, count));
        }
        ensure_empty(&counts)?;
        for (table, rows) in TABLES.iter().zip(rows) {
            let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let marks = vec!["?"; names.len()].join(", ");
            let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", table.name, names.join(", "));
            for row in rows {
                let mut query = sqlx::query(AssertSqlSafe(sql.as_str()));
                for (column, value) in table.columns.iter().zip(row) {
                    query = bind(query, table, column, value)?;
                }
                query.execute(&mut *tx).await.map_err(db_error)?;
            }
        }
        // Dropping `tx` on any error above rolls everything back.
        tx.commit().await.map_err(db_error)?;
        Ok(())
    }
}

fn read_row(table: &Table, row: &SqliteRow) -> StoreResult<Row> {
    table.columns.iter().enumerate().map(|(index, column)| read_value(table, row, index, column)).collect()
}

fn read_value(table: &Table, row: &SqliteRow, index: usize, column: &Column) -> StoreResult<Value> {
    let value = match column.kind {
        Kind::Int => row.try_get::<Option<i64>, _>(index).map_err(db_error)?.map(Value::Int),
        Kind::Bool => row.try_get::<Option<bool>, _>(index).map_err(db_error)?.map(Value::Bool),
        Kind::Text | Kind::Json | Kind::Key => {
            row.try_get::<Option<String>, _>(index).map_err(db_error)?.map(Value::Text)
        }
        Kind::TextList => match row.try_get::<Option<String>, _>(index).map_err(db_error)? {
            Some(json) => Some(Value::List(from_json(&json)?)),
            None => None,
        },
    };
    match value {
        Some(value) => Ok(value),
        None if column.nullable => Ok(Value::Null),
        None => Err(StoreError::Corrupt(format!("{}.{} holds NULL", table.name, column.name))),
    }
}

fn bind<'q>(query: Query<'q>, table: &Table, column: &Column, value: &Value) -> StoreResult<Query<'q>> {
    Ok(match (column.kind, value) {
        (Kind::Int, Value::Null) => query.bind(None::<i64>),
        (Kind::Int, Value::Int(n)) => query.bind(*n),
        (Kind::Bool, Value::Bool(b)) => query.bind(*b),
        (Kind::Text | Kind::Json | Kind::Key, Value::Null) => query.bind(None::<String>),
        (Kind::Text | Kind::Json | Kind::Key, Value::Text(text)) => query.bind(text.clone()),
        (Kind::TextList, Value::List(items)) => query.bind(to_json(items)?),
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
        let person =
            |id: &str| vec![t(id), t("jan"), t("hash"), t("{}"), Value::Int(NOW), Value::Int(NOW), Value::Bool(false)];
        // Two accounts with one username: the second insert fails on the UNIQUE constraint.
        dump.rows[0] = vec![vec![t("rp"), t("{}"), Value::Int(NOW)]];
        dump.rows[1] = vec![person("u1"), person("u2")];
        let dump = Dump::new(dump.rows);
        let target = SqliteStore::memory().await.unwrap();
        assert!(Database::Sqlite(target.clone()).import(&dump).await.is_err());
        assert_eq!(Database::Sqlite(target).export().await.unwrap().total(), 0);
    }
}
