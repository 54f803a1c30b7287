//! The MEG device register: each device whole as JSON, its status and last use in columns of
//! their own; pairing codes as digests, spent by one `DELETE … RETURNING`.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::{Device, DeviceStatus};
use crate::store::{DeviceStore, StoreError, StoreResult};

type DeviceRow = (String, String, Option<i64>);

fn device_from_row((record, status, last_used_at): DeviceRow) -> StoreResult<Device> {
    let mut device: Device = from_json(&record)?;
    device.status =
        DeviceStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("device status {status}")))?;
    device.last_used_at = last_used_at;
    Ok(device)
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn insert(&self, device: &Device) -> StoreResult<()> {
        self.execute(
            "INSERT INTO meg_devices (id, user_id, record, status, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)",
            (&device.id, &device.user_id, to_json(device)?, device.status.id(), device.created_at, device.last_used_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Device>> {
        let row: Option<DeviceRow> = self
            .read(|db| {
                db.prepare_cached("SELECT record, status, last_used_at FROM meg_devices WHERE id = ?")?
                    .query_row((id,), |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()
            })
            .await?;
        row.map(device_from_row).transpose()
    }

    async fn list(&self, user_id: Option<&str>) -> StoreResult<Vec<Device>> {
        let rows: Vec<DeviceRow> = self
            .read(|db| {
                db.prepare_cached(
                    "SELECT record, status, last_used_at FROM meg_devices WHERE ?1 IS NULL OR user_id = ?1 \
                     ORDER BY created_at DESC, id",
                )?
                .query_map((user_id,), |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect()
            })
            .await?;
        rows.into_iter().map(device_from_row).collect()
    }

    async fn set_status(&self, id: &str, status: DeviceStatus) -> StoreResult<bool> {
        let changed = self.execute("UPDATE meg_devices SET status = ? WHERE id = ?", (status.id(), id)).await?;
        Ok(changed > 0)
    }

    async fn touch(&self, id: &str, now: Timestamp) -> StoreResult<()> {
        self.execute("UPDATE meg_devices SET last_used_at = ? WHERE id = ?", (now, id)).await?;
        Ok(())
    }

    async fn insert_pairing(&self, digest: &str, user_id: &str, expires_at: Timestamp) -> StoreResult<()> {
        self.execute(
            "INSERT INTO meg_pairings (digest, user_id, expires_at) VALUES (?, ?, ?)",
            (digest, user_id, expires_at),
        )
        .await?;
        Ok(())
    }

    async fn take_pairing(&self, digest: &str, now: Timestamp) -> StoreResult<Option<String>> {
        // An expired code goes too: it can never be used again.
        let taken: Option<(String, i64)> = self
            .write_statement(|db| {
                db.prepare_cached("DELETE FROM meg_pairings WHERE digest = ? RETURNING user_id, expires_at")?
                    .query_row((digest,), |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .await?;
        Ok(taken.filter(|(_, expires_at)| now < *expires_at).map(|(user, _)| user))
    }
}
