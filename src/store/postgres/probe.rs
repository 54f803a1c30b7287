//! Whether a database holds identita's schema, asked without changing it: the operator commands
//! other than `init` refuse to create a store (see `cli::location`).

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::{ACQUIRE_TIMEOUT, PostgresStore, db_error};
use crate::store::StoreError;

impl PostgresStore {
    /// Whether the database at `url` has been set up by identita (its migrations have run).
    pub async fn has_schema(url: &str) -> Result<bool, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?
            .application_name("identita");
        let mut conn = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| StoreError::Unavailable(format!("the database did not answer within {ACQUIRE_TIMEOUT:?}")))?
            .map_err(db_error)?;
        let found: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .map_err(db_error)?;
        let _ = conn.close().await;
        Ok(found)
    }
}
