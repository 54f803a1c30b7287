//! The SAML service providers: each whole as JSON, found by its face and entityID.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::ServiceProvider;
use crate::store::{SamlSpStore, StoreResult};

/// The primary face's records carry the empty name (a key column cannot be NULL).
fn face_key(face: Option<&str>) -> &str {
    face.unwrap_or_default()
}

#[async_trait]
impl SamlSpStore for PostgresStore {
    async fn put(&self, sp: &ServiceProvider) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO saml_sps (face, entity_id, record, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (face, entity_id) DO UPDATE SET record = excluded.record",
        )
        .bind(face_key(sp.face.as_deref()))
        .bind(&sp.entity_id)
        .bind(to_json(sp)?)
        .bind(sp.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, face: Option<&str>, entity_id: &str) -> StoreResult<Option<ServiceProvider>> {
        if !storable(entity_id) || !storable(face_key(face)) {
            return Ok(None);
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT record FROM saml_sps WHERE face = $1 AND entity_id = $2")
            .bind(face_key(face))
            .bind(entity_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|(r,)| from_json(&r)).transpose()
    }

    async fn list(&self, face: Option<&str>) -> StoreResult<Vec<ServiceProvider>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT record FROM saml_sps WHERE face = $1 ORDER BY entity_id")
            .bind(face_key(face))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(|(r,)| from_json(r)).collect()
    }

    async fn delete(&self, face: Option<&str>, entity_id: &str) -> StoreResult<bool> {
        if !storable(entity_id) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM saml_sps WHERE face = $1 AND entity_id = $2")
            .bind(face_key(face))
            .bind(entity_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
