//! The register of inhabitants: each person whole as JSON, next to the columns its lookups use;
//! an import is one transaction of batched `INSERT … SELECT FROM UNNEST(…)` statements.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::person::{BirthNumber, DataBoxId, Date};
use crate::model::{Person, PersonRecord};
use crate::store::{PersonStore, StoreError, StoreResult};

/// Persons per statement of an import: large enough that the round trips do not count, small
/// enough that one statement's arrays stay a few megabytes.
const IMPORT_BATCH: usize = 5_000;

fn person_from_json(json: &str) -> StoreResult<Person> {
    let record: PersonRecord = from_json(json)?;
    Person::parse(&record).map_err(|e| StoreError::Corrupt(format!("person {}: {e}", record.id)))
}

/// The column values of a batch of persons, one array per column.
#[derive(Default)]
struct Columns {
    id: Vec<String>,
    family_name: Vec<String>,
    given_names: Vec<String>,
    birth_date: Vec<String>,
    birth_number: Vec<Option<String>>,
    data_box: Vec<Option<String>>,
    data: Vec<String>,
}

impl Columns {
    fn of(persons: &[Person]) -> StoreResult<Columns> {
        let mut columns = Columns::default();
        for person in persons {
            columns.id.push(person.id().to_owned());
            columns.family_name.push(person.family_name().to_owned());
            columns.given_names.push(person.given_names().to_owned());
            columns.birth_date.push(person.birth_date().to_string());
            columns.birth_number.push(person.birth_number().map(|n| n.digits().to_owned()));
            columns.data_box.push(person.data_box().map(|d| d.as_str().to_owned()));
            columns.data.push(to_json(&person.record())?);
        }
        Ok(columns)
    }
}

impl PostgresStore {
    async fn persons_where(
        &self,
        query: sqlx::query::QueryScalar<'_, sqlx::Postgres, String, sqlx::postgres::PgArguments>,
    ) -> StoreResult<Vec<Person>> {
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(|json| person_from_json(json)).collect()
    }

    async fn person_where(&self, sql: &'static str, value: &str) -> StoreResult<Option<Person>> {
        if !storable(value) {
            return Ok(None);
        }
        let json: Option<String> =
            sqlx::query_scalar(sql).bind(value).fetch_optional(&self.pool).await.map_err(db_error)?;
        json.map(|json| person_from_json(&json)).transpose()
    }
}

#[async_trait]
impl PersonStore for PostgresStore {
    async fn insert(&self, person: &Person) -> StoreResult<()> {
        self.import(std::slice::from_ref(person)).await
    }

    async fn import(&self, persons: &[Person]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for batch in persons.chunks(IMPORT_BATCH) {
            let columns = Columns::of(batch)?;
            sqlx::query(
                "INSERT INTO persons (id, family_name, given_names, birth_date, birth_number, data_box, data) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])",
            )
            .bind(&columns.id)
            .bind(&columns.family_name)
            .bind(&columns.given_names)
            .bind(&columns.birth_date)
            .bind(&columns.birth_number)
            .bind(&columns.data_box)
            .bind(&columns.data)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn update(&self, person: &Person) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE persons SET family_name = $1, given_names = $2, birth_date = $3, birth_number = $4, \
             data_box = $5, data = $6 WHERE id = $7",
        )
        .bind(person.family_name())
        .bind(person.given_names())
        .bind(person.birth_date().to_string())
        .bind(person.birth_number().map(BirthNumber::digits))
        .bind(person.data_box().map(DataBoxId::as_str))
        .bind(to_json(&person.record())?)
        .bind(person.id())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE id = $1", id).await
    }

    async fn find_by_name(&self, family_name: &str, given_names: &str, birth_date: Date) -> StoreResult<Vec<Person>> {
        if !storable(family_name) || !storable(given_names) {
            return Ok(Vec::new());
        }
        self.persons_where(
            sqlx::query_scalar(
                "SELECT data FROM persons WHERE family_name = $1 AND given_names = $2 AND birth_date = $3 \
                 ORDER BY id COLLATE \"C\"",
            )
            .bind(family_name.to_owned())
            .bind(given_names.to_owned())
            .bind(birth_date.to_string()),
        )
        .await
    }

    async fn find_by_birth_number(&self, number: &BirthNumber) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE birth_number = $1", number.digits()).await
    }

    async fn find_by_data_box(&self, data_box: &DataBoxId) -> StoreResult<Option<Person>> {
        self.person_where("SELECT data FROM persons WHERE data_box = $1", data_box.as_str()).await
    }

    async fn find_by_document(&self, number: &str) -> StoreResult<Vec<Person>> {
        let Some(pattern) = crate::store::document_pattern(number) else { return Ok(Vec::new()) };
        let found = self
            .persons_where(
                sqlx::query_scalar("SELECT data FROM persons WHERE data LIKE $1 ORDER BY id COLLATE \"C\"")
                    .bind(pattern),
            )
            .await?;
        Ok(found.into_iter().filter(|p| p.documents().iter().any(|d| d.number() == number)).collect())
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Person>> {
        if !after.is_none_or(storable) {
            return Ok(Vec::new());
        }
        self.persons_where(
            sqlx::query_scalar(
                "SELECT data FROM persons WHERE $1::text IS NULL OR id COLLATE \"C\" > $1 \
                 ORDER BY id COLLATE \"C\" LIMIT $2",
            )
            .bind(after.map(str::to_owned))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX)),
        )
        .await
    }

    async fn count(&self) -> StoreResult<u64> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM persons").fetch_one(&self.pool).await.map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn link_account(&self, user_id: &str, person_id: Option<&str>) -> StoreResult<bool> {
        if !storable(user_id) || !person_id.is_none_or(storable) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE users SET person_id = $2 WHERE id = $1 \
             AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM persons WHERE id = $2))",
        )
        .bind(user_id)
        .bind(person_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn person_of_account(&self, user_id: &str) -> StoreResult<Option<String>> {
        if !storable(user_id) {
            return Ok(None);
        }
        let found: Option<Option<String>> = sqlx::query_scalar("SELECT person_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(found.flatten())
    }

    async fn accounts_of(&self, person_id: &str) -> StoreResult<Vec<String>> {
        if !storable(person_id) {
            return Ok(Vec::new());
        }
        sqlx::query_scalar("SELECT id FROM users WHERE person_id = $1 ORDER BY id COLLATE \"C\"")
            .bind(person_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }
}
