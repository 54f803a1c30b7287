//! The back office: clerks (each whole as JSON), their API tokens' digests, the clerks'
//! sessions, and the Czech POINT requests.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::czech_point::Consent;
use crate::model::{Clerk, ClerkRecord, CzechPointRequest};
use crate::store::{BackOfficeSessionStore, ClerkStore, CzechPointStore, StoreError, StoreResult};

/// A clerk as kept: its record's JSON, checked again when read.
fn clerk_from_json(json: &str) -> StoreResult<Clerk> {
    let record: ClerkRecord = from_json(json)?;
    Clerk::parse(&record).map_err(|e| StoreError::Corrupt(format!("clerk {}: {e}", record.login)))
}

fn request_from_row((json, taken_at): (String, Option<i64>)) -> StoreResult<CzechPointRequest> {
    Ok(CzechPointRequest { taken_at, ..from_json(&json)? })
}

#[async_trait]
impl ClerkStore for PostgresStore {
    async fn insert(&self, clerk: &Clerk) -> StoreResult<()> {
        sqlx::query("INSERT INTO clerks (login, data, created_at) VALUES ($1, $2, $3)")
            .bind(clerk.login().as_str())
            .bind(to_json(&clerk.record())?)
            .bind(clerk.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, login: &str) -> StoreResult<Option<Clerk>> {
        if !storable(login) {
            return Ok(None);
        }
        let json: Option<String> = sqlx::query_scalar("SELECT data FROM clerks WHERE login = $1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        json.map(|j| clerk_from_json(&j)).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<Clerk>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM clerks ORDER BY login COLLATE \"C\"")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(|j| clerk_from_json(j)).collect()
    }

    async fn update(&self, clerk: &Clerk) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE clerks SET data = $1 WHERE login = $2")
            .bind(to_json(&clerk.record())?)
            .bind(clerk.login().as_str())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_token(&self, digest: &str, login: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO clerk_tokens (digest, login, created_at) VALUES ($1, $2, $3)")
            .bind(digest)
            .bind(login)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn clerk_of_token(&self, digest: &str) -> StoreResult<Option<Clerk>> {
        if !storable(digest) {
            return Ok(None);
        }
        let json: Option<String> = sqlx::query_scalar(
            "SELECT c.data FROM clerk_tokens t JOIN clerks c ON c.login = t.login WHERE t.digest = $1",
        )
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        json.map(|j| clerk_from_json(&j)).transpose()
    }
}

#[async_trait]
impl BackOfficeSessionStore for PostgresStore {
    async fn save(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE backoffice_sessions SET data = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn create(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO backoffice_sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn load(&self, id: &str, now: Timestamp) -> StoreResult<Option<String>> {
        if !storable(id) {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT data FROM backoffice_sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        if !storable(id) {
            return Ok(());
        }
        sqlx::query("DELETE FROM backoffice_sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl CzechPointStore for PostgresStore {
    async fn insert(&self, request: &CzechPointRequest) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO czech_point_requests \
             (id, person_id, recipient_ico, message, one_time, data, created_at, taken_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&request.id)
        .bind(&request.person_id)
        .bind(&request.recipient_ico)
        .bind(request.message.as_str())
        .bind(request.consent == Consent::OneTime)
        .bind(to_json(request)?)
        .bind(request.created_at)
        .bind(request.taken_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn take(&self, recipient_ico: &str, message: &str, now: Timestamp) -> StoreResult<Option<CzechPointRequest>> {
        if !storable(recipient_ico) || !storable(message) {
            return Ok(None);
        }
        // The row is locked as it is chosen (a racing take skips it and finds the next, if any),
        // and marked in the same statement.
        let row: Option<(String, Option<i64>)> = sqlx::query_as(
            "UPDATE czech_point_requests SET taken_at = CASE WHEN one_time THEN $3 ELSE NULL END \
             WHERE id = (SELECT id FROM czech_point_requests WHERE recipient_ico = $1 AND message = $2 \
                         AND taken_at IS NULL ORDER BY created_at, id COLLATE \"C\" LIMIT 1 FOR UPDATE SKIP LOCKED) \
             AND taken_at IS NULL \
             RETURNING data, taken_at",
        )
        .bind(recipient_ico)
        .bind(message)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(request_from_row).transpose()
    }

    async fn of_person(&self, person_id: &str) -> StoreResult<Vec<CzechPointRequest>> {
        if !storable(person_id) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT data, taken_at FROM czech_point_requests WHERE person_id = $1 ORDER BY created_at, id COLLATE \"C\"",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(request_from_row).collect()
    }
}
