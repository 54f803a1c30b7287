//! Relying parties of other stacks, configured as a portal's developers configure them for NIA,
//! against the `nia` face: Python Authlib (`tests/third_party/nia_authlib.py`) and Node
//! openid-client 6 (`tests/third_party/nia-openid-client.mjs`). Each reads NIA's discovery from
//! its own address, names the attributes in `claims`, exchanges the code with
//! client_secret_post and opens the JWE ID token with the portal's private key; this file plays
//! the citizen's browser (login, consent) at each address a script prints and hands back the
//! address the browser came back to.
//!
//! Needs python3 with Authlib (and its joserfc) and requests, and Node.js with `npm ci` in
//! `tests/third_party/` (`.ci/run` installs both). Without them a test says it was skipped, and
//! fails under `CI=true`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{Browser, TestServer};
use identita::oidc::registration::{self, ClientMetadata};
use josekit::jwk::KeyPair;
use josekit::jwk::alg::rsa::RsaKeyPair;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const PORTAL: &str = "https://portal.example/app";
const REDIRECT: &str = "http://127.0.0.1:9/nia/cb";
const LOGGED_OUT: &str = "http://127.0.0.1:9/nia/bye";
const USER: &str = "jana";
const PASS: &str = "heslo-123";
const ISSUER: &str = "urn:microsoft:cgg2010:fpsts";
/// Whatever secret a portal is configured with: NIA issues none and ignores it.
const SECRET: &str = "nia-issues-no-secret";

fn third_party(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party").join(file)
}

/// Whether `program` with `args` runs and succeeds.
fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

/// `ok`, or else the test is skipped as needing `needs` (a failure under `CI=true`).
fn or_skip(ok: bool, test: &str, needs: common::skips::Needs, what: &str) -> bool {
    if !ok {
        common::under_ci_a_skip_fails(test, what);
        eprintln!("SKIPPED {test}: needs {what}");
        common::skips::record(test, needs);
    }
    ok
}

fn python_ready(test: &str) -> bool {
    let ok = runs("python3", &["-c", "import authlib, joserfc, requests"]);
    let what = "python3 with Authlib and requests (`python3 -m pip install authlib requests`)";
    or_skip(ok, test, common::skips::Needs::Python, what)
}

fn node_ready(test: &str) -> bool {
    let ok = third_party("node_modules/openid-client").exists() && runs("node", &["--version"]);
    or_skip(ok, test, common::skips::Needs::Node, "node and `npm ci` in tests/third_party")
}

/// A server with a `nia` face at `/nia`, one citizen, and the portal registered with the public
/// half of a fresh RSA key (`use: enc`), as NIA's registration form has it. Returns the server
/// and the portal's private JWK.
async fn start() -> (TestServer, Value) {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("nia", "nia", format!("{}/nia", config.issuer))];
    })
    .await;
    let profile = json!({
        "given_name": "Jana", "family_name": "Nováková", "birthdate": "1990-05-17", "email": "jana@example.cz",
    });
    server.add_user(USER, PASS, profile).await;

    let pair = RsaKeyPair::generate(2048).unwrap();
    let mut public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    public.insert("use".into(), json!("enc"));
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "token_endpoint_auth_method": "client_secret_post",
        "client_name": "Portál občana",
        "jwks": { "keys": [public] },
    }))
    .unwrap();
    let face = &server.provider.faces[0];
    let (client, _) = registration::build(face, meta, PORTAL.into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    let private: serde_json::Map<String, Value> = pair.to_jwk_private_key().into();
    (server, Value::Object(private))
}

/// Runs a portal's script with NIA's discovery address, the portal's client_id, secret and
/// redirect URI, and a file holding its private key. Each `open: <URL>` it prints is visited by
/// one browser (logging in and consenting where asked) and the address it comes back to is
/// written to the script's stdin; the JSON line it prints last is returned.
async fn run_portal(server: &TestServer, private: &Value, program: &str, script: &Path) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("portal-enc.private.jwk.json");
    std::fs::write(&key_file, private.to_string()).unwrap();
    let discovery = server.url("/nia/fpsts/oidc/openid-configuration");
    let mut child = Command::new(program)
        .arg(script)
        .args([&discovery, PORTAL, SECRET, REDIRECT])
        .arg(&key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let browser = Browser::new();
    let mut printed = Vec::new();
    let mut result = None;
    let conversation = async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("open: ") {
                let back = browser.authorize(&server.issuer, url, USER, PASS).await;
                stdin.write_all(format!("{back}\n").as_bytes()).await.unwrap();
            } else if let Ok(value @ Value::Object(_)) = serde_json::from_str(&line) {
                result = Some(value);
            } else {
                printed.push(line);
            }
        }
    };
    // A script stuck waiting is killed (kill_on_drop) when the test fails here.
    tokio::time::timeout(Duration::from_secs(120), conversation).await.expect("the script finished in time");
    drop(stdin);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    let status = child.wait().await.unwrap();
    match result {
        Some(value) if status.success() => value,
        _ => panic!("{} failed ({status}):\n{}\n{stderr}", script.display(), printed.join("\n")),
    }
}

fn is_person_identifier(value: &Value) -> bool {
    let Some(id) = value.as_str().and_then(|v| v.strip_prefix("CZ/CZ/")) else { return false };
    let groups: Vec<_> = id.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

#[tokio::test]
async fn an_authlib_portal_opens_nias_encrypted_id_token_and_gets_the_attributes_it_named() {
    let test = "an_authlib_portal_opens_nias_encrypted_id_token_and_gets_the_attributes_it_named";
    if !python_ready(test) {
        return;
    }
    let (server, private) = start().await;
    let seen = run_portal(&server, &private, "python3", &third_party("nia_authlib.py")).await;

    let header = &seen["jwe_header"];
    assert_eq!((header["alg"].as_str(), header["enc"].as_str()), (Some("RSA-OAEP"), Some("A256CBC-HS512")));
    assert!(header.get("kid").is_none(), "{header}");
    let claims = &seen["claims"];
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PORTAL);
    assert!(is_person_identifier(&claims["PersonIdentifier"]), "{claims}");
    assert_eq!(claims["CurrentGivenName"], "Jana");
    assert_eq!(claims["CurrentFamilyName"], "Nováková");
    assert_eq!(claims["DateOfBirth"], "1990-05-17");
    for not_named in ["sub", "eMail", "CurrentAddress", "given_name"] {
        assert!(claims.get(not_named).is_none(), "{not_named}: {claims}");
    }
    // Authlib's stock ID token class insists on `sub`; the script's NIA class does not.
    let stock = seen["stock_code_id_token"].as_str().unwrap();
    assert!(stock.contains("sub") && stock.contains("missing"), "{stock}");
    assert_eq!(seen["userinfo"], json!({}));
}

#[tokio::test]
async fn an_openid_client_portal_opens_nias_encrypted_id_token_once_claims_names_sub() {
    let test = "an_openid_client_portal_opens_nias_encrypted_id_token_once_claims_names_sub";
    if !node_ready(test) {
        return;
    }
    let (server, private) = start().await;
    let seen = run_portal(&server, &private, "node", &third_party("nia-openid-client.mjs")).await;

    // Without `sub` named the token is opened, then refused for want of `sub`.
    let without = seen["without_sub"].as_str().unwrap();
    assert!(without.contains("\"sub\"") && without.contains("missing"), "{without}");
    let claims = &seen["claims"];
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PORTAL);
    assert!(is_person_identifier(&claims["sub"]), "{claims}");
    assert_eq!(claims["sub"], claims["PersonIdentifier"]);
    assert_eq!(claims["CurrentGivenName"], "Jana");
    assert_eq!(claims["CurrentFamilyName"], "Nováková");
    assert_eq!(claims["DateOfBirth"], "1990-05-17");
    // NIA's userinfo {} has no `sub`, which fetchUserInfo refuses even told to skip the check.
    let userinfo = seen["userinfo"].as_str().unwrap_or_else(|| panic!("refused: {seen}"));
    assert!(userinfo.contains("\"sub\""), "{userinfo}");
    // buildEndSessionUrl's client_id and state: back at the registered logout URL.
    assert_eq!(seen["logout_redirect"], LOGGED_OUT);
    assert_eq!(seen["logout_state_ok"], true);
}
