//! Third-party relying parties against identita: openid-client 6 (Node), a strict, certified
//! client library, logs in, reads userinfo, refreshes, revokes and logs out with its defaults.
//!
//! Needs Node.js and `npm ci` in `tests/third_party/` (`.ci/run` does both). Without them the
//! test says it was skipped, and fails under `CI=true`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::TestServer;
use serde_json::{Value, json};

fn node_ready(test: &str) -> bool {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party");
    let installed = dir.join("node_modules/openid-client").exists();
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if installed && node {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: needs node and `npm ci` in tests/third_party; under CI=true a skip is a failure");
    }
    eprintln!("SKIPPED {test}: run `npm ci` in tests/third_party (needs Node.js) to run it");
    common::skips::record(test, common::skips::Needs::Node);
    false
}

#[tokio::test]
async fn openid_client_logs_in_refreshes_revokes_and_logs_out() {
    if !node_ready("openid_client_logs_in_refreshes_revokes_and_logs_out") {
        return;
    }
    let server = TestServer::start().await;
    let redirect = "http://127.0.0.1:9/callback";
    let post_logout = "http://127.0.0.1:9/logged-out";
    let (client_id, secret) = server
        .add_client(json!({
            "client_id": "node-rp",
            "client_name": "Node RP",
            "redirect_uris": [redirect],
            "post_logout_redirect_uris": [post_logout],
            "grant_types": ["authorization_code", "refresh_token"],
            // openid-client's default client authentication.
            "token_endpoint_auth_method": "client_secret_post",
        }))
        .await;
    let user = server.add_user("eva", "heslo-eva", json!({ "email": "eva@example.cz", "email_verified": true })).await;

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party/openid-client.mjs");
    let issuer = server.issuer.clone();
    let secret = secret.unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args([&issuer, &client_id, &secret, redirect, post_logout, "eva", "heslo-eva"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "openid-client failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["sub"], json!(user.id));
    assert_eq!(seen["iss"], json!(server.issuer));
    assert_eq!(seen["email"], json!("eva@example.cz"));
    assert_eq!(seen["refreshed_sub"], json!(user.id));
    assert_eq!(seen["refreshed_id_token"], json!(true));
    assert_eq!(seen["refresh_after_revocation"], json!("invalid_grant"));
    assert_eq!(seen["logout_redirect"], json!(post_logout));
    assert_eq!(seen["logout_state_ok"], json!(true));
}
