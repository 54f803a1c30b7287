//! The SAML service providers: each whole as JSON, found by its face and entityID.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::model::ServiceProvider;
use crate::store::{SamlSpStore, StoreResult};

/// The primary face's records carry the empty name (a key column cannot be NULL).
fn face_key(face: Option<&str>) -> String {
    face.unwrap_or_default().to_owned()
}

#[async_trait]
impl SamlSpStore for SqliteStore {
    async fn put(&self, sp: &ServiceProvider) -> StoreResult<()> {
        self.execute(
            "INSERT INTO saml_sps (face, entity_id, record, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (face, entity_id) DO UPDATE SET record = excluded.record",
            (face_key(sp.face.as_deref()), &sp.entity_id, to_json(sp)?, sp.created_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, face: Option<&str>, entity_id: &str) -> StoreResult<Option<ServiceProvider>> {
        let face = face_key(face);
        let row: Option<String> = self
            .read(|db| {
                db.prepare_cached("SELECT record FROM saml_sps WHERE face = ? AND entity_id = ?")?
                    .query_row((face.as_str(), entity_id), |row| row.get(0))
                    .optional()
            })
            .await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn list(&self, face: Option<&str>) -> StoreResult<Vec<ServiceProvider>> {
        let face = face_key(face);
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached("SELECT record FROM saml_sps WHERE face = ? ORDER BY entity_id")?
                    .query_map((face.as_str(),), |row| row.get(0))?
                    .collect()
            })
            .await?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn delete(&self, face: Option<&str>, entity_id: &str) -> StoreResult<bool> {
        let changed =
            self.execute("DELETE FROM saml_sps WHERE face = ? AND entity_id = ?", (face_key(face), entity_id)).await?;
        Ok(changed > 0)
    }
}
