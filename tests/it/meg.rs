//! Mobilní klíč eGovernmentu (MEG) over HTTP, as a citizen does it, with `identita meg` (the
//! built binary) playing the phone: pairing with a code that is good once and for four minutes;
//! the login page's QR code and same-device link, an approval from the app, and the portal
//! getting `acr` substantial with `amr` `swk mfa`; Continue without JavaScript before and after
//! the approval; a refusal in the app, an expired challenge, an unknown device, a revoked one
//! and a replayed approval; a second person's approval that voids the login; a push to the
//! paired app of a username typed on the page.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer, params_of};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "petr";
const STATE: &str = "st-meg";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";

struct Rp {
    id: String,
    secret: Option<String>,
}

async fn setup() -> (TestServer, Rp, identita::model::User) {
    let server = TestServer::start().await;
    let user = server.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let (id, secret) = server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    (server, Rp { id, secret }, user)
}

fn authorize_url(server: &TestServer, rp: &Rp) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid loasubstantial"),
        ("state", STATE),
    ]);
    url.to_string()
}

fn page(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("expected a page, got a redirect to {to}"),
    }
}

fn redirect(landing: Landing) -> String {
    match landing {
        Landing::Redirect(to) => {
            assert!(to.starts_with(REDIRECT), "{to}");
            assert_eq!(params_of(&to).get("state").map(String::as_str), Some(STATE), "{to}");
            to
        }
        Landing::Page(status, html) => panic!("expected a redirect to the client, got a page ({status}):\n{html}"),
    }
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// The text of the element with `id` (no nested tags), unescaped.
fn text_of(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let close = open + html[open..].find('<')?;
    Some(unescape(&html[open..close]))
}

/// The value of attribute `name` of the element with `id`, unescaped.
fn attr_of(html: &str, id: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let tag_start = html[..start].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let marker = format!("{name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(unescape(&tag[at..at + tag[at..].find('"')?]))
}

/// Opens the login page for a substantial request with MEG chosen: its challenge URL.
async fn meg_page(server: &TestServer, browser: &Browser, rp: &Rp) -> (String, String) {
    let (status, html) = page(browser.visit(&server.issuer, &authorize_url(server, rp)).await);
    assert_eq!(status, 200, "{html}");
    let marker = r#"data-means="meg" href=""#;
    let at = html.find(marker).unwrap_or_else(|| panic!("MEG is offered for substantial:\n{html}")) + marker.len();
    let href = unescape(&html[at..at + html[at..].find('"').unwrap()]);
    let (status, html) = page(browser.visit(&server.issuer, &format!("{}{href}", server.issuer)).await);
    assert_eq!(status, 200, "{html}");
    let url = text_of(&html, "meg-url").unwrap_or_else(|| panic!("no challenge URL:\n{html}"));
    assert!(url.starts_with(&server.url("/login/meg/")), "{url}");
    (html, url)
}

async fn press(server: &TestServer, browser: &Browser, html: &str, action: &str) -> Landing {
    browser.submit(&server.issuer, html, "meg", &[("action", action)]).await
}

async fn id_token_for(server: &TestServer, rp: &Rp, redirect: &str) -> Value {
    let code = params_of(redirect).get("code").cloned().unwrap_or_else(|| panic!("no code in {redirect}"));
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

// --- the phone and the operator: `identita meg …`, the built binary ----------------------------

/// `identita meg …` with the test server's store, whichever backend the suite runs on.
fn meg_command(server: &TestServer, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    let config = &server.provider.config;
    command
        .arg("meg")
        .args(args)
        .current_dir(&server.dir)
        .env("IDENTITA_DATA_DIR", server.dir.join("data"))
        .env("IDENTITA_DATABASE_URL", config.database_url())
        .env("IDENTITA_KEYS_DIR", &config.keys_dir)
        .env("IDENTITA_ISSUER", &server.issuer)
        .env("IDENTITA_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(redis_url) = &config.redis_url {
        command.env("IDENTITA_REDIS_URL", redis_url).env("IDENTITA_REDIS_PREFIX", &config.redis_prefix);
    }
    command
}

async fn meg_cli(server: &TestServer, args: &[&str]) -> (i32, Value) {
    let output = meg_command(server, args).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!("identita meg {args:?}: not JSON: {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap_or(-1), json)
}

fn path(file: &Path) -> &str {
    file.to_str().unwrap()
}

/// Pairs a device for `user` with the CLI, as the operator and the phone do: its file.
async fn paired(server: &TestServer, user: &str, name: &str) -> PathBuf {
    let (code, enrolled) = meg_cli(server, &["enroll", user]).await;
    assert_eq!(code, 0, "{enrolled}");
    let file = server.dir.join(format!("{name}.json"));
    let (code, out) =
        meg_cli(server, &["pair", enrolled["pairing_url"].as_str().unwrap(), "--name", name, "--out", path(&file)])
            .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["username"], user, "{out}");
    file
}

fn device_id(file: &Path) -> String {
    let text: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    text["device"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pairing_code_pairs_one_device_within_four_minutes() {
    let (server, _, user) = setup().await;
    let (code, enrolled) = meg_cli(&server, &["enroll", USER]).await;
    assert_eq!(code, 0, "{enrolled}");
    let pairing = enrolled["pairing_url"].as_str().unwrap().to_owned();
    assert!(pairing.starts_with(&server.url("/meg/pair?code=")), "{pairing}");
    let file = server.dir.join("telefon.json");
    let (code, out) = meg_cli(&server, &["pair", &pairing, "--name", "Telefon", "--out", path(&file)]).await;
    assert_eq!(code, 0, "{out}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let (code, devices) = meg_cli(&server, &["devices", USER]).await;
    assert_eq!(code, 0, "{devices}");
    assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
    assert_eq!(devices[0]["device"], out["device"]);
    assert_eq!((devices[0]["status"].as_str(), devices[0]["name"].as_str()), (Some("active"), Some("Telefon")));
    assert_eq!(devices[0]["user_id"], user.id.as_str());

    // The same code a second time: refused, and no second device.
    let again = server.dir.join("druhy.json");
    let (code, out) = meg_cli(&server, &["pair", &pairing, "--out", path(&again)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("invalid_pairing"), "{out}");
    assert!(!again.exists());

    // A code older than its four minutes: refused. (The CLI issued it on the system's clock,
    // which the server's test clock started from a few seconds ago.)
    let (_, enrolled) = meg_cli(&server, &["enroll", USER]).await;
    server.clock.advance(identita::authn::meg::PAIRING_TTL + 60);
    let (code, out) =
        meg_cli(&server, &["pair", enrolled["pairing_url"].as_str().unwrap(), "--out", path(&again)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("invalid_pairing"), "{out}");
    assert_eq!(meg_cli(&server, &["devices"]).await.1.as_array().unwrap().len(), 1);
    let (code, out) = meg_cli(&server, &["enroll", "nikdo"]).await;
    assert_eq!(code, 1, "{out}");
}

#[tokio::test]
async fn the_app_approves_the_qr_code_and_the_portal_gets_substantial_with_swk_mfa() {
    let (server, rp, user) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let (html, url) = meg_page(&server, &browser, &rp).await;
    assert!(html.contains("Spustit mobilní klíč na tomto zařízení"), "Czech by default:\n{html}");
    let link = attr_of(&html, "meg-same-device", "href").unwrap();
    assert_eq!(link, format!("identita-meg:{url}"));
    let qr = attr_of(&html, "meg-qr", "src").unwrap();
    assert!(qr.starts_with("data:image/svg+xml;base64,"), "{qr}");
    assert!(attr_of(&html, "meg-qr", "alt").is_some_and(|alt| alt.len() > 20), "the QR code has a text alternative");
    let command = text_of(&html, "meg-command").unwrap();
    assert!(command.starts_with(&format!("identita meg approve {url} ")), "{command}");

    // The phone opens the same-device link.
    let (code, out) = meg_cli(&server, &["approve", &link, "--device", path(&device)]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["status"], "approved", "{out}");
    let claims = id_token_for(&server, &rp, &redirect(press(&server, &browser, &html, "continue").await)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["swk", "mfa"]), "{claims}");
    assert_eq!(claims["sub"], user.id.as_str(), "{claims}");
    let (_, devices) = meg_cli(&server, &["devices", USER]).await;
    assert!(devices[0]["last_used_at"].is_i64(), "{devices}");
}

#[tokio::test]
async fn continue_before_the_approval_says_so_and_a_refusal_in_the_app_ends_on_the_page() {
    let (server, rp, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let (html, url) = meg_page(&server, &browser, &rp).await;
    let (status, again) = page(press(&server, &browser, &html, "continue").await);
    assert_eq!(status, 409, "{again}");
    let error = text_of(&again, "login-error").unwrap_or_else(|| panic!("no error:\n{again}"));
    assert!(error.contains("zatím nebylo"), "{error}");
    assert_eq!(text_of(&again, "meg-url").as_deref(), Some(url.as_str()), "the same challenge still waits");

    let (code, out) = meg_cli(&server, &["refuse", &url, "--device", path(&device)]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["status"], "refused", "{out}");
    // A refused request cannot be approved afterwards.
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&device)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("challenge_used"), "{out}");
    let (status, refused) = page(press(&server, &browser, &again, "continue").await);
    assert_eq!(status, 403, "{refused}");
    let error = text_of(&refused, "login-error").unwrap();
    assert!(error.contains("odmítnuto"), "{error}");
    assert!(refused.contains(r##"id="meg-other-means" href="#means""##), "a way back to the means:\n{refused}");
    let new_url = text_of(&refused, "meg-url").unwrap();
    assert_ne!(new_url, url, "a new challenge to try again");

    // The citizen gives up: the portal hears access_denied.
    let to = redirect(press(&server, &browser, &refused, "cancel").await);
    assert_eq!(params_of(&to).get("error").map(String::as_str), Some("access_denied"), "{to}");
}

#[tokio::test]
async fn an_expired_challenge_is_refused_and_the_page_offers_a_new_one() {
    let (server, rp, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let (html, url) = meg_page(&server, &browser, &rp).await;
    server.clock.advance(identita::authn::meg::CHALLENGE_TTL + 1);
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&device)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("challenge_expired"), "{out}");
    let (status, again) = page(press(&server, &browser, &html, "continue").await);
    assert_eq!(status, 403, "{again}");
    assert!(text_of(&again, "login-error").unwrap().contains("vypršel"), "{again}");
    let new_url = text_of(&again, "meg-url").unwrap();
    assert_ne!(new_url, url);
    let (code, out) = meg_cli(&server, &["approve", &new_url, "--device", path(&device)]).await;
    assert_eq!(code, 0, "{out}");
    redirect(press(&server, &browser, &again, "continue").await);
}

#[tokio::test]
async fn unknown_and_revoked_devices_and_a_replayed_approval_are_refused() {
    let (server, rp, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let lost = paired(&server, USER, "ztraceny").await;
    let browser = server.browser();
    let (html, url) = meg_page(&server, &browser, &rp).await;

    let post = async |body: &Value| {
        let response = reqwest::Client::new().post(&url).json(body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, out) = post(&json!({ "device": "nezname", "decision": "approve", "signature": "AAAA" })).await;
    assert_eq!((status, out["error"].as_str()), (401, Some("unknown_device")), "{out}");
    let (status, out) =
        post(&json!({ "device": device_id(&device), "decision": "approve", "signature": "AAAA" })).await;
    assert_eq!((status, out["error"].as_str()), (401, Some("bad_signature")), "{out}");
    let (status, out) = post(&json!({ "decision": "approve" })).await;
    assert_eq!((status, out["error"].as_str()), (400, Some("invalid_request")), "{out}");

    let (code, out) = meg_cli(&server, &["revoke", &device_id(&lost)]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&lost)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("device_revoked"), "{out}");

    // The rightful approval, then the same answer replayed: refused, and the login stands.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&device).unwrap()).unwrap();
    let signed = identita::meg::device::DeviceFile::read(&device).unwrap();
    let signature = signed.answer(&url, identita::meg::Decision::Approve).unwrap();
    let body = json!({ "device": file["device"], "decision": "approve", "signature": signature });
    assert_eq!(post(&body).await.0, 200);
    let (status, out) = post(&body).await;
    assert_eq!((status, out["error"].as_str()), (409, Some("challenge_used")), "{out}");
    redirect(press(&server, &browser, &html, "continue").await);
}

#[tokio::test]
async fn a_second_persons_approval_voids_the_login_and_the_holders_second_phone_does_not() {
    let (server, rp, user) = setup().await;
    server.add_user("jana", "heslo-jany-1", json!({ "name": "Jana Nováková" })).await;
    let phone = paired(&server, USER, "telefon").await;
    let tablet = paired(&server, USER, "tablet").await;
    let stranger = paired(&server, "jana", "cizi").await;
    let browser = server.browser();

    // Petr approves, then Jana, who saw the QR code, approves too: neither is logged in.
    let (html, url) = meg_page(&server, &browser, &rp).await;
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&phone)]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&stranger)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("challenge_voided"), "{out}");
    // A later answer, here a badly signed one, does not undo the voiding.
    let bad = json!({ "device": device_id(&phone), "decision": "approve", "signature": "AAAA" });
    let response = reqwest::Client::new().post(&url).json(&bad).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let (status, voided) = page(press(&server, &browser, &html, "continue").await);
    assert_eq!(status, 403, "{voided}");
    assert!(text_of(&voided, "login-error").unwrap().contains("dvou různých osob"), "{voided}");
    let new_url = text_of(&voided, "meg-url").unwrap();
    assert_ne!(new_url, url, "a new challenge to try again");

    // On the new challenge Petr's two devices both approve: the same person, so the login stands.
    for device in [&phone, &tablet] {
        let (code, out) = meg_cli(&server, &["approve", &new_url, "--device", path(device)]).await;
        let expected = if device == &phone { "approved" } else { "challenge_used" };
        assert!(
            out["status"] == expected || out["error"].as_str().is_some_and(|e| e.starts_with(expected)),
            "{code} {out}"
        );
    }
    let claims = id_token_for(&server, &rp, &redirect(press(&server, &browser, &voided, "continue").await)).await;
    assert_eq!(claims["sub"], user.id.as_str(), "{claims}");
}

#[tokio::test]
async fn a_push_reaches_the_watching_app_which_approves_and_unknown_usernames_look_the_same() {
    let (server, rp, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let (html, _) = meg_page(&server, &browser, &rp).await;

    let mut watch = meg_command(&server, &["watch", "--device", path(&device), "--once", "--approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(watch.stderr.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), stderr.next_line()).await;
    let ready = ready.expect("the watcher connects").unwrap().unwrap_or_default();
    assert!(ready.contains("waiting for pushes"), "{ready}");

    let push = async |html: &str, username: &str| {
        page(browser.submit(&server.issuer, html, "meg-push", &[("action", "push"), ("username", username)]).await)
    };
    let (status, unknown) = push(&html, "nikdo").await;
    let (status_known, sent) = push(&html, USER).await;
    assert_eq!((status, status_known), (200, 200));
    assert_eq!(text_of(&unknown, "login-error"), text_of(&sent, "login-error"), "the same answer either way");
    assert!(text_of(&sent, "login-error").unwrap().contains("byl odeslán"), "{sent}");

    let output = tokio::time::timeout(std::time::Duration::from_secs(20), watch.wait_with_output())
        .await
        .expect("the watcher gets the push")
        .unwrap();
    let line: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("watch: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(line["answer"]["status"], "approved", "{line}");
    assert_eq!(line["challenge"].as_str(), text_of(&sent, "meg-url").as_deref(), "{line}");
    let claims = id_token_for(&server, &rp, &redirect(press(&server, &browser, &sent, "continue").await)).await;
    assert_eq!(claims["amr"], json!(["swk", "mfa"]), "{claims}");
}

#[tokio::test]
async fn pushes_to_one_username_are_limited() {
    let (server, rp, _) = setup().await;
    let browser = server.browser();
    let (mut html, _) = meg_page(&server, &browser, &rp).await;
    for _ in 0..identita::authn::meg_push::PUSHES_PER_USER {
        let (status, next) =
            page(browser.submit(&server.issuer, &html, "meg-push", &[("action", "push"), ("username", USER)]).await);
        assert_eq!(status, 200, "{next}");
        html = next;
    }
    let (status, limited) =
        page(browser.submit(&server.issuer, &html, "meg-push", &[("action", "push"), ("username", USER)]).await);
    assert_eq!(status, 429, "{limited}");
}

#[tokio::test]
async fn a_citizen_logs_in_with_meg_in_a_real_browser_and_the_page_goes_on_by_itself() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;
    const TEST: &str = "a_citizen_logs_in_with_meg_in_a_real_browser_and_the_page_goes_on_by_itself";
    let Some(driver) = driver(TEST).await else { return };
    let server = TestServer::start().await;
    let (callback, seen) = relying_party().await;
    let (id, secret) = server
        .add_client(json!({ "client_name": "Portál občana", "redirect_uris": [callback], "first_party": true }))
        .await;
    let user = server.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let device = paired(&server, USER, "telefon").await;
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", callback.as_str()),
        ("scope", "openid loasubstantial"),
        ("state", STATE),
    ]);
    let client = browser_in(&driver, "cs").await;
    client.goto(url.as_str()).await.unwrap();
    client.wait().for_element(Locator::Css(r#"a[data-means="meg"]"#)).await.unwrap().click().await.unwrap();
    let link = client.wait().for_element(Locator::Id("meg-same-device")).await.unwrap();
    assert_eq!(link.text().await.unwrap().trim(), "Spustit mobilní klíč na tomto zařízení");
    let link = link.attr("href").await.unwrap().unwrap();
    let qr = client.find(Locator::Id("meg-qr")).await.unwrap();
    assert!(qr.attr("alt").await.unwrap().is_some_and(|alt| alt.contains("QR")));
    // The QR code is drawn (an SVG the browser decoded), not a broken image.
    let drawn = client.execute("return document.getElementById('meg-qr').naturalWidth;", vec![]).await.unwrap();
    assert!(drawn.as_u64().is_some_and(|w| w > 0), "{drawn}");
    // Let the page's event stream open, then approve in the "app": no click on Continue.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (code, out) = meg_cli(&server, &["approve", &link, "--device", path(&device)]).await;
    assert_eq!(code, 0, "{out}");
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let code = params_of(&format!("{REDIRECT}?{query}")).get("code").cloned().unwrap_or_else(|| panic!("{query}"));
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&id, secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", callback.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["swk", "mfa"]), "{claims}");
    assert_eq!(claims["sub"], user.id.as_str(), "{claims}");

    // Signed in at substantial, the citizen connects a second phone on the account page.
    client.goto(&server.url("/account/meg")).await.unwrap();
    client.wait().for_element(Locator::Css("#meg-connect button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("meg-pairing-qr")).await.unwrap();
    let drawn = client.execute("return document.getElementById('meg-pairing-qr').naturalWidth;", vec![]).await.unwrap();
    assert!(drawn.as_u64().is_some_and(|w| w > 0), "{drawn}");
    let pairing =
        client.execute("return document.getElementById('meg-pairing-url').textContent;", vec![]).await.unwrap();
    let pairing = pairing.as_str().unwrap().trim().to_owned();
    let second = server.dir.join("druhy.json");
    let (code, out) = meg_cli(&server, &["pair", &pairing, "--name", "Druhý telefon", "--out", path(&second)]).await;
    assert_eq!(code, 0, "{out}");
    client.goto(&server.url("/account/meg")).await.unwrap();
    let listed = client.wait().for_element(Locator::Id("meg-devices")).await.unwrap().text().await.unwrap();
    assert!(listed.contains("telefon") && listed.contains("Druhý telefon"), "{listed}");
    client.close().await.unwrap();
}

type PushSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A device's push WebSocket to `server` (one node, whatever the issuer's host).
async fn push_socket(server: &TestServer, device: &str, token: &str) -> PushSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let host = url::Url::parse(&server.issuer).unwrap().host_str().unwrap().to_owned();
    let mut request = format!("ws://{host}/meg/devices/{device}/push").into_client_request().unwrap();
    request.headers_mut().insert("Authorization", token.parse().unwrap());
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio_tungstenite::client_async(request, stream).await.unwrap().0
}

/// The next push on `socket` (pings are answered on the way).
async fn next_push(socket: &mut PushSocket) -> Value {
    use futures_util::StreamExt;
    let wait = std::time::Duration::from_secs(5);
    loop {
        let message = tokio::time::timeout(wait, socket.next()).await.expect("a push within 5 s").unwrap().unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

/// Two nodes on one PostgreSQL and one Redis: the page waits on node A (its event stream open
/// there); the citizen asks A for a push, which reaches the phone connected to node B; the app's
/// approval reaches node B, and A's stream says so — then Continue on A logs in.
#[tokio::test]
async fn an_approval_given_to_node_b_completes_the_login_waiting_on_node_a() {
    let Some(deployment) = common::Deployment::create("meg_two_nodes").await else { return };
    let a = TestServer::start_node(&deployment, |_| {}).await;
    let b = TestServer::start_node(&deployment, |_| {}).await;
    let (id, secret) = a.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let user = a.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    // The phone, paired in the shared register.
    let key = identita::meg::device::new_key().unwrap();
    let device = identita::model::Device {
        id: "telefon-petra".into(),
        user_id: user.id.clone(),
        public_key: identita::meg::device::public_key(&key),
        name: "Telefon".into(),
        created_at: a.provider.now(),
        last_used_at: None,
        status: identita::model::DeviceStatus::Active,
    };
    a.provider.stores.devices.insert(&device).await.unwrap();
    let phone = identita::meg::device::DeviceFile::new(
        device.id.clone(),
        USER.into(),
        "Telefon".into(),
        deployment.issuer.clone(),
        &key,
    );

    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser = Browser::at(&a, &jar);
    let rp = Rp { id, secret };
    let (html, url) = meg_page(&a, &browser, &rp).await;
    let events = attr_of(&html, "meg", "data-events").unwrap();
    let mut stream =
        a.routed_http(Some(jar.clone())).get(format!("{}{events}", deployment.issuer)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

    // The phone's push connection is on node B; the citizen asks node A for a push.
    let token = phone.push_token(b.provider.now()).unwrap();
    let mut socket = push_socket(&b, &device.id, &token).await;
    let (status, pushed) =
        page(browser.submit(&a.issuer, &html, "meg-push", &[("action", "push"), ("username", USER)]).await);
    assert_eq!(status, 200, "{pushed}");
    assert_eq!(text_of(&pushed, "meg-url").as_deref(), Some(url.as_str()), "the same challenge is pushed");
    let heard = next_push(&mut socket).await;
    assert_eq!(heard["challenge"].as_str(), Some(url.as_str()), "{heard}");

    let signature = phone.answer(&url, identita::meg::Decision::Approve).unwrap();
    let approved_at = std::time::Instant::now();
    let response = b
        .routed_http(None)
        .post(&url)
        .json(&json!({ "device": device.id, "decision": "approve", "signature": signature }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let mut seen = String::new();
    while !seen.contains("data: approved") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
            .await
            .expect("node A's stream hears of the approval")
            .unwrap()
            .expect("the stream stays open until it has news");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: meg"), "{seen}");
    assert!(approved_at.elapsed() < std::time::Duration::from_secs(2), "{:?}", approved_at.elapsed());
    let to = redirect(press(&a, &browser, &html, "continue").await);
    assert!(params_of(&to).contains_key("code"), "{to}");
}

/// The push connection is a WebSocket opened with the device's signed token: a plain GET is
/// told to upgrade, a wrong token is refused before any upgrade.
#[tokio::test]
async fn the_push_connection_is_a_websocket_for_a_signed_device_only() {
    let (server, _, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let file = identita::meg::device::DeviceFile::read(&device).unwrap();
    let url = server.url(&format!("/meg/devices/{}/push", device_id(&device)));
    let http = reqwest::Client::new();

    let token = file.push_token(server.provider.now()).unwrap();
    let plain = http.get(&url).header("Authorization", &token).send().await.unwrap();
    assert_eq!(plain.status().as_u16(), 426);
    assert_eq!(plain.headers()["upgrade"], "websocket");
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");

    let upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")];
    let stale = file.push_token(server.provider.now() - 3600).unwrap();
    for authorization in [stale.as_str(), "MEG 1.AAAA", ""] {
        let mut request = http.get(&url).header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        for (name, value) in upgrade {
            request = request.header(name, value);
        }
        let refused = request.header("Authorization", authorization).send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 401, "{authorization}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{body}");
    }
}

/// A device's push connection outlives the server's idle timeout: the stream sends comments
/// while it waits, so a push long after connecting still arrives.
#[tokio::test]
async fn a_push_connection_outlives_the_idle_timeout() {
    let server = TestServer::start_with(|config| config.http.idle_timeout = 2).await;
    server.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let (id, secret) = server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let rp = Rp { id, secret };
    let device = paired(&server, USER, "telefon").await;
    let mut watch = meg_command(&server, &["watch", "--device", path(&device), "--once"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(watch.stderr.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), stderr.next_line()).await;
    assert!(ready.expect("the watcher connects").unwrap().unwrap_or_default().contains("waiting for pushes"));
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let browser = server.browser();
    let (html, _) = meg_page(&server, &browser, &rp).await;
    let (status, sent) =
        page(browser.submit(&server.issuer, &html, "meg-push", &[("action", "push"), ("username", USER)]).await);
    assert_eq!(status, 200, "{sent}");
    let output = tokio::time::timeout(std::time::Duration::from_secs(20), watch.wait_with_output())
        .await
        .expect("the watcher gets the push")
        .unwrap();
    let line: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("watch: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(line["challenge"].as_str(), text_of(&sent, "meg-url").as_deref(), "{line}");
}

// --- enrollment through Czech POINT (seed 000): the app, the clerk, "Hotovo" --------------------

/// The citizen of the register the clerk finds by the identity card 987654321.
async fn add_petr_to_the_register(server: &TestServer) {
    let record: identita::model::PersonRecord = serde_json::from_value(json!({
        "id": "per-petr", "given_names": "Petr", "family_name": "Dvořák", "birth_date": "1979-11-30",
        "birth_place": "Brno", "birth_country": "CZ", "sex": "M", "citizenship": ["CZ"],
        "documents": [{ "type": "ID", "number": "987654321", "valid_until": "2032-01-01" }],
    }))
    .unwrap();
    server.provider.stores.persons.insert(&identita::model::Person::parse(&record).unwrap()).await.unwrap();
}

#[tokio::test]
async fn the_app_enrolls_through_czech_point_and_then_approves_a_login() {
    let (server, rp, _) = setup().await;
    add_petr_to_the_register(&server).await;
    let url = server.url("/meg/devices/enrollment");
    let (code, started) = meg_cli(&server, &["start", &url, "--phone", "+420 777 123 456"]).await;
    assert_eq!(code, 0, "{started}");
    let sms = server.provider.stores.outbox.recent(Some("+420777123456"), 1).await.unwrap().remove(0).body;
    let sms_code: String = sms.chars().filter(char::is_ascii_digit).collect();
    let enrollment = started["enrollment"].as_str().unwrap();
    let (code, refused) = meg_cli(&server, &["confirm", &url, "--enrollment", enrollment, "--code", &sms_code]).await;
    assert_eq!(code, 1, "the terms must be accepted: {refused}");
    assert!(refused["error"].as_str().unwrap().starts_with("terms_not_accepted"), "{refused}");
    let (code, confirmed) =
        meg_cli(&server, &["confirm", &url, "--enrollment", enrollment, "--code", &sms_code, "--accept-terms"]).await;
    assert_eq!(code, 0, "{confirmed}");
    let identification = confirmed["identification_code"].as_str().unwrap().to_owned();
    let visit = confirmed["enrollment"].as_str().unwrap().to_owned();
    let file = server.dir.join("enrolled.json");

    // "Hotovo" before the visit says what to do.
    let (code, early) = meg_cli(&server, &["done", &url, "--enrollment", &visit, "--out", path(&file)]).await;
    assert_eq!(code, 1, "{early}");
    assert!(early["error"].as_str().unwrap().contains("17651921"), "{early}");
    assert!(!file.exists());

    // The clerk records the request with the identification code; "Hotovo" pairs the phone.
    let args = ["czech-point", "record", "--document", "987654321", "--message", &identification];
    let output = common::cli_beside(&server, &args, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (code, done) = meg_cli(&server, &["done", &url, "--enrollment", &visit, "--out", path(&file)]).await;
    assert_eq!(code, 0, "{done}");
    assert_eq!(done["username"], "meg-420777123456", "{done}");
    let account = server.provider.stores.users.find_by_username("meg-420777123456").await.unwrap().unwrap();
    assert_eq!(
        server.provider.stores.persons.person_of_account(&account.id).await.unwrap().as_deref(),
        Some("per-petr")
    );

    // The enrolled phone approves a login at substantial.
    let browser = server.browser();
    let (html, challenge) = meg_page(&server, &browser, &rp).await;
    let (code, out) = meg_cli(&server, &["approve", &challenge, "--device", path(&file)]).await;
    assert_eq!(code, 0, "{out}");
    let claims = id_token_for(&server, &rp, &redirect(press(&server, &browser, &html, "continue").await)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["sub"], account.id.as_str(), "{claims}");
}

/// `identita meg done --data-box ID` with the box's password in a file.
async fn done_by_box(
    server: &TestServer,
    url: &str,
    visit: &str,
    data_box: &str,
    password: &str,
    out: &Path,
) -> (i32, Value) {
    let secret = server.dir.join("box.password");
    std::fs::write(&secret, format!("{password}\n")).unwrap();
    let file = ["--data-box-password-file", path(&secret)];
    let args = [&["done", url, "--enrollment", visit, "--data-box", data_box, "--out", path(out)][..], &file].concat();
    let output = meg_command(server, &args).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!("identita meg done: not JSON: {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap_or(-1), json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_enrolls_with_the_citizens_data_box_instead_of_the_czech_point_visit() {
    let (server, rp, _) = setup().await;
    let record: identita::model::PersonRecord = serde_json::from_value(json!({
        "id": "per-petr", "given_names": "Petr", "family_name": "Dvořák", "birth_date": "1979-11-30",
        "birth_place": "Brno", "birth_country": "CZ", "sex": "M", "citizenship": ["CZ"], "data_box": "kq7b2xz",
    }))
    .unwrap();
    server.provider.stores.persons.insert(&identita::model::Person::parse(&record).unwrap()).await.unwrap();
    let owner = ["--given-names", "Petr", "--family-name", "Dvořák", "--birth-date", "1979-11-30"];
    for (id, kind, rest) in
        [("kq7b2xz", "FO", &owner[..]), ("pq22bxz", "PO", &["--firm", "Dvořák s.r.o.", "--ico", "27074358"][..])]
    {
        let args = [&["databox", "add", id, "--kind", kind][..], rest, &["--password", "schranka-1"]].concat();
        let output = common::cli_beside(&server, &args, &[]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let url = server.url("/meg/devices/enrollment");
    let (code, started) = meg_cli(&server, &["start", &url, "--phone", "+420 777 123 457"]).await;
    assert_eq!(code, 0, "{started}");
    let sms = server.provider.stores.outbox.recent(Some("+420777123457"), 1).await.unwrap().remove(0).body;
    let sms_code: String = sms.chars().filter(char::is_ascii_digit).collect();
    let enrollment = started["enrollment"].as_str().unwrap();
    let (code, confirmed) =
        meg_cli(&server, &["confirm", &url, "--enrollment", enrollment, "--code", &sms_code, "--accept-terms"]).await;
    assert_eq!(code, 0, "{confirmed}");
    let visit = confirmed["enrollment"].as_str().unwrap().to_owned();
    let file = server.dir.join("enrolled-by-box.json");

    // A company's box identifies no one; a wrong password is told as such; nothing is paired.
    let (code, refused) = done_by_box(&server, &url, &visit, "pq22bxz", "schranka-1", &file).await;
    assert_eq!(code, 1, "{refused}");
    assert!(refused["error"].as_str().unwrap().starts_with("not_a_natural_person_box"), "{refused}");
    let (code, refused) = done_by_box(&server, &url, &visit, "kq7b2xz", "schranka-2", &file).await;
    assert_eq!(code, 1, "{refused}");
    assert!(refused["error"].as_str().unwrap().starts_with("invalid_data_box_login"), "{refused}");
    assert!(!file.exists());

    // The citizen's own box: the phone is paired to the register's person who holds it.
    let (code, done) = done_by_box(&server, &url, &visit, "kq7b2xz", "schranka-1", &file).await;
    assert_eq!(code, 0, "{done}");
    let account = server.provider.stores.users.find_by_username("meg-420777123457").await.unwrap().unwrap();
    assert_eq!(
        server.provider.stores.persons.person_of_account(&account.id).await.unwrap().as_deref(),
        Some("per-petr")
    );
    // The step is spent: a second "Hotovo" with it pairs nothing more.
    let again = server.dir.join("again.json");
    let (code, refused) = done_by_box(&server, &url, &visit, "kq7b2xz", "schranka-1", &again).await;
    assert_eq!(code, 1, "{refused}");
    assert!(refused["error"].as_str().unwrap().starts_with("expired_enrollment"), "{refused}");

    // The enrolled phone approves a login at substantial.
    let browser = server.browser();
    let (html, challenge) = meg_page(&server, &browser, &rp).await;
    let (code, out) = meg_cli(&server, &["approve", &challenge, "--device", path(&file)]).await;
    assert_eq!(code, 0, "{out}");
    let claims = id_token_for(&server, &rp, &redirect(press(&server, &browser, &html, "continue").await)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["sub"], account.id.as_str(), "{claims}");
}

// --- "Připojení mobilního klíče": a phone connected from the account page ----------------------

/// The account page as `browser` sees it.
async fn account_page(server: &TestServer, browser: &Browser) -> (u16, String) {
    page(browser.visit(&server.issuer, &server.url("/account/meg")).await)
}

/// Logs `browser` in with the MEG device `file` (substantial) at the portal `rp`.
async fn log_in_with(server: &TestServer, browser: &Browser, rp: &Rp, file: &Path) -> Value {
    let (html, url) = meg_page(server, browser, rp).await;
    let (code, out) = meg_cli(server, &["approve", &url, "--device", path(file)]).await;
    assert_eq!(code, 0, "{out}");
    id_token_for(server, rp, &redirect(press(server, browser, &html, "continue").await)).await
}

#[tokio::test]
async fn a_citizen_signed_in_at_substantial_connects_another_phone_on_the_account_page() {
    let (server, rp, user) = setup().await;
    let first = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let (status, html) = account_page(&server, &browser).await;
    assert_eq!(status, 200, "{html}");
    assert!(text_of(&html, "meg-sign-in").is_some(), "signed out, the page says to sign in:\n{html}");

    log_in_with(&server, &browser, &rp, &first).await;
    let (status, html) = account_page(&server, &browser).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Připojení mobilního klíče"), "Czech by default:\n{html}");
    assert!(html.contains(&format!(r#"data-device="{}" data-status="active""#, device_id(&first))), "{html}");
    let (status, html) = page(browser.submit(&server.issuer, &html, "meg-connect", &[("action", "connect")]).await);
    assert_eq!(status, 200, "{html}");
    let pairing = text_of(&html, "meg-pairing-url").unwrap_or_else(|| panic!("no pairing URL:\n{html}"));
    assert!(pairing.starts_with(&server.url("/meg/pair?code=")), "{pairing}");
    assert!(attr_of(&html, "meg-pairing-qr", "src").unwrap().starts_with("data:image/svg+xml;base64,"));
    assert!(text_of(&html, "meg-pairing-command").unwrap().starts_with(&format!("identita meg pair {pairing}")));

    // The second phone scans it: paired to the same account, once.
    let second = server.dir.join("druhy.json");
    let (code, out) = meg_cli(&server, &["pair", &pairing, "--name", "Druhý telefon", "--out", path(&second)]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["username"], USER, "{out}");
    let third = server.dir.join("treti.json");
    let (code, out) = meg_cli(&server, &["pair", &pairing, "--out", path(&third)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().starts_with("invalid_pairing"), "{out}");

    // The new phone logs the citizen in.
    let claims = log_in_with(&server, &server.browser(), &rp, &second).await;
    assert_eq!((claims["sub"].as_str(), claims["acr"].as_str()), (Some(user.id.as_str()), Some(SUBSTANTIAL)));

    // The first phone is disconnected on the page; its approvals are refused from then on.
    let (_, html) = account_page(&server, &browser).await;
    assert!(html.contains("Druhý telefon"), "{html}");
    let form = format!("meg-disconnect-{}", device_id(&first));
    let (status, html) = page(browser.submit(&server.issuer, &html, &form, &[("action", "disconnect")]).await);
    assert_eq!(status, 200, "{html}");
    assert!(text_of(&html, "meg-status").is_some(), "{html}");
    assert!(html.contains(&format!(r#"data-device="{}" data-status="revoked""#, device_id(&first))), "{html}");
    let (_, url) = meg_page(&server, &server.browser(), &rp).await;
    let (code, out) = meg_cli(&server, &["approve", &url, "--device", path(&first)]).await;
    assert_eq!(code, 1, "a disconnected phone's approval is refused: {out}");

    // Pairing codes per account are limited (10 in 15 minutes).
    let mut last = (0, String::new());
    for _ in 1..10 {
        let (_, html) = account_page(&server, &browser).await;
        last = page(browser.submit(&server.issuer, &html, "meg-connect", &[("action", "connect")]).await);
    }
    assert_eq!(last.0, 200, "the tenth of the window still goes (one was spent above):\n{}", last.1);
    let (_, html) = account_page(&server, &browser).await;
    let (status, html) = page(browser.submit(&server.issuer, &html, "meg-connect", &[("action", "connect")]).await);
    assert_eq!(status, 429, "{html}");
    assert!(text_of(&html, "meg-error").is_some() && text_of(&html, "meg-pairing-url").is_none(), "{html}");
}

#[tokio::test]
async fn a_password_login_below_substantial_gets_no_pairing_code_and_forged_forms_are_refused() {
    let (server, rp, _) = setup().await;
    let device = paired(&server, USER, "telefon").await;
    let browser = server.browser();
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", STATE),
    ]);
    browser.authorize(&server.issuer, url.as_str(), USER, "heslo-petra-1").await;
    let (status, html) = account_page(&server, &browser).await;
    assert_eq!(status, 200, "{html}");
    assert!(text_of(&html, "meg-below-substantial").is_some_and(|t| t.contains("značná")), "{html}");
    assert_eq!(text_of(&html, "meg-reached").as_deref(), Some("nízká"), "the level the login reached");
    assert!(form_of_id(&html, "meg-connect").is_none(), "no pairing form below substantial:\n{html}");

    // The disconnect form's token posted with action=connect: still no code.
    let form = format!("meg-disconnect-{}", device_id(&device));
    let (status, again) = page(browser.submit(&server.issuer, &html, &form, &[("action", "connect")]).await);
    assert_eq!(status, 200, "{again}");
    assert!(text_of(&again, "meg-pairing-url").is_none(), "{again}");
    assert!(text_of(&again, "meg-below-substantial").is_some(), "{again}");

    // A form without the session's token changes nothing.
    let response = reqwest::Client::new()
        .post(server.url("/account/meg"))
        .form(&[("csrf", "x"), ("action", "disconnect"), ("device", device_id(&device).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "signed out: the sign-in notice");
    let (status, forged) = page(
        browser
            .submit(
                &server.issuer,
                &html.replace(&hidden_csrf(&html, &form), "forged"),
                &form,
                &[("action", "disconnect")],
            )
            .await,
    );
    assert_eq!(status, 400, "{forged}");
    assert!(text_of(&forged, "meg-error").is_some(), "{forged}");
    assert!(forged.contains(r#"data-status="active""#), "the device is still connected:\n{forged}");
}

fn form_of_id(html: &str, id: &str) -> Option<String> {
    common::form_of(html, id)
}

fn hidden_csrf(html: &str, form: &str) -> String {
    common::hidden_fields(html, form).into_iter().find(|(k, _)| k == "csrf").unwrap().1
}
