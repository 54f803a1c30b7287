//! `[[faces]]`: further issuers served by the same process beside the primary one (`issuer`,
//! `persona`), each under its own path on the same listener, with its own signing keys
//! (`<keys_dir>/faces/<name>/`), clients, sessions and tokens. People, their means and the
//! register are shared.
//!
//! ```toml
//! issuer = "https://login.example"
//!
//! [[faces]]
//! name = "second"
//! issuer = "https://login.example/second"
//! ```

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceConfig {
    /// A short name (cookie names, the keys directory): lower-case letters, digits and `-`.
    pub name: String,
    /// The face's persona; `standard` unless set.
    #[serde(default = "standard")]
    pub persona: String,
    /// The face's issuer identifier. Its path (non-empty, e.g. `/second`) is where its endpoints
    /// are routed on the listener.
    pub issuer: String,
}

fn standard() -> String {
    "standard".into()
}

/// Checks names and issuers: valid, distinct, and each face's path apart from the others' and
/// from the primary's routes (`primary_paths`: the primary face's base path and its routes).
pub(crate) fn validate(
    faces: &[FaceConfig],
    primary_issuer: &str,
    primary_paths: &[String],
) -> Result<(), ConfigError> {
    let invalid = |message: String| Err(ConfigError::Invalid(message));
    let mut bases: Vec<String> = Vec::new();
    for face in faces {
        let name_ok = !face.name.is_empty()
            && face.name.len() <= 32
            && face.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return invalid(format!("faces: name {:?} must be 1 to 32 lower-case letters, digits or '-'", face.name));
        }
        if faces.iter().filter(|f| f.name == face.name).count() > 1 {
            return invalid(format!("faces: the name {:?} is used twice", face.name));
        }
        if crate::persona::Persona::by_name(&face.persona, &face.issuer).is_none() {
            return invalid(format!("faces.{}: unknown persona {:?} (known: standard)", face.name, face.persona));
        }
        let url =
            super::check_issuer(&face.issuer).map_err(|e| ConfigError::Invalid(format!("faces.{}: {e}", face.name)))?;
        if face.issuer == primary_issuer {
            return invalid(format!("faces.{}: the issuer is the primary issuer", face.name));
        }
        let base = url.path().trim_end_matches('/').to_owned();
        if base.is_empty() {
            return invalid(format!(
                "faces.{}: the issuer {:?} needs a path (e.g. {}/{}), where its endpoints are served",
                face.name, face.issuer, primary_issuer, face.name
            ));
        }
        let overlaps = |other: &str| {
            let (a, b) = (format!("{base}/"), format!("{other}/"));
            a.starts_with(&b) || b.starts_with(&a)
        };
        if let Some(taken) = primary_paths.iter().chain(&bases).find(|p| !p.is_empty() && overlaps(p)) {
            return invalid(format!(
                "faces.{}: the issuer's path {base} overlaps {taken}, which is already served",
                face.name
            ));
        }
        bases.push(base);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIMARY: &str = "https://login.example";

    fn face(name: &str, issuer: &str) -> FaceConfig {
        FaceConfig { name: name.into(), persona: standard(), issuer: issuer.into() }
    }

    fn check(faces: &[FaceConfig]) -> Result<(), String> {
        let primary = crate::persona::Persona::standard(PRIMARY);
        validate(faces, PRIMARY, &primary.served_paths()).map_err(|e| e.to_string())
    }

    #[test]
    fn faces_under_their_own_paths_are_accepted() {
        check(&[face("second", "https://login.example/second"), face("nia", "https://nia.example/nia")]).unwrap();
    }

    #[test]
    fn a_face_needs_a_path_a_good_name_and_a_known_persona() {
        assert!(check(&[face("second", "https://login.example")]).unwrap_err().contains("primary issuer"));
        assert!(check(&[face("second", "https://other.example")]).unwrap_err().contains("needs a path"));
        assert!(check(&[face("Second", "https://login.example/s")]).unwrap_err().contains("lower-case"));
        assert!(check(&[face("s", "https://login.example/s/")]).unwrap_err().contains("must not end with '/'"));
        let unknown = FaceConfig { persona: "keycloak".into(), ..face("s", "https://login.example/s") };
        assert!(check(&[unknown]).unwrap_err().contains("unknown persona"));
        let twice = [face("s", "https://login.example/s"), face("s", "https://login.example/t")];
        assert!(check(&twice).unwrap_err().contains("used twice"));
    }

    #[test]
    fn a_face_may_not_take_a_path_already_served() {
        let err = check(&[face("login", "https://login.example/login")]).unwrap_err();
        assert!(err.contains("overlaps /login"), "{err}");
        assert!(check(&[face("wk", "https://login.example/.well-known")]).is_err());
        let nested = [face("a", "https://login.example/a"), face("b", "https://login.example/a/b")];
        assert!(check(&nested).unwrap_err().contains("overlaps /a"));
        // A path that only starts with the same letters is another path.
        check(&[face("logins", "https://login.example/logins")]).unwrap();
    }
}
