//! mojeID's account validation end to end: a registered account becomes CONDITIONALLY_IDENTIFIED
//! (`identita mojeid account --verify-contacts`), then VALIDATED through each of the six paths of
//! seed 003 — the desk's through `identita mojeid validate` and `identita databox`, the
//! citizen's through the account page at the mojeID face and the simulated data-box login — and
//! a full-access portal then receives `mojeid_valid` true and `VALIDATED`; a new surname drops
//! it. The refusals: a company's data box, one without a permanent address, the desk outside its
//! hours, fields a kind needs.

use crate::common;

use common::{Browser, Landing, TestServer};
use identita::oidc::registration::{self, ClientMetadata};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/portal/cb";
pub(crate) const USER: &str = "jana";
const PASS: &str = "heslo-789";

pub(crate) async fn start() -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("mojeid", "mojeid", format!("{}/mojeid", config.issuer))];
    })
    .await;
    let profile = json!({
        "given_name": "Jana", "family_name": "Nováková", "birthdate": "1980-05-17",
        "email": "jana@example.cz", "phone_number": "+420731000222",
        "address": {"street_address": "Milešovská 5", "locality": "Praha 3", "postal_code": "130 00", "country": "CZ"},
    });
    server.add_user(USER, PASS, profile).await;
    server
}

/// `identita ARGS` beside the server, with a desk open all week (`open`) or closed all week; its
/// JSON output, or the error it printed.
fn cli(server: &TestServer, open: bool, args: &[&str]) -> Result<Value, String> {
    let hours = if open { "[\"00:00-24:00\"]" } else { "[]" };
    let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let desk: String = days.iter().map(|day| format!("{day} = {hours}\n")).collect();
    let file = server.dir.join(if open { "desk-open.toml" } else { "desk-closed.toml" });
    std::fs::write(&file, format!("[validation_desk]\n{desk}")).unwrap();
    let mut all = vec!["--config", file.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = common::cli_beside(server, &all, &[("USER", "eva")]);
    let printed: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{args:?}: {}", String::from_utf8_lossy(&output.stderr)));
    match output.status.success() {
        true => Ok(printed),
        false => Err(printed["error"].as_str().unwrap_or_default().to_owned()),
    }
}

/// A full-access service of the mojeID face.
pub(crate) async fn portal(server: &TestServer) -> (String, String) {
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT], "first_party": true, "full_access": true,
        "token_endpoint_auth_method": "client_secret_post",
    }))
    .unwrap();
    let face = &server.provider.faces[0];
    let id = identita::secret::random_token(12);
    let (client, secret) = registration::build(face, meta, id.clone(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    (id, secret.unwrap())
}

/// What the portal receives at userinfo after a login: (`mojeid_status`, `mojeid_valid`).
pub(crate) async fn portal_sees(server: &TestServer, portal: &(String, String)) -> (String, bool) {
    let issuer = format!("{}/mojeid", server.issuer);
    let claims = json!({"userinfo": {"mojeid_valid": null, "mojeid_status": null}}).to_string();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &portal.0)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .append_pair("claims", &claims)
        .finish();
    let url = format!("{issuer}/oidc/authorization/?{query}");
    let landing = Browser::new().authorize(&server.issuer, &url, USER, PASS).await;
    let code = common::params_of(&landing)["code"].clone();
    let http = reqwest::Client::new();
    let tokens: Value = http
        .post(format!("{issuer}/oidc/token/"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &portal.0),
            ("client_secret", &portal.1),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let userinfo: Value = http
        .get(format!("{issuer}/oidc/userinfo/"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (userinfo["mojeid_status"].as_str().unwrap().to_owned(), userinfo["mojeid_valid"].as_bool().unwrap())
}

/// A browser signed in at the mojeID face, on its account page.
async fn account_page(server: &TestServer, portal: &(String, String)) -> (Browser, String) {
    let browser = Browser::new();
    let url = format!(
        "{}/mojeid/oidc/authorization/?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s",
        server.issuer,
        portal.0,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    browser.authorize(&server.issuer, &url, USER, PASS).await;
    let Landing::Page(200, html) = browser.visit(&server.issuer, &server.url("/mojeid/account/mojeid")).await else {
        panic!("no account page");
    };
    (browser, html)
}

/// Through the data-box button to the simulated login, and back with `box_id`'s owner data.
async fn data_box_button(server: &TestServer, browser: &Browser, page: &str, box_id: &str) -> (u16, String) {
    let Landing::Page(200, login) = browser.submit(&server.issuer, page, "mojeid-databox", &[]).await else {
        panic!("no data-box login");
    };
    assert!(login.contains("id=\"databox-login\""), "{login}");
    let fields = [("box_id", box_id), ("password", "schranka-1")];
    match browser.submit(&server.issuer, &login, "databox-login", &fields).await {
        Landing::Page(status, html) => (status, html),
        other => panic!("{other:?}"),
    }
}

fn verify_contacts(server: &TestServer) {
    let view = cli(server, true, &["mojeid", "account", USER, "--verify-contacts"]).unwrap();
    assert_eq!(view["status"], "CONDITIONALLY_IDENTIFIED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_visit_validates_and_a_new_surname_ends_it_for_the_portal() {
    let server = start().await;
    let portal = portal(&server).await;
    assert_eq!(portal_sees(&server, &portal).await, ("REGISTERED".into(), false));
    verify_contacts(&server);
    assert_eq!(portal_sees(&server, &portal).await, ("CONDITIONALLY_IDENTIFIED".into(), false));

    let visit = ["mojeid", "validate", USER, "--path", "office", "--document-number", "123456789"];
    let err = cli(&server, true, &visit).unwrap_err();
    assert!(err.contains("--valid-until"), "{err}");
    let visit = [&visit[..], &["--valid-until", "2031-01-01"]].concat();
    let err = cli(&server, false, &visit).unwrap_err();
    assert!(err.contains("working hours") && err.contains("Europe/Prague"), "{err}");
    let view = cli(&server, true, &visit).unwrap();
    assert_eq!((view["status"].as_str(), view["validation"]["path"].as_str()), (Some("VALIDATED"), Some("office")));
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));

    let changed = cli(&server, true, &["mojeid", "account", USER, "--family-name", "Svobodová"]).unwrap();
    assert_eq!((changed["status"].as_str(), changed["valid"].as_bool()), (Some("IDENTIFIED"), Some(false)));
    assert_eq!(portal_sees(&server, &portal).await, ("IDENTIFIED".into(), false));
    // Every decision is in the audit log, the desk's as the operator's.
    let log = cli(&server, true, &["audit", "list", "--subject", changed["user_id"].as_str().unwrap()]).unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["mojeid.verify_contacts", "mojeid.validate", "mojeid.account"]);
    assert_eq!((log[1]["role"].as_str(), log[1]["actor"].as_str()), (Some("validation_desk"), Some("operator:eva")));
    assert_eq!(log[2]["detail"]["validation_lapsed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_point_visit_and_a_notarised_signature_validate() {
    let server = start().await;
    let portal = portal(&server).await;
    verify_contacts(&server);
    let point = ["mojeid", "validate", USER, "--path", "validation-point", "--document-number", "123456789"];
    let err = cli(&server, true, &[&point[..], &["--valid-until", "2031-01-01"]].concat()).unwrap_err();
    assert!(err.contains("--place"), "{err}");
    let expired = [&point[..], &["--valid-until", "2020-01-01", "--place", "Brno"]].concat();
    assert!(cli(&server, true, &expired).unwrap_err().contains("expired"));
    let view = cli(&server, true, &[&point[..], &["--valid-until", "2031-01-01", "--place", "Brno"]].concat());
    assert_eq!(view.unwrap()["validation"]["path"], "validation_point");
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));

    let by_post =
        ["mojeid", "validate", USER, "--path", "notarised-signature", "--verified-by", "JUDr. Eva Malá, notářka"];
    let view = cli(&server, true, &[&by_post[..], &["--reference", "V 1234/2026"]].concat()).unwrap();
    assert_eq!(
        (view["status"].as_str(), view["validation"]["path"].as_str()),
        (Some("VALIDATED"), Some("notarised_signature"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_from_a_businesss_data_box_validates_its_account() {
    let server = start().await;
    let portal = portal(&server).await;
    verify_contacts(&server);
    let firm = "Jana Nováková – tlumočnictví";
    // The kind needs its fields, each named.
    let err = cli(&server, true, &["mojeid", "account", USER, "--kind", "entrepreneur"]).unwrap_err();
    assert!(err.starts_with("organisation:"), "{err}");
    let err = cli(
        &server,
        true,
        &["mojeid", "account", USER, "--kind", "entrepreneur", "--organisation", firm, "--ico", "12345678"],
    );
    assert!(err.unwrap_err().starts_with("ico:"));
    let business = ["mojeid", "account", USER, "--kind", "entrepreneur", "--organisation", firm, "--ico", "27074358"];
    assert_eq!(cli(&server, true, &business).unwrap()["kind"], "entrepreneur");

    let add = ["databox", "add", "pfa2bxz", "--kind", "PFO", "--given-names", "Jana", "--family-name", "Nováková"];
    let made = cli(&server, true, &[&add[..], &["--firm", firm, "--ico", "27074358"]].concat()).unwrap();
    assert_eq!((made["kind"].as_str(), made["permanent_address"].as_bool()), (Some("PFO"), Some(false)));
    let send = ["databox", "send", "--from", "pfa2bxz", "--to", "h4axdn8", "--subject", "Žádost o validaci účtu jana"];
    let message = cli(&server, true, &send).unwrap();
    let inbox = cli(&server, true, &["databox", "inbox", "h4axdn8"]).unwrap();
    assert_eq!(inbox[0]["id"], message["id"]);
    let id = message["id"].as_str().unwrap();
    let validate = ["mojeid", "validate", USER, "--path", "databox-message", "--message", id];
    let err = cli(&server, false, &validate).unwrap_err();
    assert!(err.contains("working hours"), "{err}");
    let view = cli(&server, true, &validate).unwrap();
    assert_eq!(view["validation"]["path"], "databox_message");
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));
    // Processed once.
    assert!(cli(&server, true, &validate).unwrap_err().contains("processed already"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_box_button_refuses_company_boxes_and_incomplete_owner_data_then_validates() {
    let server = start().await;
    let portal = portal(&server).await;
    verify_contacts(&server);
    let person = ["--given-names", "Jana", "--family-name", "Nováková", "--birth-date", "1980-05-17"];
    let address = ["--street", "Korunní 12", "--city", "Praha 2", "--postal-code", "120 00"];
    let password = ["--password", "schranka-1"];
    let add = |id: &'static str, kind: &'static str, rest: Vec<&'static str>| {
        let mut args = vec!["databox", "add", id, "--kind", kind];
        args.extend(rest);
        args.extend(password);
        cli(&server, true, &args).unwrap();
    };
    add("pq22bxz", "PO", [&["--firm", "Nováková s.r.o.", "--ico", "27074358"][..], &address].concat());
    add("nq22bxz", "FO", person.to_vec());
    add("fq22bxz", "FO", [&person[..], &address].concat());

    let (browser, page) = account_page(&server, &portal).await;
    assert!(page.contains("<code id=\"mojeid-status\">CONDITIONALLY_IDENTIFIED</code>"), "{page}");
    let (status, html) = data_box_button(&server, &browser, &page, "pq22bxz").await;
    assert_eq!(status, 400);
    assert!(html.contains("Pro validaci fyzické osoby využíváte firemní datovou schránku."), "{html}");
    let (status, html) = data_box_button(&server, &browser, &html, "nq22bxz").await;
    assert_eq!(status, 400);
    assert!(html.contains("Vaše datová schránka neposkytuje všechny nezbytné údaje pro validaci"), "{html}");
    assert_eq!(portal_sees(&server, &portal).await, ("CONDITIONALLY_IDENTIFIED".into(), false));

    let (status, html) = data_box_button(&server, &browser, &html, "fq22bxz").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"mojeid-done\"") && html.contains("data-path=\"databox_button\""), "{html}");
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));
    // The box's owner data replaced the account's address.
    let status = cli(&server, true, &["mojeid", "status", USER]).unwrap();
    assert_eq!(status["validation"]["evidence"], "owner data of data box fq22bxz (FO)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_request_is_finished_in_the_account() {
    let server = start().await;
    let portal = portal(&server).await;
    verify_contacts(&server);
    let (browser, page) = account_page(&server, &portal).await;
    assert!(page.contains("id=\"mojeid-czech-point-request\""), "{page}");
    // Nothing has come from Czech POINT yet: the citizen is told to wait.
    let Landing::Page(400, html) = browser.submit(&server.issuer, &page, "mojeid-czech-point", &[]).await else {
        panic!("no refusal");
    };
    assert!(html.contains("Údaje z Czech POINT zatím nedorazily"), "{html}");

    // The clerk checks Jana's identity card and records the request to CZ.NIC with the
    // identifier the account page shows; the citizen then finishes it in the account.
    let record = json!({
        "id": "per-jana", "given_names": "Jana", "family_name": "Nováková", "birth_date": "1980-05-17",
        "birth_place": "Praha", "birth_country": "CZ", "sex": "F", "citizenship": ["CZ"],
        "address": {"text": "Korunní 810/104, 101 00 Praha 10", "address_place": 21745005, "municipality": 554782},
        "documents": [{ "type": "ID", "number": "112233445", "valid_until": "2033-01-01" }],
    });
    cli(&server, true, &["registry", "add", &record.to_string()]).unwrap();
    let start = page.find("id=\"mojeid-czech-point-request\">").unwrap() + "id=\"mojeid-czech-point-request\">".len();
    let identifier = page[start..start + page[start..].find('<').unwrap()].to_owned();
    let args = ["czech-point", "record", "--document", "112233445", "--recipient-ico", "67985726", "--message"];
    let mut args = args.to_vec();
    args.push(&identifier);
    cli(&server, true, &args).unwrap();
    let Landing::Page(200, html) = browser.submit(&server.issuer, &page, "mojeid-czech-point", &[]).await else {
        panic!("not finished");
    };
    assert!(html.contains("id=\"mojeid-done\"") && html.contains("data-path=\"czech_point\""), "{html}");
    let view = cli(&server, true, &["mojeid", "status", USER]).unwrap();
    assert_eq!(
        (view["status"].as_str(), view["validation"]["path"].as_str()),
        (Some("VALIDATED"), Some("czech_point"))
    );
    // The request was one-time: the operator's finish finds nothing more.
    let again = cli(&server, false, &["mojeid", "validate", USER, "--path", "czech-point"]);
    assert!(again.is_err(), "{again:?}");
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));
}

/// The data-box button in a real browser (headless Chromium): from the account page to the
/// simulated data-box login and back, validated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_box_button_validates_in_a_real_browser() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;

    let test = "the_data_box_button_validates_in_a_real_browser";
    let Some(driver) = driver(test).await else { return };
    let server = start().await;
    verify_contacts(&server);
    let address = ["--street", "Korunní 12", "--city", "Praha 2", "--postal-code", "120 00"];
    let add = ["databox", "add", "fq22bxz", "--kind", "FO", "--given-names", "Jana", "--family-name", "Nováková"];
    cli(&server, true, &[&add[..], &address, &["--password", "schranka-1"]].concat()).unwrap();
    let (callback, seen) = relying_party().await;
    let face = &server.provider.faces[0];
    let meta: ClientMetadata =
        serde_json::from_value(json!({ "redirect_uris": [callback], "first_party": true })).unwrap();
    let (client, _) = registration::build(face, meta, "portal".into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();

    let browser = browser_in(&driver, "cs").await;
    let authorize = format!(
        "{}/mojeid/oidc/authorization/?response_type=code&client_id=portal&scope=openid&state=s&redirect_uri={}",
        server.issuer,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    browser.goto(&authorize).await.unwrap();
    browser.wait().for_element(Locator::Css("form#login")).await.unwrap();
    browser.find(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys(PASS).await.unwrap();
    browser.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;

    browser.goto(&server.url("/mojeid/account/mojeid")).await.unwrap();
    browser.wait().for_element(Locator::Css("form#mojeid-databox button")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Id("databox-id")).await.unwrap().send_keys("fq22bxz").await.unwrap();
    browser.find(Locator::Id("databox-password")).await.unwrap().send_keys("schranka-1").await.unwrap();
    browser.find(Locator::Css("form#databox-login button")).await.unwrap().click().await.unwrap();
    let done = browser.wait().for_element(Locator::Id("mojeid-done")).await.unwrap();
    assert_eq!(done.text().await.unwrap(), "Účet je validován.");
    let status = browser.find(Locator::Id("mojeid-status")).await.unwrap().text().await.unwrap();
    assert_eq!(status, "VALIDATED");
    browser.close().await.unwrap();
}

/// The newest message to `to` (an e-mail address or a number) in the outbox.
async fn last_message(server: &TestServer, to: &str) -> String {
    let face = &server.provider.faces[0];
    face.stores.outbox.recent(Some(to), 1).await.unwrap().into_iter().next().expect("a message").body
}

fn page_of(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("redirected to {to}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_citizen_verifies_the_e_mail_by_link_and_the_phone_by_sms_and_is_conditionally_identified() {
    let server = start().await;
    let portal = portal(&server).await;
    let (browser, page) = account_page(&server, &portal).await;
    assert!(page.contains("<code id=\"mojeid-status\">REGISTERED</code>"), "{page}");
    assert!(page.contains("id=\"mojeid-email\" data-verified=\"false\""), "{page}");

    // The e-mail: a link goes to the address; following it verifies the address, once.
    let (status, sent) = page_of(browser.submit(&server.issuer, &page, "mojeid-verify-email", &[]).await);
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("id=\"mojeid-done\""), "{sent}");
    let mail = last_message(&server, "jana@example.cz").await;
    let link = mail[mail.find("http").expect("a link")..].split_whitespace().next().unwrap().to_owned();
    assert!(link.contains("/mojeid/account/mojeid/email/confirm?token="), "{link}");
    let (status, html) = page_of(browser.visit(&server.issuer, &format!("{link}x")).await);
    assert_eq!(status, 400, "a link cut or changed is unknown: {html}");
    let (status, html) = page_of(browser.visit(&server.issuer, &link).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"mojeid-email\" data-verified=\"true\""), "{html}");

    // The phone: an SMS code; a wrong one says how many attempts are left, the right one verifies.
    let (status, form) = page_of(browser.submit(&server.issuer, &html, "mojeid-verify-phone", &[]).await);
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("id=\"mojeid-phone-code\""), "{form}");
    let sms = last_message(&server, "+420731000222").await;
    let code: String = sms.chars().filter(char::is_ascii_digit).take(6).collect();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, html) = page_of(browser.submit(&server.issuer, &form, "mojeid-phone-code", &[("code", wrong)]).await);
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("id=\"mojeid-error\"") && html.contains("id=\"mojeid-phone-code\""), "{html}");
    let (status, html) = page_of(browser.submit(&server.issuer, &html, "mojeid-phone-code", &[("code", &code)]).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"mojeid-phone\" data-verified=\"true\""), "{html}");
    assert!(html.contains("<code id=\"mojeid-status\">CONDITIONALLY_IDENTIFIED</code>"), "{html}");
    // The same code again (a replayed form) verifies nothing more and says to send a new one.
    let (status, again) = page_of(browser.submit(&server.issuer, &form, "mojeid-phone-code", &[("code", &code)]).await);
    assert_eq!(status, 400, "{again}");
    assert_eq!(portal_sees(&server, &portal).await, ("CONDITIONALLY_IDENTIFIED".to_owned(), false));

    // Both verifications are in the audit log as the citizen's own.
    let log = cli(&server, true, &["audit", "list"]).unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"mojeid.verify_email") && actions.contains(&"mojeid.verify_phone"), "{log}");
}
