//! Skipped tests made visible. A test that needs a service which is not there (PostgreSQL,
//! Redis, chromedriver, Node.js) passes after saying SKIPPED — but libtest hides what a passing
//! test prints. So each skip also leaves a marker file in a directory of this `cargo test` run
//! (`<target>/debug/test-skips/<cargo's pid>-<its start time>/`: every test binary of one run is a
//! child of the same cargo process), and the `skipped` test target (tests/skipped.rs, no libtest
//! harness, so nothing hides its output) counts the markers and prints the summary line. Both
//! packages of the workspace run it as their last test target (identita's after the `it` binary,
//! identita-conformance's after its unit tests, which run last), so the line ends `cargo test`
//! whichever packages it tests; each copy prints the same count, because a summary leaves its own
//! run's markers in place and removes only those of runs whose cargo has exited. See docs/testing.md.
//!
//! Included with `#[path]` by the library's unit tests, the `it` binary and tests/skipped.rs.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a skipped test needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Started by `.ci/services.sh`.
    Postgres,
    Redis,
    /// Tools installed separately.
    Chromedriver,
    Node,
    /// python3 with Authlib and requests (`pip install authlib requests`).
    Python,
    /// python3 with aiosmtpd (`pip install aiosmtpd`), the SMTP server of the e-mail tests.
    Smtp,
    /// python3 with pysaml2 (`pip install pysaml2`) and xmlsec1, the SAML service provider.
    Saml,
}

impl Needs {
    fn name(self) -> &'static str {
        match self {
            Needs::Postgres => "PostgreSQL",
            Needs::Redis => "Redis",
            Needs::Chromedriver => "chromedriver",
            Needs::Node => "Node.js",
            Needs::Python => "Python (Authlib)",
            Needs::Smtp => "Python (aiosmtpd)",
            Needs::Saml => "Python (pysaml2) and xmlsec1",
        }
    }
}

/// The directory of this run's markers: under the target directory, named by the pid and the
/// start time of the `cargo test` that started this binary (the start time, so that a later cargo
/// given the same pid never counts an earlier run's markers).
pub fn run_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // <target>/debug/deps/<binary>
    let profile_dir = exe.parent()?.parent()?;
    Some(profile_dir.join("test-skips").join(process_key(std::os::unix::process::parent_id())?))
}

/// `<pid>-<start time>` of a running process (the start time in clock ticks since boot, field 22
/// of /proc/<pid>/stat), or `None` when there is no such process.
fn process_key(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": the command may contain spaces and parentheses, so the fields
    // are counted from the last ')'; the first after it is field 3.
    let start = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().nth(22 - 3)?;
    Some(format!("{pid}-{start}"))
}

/// Leaves the marker of one skipped test (best effort: a marker that cannot be written only
/// makes the summary undercount).
pub fn record(test: &str, needs: Needs) {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let Some(dir) = run_dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let file = format!("{}-{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed));
    let _ = std::fs::write(dir.join(file), format!("{}\t{test}", needs.name()));
}

/// The summary of this run, ending with the line that counts the service skips. Empty of markers,
/// it says that nothing was skipped. The run's own markers stay (the other package's summary of
/// the same run counts them too); those of runs whose cargo has exited are removed.
pub fn summary() -> Vec<String> {
    let mut skipped: Vec<(String, String)> = Vec::new();
    if let Some(dir) = run_dir() {
        remove_abandoned(&dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    let (needs, test) = text.split_once('\t').unwrap_or(("?", text.as_str()));
                    skipped.push((needs.to_owned(), test.to_owned()));
                }
            }
        }
    }
    skipped.sort();
    let services = [Needs::Postgres, Needs::Redis].map(Needs::name);
    let mut lines: Vec<String> = skipped.iter().map(|(needs, test)| format!("  skipped ({needs}): {test}")).collect();
    let count = |names: &[&str]| skipped.iter().filter(|(n, _)| names.contains(&n.as_str())).count();
    let tools = [Needs::Chromedriver, Needs::Node, Needs::Python].map(Needs::name);
    if count(&tools) > 0 {
        lines.push(format!(
            "{} skipped for a missing tool (install Debian's chromium and chromium-driver; `npm ci` in tests/third_party; \
             `python3 -m pip install authlib requests`)",
            tests(count(&tools))
        ));
    }
    let on_services = count(&services);
    if on_services > 0 {
        let by_service: Vec<String> = services
            .iter()
            .map(|s| (s, count(&[s])))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        lines.push(format!(
            "SKIPPED {} for a missing service ({}); start them with: eval \"$(bash .ci/services.sh)\"",
            tests(on_services),
            by_service.join(", ")
        ));
    } else {
        lines.push("No test was skipped for a missing service.".to_owned());
    }
    lines
}

/// "1 test", "2 tests".
fn tests(n: usize) -> String {
    if n == 1 { "1 test".to_owned() } else { format!("{n} tests") }
}

/// Removes the marker directories of runs whose cargo has exited (every run leaves its own, and a
/// `cargo test --test it` alone leaves markers for no summary). A directory whose name is not
/// `<pid>-<start time>` of a running process is such a run's (or one of an older layout).
fn remove_abandoned(run_dir: &std::path::Path) {
    let Some(entries) = run_dir.parent().and_then(|all| std::fs::read_dir(all).ok()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let running = name
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .and_then(process_key)
            .is_some_and(|key| key == name);
        if !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
