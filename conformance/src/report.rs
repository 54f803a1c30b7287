//! The run's reports: a table on the terminal, `<out>/results.json` (every module with its
//! outcome and all recorded conditions) and `<out>/report.html` (the same, with the screenshots
//! linked; every text is HTML-escaped).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::log::{Entry, Level, Outcome, TestLog};

#[derive(Debug, Serialize)]
pub struct ModuleResult {
    pub module: String,
    pub outcome: Outcome,
    /// The reason from the expected-failures file, when the module is listed there.
    pub expected_failure: Option<String>,
    /// The sign-off from the reviewed-results file, for a REVIEW module.
    pub reviewed: Option<String>,
    pub first_failure: Option<String>,
    pub seconds: f64,
    #[serde(flatten)]
    pub log: TestLog,
}

impl ModuleResult {
    pub fn new(
        module: &str,
        log: TestLog,
        expected_failure: Option<String>,
        reviewed: Option<String>,
        seconds: f64,
    ) -> Self {
        let outcome = log.outcome();
        let first = log
            .entries
            .iter()
            .find(|e| !e.ok && e.level == Level::Failure)
            .or_else(|| log.entries.iter().find(|e| !e.ok && e.level == Level::Warning))
            .map(describe)
            .or_else(|| log.skipped.clone())
            .or_else(|| log.aborted.clone());
        let reviewed = reviewed.filter(|_| outcome == Outcome::Review);
        Self { module: module.into(), outcome, expected_failure, reviewed, first_failure: first, seconds, log }
    }

    /// FAILED and not expected, or expected to fail and did not.
    pub fn breaks_the_run(&self) -> bool {
        (self.outcome == Outcome::Failed) != self.expected_failure.is_some()
    }

    /// REVIEW and not signed off in the reviewed-results file.
    pub fn unreviewed(&self) -> bool {
        self.outcome == Outcome::Review && self.reviewed.is_none()
    }
}

fn describe(e: &Entry) -> String {
    format!("{}: {}", e.condition, e.message)
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub plan: String,
    pub variant: String,
    pub issuer: String,
    pub modules: Vec<ModuleResult>,
}

fn clip(s: &str, n: usize) -> String {
    let c: String = s.chars().take(n).collect();
    if c.chars().count() < s.chars().count() { format!("{c}…") } else { c }
}

impl Report {
    pub fn terminal_table(&self) -> String {
        let width = self.modules.iter().map(|m| m.module.len()).max().unwrap_or(10);
        let mut out = format!("{} ({}) against {}\n", self.plan, self.variant, self.issuer);
        let _ = writeln!(out, "{:width$}  {:8}  first failing condition", "module", "outcome");
        for m in &self.modules {
            let mut outcome = m.outcome.as_str().to_string();
            if m.expected_failure.is_some() {
                outcome.push('*');
            }
            if m.unreviewed() {
                outcome.push('!');
            }
            let detail = m.first_failure.as_deref().map(|d| clip(&d.replace('\n', " "), 110)).unwrap_or_default();
            let _ = writeln!(out, "{:width$}  {:8}  {detail}", m.module, outcome);
        }
        let count = |o: Outcome| self.modules.iter().filter(|m| m.outcome == o).count();
        let _ = writeln!(
            out,
            "passed {}, warning {}, review {} ({} unreviewed), skipped {}, failed {} \
             (* = listed as an expected failure, ! = REVIEW not signed off)",
            count(Outcome::Passed),
            count(Outcome::Warning),
            count(Outcome::Review),
            self.modules.iter().filter(|m| m.unreviewed()).count(),
            count(Outcome::Skipped),
            count(Outcome::Failed)
        );
        out
    }

    pub fn write(&self, out: &Path) -> Result<(PathBuf, PathBuf), String> {
        let json_path = out.join("results.json");
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&json_path, json).map_err(|e| format!("writing {}: {e}", json_path.display()))?;
        let html_path = out.join("report.html");
        std::fs::write(&html_path, self.html(out)).map_err(|e| format!("writing {}: {e}", html_path.display()))?;
        Ok((json_path, html_path))
    }

    fn html(&self, out: &Path) -> String {
        let mut h = String::from(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>conformance report</title><style>\
             body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}\
             .PASSED{background:#cfc}.WARNING{background:#ffc}.REVIEW{background:#cdf}.SKIPPED{background:#eee}.FAILED{background:#fcc}\
             .bad{color:#a00}img{max-width:600px;border:1px solid #999}</style></head><body>",
        );
        let _ = write!(
            h,
            "<h1>{} ({})</h1><p>OP: {}</p><table><tr><th>module</th><th>outcome</th><th>first failing condition</th></tr>",
            esc(&self.plan),
            esc(&self.variant),
            esc(&self.issuer)
        );
        for m in &self.modules {
            let o = m.outcome.as_str();
            let mut expected =
                m.expected_failure.as_deref().map(|r| format!(" (expected: {})", esc(r))).unwrap_or_default();
            match &m.reviewed {
                Some(r) => expected.push_str(&format!(" (reviewed by {})", esc(r))),
                None if m.unreviewed() => expected.push_str(" (not reviewed)"),
                None => {}
            }
            let _ = write!(
                h,
                "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{o}\">{o}{expected}</td><td>{}</td></tr>",
                esc(m.first_failure.as_deref().unwrap_or("")),
                id = esc(&m.module)
            );
        }
        h.push_str("</table>");
        for m in &self.modules {
            let o = m.outcome.as_str();
            let _ = write!(
                h,
                "<h2 id=\"{id}\">{id} <span class=\"{o}\">{o}</span></h2><table><tr><th>condition</th><th>level</th><th>result</th><th>message</th></tr>",
                id = esc(&m.module)
            );
            for e in &m.log.entries {
                let level =
                    serde_json::to_value(e.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let (class, result) = if e.ok { ("", "ok") } else { ("bad", "NOT OK") };
                let _ = write!(
                    h,
                    "<tr class=\"{class}\"><td>{}</td><td>{level}</td><td>{result}</td><td>{}</td></tr>",
                    esc(&e.condition),
                    esc(&e.message)
                );
            }
            h.push_str("</table>");
            if let Some(s) = &m.log.skipped {
                let _ = write!(h, "<p>Skipped: {}</p>", esc(s));
            }
            if let Some(a) = &m.log.aborted {
                let _ = write!(h, "<p>Stopped: {}</p>", esc(a));
            }
            for (shot, what) in m
                .log
                .screenshots
                .iter()
                .map(|s| (s, "to review"))
                .chain(m.log.evidence.iter().map(|s| (s, "evidence of a check the runner made")))
            {
                let rel = shot.strip_prefix(out).unwrap_or(shot).display().to_string();
                let _ = write!(
                    h,
                    "<p>Screenshot ({what}):<br><a href=\"{r}\"><img src=\"{r}\" alt=\"screenshot {r}\"></a></p>",
                    r = esc(&rel)
                );
            }
        }
        h.push_str("</body></html>\n");
        h
    }
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn an_expected_failure_that_passes_breaks_the_run() {
        let passed = ModuleResult::new("m", TestLog::default(), Some("known".into()), None, 0.0);
        assert!(passed.breaks_the_run());
        let mut log = TestLog::default();
        log.check("X", Level::Failure, Err("no".into()));
        assert!(!ModuleResult::new("m", log.clone(), Some("known".into()), None, 0.0).breaks_the_run());
        assert!(ModuleResult::new("m", log, None, None, 0.0).breaks_the_run());
    }

    #[test]
    fn a_review_is_unreviewed_until_signed_off() {
        let mut log = TestLog::default();
        log.screenshot("page.png".into());
        assert!(ModuleResult::new("m", log.clone(), None, None, 0.0).unreviewed());
        assert!(!ModuleResult::new("m", log, None, Some("me: fine".into()), 0.0).unreviewed());
        let mut judged = TestLog::default();
        judged.evidence("error.png".into());
        let passed = ModuleResult::new("m", judged, None, Some("me: stale".into()), 0.0);
        assert!(!passed.unreviewed());
        assert_eq!(passed.reviewed, None, "a sign-off only applies to a REVIEW outcome");
    }
}
