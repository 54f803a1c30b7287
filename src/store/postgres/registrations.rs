//! NIA ID's online registrations: each whole as JSON beside the columns it is found by; the
//! account it registered is a row of `users`.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::{NiaRegistration, RegistrationState, User};
use crate::store::{RegistrationStore, StoreResult};

impl PostgresStore {
    async fn registration_where(&self, sql: &'static str, value: &str) -> StoreResult<Option<NiaRegistration>> {
        if !storable(value) {
            return Ok(None);
        }
        let row: Option<String> =
            sqlx::query_scalar(sql).bind(value).fetch_optional(&self.pool).await.map_err(db_error)?;
        row.as_deref().map(from_json).transpose()
    }
}

#[async_trait]
impl RegistrationStore for PostgresStore {
    async fn register(&self, user: &User, registration: &NiaRegistration, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query(
            "DELETE FROM users WHERE id IN \
             (SELECT user_id FROM nia_registrations WHERE state = 'awaiting_email' AND expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM nia_registrations WHERE state = 'awaiting_email' AND expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(to_json(&user.profile)?)
        .bind(user.updated_at)
        .bind(user.created_at)
        .bind(user.disabled)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO nia_registrations (user_id, state, email_token, identification_code, record, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&registration.user_id)
        .bind(registration.state.as_str())
        .bind(&registration.email_token)
        .bind(&registration.identification_code)
        .bind(to_json(registration)?)
        .bind(registration.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Option<NiaRegistration>> {
        self.registration_where("SELECT record FROM nia_registrations WHERE user_id = $1", user_id).await
    }

    async fn by_email_token(&self, digest: &str) -> StoreResult<Option<NiaRegistration>> {
        self.registration_where("SELECT record FROM nia_registrations WHERE email_token = $1", digest).await
    }

    async fn by_code(&self, code: &str) -> StoreResult<Option<NiaRegistration>> {
        self.registration_where("SELECT record FROM nia_registrations WHERE identification_code = $1", code).await
    }

    async fn advance(&self, registration: &NiaRegistration, from: RegistrationState) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE nia_registrations SET state = $1, identification_code = $2, record = $3 \
             WHERE user_id = $4 AND state = $5",
        )
        .bind(registration.state.as_str())
        .bind(&registration.identification_code)
        .bind(to_json(registration)?)
        .bind(&registration.user_id)
        .bind(from.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn activate(&self, registration: &NiaRegistration, account: &User) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let done = sqlx::query(
            "UPDATE nia_registrations SET state = $1, record = $2 WHERE user_id = $3 AND state = 'awaiting_identity'",
        )
        .bind(registration.state.as_str())
        .bind(to_json(registration)?)
        .bind(&registration.user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET profile = $1, updated_at = $2, disabled = $3, person_id = $4 WHERE id = $5")
            .bind(to_json(&account.profile)?)
            .bind(account.updated_at)
            .bind(account.disabled)
            .bind(&registration.person_id)
            .bind(&account.id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }
}
