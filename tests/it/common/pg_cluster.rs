//! A PostgreSQL server of a test's own, in a temporary directory on a free port, that the test
//! may stop (as a crash would) and start again: the fault tests cannot do that to the shared
//! server the other tests use. Needs PostgreSQL's server programs (`initdb`, `pg_ctl`): the
//! directory `IDENTITA_TEST_POSTGRES_BIN` names, or else the newest `/usr/lib/postgresql/*/bin`
//! (Debian's `postgresql` package). Without them the test says SKIPPED; under `CI=true` it fails.
//! As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN_VARIABLE: &str = "IDENTITA_TEST_POSTGRES_BIN";

pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl PgCluster {
    /// An initialized and started server, or `None` after saying that the test is skipped.
    pub fn start(test: &str) -> Option<PgCluster> {
        let Some(bin) = server_programs() else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!(
                    "{test}: PostgreSQL's initdb and pg_ctl must be installed when CI=true (apt-get install postgresql)"
                );
            }
            println!("SKIPPED {test}: install PostgreSQL (initdb, pg_ctl) or set {BIN_VARIABLE} to run it");
            super::skips::record(test, super::skips::Needs::Postgres);
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = PgCluster { bin, dir, port, as_postgres };
        let data = cluster.data_dir();
        run(cluster
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync", "--encoding=UTF8", "--locale=C", "-D"])
            .arg(&data));
        cluster.start_again();
        Some(cluster)
    }

    /// The `database_url` of the server's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, without a clean shutdown: what a crash or a killed container does.
    pub fn crash(&self) {
        run(self.command("pg_ctl").args(["stop", "--mode=immediate", "--wait", "-D"]).arg(self.data_dir()));
    }

    /// Starts the stopped server again on the same port and data.
    pub fn start_again(&self) {
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {}", self.port, self.dir.path().display());
        run(self
            .command("pg_ctl")
            .args(["start", "--wait", "--timeout=60", "-o", &options, "-l"])
            .arg(self.dir.path().join("server.log"))
            .arg("-D")
            .arg(self.data_dir()));
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Stopping a server that is already stopped fails harmlessly.
        let _ = self.command("pg_ctl").args(["stop", "--mode=immediate", "--wait", "-D"]).arg(self.data_dir()).output();
    }
}

fn server_programs() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var(BIN_VARIABLE) {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort_by_key(|bin| version_of(bin));
    found.pop()
}

fn version_of(bin: &Path) -> u32 {
    bin.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
