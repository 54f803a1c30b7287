//! Password hashing with argon2id: bounded concurrency, constant work for unknown users.
//!
//! Hashing is CPU- and memory-heavy (≈ 19 MiB and ≈ 18 ms at OWASP parameters), so it runs on the
//! blocking pool behind a semaphore sized to the cores. A login for a username that does not exist
//! verifies against a dummy hash, so the response time does not tell whether the account exists.
//!
//! A check works in memory kept from the previous one (one buffer per permit) rather than in a
//! fresh 19 MiB allocation: each blocking thread's allocator arena would otherwise keep up to
//! twice that after the first login it served (≈ 200 MB resident after a busy minute instead of
//! ≈ 40 MB), and the fresh pages cost page faults on every login.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::config::PasswordConfig;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hasher is shutting down")]
    Closed,
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    /// Valid, but hashed with other parameters than those configured: store a fresh hash.
    ValidNeedsRehash,
    Invalid,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
    /// Working memory of finished checks; never more buffers than permits, since a buffer is
    /// only taken while a permit is held.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Password checks run so far (every clone shares it): what the login limits bound, made
    /// visible to operators' metrics and to the tests that race them.
    verifications: Arc<AtomicU64>,
}

impl PasswordHasher {
    pub(crate) fn new(config: &PasswordConfig) -> Result<Self, PasswordError> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let permits = match config.max_concurrent {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n,
        };
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let dummy_hash = argon
            .hash_password(crate::secret::random_token(16).as_bytes())
            .map_err(|e| PasswordError::Hash(e.to_string()))?
            .to_string();
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            dummy_hash: Arc::new(dummy_hash),
            memory: Arc::default(),
            verifications: Arc::default(),
        })
    }

    fn argon(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// A PHC string for `password` with the configured parameters.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::Closed)?;
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Self::argon(params).hash_password(password.as_bytes()).map(|h| h.to_string())
        })
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
        .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// How many password checks ([`verify`](Self::verify)) have started.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Checks `password` against `stored` (a PHC string), or against a dummy hash when there is
    /// no account, so both cases cost the same.
    pub(crate) async fn verify(&self, stored: Option<&str>, password: &str) -> Result<Verdict, PasswordError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::Closed)?;
        let known = stored.is_some();
        let stored = stored.map(str::to_owned).unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let password = password.to_owned();
        let params = self.params.clone();
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut memory = pool.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
            let checked = check(&stored, password.as_bytes(), &mut memory);
            pool.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
            match checked {
                Some((true, used))
                    if known
                        && used.m_cost() == params.m_cost()
                        && used.t_cost() == params.t_cost()
                        && used.p_cost() == params.p_cost() =>
                {
                    Verdict::Valid
                }
                Some((true, _)) if known => Verdict::ValidNeedsRehash,
                _ => Verdict::Invalid,
            }
        })
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))
    }
}

/// Whether `password` matches the PHC string `stored` (any argon2 variant and parameters), and
/// the parameters it was hashed with; `None` when `stored` is not a usable argon2 hash. Works in
/// `memory`, grown as the parameters need; the comparison takes constant time.
fn check(stored: &str, password: &[u8], memory: &mut Vec<Block>) -> Option<(bool, Params)> {
    let parsed = PasswordHash::new(stored).ok()?;
    let params = Params::try_from(&parsed).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let (salt, expected) = (parsed.salt.as_ref()?, parsed.hash.as_ref()?.as_bytes());
    memory.resize(params.block_count(), Block::new());
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, salt, &mut computed, &mut memory[..])
        .ok()?;
    Some((subtle::ConstantTimeEq::ct_eq(computed.as_slice(), expected).into(), params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(&PasswordConfig {
            memory_kib: 64,
            iterations: 1,
            max_concurrent: 2,
            ..PasswordConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn right_password_verifies_and_wrong_does_not() {
        let hasher = cheap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(hasher.verify(Some(&hash), "correct horse").await.unwrap(), Verdict::Valid);
        assert_eq!(hasher.verify(Some(&hash), "wrong").await.unwrap(), Verdict::Invalid);
        assert_eq!(hasher.verify(None, "correct horse").await.unwrap(), Verdict::Invalid);
        assert_eq!(hasher.clone().verifications(), 3, "every check is counted, in every clone");
    }

    #[tokio::test]
    async fn checks_in_reused_memory_agree_with_fresh_ones() {
        let hasher = cheap();
        let first = hasher.hash("first").await.unwrap();
        let second = hasher.hash("second").await.unwrap();
        // One permit at a time reuses the same buffer, left dirty by the check before.
        for _ in 0..2 {
            assert_eq!(hasher.verify(Some(&first), "first").await.unwrap(), Verdict::Valid);
            assert_eq!(hasher.verify(Some(&second), "second").await.unwrap(), Verdict::Valid);
            assert_eq!(hasher.verify(Some(&second), "first").await.unwrap(), Verdict::Invalid);
        }
        assert!(hasher.memory.lock().unwrap().len() <= 2);
        assert_eq!(hasher.verify(Some("$argon2id$not-a-hash"), "first").await.unwrap(), Verdict::Invalid);
    }

    #[tokio::test]
    async fn other_parameters_ask_for_a_rehash() {
        let old = cheap().hash("pw").await.unwrap();
        let stronger = PasswordHasher::new(&PasswordConfig {
            memory_kib: 128,
            iterations: 1,
            max_concurrent: 1,
            ..PasswordConfig::default()
        })
        .unwrap();
        assert_eq!(stronger.verify(Some(&old), "pw").await.unwrap(), Verdict::ValidNeedsRehash);
    }
}
