//! What a test module records, and how its outcome follows from that — as the OpenID
//! Foundation suite decides it: a failed check of level FAILURE fails the module; otherwise a
//! screenshot placeholder makes it REVIEW; otherwise a failed WARNING-level check makes it
//! WARNING; a module that decides it cannot test the feature is SKIPPED.

use std::path::PathBuf;

use serde::Serialize;

/// The severity a check is recorded with when it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Info,
    Warning,
    Failure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "UPPERCASE")]
pub enum Outcome {
    Passed,
    Warning,
    Review,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Warning => "WARNING",
            Self::Review => "REVIEW",
            Self::Skipped => "SKIPPED",
            Self::Failed => "FAILED",
        }
    }
}

/// One recorded check (a "condition" in the suite's words).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The suite's condition class name, e.g. `ValidateIdToken`.
    pub condition: String,
    pub level: Level,
    pub ok: bool,
    pub message: String,
}

/// Stops a module: a check of the aborting kind failed, or the module skipped itself.
#[derive(Debug, Clone)]
pub struct Abort(pub String);

pub type Step<T = ()> = Result<T, Abort>;

#[derive(Debug, Default, Clone, Serialize)]
pub struct TestLog {
    pub entries: Vec<Entry>,
    /// Screenshots of pages the module expected and a program cannot judge (placeholders for a
    /// human to review: they make the module REVIEW).
    pub screenshots: Vec<PathBuf>,
    /// Screenshots kept as evidence of a page the runner did judge (an error page, a login page
    /// shown again); they do not make the module REVIEW.
    pub evidence: Vec<PathBuf>,
    pub skipped: Option<String>,
    /// Set when the module stopped early (a failed stop-on-failure check or an error).
    pub aborted: Option<String>,
}

impl TestLog {
    /// Records a check that lets the module go on; returns whether it held.
    pub fn check(&mut self, condition: &str, level: Level, result: Result<(), String>) -> bool {
        let ok = result.is_ok();
        let message = match result {
            Ok(()) => String::new(),
            Err(m) => m,
        };
        self.entries.push(Entry { condition: condition.into(), level, ok, message });
        ok
    }

    /// Records a FAILURE-level check that stops the module when it does not hold
    /// (the suite's `callAndStopOnFailure`).
    pub fn require(&mut self, condition: &str, result: Result<(), String>) -> Step {
        let message = result.as_ref().err().cloned();
        self.check(condition, Level::Failure, result);
        match message {
            None => Ok(()),
            Some(m) => Err(Abort(format!("{condition}: {m}"))),
        }
    }

    /// Records a value the module needs, failing (and stopping) when it is absent.
    pub fn need<T>(&mut self, condition: &str, value: Result<T, String>) -> Step<T> {
        match value {
            Ok(v) => {
                self.check(condition, Level::Failure, Ok(()));
                Ok(v)
            }
            Err(m) => {
                self.check(condition, Level::Failure, Err(m.clone()));
                Err(Abort(format!("{condition}: {m}")))
            }
        }
    }

    pub fn info(&mut self, condition: &str, message: impl Into<String>) {
        self.entries.push(Entry { condition: condition.into(), level: Level::Info, ok: true, message: message.into() });
    }

    /// The module cannot test the feature (the suite's SKIPPED).
    pub fn skip(&mut self, reason: impl Into<String>) -> Abort {
        let reason = reason.into();
        self.skipped = Some(reason.clone());
        Abort(format!("skipped: {reason}"))
    }

    pub fn screenshot(&mut self, path: PathBuf) {
        self.screenshots.push(path);
    }

    pub fn evidence(&mut self, path: PathBuf) {
        self.evidence.push(path);
    }

    pub fn outcome(&self) -> Outcome {
        let failed = |level: Level| self.entries.iter().any(|e| !e.ok && e.level == level);
        if failed(Level::Failure) || (self.aborted.is_some() && self.skipped.is_none()) {
            Outcome::Failed
        } else if self.skipped.is_some() {
            Outcome::Skipped
        } else if !self.screenshots.is_empty() {
            Outcome::Review
        } else if failed(Level::Warning) {
            Outcome::Warning
        } else {
            Outcome::Passed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_follows_the_suites_precedence() {
        let mut log = TestLog::default();
        assert_eq!(log.outcome(), Outcome::Passed);
        log.check("A", Level::Warning, Err("w".into()));
        assert_eq!(log.outcome(), Outcome::Warning);
        log.evidence("judged.png".into());
        assert_eq!(log.outcome(), Outcome::Warning, "a judged page's screenshot is no placeholder");
        log.screenshot("x.png".into());
        assert_eq!(log.outcome(), Outcome::Review);
        log.check("B", Level::Failure, Err("f".into()));
        assert_eq!(log.outcome(), Outcome::Failed);
    }

    #[test]
    fn a_failed_requirement_aborts() {
        let mut log = TestLog::default();
        assert!(log.require("C", Err("bad".into())).is_err());
        assert_eq!(log.outcome(), Outcome::Failed);
    }
}
