//! Every row of the PostgreSQL database as backend-neutral values ([`crate::store::dump`]), and
//! back. Booleans are BOOLEAN here, consented scopes TEXT[], and opaque keys are kept escaped
//! ([`opaque_key`]): they are unescaped on the way out, so the same key reads the same from
//! either backend. Text holding U+0000 cannot be stored here at all and is refused by name.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row as _};

use super::{PostgresStore, db_error, opaque_key};
use crate::store::dump::{Column, DumpError, Kind, Row, TABLES, Table, Value, ensure_empty};
use crate::store::{StoreError, StoreResult};

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

impl PostgresStore {
    /// Every row of every table, in [`TABLES`] order, from one REPEATABLE READ snapshot, so
    /// what nodes write meanwhile is either wholly in it or not at all.
    pub(crate) async fn export_rows(&self) -> StoreResult<Vec<Vec<Row>>> {
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(db_error)?;
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

    /// Writes `rows` (in [`TABLES`] order) in one transaction, after locking every table against
    /// other writers and checking that each is empty.
    pub(crate) async fn import_rows(&self, rows: &[Vec<Row>]) -> Result<(), DumpError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        match fill(&mut tx, rows).await {
            Ok(()) => tx.commit().await.map_err(db_error)?,
            Err(e) => {
                // Rolled back here and now: a dropped transaction only queues its ROLLBACK for
                // the connection's next use, and holds the table locks until then.
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Locks every table, checks that each is empty and writes `rows` into them, inside `tx`.
async fn fill(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, rows: &[Vec<Row>]) -> Result<(), DumpError> {
    {
        let tx = &mut **tx;
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", "));
        sqlx::query(AssertSqlSafe(lock)).execute(&mut *tx).await.map_err(db_error)?;
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {}", table.name);
            let count: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *tx).await.map_err(db_error)?;
            counts.push((table.name, count));
        }
        ensure_empty(&counts)?;
        for (table, rows) in TABLES.iter().zip(rows) {
            let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let marks: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
            let sql = format!("INSERT INTO {} ({}) VALUES ({})", table.name, names.join(", "), marks.join(", "));
            for row in rows {
                let mut query = sqlx::query(AssertSqlSafe(sql.as_str()));
                for (column, value) in table.columns.iter().zip(row) {
                    query = bind(query, table, column, value)?;
                }
                query.execute(&mut *tx).await.map_err(db_error)?;
            }
        }
        Ok(())
    }
}

fn read_row(table: &Table, row: &PgRow) -> StoreResult<Row> {
    table.columns.iter().enumerate().map(|(index, column)| read_value(table, row, index, column)).collect()
}

fn read_value(table: &Table, row: &PgRow, index: usize, column: &Column) -> StoreResult<Value> {
    let place = || format!("{}.{}", table.name, column.name);
    let value = match column.kind {
        Kind::Int => row.try_get::<Option<i64>, _>(index).map_err(db_error)?.map(Value::Int),
        Kind::Bool => row.try_get::<Option<bool>, _>(index).map_err(db_error)?.map(Value::Bool),
        Kind::Text | Kind::Json => row.try_get::<Option<String>, _>(index).map_err(db_error)?.map(Value::Text),
        Kind::Key => match row.try_get::<Option<String>, _>(index).map_err(db_error)? {
            Some(stored) => Some(Value::Text(
                unescape_key(&stored)
                    .ok_or_else(|| StoreError::Corrupt(format!("{} is not an escaped key", place())))?,
            )),
            None => None,
        },
        Kind::TextList => row.try_get::<Option<Vec<String>>, _>(index).map_err(db_error)?.map(Value::List),
    };
    match value {
        Some(value) => Ok(value),
        None if column.nullable => Ok(Value::Null),
        None => Err(StoreError::Corrupt(format!("{} holds NULL", place()))),
    }
}

/// The key [`opaque_key`] escaped; `None` when `stored` is not the result of an escape.
fn unescape_key(stored: &str) -> Option<String> {
    let mut key = String::with_capacity(stored.len());
    let mut chars = stored.chars();
    while let Some(c) = chars.next() {
        key.push(match c {
            '\\' => match chars.next()? {
                '\\' => '\\',
                '0' => '\0',
                _ => return None,
            },
            c => c,
        });
    }
    Some(key)
}

fn bind<'q>(query: Query<'q>, table: &Table, column: &Column, value: &Value) -> StoreResult<Query<'q>> {
    let unstorable =
        || StoreError::Corrupt(format!("{}.{} holds U+0000, which PostgreSQL cannot store", table.name, column.name));
    Ok(match (column.kind, value) {
        (Kind::Int, Value::Null) => query.bind(None::<i64>),
        (Kind::Int, Value::Int(n)) => query.bind(*n),
        (Kind::Bool, Value::Bool(b)) => query.bind(*b),
        (Kind::Text | Kind::Json, Value::Null) => query.bind(None::<String>),
        (Kind::Text | Kind::Json, Value::Text(text)) if text.contains('\0') => return Err(unstorable()),
        (Kind::Text | Kind::Json, Value::Text(text)) => query.bind(text.clone()),
        (Kind::Key, Value::Text(key)) => query.bind(opaque_key(key).into_owned()),
        (Kind::TextList, Value::List(items)) if items.iter().any(|i| i.contains('\0')) => return Err(unstorable()),
        (Kind::TextList, Value::List(items)) => query.bind(items.clone()),
        (_, other) => {
            return Err(StoreError::Corrupt(format!("{}.{} cannot hold {other:?}", table.name, column.name)));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestSchema;
    use super::*;
    use crate::store::dump::{Database, Dump};
    use crate::store::fixtures::{NOW, client, user};
    use crate::store::sqlite::SqliteStore;
    use crate::store::{ClientStore, ConsentStore, CounterStore, ReplayStore, UserStore};

    #[test]
    fn escaped_keys_unescape_to_what_was_escaped() {
        for key in ["plain", "a\\b", "a\0b", "\\0", "\0\\\\", ""] {
            assert_eq!(unescape_key(&opaque_key(key)).as_deref(), Some(key), "{key:?}");
        }
        assert_eq!(unescape_key("a\\x"), None);
        assert_eq!(unescape_key("a\\"), None);
    }

    #[tokio::test]
    async fn sqlite_rows_move_to_postgres_and_back_unchanged() {
        let Some(schema) = TestSchema::create("sqlite_rows_move_to_postgres_and_back_unchanged").await else {
            return;
        };
        let source = SqliteStore::memory().await.unwrap();
        source.put(&client("rp")).await.unwrap();
        UserStore::insert(&source, &user("u1", "jan")).await.unwrap();
        source.grant("u1", "rp", &["openid".into(), "email".into()], NOW).await.unwrap();
        source.remember("jti:a\0b\\c", NOW + 60, NOW).await.unwrap();
        source.increment("login:jan\\", NOW + 60, NOW).await.unwrap();
        let dump = Database::Sqlite(source).export().await.unwrap();
        assert_eq!(dump.total(), 5);

        let target = schema.connect().await;
        Database::Postgres(target.clone()).import(&dump).await.unwrap();
        assert_eq!(Database::Postgres(target.clone()).export().await.unwrap(), dump);
        assert_eq!(UserStore::get(&target, "u1").await.unwrap(), Some(user("u1", "jan")));
        assert!(ClientStore::get(&target, "rp").await.unwrap().is_some());
        assert_eq!(ConsentStore::get(&target, "u1", "rp").await.unwrap().map(|s| s.len()), Some(2));
        assert!(!target.remember("jti:a\0b\\c", NOW + 60, NOW).await.unwrap(), "the replay key came along");
        assert_eq!(target.count("login:jan\\", NOW).await.unwrap(), 1);

        let back = SqliteStore::memory().await.unwrap();
        Database::Sqlite(back.clone()).import(&dump).await.unwrap();
        assert_eq!(Database::Sqlite(back).export().await.unwrap(), dump);
    }

    #[tokio::test]
    async fn a_refused_import_leaves_postgres_as_it_was() {
        let Some(schema) = TestSchema::create("a_refused_import_leaves_postgres_as_it_was").await else { return };
        let target = schema.connect().await;
        let t = |s: &str| Value::Text(s.into());
        let mut rows = vec![Vec::new(); TABLES.len()];
        rows[0] = vec![vec![t("rp"), t("{}"), Value::Int(NOW)]];
        rows[2] = vec![vec![
            t("u1"),
            t("jan\0"),
            t("hash"),
            t("{}"),
            Value::Int(NOW),
            Value::Int(NOW),
            Value::Bool(false),
            Value::Null,
        ]];
        let err = Database::Postgres(target.clone()).import(&Dump::new(rows)).await.unwrap_err();
        assert!(err.to_string().contains("users.username holds U+0000"), "{err}");
        assert_eq!(Database::Postgres(target.clone()).export().await.unwrap().total(), 0, "the client was kept");

        target.put(&client("existing")).await.unwrap();
        let mut rows = vec![Vec::new(); TABLES.len()];
        rows[0] = vec![vec![t("rp"), t("{}"), Value::Int(NOW)]];
        let err = Database::Postgres(target.clone()).import(&Dump::new(rows)).await.unwrap_err();
        assert!(err.to_string().contains("1 rows in clients"), "{err}");
        let after = Database::Postgres(target).export().await.unwrap();
        assert_eq!(after.total(), 1);
        assert_eq!(after.rows[0][0][0], t("existing"));
    }
}
