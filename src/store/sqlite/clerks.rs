//! The back office: clerks (each whole as JSON), their API tokens' digests, the clerks'
//! sessions, and the Czech POINT requests.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::czech_point::Consent;
use crate::model::{Clerk, ClerkRecord, CzechPointRequest};
use crate::store::{BackOfficeSessionStore, ClerkStore, CzechPointStore, StoreError, StoreResult};

/// A clerk as kept: its record's JSON, checked again when read.
fn clerk_from_json(json: &str) -> StoreResult<Clerk> {
    let record: ClerkRecord = from_json(json)?;
    Clerk::parse(&record).map_err(|e| StoreError::Corrupt(format!("clerk {}: {e}", record.login)))
}

#[async_trait]
impl ClerkStore for SqliteStore {
    async fn insert(&self, clerk: &Clerk) -> StoreResult<()> {
        self.execute(
            "INSERT INTO clerks (login, data, created_at) VALUES (?, ?, ?)",
            (clerk.login().to_string(), to_json(&clerk.record())?, clerk.created_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, login: &str) -> StoreResult<Option<Clerk>> {
        let json: Option<String> =
            self.optional("SELECT data FROM clerks WHERE login = ?", (login.to_owned(),)).await?;
        json.map(|j| clerk_from_json(&j)).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<Clerk>> {
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached("SELECT data FROM clerks ORDER BY login")?.query_map((), |r| r.get(0))?.collect()
            })
            .await?;
        rows.iter().map(|j| clerk_from_json(j)).collect()
    }

    async fn update(&self, clerk: &Clerk) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE clerks SET data = ? WHERE login = ?",
                (to_json(&clerk.record())?, clerk.login().to_string()),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn insert_token(&self, digest: &str, login: &str, now: Timestamp) -> StoreResult<()> {
        self.execute(
            "INSERT INTO clerk_tokens (digest, login, created_at) VALUES (?, ?, ?)",
            (digest.to_owned(), login.to_owned(), now),
        )
        .await?;
        Ok(())
    }

    async fn clerk_of_token(&self, digest: &str) -> StoreResult<Option<Clerk>> {
        let json: Option<String> = self
            .optional(
                "SELECT c.data FROM clerk_tokens t JOIN clerks c ON c.login = t.login WHERE t.digest = ?",
                (digest.to_owned(),),
            )
            .await?;
        json.map(|j| clerk_from_json(&j)).transpose()
    }
}

#[async_trait]
impl BackOfficeSessionStore for SqliteStore {
    async fn save(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE backoffice_sessions SET data = ?, expires_at = ? WHERE id = ?",
                (data.to_owned(), expires_at, id.to_owned()),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn create(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool> {
        let changed = self
            .execute(
                "INSERT INTO backoffice_sessions (id, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (id.to_owned(), data.to_owned(), expires_at),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn load(&self, id: &str, now: Timestamp) -> StoreResult<Option<String>> {
        self.optional("SELECT data FROM backoffice_sessions WHERE id = ? AND expires_at > ?", (id.to_owned(), now))
            .await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.execute("DELETE FROM backoffice_sessions WHERE id = ?", (id.to_owned(),)).await?;
        Ok(())
    }
}

#[async_trait]
impl CzechPointStore for SqliteStore {
    async fn insert(&self, request: &CzechPointRequest) -> StoreResult<()> {
        self.execute(
            "INSERT INTO czech_point_requests \
             (id, person_id, recipient_ico, message, one_time, data, created_at, taken_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request.id.clone(),
                request.person_id.clone(),
                request.recipient_ico.clone(),
                request.message.as_str().to_owned(),
                request.consent == Consent::OneTime,
                to_json(request)?,
                request.created_at,
                request.taken_at,
            ),
        )
        .await?;
        Ok(())
    }

    async fn take(&self, recipient_ico: &str, message: &str, now: Timestamp) -> StoreResult<Option<CzechPointRequest>> {
        // One statement: the row is chosen and marked under SQLite's write lock.
        let row: Option<(String, Option<i64>)> = self
            .write_statement(|db| {
                db.prepare_cached(
                    "UPDATE czech_point_requests SET taken_at = CASE WHEN one_time THEN ?3 ELSE NULL END \
                     WHERE id = (SELECT id FROM czech_point_requests WHERE recipient_ico = ?1 AND message = ?2 \
                                 AND taken_at IS NULL ORDER BY created_at, id LIMIT 1) \
                     RETURNING data, taken_at",
                )?
                .query_row((recipient_ico, message, now), |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
            })
            .await?;
        row.map(|(json, taken_at)| Ok(CzechPointRequest { taken_at, ..from_json(&json)? })).transpose()
    }

    async fn of_person(&self, person_id: &str) -> StoreResult<Vec<CzechPointRequest>> {
        let rows: Vec<(String, Option<i64>)> = self
            .read(|db| {
                db.prepare_cached(
                    "SELECT data, taken_at FROM czech_point_requests WHERE person_id = ? ORDER BY created_at, id",
                )?
                .query_map((person_id,), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
            })
            .await?;
        rows.into_iter().map(|(json, taken_at)| Ok(CzechPointRequest { taken_at, ..from_json(&json)? })).collect()
    }
}
