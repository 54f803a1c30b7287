//! The register of inhabitants: each person whole as JSON, next to the columns its lookups use;
//! an import is one transaction of one prepared statement run for each person.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::{SqliteStore, from_json};
use crate::model::person::{BirthNumber, DataBoxId, Date};
use crate::model::{Person, PersonRecord};
use crate::store::{PersonStore, StoreError, StoreResult};

const INSERT: &str = "INSERT INTO persons (id, family_name, given_names, birth_date, birth_number, data_box, data) \
                      VALUES (?, ?, ?, ?, ?, ?, ?)";

/// The page cache an import may use (KiB): the indexes of a million persons stay in memory
/// while they are written out of order.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

/// A person as kept: its record's JSON, checked again when read.
fn person_from_json(json: &str) -> StoreResult<Person> {
    let record: PersonRecord = from_json(json)?;
    Person::parse(&record).map_err(|e| StoreError::Corrupt(format!("person {}: {e}", record.id)))
}

fn json_of(person: &Person) -> rusqlite::Result<String> {
    serde_json::to_string(&person.record()).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Inserts `person` with the cached statement.
fn insert_one(db: &Connection, person: &Person) -> rusqlite::Result<usize> {
    db.prepare_cached(INSERT)?.execute((
        person.id(),
        person.family_name(),
        person.given_names(),
        person.birth_date().to_string(),
        person.birth_number().map(BirthNumber::digits),
        person.data_box().map(DataBoxId::as_str),
        json_of(person)?,
    ))
}

impl SqliteStore {
    /// The persons `sql` finds by `params`, in the order it gives.
    async fn persons_where(
        &self,
        sql: &'static str,
        params: impl rusqlite::Params + Clone + Send + Sync,
    ) -> StoreResult<Vec<Person>> {
        let rows: Vec<String> =
            self.read(|db| db.prepare_cached(sql)?.query_map(params.clone(), |row| row.get(0))?.collect()).await?;
        rows.iter().map(|json| person_from_json(json)).collect()
    }

    async fn person_where(&self, sql: &'static str, value: &str) -> StoreResult<Option<Person>> {
        let json: Option<String> =
            self.read(|db| db.prepare_cached(sql)?.query_row((value,), |row| row.get(0)).optional()).await?;
        json.map(|json| person_from_json(&json)).transpose()
    }
}

#[async_trait]
impl PersonStore for SqliteStore {
    async fn insert(&self, person: &Person) -> StoreResult<()> {
        self.write_statement(|db| insert_one(db, person)).await?;
        Ok(())
    }

    async fn import(&self, persons: &[Person]) -> StoreResult<()> {
        self.alone(|db| {
            db.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
            let done = (|| {
                let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for person in persons {
                    insert_one(&tx, person)?;
                }
                tx.commit()
            })();
            db.pragma_update(None, "cache_size", -super::CACHE_KIB)?;
            done
        })
        .await
    }

    async fn update(&self, person: &Person) -> StoreResult<bool> {
        let changed = self
            .write_statement(|db| {
                db.prepare_cached(
                    "UPDATE persons SET family_name = ?, given_names = ?, birth_date = ?, birth_number = ?, \
                     data_box = ?, data = ? WHERE id = ?",
                )?
                .execute((
                    person.family_name(),
                    person.given_names(),
                    person.birth_date().to_string(),
                    person.birth_number().map(BirthNumber::digits),
                    person.data_box().map(DataBoxId::as_str),
                    json_of(person)?,
                    person.id(),
                ))
            })
            .await?;
        Ok(changed > 0)
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE id = ?", id).await
    }

    async fn find_by_name(&self, family_name: &str, given_names: &str, birth_date: Date) -> StoreResult<Vec<Person>> {
        self.persons_where(
            "SELECT data FROM persons WHERE family_name = ? AND given_names = ? AND birth_date = ? ORDER BY id",
            (family_name.to_owned(), given_names.to_owned(), birth_date.to_string()),
        )
        .await
    }

    async fn find_by_birth_number(&self, number: &BirthNumber) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE birth_number = ?", number.digits()).await
    }

    async fn find_by_data_box(&self, data_box: &DataBoxId) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE data_box = ?", data_box.as_str()).await
    }

    async fn find_by_document(&self, number: &str) -> StoreResult<Vec<Person>> {
        let Some(pattern) = crate::store::document_pattern(number) else { return Ok(Vec::new()) };
        let found = self.persons_where("SELECT data FROM persons WHERE data LIKE ? ORDER BY id", (pattern,)).await?;
        Ok(found.into_iter().filter(|p| p.documents().iter().any(|d| d.number() == number)).collect())
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Person>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.persons_where(
            "SELECT data FROM persons WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2",
            (after.map(str::to_owned), limit),
        )
        .await
    }

    async fn count(&self) -> StoreResult<u64> {
        let count: Option<i64> = self.optional("SELECT COUNT(*) FROM persons", []).await?;
        Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    async fn link_account(&self, user_id: &str, person_id: Option<&str>) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE users SET person_id = ?2 WHERE id = ?1 \
                 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM persons WHERE id = ?2))",
                (user_id.to_owned(), person_id.map(str::to_owned)),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn person_of_account(&self, user_id: &str) -> StoreResult<Option<String>> {
        let found: Option<Option<String>> =
            self.optional("SELECT person_id FROM users WHERE id = ?", (user_id.to_owned(),)).await?;
        Ok(found.flatten())
    }

    async fn accounts_of(&self, person_id: &str) -> StoreResult<Vec<String>> {
        self.read(|db| {
            db.prepare_cached("SELECT id FROM users WHERE person_id = ? ORDER BY id")?
                .query_map((person_id,), |row| row.get(0))?
                .collect()
        })
        .await
    }
}
