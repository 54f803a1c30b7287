//! The audit log's entries: each decision of a clerk or an operator (who, what, when, from
//! where, on which person), chained by hashes — an entry's hash covers its content and the hash
//! of the entry before it, so an entry edited or taken out breaks the chain from there on.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A decision to record, before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: Timestamp,
    /// Who decided: a clerk's account, or `operator:<name>` for the command line.
    pub actor: String,
    /// The role they acted in (`administrator`, `czech_point`, `validation_desk`).
    pub role: String,
    /// What was done, e.g. `card.set_status`.
    pub action: String,
    /// On which person or account, when the decision is about one.
    pub subject: Option<String>,
    /// From where: the client's address, or `cli`.
    pub origin: String,
    /// The decision's particulars (the new status, the card number, …).
    pub detail: Value,
}

/// An entry of the log: a record at its place (`seq`, from 1), chained to the one before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub record: AuditRecord,
    /// The hash of the entry before (hex SHA-256), [`GENESIS`] for the first.
    pub prev: String,
    /// This entry's hash (hex SHA-256 of `prev` and the content).
    pub hash: String,
}

impl AuditEntry {
    /// `record` as the entry after one whose place is `seq - 1` and whose hash is `prev`.
    pub fn chained(record: AuditRecord, seq: i64, prev: &str) -> AuditEntry {
        let mut entry = AuditEntry { seq, record, prev: prev.to_owned(), hash: String::new() };
        entry.hash = entry.expected_hash();
        entry
    }

    /// The hash the entry's content and `prev` give.
    pub fn expected_hash(&self) -> String {
        #[derive(Serialize)]
        struct Content<'a> {
            seq: i64,
            #[serde(flatten)]
            record: &'a AuditRecord,
        }
        let content = serde_json::to_string(&Content { seq: self.seq, record: &self.record }).unwrap_or_default();
        let digest = Sha256::new().chain_update(self.prev.as_bytes()).chain_update(b"\n").chain_update(content);
        digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The place of the first entry that does not fit.
    pub seq: i64,
    pub reason: &'static str,
}

/// Follows a chain, entry by entry, oldest first.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    /// How many entries fitted.
    pub entries: u64,
    /// The hash of the last entry that fitted ([`GENESIS`] before the first).
    pub head: String,
    last_seq: i64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck { entries: 0, head: GENESIS.to_owned(), last_seq: 0 }
    }
}

impl ChainCheck {
    /// Checks the next entry against the ones before.
    pub fn next(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let broken = |reason| Err(ChainBreak { seq: entry.seq, reason });
        if entry.seq != self.last_seq + 1 {
            return broken("entries before it are missing (deleted)");
        }
        if entry.prev != self.head {
            return broken("it does not follow the entry before it (that entry was deleted or replaced)");
        }
        if entry.hash != entry.expected_hash() {
            return broken("its content does not match its hash (edited)");
        }
        self.entries += 1;
        self.last_seq = entry.seq;
        self.head = entry.hash.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at: 1_790_000_000,
            actor: "operator:jana".into(),
            role: "administrator".into(),
            action: action.into(),
            subject: Some("u-1".into()),
            origin: "cli".into(),
            detail: json!({ "number": "123456789", "status": "lost" }),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            out.push(AuditEntry::chained(record(&format!("action.{seq}")), seq, &prev));
        }
        out
    }

    fn check(entries: &[AuditEntry]) -> Result<ChainCheck, ChainBreak> {
        let mut check = ChainCheck::default();
        entries.iter().try_for_each(|e| check.next(e))?;
        Ok(check)
    }

    #[test]
    fn a_chain_verifies_and_survives_a_round_trip_through_json() {
        let entries = chain(4);
        let again: Vec<AuditEntry> =
            entries.iter().map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap()).collect();
        let checked = check(&again).unwrap();
        assert_eq!((checked.entries, checked.head.as_str()), (4, entries[3].hash.as_str()));
        assert_eq!(entries[0].prev, GENESIS);
    }

    #[test]
    fn an_edited_a_deleted_or_a_reordered_entry_breaks_the_chain_where_it_happened() {
        let mut edited = chain(4);
        edited[2].record.detail = json!({ "number": "123456789", "status": "valid" });
        assert_eq!(
            check(&edited).unwrap_err(),
            ChainBreak { seq: 3, reason: "its content does not match its hash (edited)" }
        );

        let mut deleted = chain(4);
        deleted.remove(1);
        assert_eq!(check(&deleted).unwrap_err().seq, 3);

        // Rewritten from the second on, renumbered and rehashed: the third no longer follows.
        let mut forged = chain(4);
        forged[1] = AuditEntry::chained(record("forged"), 2, &forged[0].hash);
        assert_eq!(
            check(&forged).unwrap_err(),
            ChainBreak {
                seq: 3,
                reason: "it does not follow the entry before it (that entry was deleted or replaced)"
            }
        );
    }
}
