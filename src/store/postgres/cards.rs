//! The eObčanka card register: each card whole as JSON, its status in a column of its own so
//! that reporting a card stolen is one statement.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::{Card, CardStatus};
use crate::store::{CardStore, StoreError, StoreResult};

fn card_from_row((record, status): (String, String)) -> StoreResult<Card> {
    let mut card: Card = from_json(&record)?;
    card.status = CardStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("card status {status}")))?;
    Ok(card)
}

#[async_trait]
impl CardStore for PostgresStore {
    async fn insert(&self, card: &Card) -> StoreResult<()> {
        sqlx::query("INSERT INTO cards (number, user_id, record, status, issued_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&card.number)
            .bind(&card.user_id)
            .bind(to_json(card)?)
            .bind(card.status.id())
            .bind(card.issued_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, number: &str) -> StoreResult<Option<Card>> {
        if !storable(number) {
            return Ok(None);
        }
        let row: Option<(String, String)> = sqlx::query_as("SELECT record, status FROM cards WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(card_from_row).transpose()
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<Card>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT record, status FROM cards WHERE user_id = $1 ORDER BY issued_at DESC, number COLLATE \"C\"",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(card_from_row).collect()
    }

    async fn set_status(&self, number: &str, from: &[CardStatus], to: CardStatus) -> StoreResult<bool> {
        if !storable(number) {
            return Ok(false);
        }
        let from: Vec<&str> = from.iter().map(|status| status.id()).collect();
        let done = sqlx::query("UPDATE cards SET status = $1 WHERE number = $2 AND status = ANY($3)")
            .bind(to.id())
            .bind(number)
            .bind(from)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn replace(&self, card: &Card, from: CardStatus) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE cards SET record = $1, status = $2, issued_at = $3 \
             WHERE number = $4 AND user_id = $5 AND status = $6",
        )
        .bind(to_json(card)?)
        .bind(card.status.id())
        .bind(card.issued_at)
        .bind(&card.number)
        .bind(&card.user_id)
        .bind(from.id())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
