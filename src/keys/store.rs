//! The key directory: one `<kid>.json` file per key, readable only by its owner.
//!
//! Files are replaced atomically (a temporary file, then `rename`), so another process reading
//! the directory sees either the old or the new version of a key, never half of one. Other files
//! (a README, editor backups, our own temporary files) are ignored.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::KeyError;

/// One key as stored. Deliberately not `Debug`: it holds the private key.
#[derive(Serialize, Deserialize)]
pub(crate) struct KeyFile {
    pub(crate) kid: String,
    pub(crate) alg: String,
    pub(crate) created_at: i64,
    #[serde(default)]
    pub(crate) retired_at: Option<i64>,
    pub(crate) private_jwk: Map<String, Value>,
}

impl KeyFile {
    /// The file name of the key, for messages.
    pub(crate) fn file_name(&self) -> String {
        format!("{}.json", self.kid)
    }
}

/// Creates `dir` (mode 0700) when it does not exist.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io_error("creating", dir, &e))
}

/// Every key file in `dir`. A file that cannot be read or parsed is an error naming it; a file
/// that disappears while we read (pruned by another process) is skipped.
pub(crate) fn read_all(dir: &Path) -> Result<Vec<KeyFile>, KeyError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error("reading", dir, &e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error("reading", dir, &e))?.path();
        let Some(stem) = key_file_stem(&path) else { continue };
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error("reading", &path, &e)),
        };
        let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(&path, json_problem(&e)))?;
        if file.kid != stem {
            return Err(corrupt(&path, "its kid does not match the file name".into()));
        }
        if !valid_kid(&file.kid) {
            return Err(corrupt(&path, "its kid has characters other than A-Z, a-z, 0-9, - and _".into()));
        }
        files.push(file);
    }
    files.sort_by(|a, b| a.kid.cmp(&b.kid));
    Ok(files)
}

/// Writes `file` as `<dir>/<kid>.json` with mode 0600, replacing an older version atomically.
pub(crate) fn write(dir: &Path, file: &KeyFile) -> Result<(), KeyError> {
    let path = dir.join(file.file_name());
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| KeyError::Io(format!("encoding {}: {e}", file.kid)))?;
    let suffix: u32 = rand::rng().random();
    let temp = dir.join(format!(".{}.json.{suffix:08x}.tmp", file.kid));
    let written = (|| {
        let mut out = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        fs::rename(&temp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io_error("writing", &path, &e));
    }
    // Make the rename durable; a failure here loses nothing that is not already on disk.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Deletes the file of key `kid`; one already gone counts as deleted.
pub(crate) fn remove(dir: &Path, kid: &str) -> Result<(), KeyError> {
    let path = dir.join(format!("{kid}.json"));
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("deleting", &path, &e)),
        _ => Ok(()),
    }
}

/// A key id that is safe as a file name and in a JOSE header.
pub(crate) fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 128 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stem of a key file (`<kid>.json`, not hidden), `None` for any other entry.
fn key_file_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".json")?;
    (!stem.is_empty() && !stem.starts_with('.') && path.is_file()).then(|| stem.to_owned())
}

/// What is wrong with a key file's JSON, by position only: serde's message can quote the
/// offending value, which may be private key material.
fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "could not be read",
        Category::Syntax | Category::Eof => "is not valid JSON",
        Category::Data => "does not have the key file fields (kid, alg, created_at, retired_at, private_jwk)",
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

fn corrupt(path: &Path, reason: String) -> KeyError {
    KeyError::Corrupt { file: path.display().to_string(), reason }
}

fn io_error(action: &str, path: &Path, e: &io::Error) -> KeyError {
    KeyError::Io(format!("{action} {}: {e}", path.display()))
}
