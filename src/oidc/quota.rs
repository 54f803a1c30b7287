//! Quotas per source address: how many client registrations, or logins in progress, one address
//! may start within a window, so that one source cannot fill the stores.
//!
//! The unit is reserved first (one atomic increment of a shared counter, so every node and every
//! concurrent request counts) and the request is refused when the reservation went over the
//! limit: a parallel burst gets no more than the limit through, whatever the concurrency.

use std::net::IpAddr;

use crate::oidc::{OAuthError, Provider};

/// What is counted, with its limit and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    /// Names the counter, e.g. `register`.
    pub(crate) name: &'static str,
    /// Units per window; 0 means no limit.
    pub(crate) limit: u32,
    /// Seconds.
    pub(crate) window: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QuotaError {
    /// The source used up its quota; it may try again after `retry_after` seconds at the latest.
    #[error("too many requests from this address; try again in {retry_after} seconds")]
    Exceeded { retry_after: i64 },
    /// The counter could not be reached.
    #[error("{0}")]
    Store(OAuthError),
}

impl Quota {
    pub(crate) fn registrations(provider: &Provider) -> Self {
        let reg = &provider.config.registration;
        Self { name: "register", limit: reg.per_source_limit, window: reg.per_source_window }
    }

    pub(crate) fn interactions(provider: &Provider) -> Self {
        let limits = &provider.config.interactions;
        Self { name: "interactions", limit: limits.per_source, window: limits.window }
    }

    /// Reserves one unit of this quota for `source`.
    pub(crate) async fn reserve(self, provider: &Provider, source: IpAddr) -> Result<(), QuotaError> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = provider.now();
        let key = format!("quota:{}:{source}", self.name);
        let count = provider
            .stores
            .counters
            .increment(&key, now + self.window, now)
            .await
            .map_err(|e| QuotaError::Store(e.into()))?;
        if count > self.limit {
            tracing::info!(quota = self.name, %source, count, "quota per source exceeded");
            return Err(QuotaError::Exceeded { retry_after: self.window });
        }
        Ok(())
    }
}
