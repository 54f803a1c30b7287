//! The expected-failures file: modules known to fail against a given OP, each with its reason.
//! A listed module that fails does not fail the run; a listed module that no longer fails does,
//! so the list cannot go stale silently.

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
}
