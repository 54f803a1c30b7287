//! What the log keeps of a request (issue #11): at debug level the access log names every
//! request's URI, but never the hints, tokens or codes in its query.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common::TestServer;

/// A log writer into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// The server runs on this test's (single-threaded) runtime, so the subscriber set for this
// thread sees its request spans.
#[tokio::test]
async fn hints_and_tokens_in_a_query_are_not_logged() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(log.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites another test's thread met first may have cached "nobody listens": ask again.
    tracing::callsite::rebuild_interest_cache();

    let server = TestServer::start().await;
    let hint = "jan.novak.secret-hint%40example.cz";
    let id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2VjcmV0LXNpZ25hdHVyZQ";
    let url = server.url(&format!(
        "/authorize?client_id=logged-client&response_type=code&scope=openid&login_hint={hint}\
         &id_token_hint={id_token}&state=secret-state&nonce=secret-nonce&code=secret-code"
    ));
    reqwest::get(url).await.unwrap();
    reqwest::get(server.url("/cb?code=another-secret-code&state=s")).await.unwrap();

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("/authorize?client_id=logged-client"), "the request was logged:\n{text}");
    for secret in ["secret-hint", id_token, "secret-state", "secret-nonce", "secret-code"] {
        assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
    }
}
