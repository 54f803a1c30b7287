//! Entry points for the cargo-fuzz targets in `fuzz/`: each feeds the fuzzer's bytes to one
//! parser of untrusted input the way the server or the CLI does, so the targets need no access
//! to internals. Not an API (hidden from the docs); nothing here runs in the server.
//!
//! A finding is a panic: every entry discards the parser's `Result`, because refusing bad input
//! is the expected outcome. The export format also checks that what it reads, written again,
//! reads back the same.
//!
//! The shared [`Harness`] serves from an in-memory SQLite store with three clients. None of them
//! registers a `jwks_uri` or `request_uris`, so nothing an input says is fetched; the one fetch an
//! input can name (a registration's `sector_identifier_uri`) is kept off the network by the fuzz
//! targets, which point the proxy variables at a closed port (see fuzz/src/lib.rs).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::json;

use crate::clock::ManualClock;
use crate::config::Config;
use crate::oidc::Provider;
use crate::oidc::registration::{self, ClientMetadata};

/// The redirect URI of the harness's clients.
pub const REDIRECT_URI: &str = "https://rp.example/cb";

/// A provider for the targets that need one, and a runtime to drive its async parsers.
pub struct Harness {
    pub runtime: tokio::runtime::Runtime,
    pub provider: Provider,
}

/// The one harness of this process, built on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(build_harness)
}

// Start-up of a fuzzing process: failing loudly is the only sensible answer.
#[allow(clippy::expect_used)]
fn build_harness() -> Harness {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime for the fuzz harness");
    let keys_dir = std::env::temp_dir().join(format!("identita-fuzz-{}", std::process::id()));
    let config = Config {
        database_url: Some("sqlite::memory:".into()),
        keys_dir: keys_dir.clone(),
        issuer: "https://op.example".into(),
        ..Config::default()
    };
    let provider = runtime.block_on(async {
        let provider = crate::app::provider(config, Arc::new(ManualClock::default()))
            .await
            .expect("a provider for the fuzz harness");
        // The clients' keys: the provider's own public keys, so a signed input reaches verification.
        let jwks = provider.keys.jwks();
        let clients = [
            json!({"client_id": "web", "client_secret": "fuzz-secret", "redirect_uris": [REDIRECT_URI],
                   "response_types": ["code", "code id_token", "id_token token"],
                   "grant_types": ["authorization_code", "implicit", "refresh_token", "client_credentials"]}),
            json!({"client_id": "native", "token_endpoint_auth_method": "none", "redirect_uris": [REDIRECT_URI],
                   "subject_type": "pairwise", "default_max_age": 600}),
            json!({"client_id": "signed", "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks,
                   "redirect_uris": [REDIRECT_URI], "request_object_signing_alg": "RS256",
                   "grant_types": ["authorization_code", "client_credentials"]}),
        ];
        for metadata in clients {
            let meta: ClientMetadata = serde_json::from_value(metadata).expect("harness client metadata");
            let id = meta.client_id.clone().unwrap_or_default();
            let (client, _) = registration::build(&provider, meta, id, provider.now()).await.expect("harness client");
            provider.stores.clients.put(&client).await.expect("storing a harness client");
        }
        provider
    });
    // The key ring is in memory now; nothing reads the directory again.
    let _ = std::fs::remove_dir_all(&keys_dir);
    Harness { runtime, provider }
}

/// An authorization request as a query string or form body (they are parsed alike).
pub fn authorize(data: &[u8]) {
    let h = harness();
    let Ok(pairs) = crate::http::form::pairs(data) else { return };
    let _ = h.runtime.block_on(crate::oidc::authorize::parse(&h.provider, pairs));
}

/// A token request: the first line is the `Authorization` header (empty for none), the rest the
/// form body.
pub fn token(data: &[u8]) {
    let h = harness();
    let (header, body) = split_line(data);
    let authorization = std::str::from_utf8(header).ok().filter(|s| !s.is_empty()).map(str::to_owned);
    let Ok(form) = crate::http::form::pairs(body).and_then(crate::http::form::unique) else { return };
    let request = crate::oidc::token::TokenRequest::parse(&form, authorization);
    let _ = h.runtime.block_on(crate::oidc::token::exchange(&h.provider, request));
}

/// A JWT where the provider takes one from a client: the first byte chooses a request object,
/// a client assertion or an `id_token_hint`; the rest is the token.
pub fn jwt(data: &[u8]) {
    let h = harness();
    let Some((&choice, token)) = data.split_first() else { return };
    let Ok(token) = std::str::from_utf8(token) else { return };
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    match choice % 3 {
        0 => {
            let client = if choice & 0x80 == 0 { "native" } else { "signed" };
            let pairs = owned(&[("client_id", client), ("request", token)]);
            let _ = h.runtime.block_on(crate::oidc::authorize::parse(&h.provider, pairs));
        }
        1 => {
            let form: HashMap<String, String> = owned(&[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", crate::oidc::client_auth::ASSERTION_TYPE),
                ("client_assertion", token),
            ])
            .into_iter()
            .collect();
            let request = crate::oidc::token::TokenRequest::parse(&form, None);
            let _ = h.runtime.block_on(crate::oidc::token::exchange(&h.provider, request));
        }
        _ => {
            let pairs = owned(&[
                ("client_id", "web"),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "none"),
                ("id_token_hint", token),
            ]);
            let _ = h.runtime.block_on(crate::oidc::authorize::parse(&h.provider, pairs));
        }
    }
}

/// Client metadata (RFC 7591) as a registration request carries it, validated as registering
/// does; the registration response is made from the result.
pub fn client_metadata(data: &[u8]) {
    let h = harness();
    let Ok(meta) = serde_json::from_slice::<ClientMetadata>(data) else { return };
    let provider = &h.provider;
    if let Ok((client, secret)) =
        h.runtime.block_on(registration::build(provider, meta, "fuzzed".into(), provider.now()))
    {
        let _ = registration::response(provider, &client, secret.as_deref(), Some("token"));
    }
}

/// A seed fixture: the first byte chooses JSON or TOML; every client in it is validated as
/// seeding does (users would only be hashed).
pub fn fixture(data: &[u8]) {
    let Some((&choice, text)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let Ok(fixture) = crate::cli::seed::parse_text(text, choice & 1 == 1) else { return };
    let h = harness();
    for crate::cli::seed::FixtureClient(meta) in fixture.clients {
        let id = meta.client_id.clone().unwrap_or_default();
        let _ = h.runtime.block_on(registration::build(&h.provider, meta, id, h.provider.now()));
    }
}

/// An export file. What reads must write and read back as the same dump.
pub fn export(data: &[u8]) {
    use crate::store::dump::format;
    let Ok(dump) = format::read(data) else { return };
    let mut written = Vec::new();
    if let Err(e) = format::write(&dump, 0, &mut written) {
        panic!("writing a dump that was read failed: {e}");
    }
    match format::read(written.as_slice()) {
        Ok(again) => assert_eq!(again, dump, "an export file reads differently after writing it again"),
        Err(e) => panic!("a dump that was read does not read back after writing: {e}"),
    }
}

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[], data),
    }
}

#[cfg(test)]
mod tests {
    // Each entry once on an input that reaches deep, so a change that breaks the harness shows in
    // `cargo test` and not only in the fuzz smoke run.
    #[test]
    fn every_entry_takes_an_input() {
        super::authorize(b"client_id=web&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid");
        super::token(b"Basic d2ViOnNlY3JldA==\ngrant_type=authorization_code&code=x&redirect_uri=y");
        super::jwt(b"\x00eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.");
        super::jwt(b"\x01eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJzaWduZWQifQ.c2ln");
        super::jwt(b"\x02a.b.c");
        super::client_metadata(br#"{"redirect_uris":["https://a.example/cb"],"scope":"openid"}"#);
        super::fixture(b"\x00[[clients]]\nclient_id = \"x\"\nredirect_uris = [\"https://x.example/cb\"]\n");
        super::export(b"{\"format\":\"identita-export\",\"version\":1}\n");
    }
}
