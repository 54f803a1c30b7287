//! eObčanka over HTTP, as a citizen does it: a portal asking for high is offered only the
//! card; the login page shows a challenge, the reader (`identita card login`, or here the same
//! chip code in-process) signs it after the IOK and posts the signature, Continue in the browser
//! finishes — and the portal gets `acr` high with `amr` `sc pin mfa`. Refusals: a card blocked
//! by wrong IOKs (and unblocked by the DOK), blocked for good by wrong DOKs, reported lost or
//! stolen, revoked, expired; a replayed signature, another person's card, an expired challenge;
//! and a citizen with no card, who can only cancel.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use common::{Browser, Landing, Portal, TestServer, interaction_of, page, params_of, text_of};
use identita::card::chip::Chip;
use identita::model::{Card, CardStatus};
use serde_json::{Value, json};

const USER: &str = "petr";
const STATE: &str = "st-card";
const IOK: &str = "1234";
const DOK: &str = "87654321";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";
const TEN_YEARS: i64 = 10 * 365 * 86_400;

/// A server with `petr` and a first-party client.
async fn setup() -> (TestServer, Portal, identita::model::User) {
    let server = TestServer::start().await;
    let user = server.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let portal = Portal::register(&server, STATE).await;
    (server, portal, user)
}

/// A card for `user_id`, activated, valid from `issued_at` to `valid_until`: registered on the
/// server as `identita card issue` does it.
async fn issue(server: &TestServer, user_id: &str, issued_at: i64, valid_until: i64) -> (Card, Chip) {
    identita::card::issue::issue(
        &*server.provider.stores.cards,
        &server.provider.config.keys_dir,
        user_id,
        issued_at,
        valid_until,
        Some((IOK, DOK)),
    )
    .await
    .unwrap()
}

async fn valid_card(server: &TestServer, user_id: &str) -> (Card, Chip) {
    let now = server.provider.now();
    issue(server, user_id, now, now + TEN_YEARS).await
}

/// Opens the login page for a request needing high: eObčanka alone, with its challenge.
async fn card_page(server: &TestServer, browser: &Browser, rp: &Portal) -> (String, String) {
    let (status, html) = page(browser.visit(&server.issuer, &rp.authorize_url(&[("scope", "openid loahigh")])).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="card""#), "the card's form:\n{html}");
    assert!(!html.contains(r#"id="means""#) && !html.contains(r#"id="password""#), "eObčanka alone:\n{html}");
    let url = text_of(&html, "card-url").unwrap_or_else(|| panic!("no challenge URL:\n{html}"));
    assert!(url.starts_with(&server.url("/login/card/")), "{url}");
    let command = text_of(&html, "card-command").unwrap();
    assert!(command.starts_with("identita card login ") && command.ends_with(&format!("--url {url}")), "{command}");
    (html, url)
}

/// The reader's post of a signature it made.
async fn post_answer(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// What the reader does: the IOK, the signature, the post.
async fn sign_and_post(chip: &mut Chip, url: &str) -> (u16, Value) {
    let signature = chip.sign_login(IOK, url).unwrap();
    post_answer(url, &json!({ "number": chip.number, "certificate": chip.certificate, "signature": signature })).await
}

async fn press_continue(server: &TestServer, browser: &Browser, html: &str) -> Landing {
    browser.submit(&server.issuer, html, "card", &[("action", "continue")]).await
}

#[tokio::test]
async fn a_high_request_offers_only_eobcanka_and_the_card_logs_in_at_high() {
    let (server, rp, user) = setup().await;
    let (_, mut chip) = valid_card(&server, &user.id).await;
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    assert!(html.contains("Pokračovat"), "Czech by default:\n{html}");
    let (status, answer) = sign_and_post(&mut chip, &url).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "signed");
    assert_eq!(answer["card"], chip.number.as_str());
    // Back on the page (reloaded, or the back button), it says the card has signed.
    let reload = server.url(&format!("/login?interaction={}&means=eobcanka", interaction_of(&html)));
    let (_, shown) = page(browser.visit(&server.issuer, &reload).await);
    assert!(shown.contains(r#"id="card-signed""#), "{shown}");
    assert_eq!(text_of(&shown, "card-url").as_deref(), Some(url.as_str()), "the same challenge");
    let claims = rp.id_token(&rp.back(press_continue(&server, &browser, &html).await)).await;
    assert_eq!(claims["acr"], HIGH, "{claims}");
    assert_eq!(claims["amr"], json!(["sc", "pin", "mfa"]), "{claims}");
    assert_eq!(claims["sub"], user.id.as_str(), "{claims}");

    // A request of any level lists eObčanka beside the others.
    let (_, html) = page(server.browser().visit(&server.issuer, &rp.authorize_url(&[])).await);
    for means in ["password", "nia-id", "eobcanka"] {
        assert!(html.contains(&format!(r#"data-means="{means}""#)), "{means}:\n{html}");
    }
}

#[tokio::test]
async fn without_a_signature_continue_says_so_and_a_citizen_without_a_card_can_cancel() {
    let (server, rp, _) = setup().await;
    let browser = server.browser();
    let (html, _) = card_page(&server, &browser, &rp).await;
    assert!(html.contains(r#"id="card-no-card""#), "what to do without a card:\n{html}");
    let (status, again) = page(press_continue(&server, &browser, &html).await);
    assert_eq!(status, 409, "{again}");
    let error = text_of(&again, "login-error").unwrap_or_else(|| panic!("no error:\n{again}"));
    assert!(error.contains("zatím nepodepsala"), "{error}");
    assert!(again.contains(r#"role="alert""#));
    let to = rp.back(browser.submit(&server.issuer, &again, "card", &[("action", "cancel")]).await);
    assert_eq!(params_of(&to).get("error").map(String::as_str), Some("access_denied"), "{to}");
}

#[tokio::test]
async fn refused_cards_are_told_why_on_the_reader_and_on_the_page() {
    let (server, rp, user) = setup().await;
    let now = server.provider.now();
    let cases = [
        (Some(CardStatus::Lost), "card_lost", "ztracený"),
        (Some(CardStatus::Stolen), "card_stolen", "odcizený"),
        (Some(CardStatus::Revoked), "card_revoked", "zneplatněn"),
        (None, "card_expired", "Platnost tohoto průkazu skončila"),
    ];
    for (status, code, message) in cases {
        let mut chip = match status {
            Some(status) => {
                let (card, chip) = valid_card(&server, &user.id).await;
                assert!(
                    server
                        .provider
                        .stores
                        .cards
                        .set_status(&card.number, status.reported_from(), status)
                        .await
                        .unwrap()
                );
                chip
            }
            None => issue(&server, &user.id, now - TEN_YEARS - 86_400, now - 86_400).await.1,
        };
        let browser = server.browser();
        let (html, url) = card_page(&server, &browser, &rp).await;
        let (http, answer) = sign_and_post(&mut chip, &url).await;
        assert_eq!(http, 403, "{code}: {answer}");
        assert_eq!(answer["error"], code, "{answer}");
        let (http, again) = page(press_continue(&server, &browser, &html).await);
        assert_eq!(http, 403, "{again}");
        let error = text_of(&again, "login-error").unwrap_or_else(|| panic!("no error:\n{again}"));
        assert!(error.contains(message), "{code}: {error}");
        // A new challenge to try again with another card.
        let new_url = text_of(&again, "card-url").unwrap();
        assert_ne!(new_url, url);
    }
}

#[tokio::test]
async fn a_replayed_signature_and_another_persons_card_are_refused() {
    let (server, rp, user) = setup().await;
    let other = server.add_user("eva", "heslo-evy-12", json!({ "name": "Eva Malá" })).await;
    let (_, mut mine) = valid_card(&server, &user.id).await;
    let (theirs, mut their_chip) = valid_card(&server, &other.id).await;
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;

    // Another person's card number with my certificate, or with my signature under theirs.
    let signature = mine.sign_login(IOK, &url).unwrap();
    let (status, answer) =
        post_answer(&url, &json!({ "number": theirs.number, "certificate": mine.certificate, "signature": signature }))
            .await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("wrong_certificate")), "{answer}");
    let (status, answer) = post_answer(
        &url,
        &json!({ "number": theirs.number, "certificate": their_chip.certificate, "signature": signature }),
    )
    .await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("bad_signature")), "{answer}");
    let (status, answer) =
        post_answer(&url, &json!({ "number": "999999999", "certificate": "x", "signature": "x" })).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("unknown_card")), "{answer}");
    let (status, _) = post_answer(&url, &json!({ "number": 1 })).await;
    assert_eq!(status, 400);

    // Mine signs; the same signature again is spent, and it is nothing at another challenge.
    let body = json!({ "number": mine.number, "certificate": mine.certificate, "signature": signature });
    assert_eq!(post_answer(&url, &body).await.0, 200);
    let (status, answer) = post_answer(&url, &body).await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("challenge_used")), "{answer}");
    let (_, other_url) = card_page(&server, &server.browser(), &rp).await;
    let (status, answer) = post_answer(&other_url, &body).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("bad_signature")), "{answer}");

    // The login is mine, whatever was tried on the way.
    let claims = rp.id_token(&rp.back(press_continue(&server, &browser, &html).await)).await;
    assert_eq!(claims["sub"], user.id.as_str());
    // Their card still works for them.
    let their_browser = server.browser();
    let (html, url) = card_page(&server, &their_browser, &rp).await;
    assert_eq!(sign_and_post(&mut their_chip, &url).await.0, 200);
    let claims = rp.id_token(&rp.back(press_continue(&server, &their_browser, &html).await)).await;
    assert_eq!(claims["sub"], other.id.as_str());
}

#[tokio::test]
async fn a_challenge_signed_by_two_cards_logs_no_one_in() {
    let (server, rp, user) = setup().await;
    let other = server.add_user("eva", "heslo-evy-12", json!({ "name": "Eva Malá" })).await;
    let (_, mut mine) = valid_card(&server, &user.id).await;
    let (_, mut theirs) = valid_card(&server, &other.id).await;
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    // Someone who saw the URL on my screen signs it first with their card; then my reader.
    assert_eq!(sign_and_post(&mut theirs, &url).await.0, 200);
    let (status, answer) = sign_and_post(&mut mine, &url).await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("challenge_used")), "{answer}");
    let (status, again) = page(press_continue(&server, &browser, &html).await);
    assert_eq!(status, 403, "no one is logged in:\n{again}");
    assert!(text_of(&again, "login-error").unwrap().contains("neplatí"), "{again}");
    // With a new challenge, my card logs me in.
    let new_url = text_of(&again, "card-url").unwrap();
    assert_eq!(sign_and_post(&mut mine, &new_url).await.0, 200);
    let claims = rp.id_token(&rp.back(press_continue(&server, &browser, &again).await)).await;
    assert_eq!(claims["sub"], user.id.as_str());
}

#[tokio::test]
async fn a_challenge_expires_after_five_minutes_and_its_answers_are_limited() {
    let (server, rp, user) = setup().await;
    let (_, mut chip) = valid_card(&server, &user.id).await;
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    server.clock.advance(301);
    let (status, answer) = sign_and_post(&mut chip, &url).await;
    assert_eq!((status, answer["error"].as_str()), (410, Some("challenge_expired")), "{answer}");
    let (_, again) = page(press_continue(&server, &browser, &html).await);
    let new_url = text_of(&again, "card-url").unwrap();
    assert_ne!(new_url, url, "a new challenge");
    assert!(text_of(&again, "login-error").unwrap().contains("neplatí"), "{again}");

    // Bad answers to one challenge: five, then not even a good one is looked at.
    let bad = json!({ "number": chip.number, "certificate": chip.certificate, "signature": "AAAA" });
    for _ in 0..5 {
        assert_eq!(post_answer(&new_url, &bad).await.0, 401);
    }
    let (status, answer) = sign_and_post(&mut chip, &new_url).await;
    assert_eq!((status, answer["error"].as_str()), (429, Some("too_many_attempts")), "{answer}");
}

// --- the reader: `identita card …`, the built binary ------------------------------------------

/// Runs `identita card …` with the test server's data and keys, as an operator (or a citizen's
/// reader) there would; the server goes on serving meanwhile.
async fn card_cli(server: &TestServer, args: &[&str]) -> (i32, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    // The server's store, whichever backend the suite runs on (IDENTITA_TEST_BACKEND).
    let config = &server.provider.config;
    command
        .arg("card")
        .args(args)
        .current_dir(&server.dir)
        .env("IDENTITA_DATA_DIR", server.dir.join("data"))
        .env("IDENTITA_DATABASE_URL", config.database_url())
        .env("IDENTITA_KEYS_DIR", &config.keys_dir)
        .env("IDENTITA_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(redis_url) = &config.redis_url {
        command.env("IDENTITA_REDIS_URL", redis_url).env("IDENTITA_REDIS_PREFIX", &config.redis_prefix);
    }
    let output = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!("identita card {args:?}: not JSON: {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap_or(-1), json)
}

fn card_file(server: &TestServer, name: &str) -> PathBuf {
    server.dir.join(name)
}

fn path(file: &Path) -> &str {
    file.to_str().unwrap()
}

/// Issues a card with the CLI and activates it (the codes chosen by the citizen).
async fn cli_card(server: &TestServer) -> PathBuf {
    let file = card_file(server, "karta.json");
    let (code, issued) = card_cli(server, &["issue", "--user", USER, "--out", path(&file)]).await;
    assert_eq!(code, 0, "{issued}");
    assert_eq!(issued["activated"], false);
    let (code, out) =
        card_cli(server, &["login", path(&file), "--url", &server.url("/login/card/x/y"), "--iok", IOK]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("not activated"), "{out}");
    let (code, out) = card_cli(server, &["activate", path(&file), "--iok", IOK, "--dok", DOK]).await;
    assert_eq!(code, 0, "{out}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(server.dir.join("keys/card-ca.key")).unwrap().permissions().mode() & 0o777, 0o600);
    file
}

#[tokio::test]
async fn three_wrong_ioks_block_the_card_the_dok_unblocks_it_and_the_cli_logs_in() {
    let (server, rp, _) = setup().await;
    let file = cli_card(&server).await;
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    let login = async |iok: &'static str| card_cli(&server, &["login", path(&file), "--url", &url, "--iok", iok]).await;
    let (code, out) = login("0000").await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("2 more wrong IOK"), "{out}");
    login("0000").await;
    let (_, out) = login("0000").await;
    assert!(out["error"].as_str().unwrap().contains("blocked"), "{out}");
    let (code, out) = login(IOK).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("unblock it with the DOK"), "even the right IOK: {out}");
    let (code, status) = card_cli(&server, &["status", path(&file)]).await;
    assert_eq!(code, 0, "{status}");
    assert_eq!((status["blocked"].as_bool(), status["iok_failures"].as_u64()), (Some(true), Some(3)), "{status}");
    assert_eq!(status["register"]["status"], "valid", "{status}");
    // Nothing reached the server: the page still waits for a signature.
    assert_eq!(page(press_continue(&server, &browser, &html).await).0, 409);

    let (code, out) = card_cli(&server, &["unblock", path(&file), "--dok", "11111111"]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("9 more wrong DOK"), "{out}");
    let (code, out) = card_cli(&server, &["unblock", path(&file), "--dok", DOK]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!((out["blocked"].as_bool(), out["dok_failures"].as_u64()), (Some(false), Some(0)), "{out}");
    let (code, out) = login(IOK).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["status"], "signed");
    let claims = rp.id_token(&rp.back(press_continue(&server, &browser, &html).await)).await;
    assert_eq!(claims["acr"], HIGH);
    assert_eq!(claims["amr"], json!(["sc", "pin", "mfa"]));

    // The operator reports the card stolen: the reader is told, and so is the page.
    let number = status["number"].as_str().unwrap().to_owned();
    let (code, out) = card_cli(&server, &["set-status", &number, "stolen"]).await;
    assert_eq!(code, 0, "{out}");
    let stolen_browser = server.browser();
    let (html, url) = card_page(&server, &stolen_browser, &rp).await;
    let (code, out) = card_cli(&server, &["login", path(&file), "--url", &url, "--iok", IOK]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().starts_with("card_stolen: "), "{out}");
    let (_, again) = page(press_continue(&server, &stolen_browser, &html).await);
    assert!(text_of(&again, "login-error").unwrap().contains("odcizený"), "{again}");
    let (_, list) = card_cli(&server, &["list", "--user", USER]).await;
    assert_eq!(list[0]["status"], "stolen", "{list}");
}

#[tokio::test]
async fn a_card_is_applied_for_made_and_collected_and_only_a_collected_card_logs_in() {
    let (server, rp, _) = setup().await;
    let (code, applied) = card_cli(&server, &["apply", "--user", USER]).await;
    assert_eq!((code, applied["status"].as_str()), (0, Some("applied")), "{applied}");
    let number = applied["number"].as_str().unwrap().to_owned();
    let file = card_file(&server, "nova-karta.json");
    let (code, issued) = card_cli(&server, &["issue", "--application", &number, "--out", path(&file)]).await;
    assert_eq!((code, issued["status"].as_str()), (0, Some("issued")), "{issued}");
    let years = (issued["valid_until"].as_i64().unwrap() - server.provider.now()) / 86_400 / 365;
    assert_eq!(years, 10, "no date of birth: ten years {issued}");
    let again = card_file(&server, "podruhe.json");
    let (code, out) = card_cli(&server, &["issue", "--application", &number, "--out", path(&again)]).await;
    assert_eq!(code, 1, "an application is made once: {out}");

    // The card waits at the office: even with its chip activated it does not log in.
    let (code, out) = card_cli(&server, &["activate", path(&file), "--iok", IOK, "--dok", DOK]).await;
    assert_eq!(code, 0, "{out}");
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    let (code, out) = card_cli(&server, &["login", path(&file), "--url", &url, "--iok", IOK]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().starts_with("card_not_collected: "), "{out}");
    let (_, refused) = page(press_continue(&server, &browser, &html).await);
    assert!(text_of(&refused, "login-error").unwrap().contains("nebyl převzat"), "{refused}");

    // Collected, it does.
    let (code, out) = card_cli(&server, &["collect", &number]).await;
    assert_eq!((code, out["status"].as_str()), (0, Some("valid")), "{out}");
    let (code, out) = card_cli(&server, &["collect", &number]).await;
    assert_eq!(code, 1, "collected once: {out}");
    let browser = server.browser();
    let (html, url) = card_page(&server, &browser, &rp).await;
    let (code, out) = card_cli(&server, &["login", path(&file), "--url", &url, "--iok", IOK]).await;
    assert_eq!(code, 0, "{out}");
    let claims = rp.id_token(&rp.back(press_continue(&server, &browser, &html).await)).await;
    assert_eq!(claims["acr"], HIGH);

    // Revoked, it stays revoked.
    let (code, out) = card_cli(&server, &["set-status", &number, "revoked"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = card_cli(&server, &["set-status", &number, "valid"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().contains("is revoked"), "{out}");
}

#[tokio::test]
async fn a_childs_card_is_valid_five_years_and_its_chip_is_not_activated_at_collection() {
    let (server, _, _) = setup().await;
    let born =
        chrono::DateTime::from_timestamp(server.provider.now(), 0).unwrap().date_naive() - chrono::Months::new(12 * 9);
    let birthdate = born.format("%Y-%m-%d").to_string();
    server.add_user("anicka", "heslo-anicky-1", json!({ "name": "Anička Svobodová", "birthdate": birthdate })).await;
    let (_, applied) = card_cli(&server, &["apply", "--user", "anicka"]).await;
    let number = applied["number"].as_str().unwrap().to_owned();
    let file = card_file(&server, "detska-karta.json");
    let (code, issued) = card_cli(&server, &["issue", "--application", &number, "--out", path(&file)]).await;
    assert_eq!(code, 0, "{issued}");
    let years = (issued["valid_until"].as_i64().unwrap() - server.provider.now()) / 86_400 / 365;
    assert_eq!(years, 5, "{issued}");
    let (code, out) = card_cli(&server, &["collect", &number, "--file", path(&file), "--iok", IOK, "--dok", DOK]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().unwrap().contains("under 15"), "{out}");
    let (code, out) = card_cli(&server, &["collect", &number]).await;
    assert_eq!((code, out["activated"].as_bool()), (0, Some(false)), "{out}");
    let (code, out) = card_cli(
        &server,
        &["issue", "--user", "anicka", "--out", path(&card_file(&server, "x.json")), "--iok", IOK, "--dok", DOK],
    )
    .await;
    assert_eq!(code, 1, "nor when issued at once: {out}");
}

#[tokio::test]
async fn ten_wrong_doks_block_the_card_for_good() {
    let (server, rp, _) = setup().await;
    let file = cli_card(&server).await;
    let (_, url) = card_page(&server, &server.browser(), &rp).await;
    for _ in 0..3 {
        card_cli(&server, &["login", path(&file), "--url", &url, "--iok", "0000"]).await;
    }
    for _ in 0..9 {
        assert_eq!(card_cli(&server, &["unblock", path(&file), "--dok", "11111111"]).await.0, 1);
    }
    let (code, out) = card_cli(&server, &["unblock", path(&file), "--dok", "11111111"]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("blocked for good"), "{out}");
    let (code, out) = card_cli(&server, &["unblock", path(&file), "--dok", DOK]).await;
    assert_eq!(code, 1, "not even the right DOK: {out}");
    assert!(out["error"].as_str().unwrap().contains("ask for a new card"), "{out}");
    let (code, out) = card_cli(&server, &["login", path(&file), "--url", &url, "--iok", IOK]).await;
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("blocked for good"), "{out}");
    let (_, status) = card_cli(&server, &["status", path(&file)]).await;
    assert_eq!(status["blocked_for_good"], true, "{status}");
}

/// The whole eObčanka login in headless Chromium: from the portal's authorization request to
/// the portal's token; the reader reads the challenge's URL off the page.
#[tokio::test]
async fn a_citizen_logs_in_with_eobcanka_in_a_real_browser() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;
    const TEST: &str = "a_citizen_logs_in_with_eobcanka_in_a_real_browser";
    let Some(driver) = driver(TEST).await else { return };
    let server = TestServer::start().await;
    let (callback, seen) = relying_party().await;
    let portal = Portal::register_at(&server, STATE, &callback).await;
    let user = server.add_user(USER, "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let (_, mut chip) = valid_card(&server, &user.id).await;
    let url = portal.authorize_url(&[("scope", "openid loahigh")]);
    let client = browser_in(&driver, "cs").await;
    client.goto(&url).await.unwrap();
    client.wait().for_element(Locator::Id("card-intro")).await.unwrap();
    assert!(client.find(Locator::Id("password")).await.is_err(), "no password for eObčanka");
    // Continue too early: the page says the card has not signed yet.
    client.find(Locator::Id("card-continue")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("login-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("zatím nepodepsala"));
    let challenge = client.find(Locator::Id("card-url")).await.unwrap().text().await.unwrap();
    let (status, answer) = sign_and_post(&mut chip, challenge.trim()).await;
    assert_eq!(status, 200, "{answer}");
    client.find(Locator::Id("card-continue")).await.unwrap().click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let claims = portal.id_token_from_query(&query).await;
    assert_eq!(claims["acr"], HIGH);
    assert_eq!(claims["amr"], json!(["sc", "pin", "mfa"]));
    client.close().await.unwrap();
}
