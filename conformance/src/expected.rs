//! The expected-failures file: modules known to fail against a given OP, each with its reason.
//! A listed module that fails does not fail the run; a listed module that no longer fails does,
//! so the list cannot go stale silently.
//!
//! The reviewed-results file: the REVIEW modules a person has looked at (the screenshot of a page
//! a program cannot judge) and signed off, each with who and what the page showed. A REVIEW
//! module that is not signed off fails the run: nothing passes without evidence.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    pub plan: String,
    pub module: String,
    /// Only for this client-auth variant, when given.
    pub variant: Option<String>,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailures {
    #[serde(default)]
    pub failure: Vec<ExpectedFailure>,
}

impl ExpectedFailures {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let list: Self = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(f) = list.failure.iter().find(|f| f.reason.trim().is_empty()) {
            return Err(format!("{}: the entry for {} has no reason", path.display(), f.module));
        }
        Ok(list)
    }

    pub fn reason(&self, plan: &str, variant: &str, module: &str) -> Option<&str> {
        self.failure
            .iter()
            .find(|f| f.plan == plan && f.module == module && f.variant.as_deref().is_none_or(|v| v == variant))
            .map(|f| f.reason.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub plan: String,
    pub module: String,
    /// Only for this variant, when given.
    pub variant: Option<String>,
    /// Who looked at the screenshot.
    pub reviewer: String,
    /// What the page showed, and why that is right.
    pub note: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviewed {
    #[serde(default)]
    pub reviewed: Vec<Review>,
}

impl Reviewed {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let list: Self = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(r) = list.reviewed.iter().find(|r| r.reviewer.trim().is_empty() || r.note.trim().is_empty()) {
            return Err(format!("{}: the entry for {} needs a reviewer and a note", path.display(), r.module));
        }
        Ok(list)
    }

    /// The sign-off of a module: "<reviewer>: <note>".
    pub fn sign_off(&self, plan: &str, variant: &str, module: &str) -> Option<String> {
        self.reviewed
            .iter()
            .find(|r| r.plan == plan && r.module == module && r.variant.as_deref().is_none_or(|v| v == variant))
            .map(|r| format!("{}: {}", r.reviewer, r.note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_by_plan_module_and_optional_variant() {
        let list: ExpectedFailures = toml::from_str(
            "[[failure]]\nplan = \"p\"\nmodule = \"m\"\nvariant = \"private_key_jwt\"\nreason = \"r\"\n",
        )
        .unwrap();
        assert_eq!(list.reason("p", "private_key_jwt", "m"), Some("r"));
        assert_eq!(list.reason("p", "client_secret_basic", "m"), None);
        let shipped: ExpectedFailures = toml::from_str(include_str!("../expected-failures.toml")).unwrap();
        assert!(shipped.failure.is_empty());
    }

    #[test]
    fn a_review_needs_a_reviewer_and_a_note_and_matches_like_a_failure() {
        let list: Reviewed =
            toml::from_str("[[reviewed]]\nplan = \"p\"\nmodule = \"m\"\nreviewer = \"r\"\nnote = \"the error page\"\n")
                .unwrap();
        assert_eq!(list.sign_off("p", "any", "m").as_deref(), Some("r: the error page"));
        assert_eq!(list.sign_off("p", "any", "other"), None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reviewed.toml");
        std::fs::write(&path, "[[reviewed]]\nplan = \"p\"\nmodule = \"m\"\nreviewer = \"\"\nnote = \"n\"\n").unwrap();
        assert!(Reviewed::load(&path).is_err());
    }
}
