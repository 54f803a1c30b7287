//! Limits on password guessing (OWASP ASVS 2.2.1), each reserved atomically *before* the
//! password is checked: a counter is increased first and its new value decides, so a burst of
//! parallel guesses gets no more checks than the limits allow, whatever the concurrency and on
//! however many nodes (the race Keycloak fixed as CVE-2024-4629).
//!
//! Three limits apply, in this order; an attempt refused by one does not count at the next:
//! - **per source address**: at most `address_limit` attempts per `address_window`, whatever the
//!   accounts (guessing spread over many accounts). IPv6 addresses count per /64, the block one
//!   subscriber usually gets.
//! - **per source address and account**: at most `lockout_threshold` attempts per
//!   `lockout_window`. Hard, but for this address only: one attacker cannot keep taking the
//!   account's own attempts away from its owner.
//! - **per account**, from anywhere: the first `lockout_threshold` attempts of a window go
//!   through; the last of them starts a wait of `lockout_delay`, and after each wait one attempt
//!   goes through and starts the next wait, twice as long, up to `lockout_window`. The account is
//!   slowed down, not locked: its owner waits minutes at most, and the page says how long.
//!
//! A successful login clears what the account and the address counted against the account; the
//! address's own count stays (it counts attempts, not failures). Usernames are counted by their
//! digest, known or not, so the limits neither tell which accounts exist nor keep usernames.

use std::net::IpAddr;

use crate::clock::Timestamp;
use crate::config::PasswordConfig;
use crate::secret;
use crate::store::{CounterStore, StoreResult};

/// How long the waits an account has served are remembered (their doubling).
const STRIKE_MEMORY: i64 = 24 * 3600;

/// Why an attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limited {
    /// Too many attempts from the source address (in all, or at this account).
    Throttled { retry_at: Timestamp },
    /// The account is slowed down: its next attempt waits until `retry_at`.
    Locked { retry_at: Timestamp },
}

/// An attempt that may go on to the password check; [`Reservation::clear`] it on success.
#[derive(Debug)]
pub(crate) struct Reservation {
    /// Counters a success clears.
    cleared_by_success: Vec<String>,
}

/// The limits of [`PasswordConfig`] over a [`CounterStore`].
pub(crate) struct Throttle<'a> {
    counters: &'a dyn CounterStore,
    config: &'a PasswordConfig,
}

/// The counter keys of one account.
struct AccountKeys {
    attempts: String,
    wait: String,
    strikes: String,
}

impl AccountKeys {
    fn new(username: &str) -> Self {
        let id = account_id(username);
        Self {
            attempts: format!("login:account:{id}"),
            wait: format!("login:account-wait:{id}"),
            strikes: format!("login:account-strikes:{id}"),
        }
    }
}

impl<'a> Throttle<'a> {
    pub(crate) fn new(counters: &'a dyn CounterStore, config: &'a PasswordConfig) -> Self {
        Self { counters, config }
    }

    /// Reserves an attempt at `username` from `source`: counts it against every limit, or says
    /// which limit refuses it and until when.
    pub(crate) async fn reserve(
        &self,
        source: IpAddr,
        username: &str,
        now: Timestamp,
    ) -> StoreResult<Result<Reservation, Limited>> {
        let config = self.config;
        let source = address_id(source);
        if config.address_limit > 0 {
            let key = format!("login:address:{source}");
            let tally = self.counters.tally(&key, now + config.address_window, now).await?;
            if tally.count > config.address_limit {
                return Ok(Err(Limited::Throttled { retry_at: tally.ends_at }));
            }
        }
        let threshold = config.lockout_threshold;
        if threshold == 0 {
            return Ok(Ok(Reservation { cleared_by_success: Vec::new() }));
        }
        let pair = format!("login:address-account:{source}:{}", account_id(username));
        let tally = self.counters.tally(&pair, now + config.lockout_window, now).await?;
        if tally.count > threshold {
            return Ok(Err(Limited::Throttled { retry_at: tally.ends_at }));
        }
        let account = AccountKeys::new(username);
        // A wait outlives the window of attempts that started it: it is checked first, so a
        // new window does not open the account during a wait. Reading it is enough, since it
        // can only refuse; what lets attempts through below is counted atomically.
        if let Some(wait) = self.counters.peek(&account.wait, now).await? {
            return Ok(Err(Limited::Locked { retry_at: wait.ends_at }));
        }
        let attempts = self.counters.tally(&account.attempts, now + config.lockout_window, now).await?;
        if attempts.count >= threshold {
            // Of all the attempts that get here, only the one that starts the wait goes on.
            let strikes = self.counters.peek(&account.strikes, now).await?.map_or(0, |s| s.count);
            let wait = self.counters.tally(&account.wait, now + self.delay(strikes), now).await?;
            if wait.count > 1 {
                return Ok(Err(Limited::Locked { retry_at: wait.ends_at }));
            }
            self.counters.increment(&account.strikes, now + STRIKE_MEMORY, now).await?;
            crate::metrics::lockout();
        }
        Ok(Ok(Reservation { cleared_by_success: vec![pair, account.attempts, account.wait, account.strikes] }))
    }

    /// The wait after `strikes` earlier waits: `lockout_delay`, doubled for each, at most
    /// `lockout_window`.
    fn delay(&self, strikes: u32) -> i64 {
        let config = self.config;
        let factor = 1i64.checked_shl(strikes.min(32)).unwrap_or(i64::MAX);
        config.lockout_delay.saturating_mul(factor).min(config.lockout_window).max(1)
    }
}

impl Reservation {
    /// After a successful login: the account starts afresh.
    pub(crate) async fn clear(&self, counters: &dyn CounterStore) -> StoreResult<()> {
        for key in &self.cleared_by_success {
            counters.reset(key).await?;
        }
        Ok(())
    }
}

/// An account as the counters know it: the digest of its username as a person types it
/// (trimmed, any case).
fn account_id(username: &str) -> String {
    secret::digest(&username.trim().to_lowercase())
}

/// A source address as the counters know it: IPv4 as is, IPv6 by its /64 block.
fn address_id(source: IpAddr) -> String {
    match source {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Stores;
    use crate::store::sqlite::SqliteStore;

    const NOW: Timestamp = 1_700_000_000;

    fn config() -> PasswordConfig {
        PasswordConfig {
            lockout_threshold: 3,
            lockout_window: 900,
            lockout_delay: 60,
            address_limit: 100,
            address_window: 900,
            ..PasswordConfig::default()
        }
    }

    async fn stores() -> Stores {
        Stores::from_one(SqliteStore::memory().await.unwrap())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn the_threshold_lets_through_that_many_then_waits_grow() {
        let stores = stores().await;
        let config = config();
        let throttle = Throttle::new(&*stores.counters, &config);
        // From a new address each time, so only the account's limit applies.
        let mut attempt = 0;
        let mut reserve = async |now| {
            attempt += 1;
            throttle.reserve(ip(&format!("192.0.2.{attempt}")), "Jana", now).await.unwrap()
        };
        for _ in 0..3 {
            assert!(reserve(NOW).await.is_ok());
        }
        assert_eq!(reserve(NOW).await.unwrap_err(), Limited::Locked { retry_at: NOW + 60 });
        // After the first wait, one attempt, then a wait twice as long.
        assert!(reserve(NOW + 60).await.is_ok());
        assert_eq!(reserve(NOW + 61).await.unwrap_err(), Limited::Locked { retry_at: NOW + 180 });
        assert!(reserve(NOW + 180).await.is_ok());
        assert_eq!(reserve(NOW + 180).await.unwrap_err(), Limited::Locked { retry_at: NOW + 420 });
        assert!(reserve(NOW + 500).await.is_ok());
        // Past the window of attempts (NOW + 900), the wait it started still holds.
        assert_eq!(reserve(NOW + 901).await.unwrap_err(), Limited::Locked { retry_at: NOW + 500 + 480 });
        assert!(reserve(NOW + 980).await.is_ok());
    }

    #[tokio::test]
    async fn a_success_clears_the_account() {
        let stores = stores().await;
        let config = config();
        let throttle = Throttle::new(&*stores.counters, &config);
        for _ in 0..2 {
            throttle.reserve(ip("192.0.2.1"), "jana", NOW).await.unwrap().unwrap();
        }
        let last = throttle.reserve(ip("192.0.2.1"), " JANA ", NOW).await.unwrap().unwrap();
        last.clear(&*stores.counters).await.unwrap();
        for _ in 0..3 {
            assert!(throttle.reserve(ip("192.0.2.1"), "jana", NOW).await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn one_address_runs_out_at_an_account_while_others_wait_only_the_delay() {
        let stores = stores().await;
        let config = config();
        let throttle = Throttle::new(&*stores.counters, &config);
        for _ in 0..3 {
            throttle.reserve(ip("203.0.113.9"), "jana", NOW).await.unwrap().unwrap();
        }
        let refused = throttle.reserve(ip("203.0.113.9"), "jana", NOW + 61).await.unwrap();
        assert_eq!(refused.unwrap_err(), Limited::Throttled { retry_at: NOW + 900 });
        assert!(throttle.reserve(ip("198.51.100.4"), "jana", NOW + 61).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn an_address_is_limited_across_accounts_and_ipv6_by_its_block() {
        let stores = stores().await;
        let config = PasswordConfig { address_limit: 2, ..config() };
        let throttle = Throttle::new(&*stores.counters, &config);
        assert!(throttle.reserve(ip("2001:db8:1:2::1"), "a", NOW).await.unwrap().is_ok());
        assert!(throttle.reserve(ip("2001:db8:1:2::ffff"), "b", NOW).await.unwrap().is_ok());
        let refused = throttle.reserve(ip("2001:db8:1:2:3::9"), "c", NOW + 5).await.unwrap();
        assert_eq!(refused.unwrap_err(), Limited::Throttled { retry_at: NOW + 900 });
        assert!(throttle.reserve(ip("2001:db8:1:3::1"), "c", NOW + 5).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn zero_turns_the_limits_off() {
        let stores = stores().await;
        let config = PasswordConfig { lockout_threshold: 0, address_limit: 0, ..config() };
        let throttle = Throttle::new(&*stores.counters, &config);
        for _ in 0..50 {
            assert!(throttle.reserve(ip("192.0.2.1"), "jana", NOW).await.unwrap().is_ok());
        }
    }
}
