//! The audit log: each entry whole as JSON, at its place (`seq`); triggers refuse changes.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::model::AuditEntry;
use crate::store::{AuditStore, StoreResult};

/// An entry as stored, at the place its row says (so a renumbered row shows as a break).
fn entry_from_row((seq, entry): (i64, String)) -> StoreResult<AuditEntry> {
    Ok(AuditEntry { seq, ..from_json(&entry)? })
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn last(&self) -> StoreResult<Option<AuditEntry>> {
        let row: Option<(i64, String)> = self
            .read(|db| {
                db.prepare_cached("SELECT seq, entry FROM audit_log ORDER BY seq DESC LIMIT 1")?
                    .query_row((), |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .await?;
        row.map(entry_from_row).transpose()
    }

    async fn append(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.execute(
            "INSERT INTO audit_log (seq, entry, subject, at) VALUES (?, ?, ?, ?)",
            (entry.seq, to_json(entry)?, &entry.record.subject, entry.record.at),
        )
        .await?;
        Ok(())
    }

    async fn after(&self, after: i64, limit: usize) -> StoreResult<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(i64, String)> = self
            .read(|db| {
                db.prepare_cached("SELECT seq, entry FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")?
                    .query_map((after, limit), |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .await?;
        rows.into_iter().map(entry_from_row).collect()
    }

    async fn about(&self, subject: &str) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(i64, String)> = self
            .read(|db| {
                db.prepare_cached("SELECT seq, entry FROM audit_log WHERE subject = ? ORDER BY seq")?
                    .query_map((subject,), |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .await?;
        rows.into_iter().map(entry_from_row).collect()
    }
}
