//! NIA ID's online registrations: each whole as JSON beside the columns it is found by; the
//! account it registered is a row of `users`.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::{NiaRegistration, RegistrationState, User};
use crate::store::{RegistrationStore, StoreResult};

const LAPSED: &str = "SELECT user_id FROM nia_registrations WHERE state = 'awaiting_email' AND expires_at <= ?1";

#[async_trait]
impl RegistrationStore for SqliteStore {
    async fn register(&self, user: &User, registration: &NiaRegistration, now: Timestamp) -> StoreResult<()> {
        let profile = to_json(&user.profile)?;
        let record = to_json(registration)?;
        self.write(|db| {
            db.execute(&format!("DELETE FROM users WHERE id IN ({LAPSED})"), (now,))?;
            db.execute("DELETE FROM nia_registrations WHERE state = 'awaiting_email' AND expires_at <= ?1", (now,))?;
            db.execute(
                "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    &user.id,
                    &user.username,
                    &user.password_hash,
                    &profile,
                    user.updated_at,
                    user.created_at,
                    user.disabled,
                ),
            )?;
            db.execute(
                "INSERT INTO nia_registrations (user_id, state, email_token, identification_code, record, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                (
                    &registration.user_id,
                    registration.state.as_str(),
                    &registration.email_token,
                    &registration.identification_code,
                    &record,
                    registration.expires_at,
                ),
            )?;
            Ok(())
        })
        .await
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Option<NiaRegistration>> {
        let row: Option<String> =
            self.optional("SELECT record FROM nia_registrations WHERE user_id = ?", (user_id.to_owned(),)).await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn by_email_token(&self, digest: &str) -> StoreResult<Option<NiaRegistration>> {
        let row: Option<String> =
            self.optional("SELECT record FROM nia_registrations WHERE email_token = ?", (digest.to_owned(),)).await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn by_code(&self, code: &str) -> StoreResult<Option<NiaRegistration>> {
        let row: Option<String> = self
            .optional("SELECT record FROM nia_registrations WHERE identification_code = ?", (code.to_owned(),))
            .await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn advance(&self, registration: &NiaRegistration, from: RegistrationState) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE nia_registrations SET state = ?, identification_code = ?, record = ? \
                 WHERE user_id = ? AND state = ?",
                (
                    registration.state.as_str(),
                    registration.identification_code.clone(),
                    to_json(registration)?,
                    registration.user_id.clone(),
                    from.as_str(),
                ),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn activate(&self, registration: &NiaRegistration, account: &User) -> StoreResult<bool> {
        let record = to_json(registration)?;
        let profile = to_json(&account.profile)?;
        self.write(|db| {
            let changed = db.execute(
                "UPDATE nia_registrations SET state = ?, record = ? WHERE user_id = ? AND state = 'awaiting_identity'",
                (registration.state.as_str(), &record, &registration.user_id),
            )?;
            if changed == 0 {
                return Ok(false);
            }
            db.execute(
                "UPDATE users SET profile = ?, updated_at = ?, disabled = ?, person_id = ? WHERE id = ?",
                (&profile, account.updated_at, account.disabled, &registration.person_id, &account.id),
            )?;
            Ok(true)
        })
        .await
    }
}
