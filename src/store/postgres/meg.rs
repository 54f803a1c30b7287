//! The MEG device register: each device whole as JSON, its status and last use in columns of
//! their own; pairing codes as digests, spent by one `DELETE … RETURNING`.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
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
impl DeviceStore for PostgresStore {
    async fn insert(&self, device: &Device) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO meg_devices (id, user_id, record, status, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&device.id)
        .bind(&device.user_id)
        .bind(to_json(device)?)
        .bind(device.status.id())
        .bind(device.created_at)
        .bind(device.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Device>> {
        if !storable(id) {
            return Ok(None);
        }
        let row: Option<DeviceRow> =
            sqlx::query_as("SELECT record, status, last_used_at FROM meg_devices WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        row.map(device_from_row).transpose()
    }

    async fn list(&self, user_id: Option<&str>) -> StoreResult<Vec<Device>> {
        if user_id.is_some_and(|u| !storable(u)) {
            return Ok(Vec::new());
        }
        let rows: Vec<DeviceRow> = sqlx::query_as(
            "SELECT record, status, last_used_at FROM meg_devices WHERE $1::TEXT IS NULL OR user_id = $1 \
             ORDER BY created_at DESC, id COLLATE \"C\"",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(device_from_row).collect()
    }

    async fn set_status(&self, id: &str, status: DeviceStatus) -> StoreResult<bool> {
        if !storable(id) {
            return Ok(false);
        }
        let done = sqlx::query("UPDATE meg_devices SET status = $1 WHERE id = $2")
            .bind(status.id())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch(&self, id: &str, now: Timestamp) -> StoreResult<()> {
        if !storable(id) {
            return Ok(());
        }
        sqlx::query("UPDATE meg_devices SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn insert_pairing(&self, digest: &str, user_id: &str, expires_at: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO meg_pairings (digest, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(digest)
            .bind(user_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn take_pairing(&self, digest: &str, now: Timestamp) -> StoreResult<Option<String>> {
        if !storable(digest) {
            return Ok(None);
        }
        // An expired code goes too: it can never be used again.
        let taken: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM meg_pairings WHERE digest = $1 RETURNING user_id, expires_at")
                .bind(digest)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(taken.filter(|(_, expires_at)| now < *expires_at).map(|(user, _)| user))
    }
}
