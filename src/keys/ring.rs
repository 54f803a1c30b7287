//! The key ring: identita's own signing keys, one active key per algorithm plus the retired keys
//! that stay published until tokens signed with them have expired.
//!
//! Keys are parsed once, when the directory is read, into signers and verifiers held behind an
//! `Arc`; signing takes a read lock only long enough to clone that `Arc`. Changes (rotate, prune,
//! reload) are serialised by a separate mutex, build a complete new key set and swap it in, so a
//! failed change leaves the ring as it was.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value};

use super::KeyError;
use super::alg::{self, Alg, RING_ALGS, Signer, Verifier};
use super::jose::Compact;
use super::store::{self, KeyFile};

/// identita's signing keys. Cheap to clone; all clones share one ring.
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    keys: RwLock<Arc<KeySet>>,
    /// Held by whatever changes the directory or swaps the key set.
    changing: Mutex<()>,
}

/// What the ring tells about a key (no key material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub kty: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    /// `"active"` for the key that signs for its algorithm, `"retired"` for the others.
    pub status: String,
}

impl KeyRing {
    /// Loads every key file under `dir` (created, mode 0700, when missing); where an algorithm
    /// has no active key, generates one and writes it.
    pub fn load_or_create(dir: &Path, now: i64) -> Result<KeyRing, KeyError> {
        store::ensure_dir(dir)?;
        let mut files = store::read_all(dir)?;
        let missing =
            RING_ALGS.into_iter().filter(|alg| !files.iter().any(|f| f.alg == alg.name() && f.retired_at.is_none()));
        let mut created = Vec::new();
        for alg in missing.collect::<Vec<_>>() {
            let file = new_key_file(alg, now, &files)?;
            created.push(file.kid.clone());
            files.push(file);
        }
        // Parse everything before writing anything: a corrupt file must not leave new keys behind.
        let set = KeySet::build(dir, &files)?;
        for file in files.iter().filter(|f| created.contains(&f.kid)) {
            store::write(dir, file)?;
        }
        Ok(KeyRing {
            inner: Arc::new(Inner { dir: dir.to_owned(), keys: RwLock::new(Arc::new(set)), changing: Mutex::new(()) }),
        })
    }

    /// Re-reads the directory, so a rotation done by another process is picked up. On error
    /// (including a directory that lacks an active key for an algorithm) the ring is unchanged.
    pub fn reload(&self) -> Result<(), KeyError> {
        let _changing = self.lock_changes();
        self.reload_locked()
    }

    /// Adds a new active key for every algorithm; the previous active keys get
    /// `retired_at = now` and stay published; retired keys older than `keep_seconds` are deleted.
    pub fn rotate(&self, now: i64, keep_seconds: i64) -> Result<Vec<KeyInfo>, KeyError> {
        let _changing = self.lock_changes();
        let dir = &self.inner.dir;
        let files = store::read_all(dir)?;
        let new_files =
            RING_ALGS.into_iter().map(|alg| new_key_file(alg, now, &files)).collect::<Result<Vec<_>, _>>()?;
        let new_kids: Vec<String> = new_files.iter().map(|f| f.kid.clone()).collect();
        let (expired, mut kept): (Vec<KeyFile>, Vec<KeyFile>) =
            files.into_iter().partition(|f| is_expired(f, now, keep_seconds));
        let retiring: Vec<String> = kept.iter().filter(|f| f.retired_at.is_none()).map(|f| f.kid.clone()).collect();
        for file in kept.iter_mut().filter(|f| f.retired_at.is_none()) {
            file.retired_at = Some(now);
        }
        kept.extend(new_files);
        let set = KeySet::build(dir, &kept)?;

        // New keys first, so that a crash half-way leaves a directory with an active key for
        // every algorithm (the newest unretired key is the active one).
        let written = (|| {
            for file in kept.iter().filter(|f| new_kids.contains(&f.kid)) {
                store::write(dir, file)?;
            }
            for file in kept.iter().filter(|f| retiring.contains(&f.kid)) {
                store::write(dir, file)?;
            }
            expired.iter().try_for_each(|f| store::remove(dir, &f.kid))
        })();
        if let Err(e) = written {
            // Mirror whatever did reach the disk; the write error is the one worth reporting.
            let _ = self.reload_locked();
            return Err(e);
        }
        self.swap(set);
        Ok(self.list())
    }

    /// Deletes retired keys whose `retired_at + keep_seconds` is before `now`; returns how many.
    pub fn prune(&self, now: i64, keep_seconds: i64) -> Result<usize, KeyError> {
        let _changing = self.lock_changes();
        let dir = &self.inner.dir;
        let (expired, kept): (Vec<KeyFile>, Vec<KeyFile>) =
            store::read_all(dir)?.into_iter().partition(|f| is_expired(f, now, keep_seconds));
        let set = KeySet::build(dir, &kept)?;
        if let Err(e) = expired.iter().try_for_each(|f| store::remove(dir, &f.kid)) {
            let _ = self.reload_locked();
            return Err(e);
        }
        self.swap(set);
        Ok(expired.len())
    }

    /// Every key, per algorithm (RS256 first) the active one first, then the retired ones,
    /// newest first.
    pub fn list(&self) -> Vec<KeyInfo> {
        let set = self.snapshot();
        set.keys
            .iter()
            .map(|key| KeyInfo {
                kid: key.kid.clone(),
                alg: key.alg.name().to_owned(),
                kty: key.alg.kty().to_owned(),
                created_at: key.created_at,
                retired_at: key.retired_at,
                status: if set.is_active(key) { "active" } else { "retired" }.to_owned(),
            })
            .collect()
    }

    /// The algorithms that have an active key, RS256 first.
    pub fn signing_algs(&self) -> Vec<String> {
        let set = self.snapshot();
        RING_ALGS.into_iter().filter(|alg| set.active(*alg).is_some()).map(|alg| alg.name().to_owned()).collect()
    }

    /// A compact JWS over `claims` with the header `{alg, kid, typ}`, signed by the active key
    /// of `alg`.
    pub fn sign(&self, alg: &str, typ: Option<&str>, claims: &Map<String, Value>) -> Result<String, KeyError> {
        let alg = Alg::parse(alg)
            .filter(|a| RING_ALGS.contains(a))
            .ok_or_else(|| KeyError::UnsupportedAlg(alg.to_owned()))?;
        let set = self.snapshot();
        let key = set.active(alg).ok_or_else(|| KeyError::NoActiveKey(alg.name().to_owned()))?;
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Crypto(format!("encoding claims: {e}")))?;
        let mut header = Map::new();
        header.insert("kid".into(), key.kid.clone().into());
        if let Some(typ) = typ {
            header.insert("typ".into(), typ.into());
        }
        key.signer.sign_compact(header, &payload)
    }

    /// The JWK Set of the public keys, active and retired: `kty`, `kid`, `alg`, `use: "sig"` and
    /// the public members only.
    pub fn jwks(&self) -> Value {
        self.snapshot().jwks.clone()
    }

    /// Verifies a JWS this ring signed, choosing the key by `kid`; returns the claims. Does not
    /// look at `exp` or any other claim.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, KeyError> {
        let jws = Compact::parse(token)?;
        let kid = jws.kid()?.ok_or_else(|| KeyError::Malformed("header without kid".into()))?;
        let set = self.snapshot();
        let key = set
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| KeyError::UnknownKey(format!("kid {}", kid.chars().take(64).collect::<String>())))?;
        if jws.alg()? != key.alg.name() {
            return Err(KeyError::BadSignature);
        }
        jws.verify(&key.verifier)?.ok_or(KeyError::BadSignature)
    }

    fn snapshot(&self) -> Arc<KeySet> {
        // The lock only guards an `Arc` swap, so a poisoned lock still holds a whole key set.
        self.inner.keys.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn swap(&self, set: KeySet) {
        *self.inner.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
    }

    fn lock_changes(&self) -> MutexGuard<'_, ()> {
        self.inner.changing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn reload_locked(&self) -> Result<(), KeyError> {
        let set = KeySet::build(&self.inner.dir, &store::read_all(&self.inner.dir)?)?;
        if let Some(alg) = set.missing_algs().first() {
            return Err(KeyError::NoActiveKey(alg.name().to_owned()));
        }
        self.swap(set);
        Ok(())
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.snapshot();
        let kids: Vec<&str> = set.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("KeyRing").field("dir", &self.inner.dir).field("kids", &kids).finish()
    }
}

/// The parsed keys at one moment, with the JWKS built from them.
struct KeySet {
    /// Sorted: by algorithm as in [`RING_ALGS`], unretired before retired, newest first.
    keys: Vec<RingKey>,
    jwks: Value,
}

/// One key, parsed. `Debug` shows no key material.
#[derive(Debug)]
struct RingKey {
    kid: String,
    alg: Alg,
    created_at: i64,
    retired_at: Option<i64>,
    signer: Signer,
    verifier: Verifier,
}

impl KeySet {
    fn build(dir: &Path, files: &[KeyFile]) -> Result<KeySet, KeyError> {
        let mut keys = Vec::with_capacity(files.len());
        let mut public = Vec::with_capacity(files.len());
        for file in files {
            let corrupt =
                |reason: String| KeyError::Corrupt { file: dir.join(file.file_name()).display().to_string(), reason };
            let alg = Alg::parse(&file.alg)
                .filter(|a| RING_ALGS.contains(a))
                .ok_or_else(|| corrupt(format!("alg {:?} is not one the key ring uses", file.alg)))?;
            let signer = alg.signer(&file.private_jwk).map_err(|e| corrupt(e.to_string()))?;
            let mut jwk = alg::public_jwk(&file.private_jwk).map_err(|e| corrupt(e.to_string()))?;
            jwk.insert("kid".into(), file.kid.clone().into());
            jwk.insert("alg".into(), alg.name().into());
            jwk.insert("use".into(), "sig".into());
            let verifier = alg.verifier(&jwk).map_err(|e| corrupt(e.to_string()))?;
            keys.push(RingKey {
                kid: file.kid.clone(),
                alg,
                created_at: file.created_at,
                retired_at: file.retired_at,
                signer,
                verifier,
            });
            public.push(jwk);
        }
        let order = |alg: Alg| RING_ALGS.iter().position(|a| *a == alg).unwrap_or(RING_ALGS.len());
        let mut indexed: Vec<(RingKey, Map<String, Value>)> = keys.into_iter().zip(public).collect();
        indexed.sort_by(|(a, _), (b, _)| {
            (order(a.alg), a.retired_at.is_some(), std::cmp::Reverse(a.created_at), &a.kid).cmp(&(
                order(b.alg),
                b.retired_at.is_some(),
                std::cmp::Reverse(b.created_at),
                &b.kid,
            ))
        });
        let (keys, public): (Vec<RingKey>, Vec<Map<String, Value>>) = indexed.into_iter().unzip();
        Ok(KeySet { keys, jwks: serde_json::json!({ "keys": public }) })
    }

    /// The key that signs for `alg`: its newest unretired key.
    fn active(&self, alg: Alg) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.alg == alg && k.retired_at.is_none())
    }

    fn is_active(&self, key: &RingKey) -> bool {
        self.active(key.alg).is_some_and(|active| active.kid == key.kid)
    }

    fn missing_algs(&self) -> Vec<Alg> {
        RING_ALGS.into_iter().filter(|alg| self.active(*alg).is_none()).collect()
    }
}

fn is_expired(file: &KeyFile, now: i64, keep_seconds: i64) -> bool {
    file.retired_at.is_some_and(|retired| retired.saturating_add(keep_seconds) < now)
}

/// A freshly generated key whose kid (`<alg>-<yyyymmdd>-<8 random chars>`) no file in `taken` has.
fn new_key_file(alg: Alg, now: i64, taken: &[KeyFile]) -> Result<KeyFile, KeyError> {
    let private_jwk = alg.generate()?;
    let kid = loop {
        let kid = format!("{}-{}-{}", alg.name().to_ascii_lowercase(), date(now), random_suffix());
        if !taken.iter().any(|f| f.kid == kid) {
            break kid;
        }
    };
    Ok(KeyFile { kid, alg: alg.name().to_owned(), created_at: now, retired_at: None, private_jwk })
}

fn random_suffix() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..8).map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())])).collect()
}

/// The UTC calendar date of a Unix time as `yyyymmdd` (H. Hinnant's `civil_from_days`).
pub(super) fn date(unix: i64) -> String {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}
