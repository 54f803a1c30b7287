//! The eObčanka card register: each card whole as JSON, its status in a column of its own so
//! that reporting a card stolen is one statement.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::model::{Card, CardStatus};
use crate::store::{CardStore, StoreError, StoreResult};

fn card_from_row((record, status): (String, String)) -> StoreResult<Card> {
    let mut card: Card = from_json(&record)?;
    card.status = CardStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("card status {status}")))?;
    Ok(card)
}

#[async_trait]
impl CardStore for SqliteStore {
    async fn insert(&self, card: &Card) -> StoreResult<()> {
        self.execute(
            "INSERT INTO cards (number, user_id, record, status, issued_at) VALUES (?, ?, ?, ?, ?)",
            (&card.number, &card.user_id, to_json(card)?, card.status.id(), card.issued_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, number: &str) -> StoreResult<Option<Card>> {
        let row: Option<(String, String)> = self
            .read(|db| {
                db.prepare_cached("SELECT record, status FROM cards WHERE number = ?")?
                    .query_row((number,), |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .await?;
        row.map(card_from_row).transpose()
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<Card>> {
        let rows: Vec<(String, String)> = self
            .read(|db| {
                db.prepare_cached("SELECT record, status FROM cards WHERE user_id = ? ORDER BY issued_at DESC, number")?
                    .query_map((user_id,), |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .await?;
        rows.into_iter().map(card_from_row).collect()
    }

    async fn set_status(&self, number: &str, from: &[CardStatus], to: CardStatus) -> StoreResult<bool> {
        let from = statuses(from);
        let changed = self
            .execute(
                "UPDATE cards SET status = ? WHERE number = ? AND instr(?, ',' || status || ',') > 0",
                (to.id(), number, from),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn replace(&self, card: &Card, from: CardStatus) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE cards SET record = ?, status = ?, issued_at = ? WHERE number = ? AND user_id = ? AND status = ?",
                (to_json(card)?, card.status.id(), card.issued_at, &card.number, &card.user_id, from.id()),
            )
            .await?;
        Ok(changed > 0)
    }
}

/// The statuses as `,a,b,` for a membership test in SQL.
fn statuses(list: &[CardStatus]) -> String {
    list.iter().fold(",".to_owned(), |out, status| format!("{out}{},", status.id()))
}
