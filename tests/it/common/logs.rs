//! Log lines captured by a subscriber of the test's own thread.
//!
//! tracing caches, process-wide, whether a log call is wanted, the first time the call runs. While
//! at most one subscriber is registered, that answer comes from the thread that runs the call
//! first: a sibling test on another thread, with no subscriber, would mark the call unwanted for
//! every thread, and a capturing test would see nothing. [`capture_here`] keeps a second,
//! always-interested subscriber registered, so the answer is asked of every live subscriber,
//! and recomputes the answers already cached.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::Dispatch;
use tracing::subscriber::DefaultGuard;

/// What a capturing subscriber wrote.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap()).lines().map(str::to_owned).collect()
    }
}

/// Makes `subscriber` this thread's until the guard is dropped, with every log call it wants
/// reaching it whatever other threads ran first (see the module doc).
pub fn capture_here(subscriber: impl Into<Dispatch>) -> DefaultGuard {
    static ANCHOR: OnceLock<Dispatch> = OnceLock::new();
    ANCHOR.get_or_init(|| Dispatch::new(tracing_subscriber::registry()));
    let guard = tracing::dispatcher::set_default(&subscriber.into());
    tracing::callsite::rebuild_interest_cache();
    guard
}
