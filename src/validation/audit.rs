//! Recording decisions in the audit log and verifying its chain.
//!
//! [`record`] chains a decision to the newest entry and appends it; when another writer took
//! that place first (two nodes, two clerks), it chains to theirs and tries again. [`verify`]
//! reads the whole log oldest first and says where the chain breaks: an entry edited, taken out
//! or put in. An entry removed from the end leaves a shorter, intact chain: [`verify`] finds it
//! against a head kept from an earlier run (`identita audit verify --head`).

use crate::model::audit::{AuditEntry, AuditRecord, ChainBreak, ChainCheck, GENESIS};
use crate::model::clerk::Role;
use crate::store::{AuditStore, StoreError};
use crate::validation::actor::{Actor, Forbidden};

/// Tries before giving up on a log other writers keep appending to.
const APPEND_TRIES: u32 = 20;
/// Entries read at once while verifying.
const PAGE: usize = 1000;

/// Appends `record` to the log, chained to the newest entry.
pub async fn record(log: &dyn AuditStore, record: AuditRecord) -> Result<AuditEntry, StoreError> {
    for _ in 0..APPEND_TRIES {
        let (seq, prev) = match log.last().await? {
            Some(last) => (last.seq + 1, last.hash),
            None => (1, GENESIS.to_owned()),
        };
        let entry = AuditEntry::chained(record.clone(), seq, &prev);
        match log.append(&entry).await {
            Ok(()) => return Ok(entry),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable("the audit log is too busy to append to".into()))
}

/// What a verification found.
#[derive(Debug)]
pub enum Verdict {
    /// The chain holds: this many entries, ending at this head.
    Intact { entries: u64, head: String },
    /// The chain breaks at an entry.
    Broken(ChainBreak),
    /// The chain holds but does not reach the head kept earlier: entries were taken off its end.
    Shortened { entries: u64, head: String },
}

/// Verifies the whole log; with `kept_head` (a head an earlier verification printed), also
/// that the log still reaches it.
pub async fn verify(log: &dyn AuditStore, kept_head: Option<&str>) -> Result<Verdict, StoreError> {
    let mut check = ChainCheck::default();
    let mut after = 0;
    let mut reached = kept_head.is_none_or(|head| head == GENESIS);
    loop {
        let page = log.after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if let Err(broken) = check.next(entry) {
                return Ok(Verdict::Broken(broken));
            }
            reached |= kept_head == Some(entry.hash.as_str());
        }
    }
    let (entries, head) = (check.entries, check.head);
    Ok(if reached { Verdict::Intact { entries, head } } else { Verdict::Shortened { entries, head } })
}

/// Why the log was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The newest `limit` entries (or those about `subject`), oldest first: for administrators.
pub async fn newest(
    log: &dyn AuditStore,
    actor: &Actor,
    subject: Option<&str>,
    limit: usize,
) -> Result<Vec<AuditEntry>, ReadError> {
    actor.require(&[Role::Administrator])?;
    let mut entries = match subject {
        Some(subject) => log.about(subject).await?,
        None => {
            let newest = log.last().await?.map_or(0, |last| last.seq);
            let from = newest.saturating_sub(i64::try_from(limit).unwrap_or(i64::MAX));
            log.after(from, limit).await?
        }
    };
    Ok(entries.split_off(entries.len().saturating_sub(limit)))
}

/// [`verify`] for an administrator.
pub async fn verify_as(log: &dyn AuditStore, actor: &Actor) -> Result<Verdict, ReadError> {
    actor.require(&[Role::Administrator])?;
    Ok(verify(log, None).await?)
}
