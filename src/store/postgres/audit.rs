//! The audit log: each entry whole as JSON, at its place (`seq`); a trigger refuses changes.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::AuditEntry;
use crate::store::{AuditStore, StoreResult};

/// An entry as stored, at the place its row says (so a renumbered row shows as a break).
fn entry_from_row((seq, entry): (i64, String)) -> StoreResult<AuditEntry> {
    Ok(AuditEntry { seq, ..from_json(&entry)? })
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn last(&self) -> StoreResult<Option<AuditEntry>> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, entry FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(entry_from_row).transpose()
    }

    async fn append(&self, entry: &AuditEntry) -> StoreResult<()> {
        sqlx::query("INSERT INTO audit_log (seq, entry, subject, at) VALUES ($1, $2, $3, $4)")
            .bind(entry.seq)
            .bind(to_json(entry)?)
            .bind(&entry.record.subject)
            .bind(entry.record.at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn after(&self, after: i64, limit: usize) -> StoreResult<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, entry FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.into_iter().map(entry_from_row).collect()
    }

    async fn about(&self, subject: &str) -> StoreResult<Vec<AuditEntry>> {
        if !storable(subject) {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, entry FROM audit_log WHERE subject = $1 ORDER BY seq")
                .bind(subject)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.into_iter().map(entry_from_row).collect()
    }
}
