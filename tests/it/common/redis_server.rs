//! A Redis server of a test's own, on a free port with its data in a temporary directory and
//! append-only persistence on, that the test may kill (as a crash would) or restart: the fault
//! tests cannot do that to the shared server the other tests use. Needs `redis-server` (the
//! program `IDENTITA_TEST_REDIS_SERVER` names, or else the one on the PATH; Debian's
//! `redis-server` package). Without it the test says SKIPPED; under `CI=true` it fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const PROGRAM_VARIABLE: &str = "IDENTITA_TEST_REDIS_SERVER";

pub struct RedisServer {
    program: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Mutex<Option<Child>>,
}

impl RedisServer {
    /// A started server, or `None` after saying that the test is skipped.
    pub fn start(test: &str) -> Option<RedisServer> {
        let program = std::env::var(PROGRAM_VARIABLE).map(PathBuf::from).ok().or_else(|| {
            std::env::var_os("PATH")
                .and_then(|path| std::env::split_paths(&path).map(|d| d.join("redis-server")).find(|p| p.exists()))
        });
        let Some(program) = program else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("{test}: redis-server must be installed when CI=true (apt-get install redis-server)");
            }
            println!("SKIPPED {test}: install redis-server or set {PROGRAM_VARIABLE} to run it");
            super::skips::record(test, super::skips::Needs::Redis);
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = RedisServer { program, dir: tempfile::tempdir().unwrap(), port, child: Mutex::new(None) };
        server.start_again();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the stopped server again on the same port and data, and waits until it answers.
    pub fn start_again(&self) {
        let child = Command::new(&self.program)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.program.display()));
        *self.child.lock().unwrap() = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "redis-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server at once (SIGKILL): what a crash or a killed container does. With
    /// `appendfsync always` every acknowledged write is on disk, as it would be with `everysec`
    /// after its second.
    pub fn crash(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.crash();
    }
}
