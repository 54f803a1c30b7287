//! NIA ID's online registration at the nia face (seed 000), as a citizen goes through it: the
//! form at `/ProfileRegistration`, the confirmation link from the first e-mail, the
//! identification code in the second, the account waiting (disabled) for Czech POINT; each bad
//! field named on the form, an out-of-date form, an unknown or lapsed link.

use crate::common;

use common::{Browser, Landing, TestServer};

const EMAIL: &str = "olena@example.cz";

async fn start() -> TestServer {
    TestServer::start_with(|config| {
        config.faces = vec![common::face("nia", "nia", format!("{}/nia", config.issuer))];
    })
    .await
}

fn at(server: &TestServer, path: &str) -> String {
    server.url(&format!("/nia{path}"))
}

fn page(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("redirected to {to}"),
    }
}

/// The newest e-mail to the citizen.
async fn last_email(server: &TestServer) -> String {
    let face = &server.provider.faces[0];
    face.stores.outbox.recent(Some(EMAIL), 1).await.unwrap().into_iter().next().expect("an e-mail").body
}

fn link_in(body: &str) -> String {
    let start = body.find("http").expect("a link");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

const GOOD: &[(&str, &str)] = &[
    ("username", "olena.k"),
    ("password", "Heslo-2026"),
    ("password_again", "Heslo-2026"),
    ("email", EMAIL),
    ("phone", "+420 601 123 456"),
    ("terms", "yes"),
];

fn with(field: &str, value: &str) -> Vec<(&'static str, String)> {
    GOOD.iter().map(|(k, v)| (*k, if *k == field { value.to_owned() } else { (*v).to_owned() })).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_registers_confirms_the_address_and_gets_the_identification_code() {
    let server = start().await;
    let issuer = server.url("");
    let browser = Browser::new();
    let (status, form) = page(browser.visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    assert_eq!(status, 200);
    assert!(form.contains("Registrace NIA ID") || form.contains("NIA ID registration"), "{form}");

    let (status, sent) = page(browser.submit(&issuer, &form, "registration", GOOD).await);
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("id=\"registration-sent\""), "{sent}");
    let account = server.provider.stores.users.find_by_username("olena.k").await.unwrap().expect("the account");
    assert!(account.disabled, "it waits for Czech POINT");

    let link = link_in(&last_email(&server).await);
    assert!(link.starts_with(&at(&server, "/ProfileRegistration/confirm?token=")), "{link}");
    let (status, confirmed) = page(browser.visit(&issuer, &link).await);
    assert_eq!(status, 200, "{confirmed}");
    assert!(confirmed.contains("id=\"registration-confirmed\"") && confirmed.contains("17651921"), "{confirmed}");
    let second = last_email(&server).await;
    assert!(second.contains("IDENTIFIKAČNÍ KÓD") && second.contains("všechny"), "{second}");
    // Following the link again says the same, without a new code.
    let (status, _) = page(browser.visit(&issuer, &link).await);
    assert_eq!(status, 200);
    assert_eq!(last_email(&server).await, second);

    // Until Czech POINT, the account cannot log in; the right password learns what to do, a
    // wrong one learns nothing.
    let portal = common::Portal::register(&server, "st-wait").await;
    let login = page(browser.visit(&issuer, &portal.authorize_url(&[])).await).1;
    let (status, html) =
        page(browser.submit(&issuer, &login, "login", &[("username", "olena.k"), ("password", "Heslo-2026")]).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("Czech POINT") && html.contains("17651921"), "{html}");
    let (status, html) =
        page(browser.submit(&issuer, &html, "login", &[("username", "olena.k"), ("password", "Heslo-2027")]).await);
    assert_eq!(status, 401, "{html}");
    assert!(!html.contains("17651921"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_field_is_named_on_the_form_and_nothing_is_registered() {
    let server = start().await;
    let issuer = server.url("");
    let browser = Browser::new();
    let (_, form) = page(browser.visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    let cases = [
        ("phone", "+421 905 123 456", "phone-problem"),
        ("email", "olena.example.cz", "email-problem"),
        ("password", "heslo", "password-problem"),
        ("password_again", "Heslo-2027", "password_again-problem"),
        ("username", "olena k", "username-problem"),
    ];
    for (field, value, problem) in cases {
        let fields = with(field, value);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, html) = page(browser.submit(&issuer, &form, "registration", &fields).await);
        assert_eq!(status, 400, "{field}: {html}");
        assert!(html.contains(&format!("id=\"{problem}\"")), "{field}: {html}");
        assert!(html.contains("value=\"olena.k\"") || field == "username", "what was typed stays: {html}");
        assert!(!html.contains("Heslo-2026"), "a password is never sent back");
    }
    let no_terms: Vec<(&str, &str)> = GOOD.iter().copied().filter(|(k, _)| *k != "terms").collect();
    let (status, html) = page(browser.submit(&issuer, &form, "registration", &no_terms).await);
    assert_eq!(status, 400);
    assert!(html.contains("id=\"terms-problem\""), "{html}");
    assert!(server.provider.stores.users.find_by_username("olena.k").await.unwrap().is_none());
    assert!(server.provider.stores.outbox.recent(Some(EMAIL), 1).await.unwrap().is_empty());

    // A second registration of a username taken.
    let (status, _) = page(browser.submit(&issuer, &form, "registration", GOOD).await);
    assert_eq!(status, 200);
    let (_, form) = page(browser.visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    let (status, html) = page(browser.submit(&issuer, &form, "registration", GOOD).await);
    assert_eq!(status, 400);
    assert!(html.contains("id=\"username-problem\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_from_elsewhere_and_an_unknown_link_are_refused_with_a_page() {
    let server = start().await;
    let issuer = server.url("");
    // A form posted without the browser's cookie (from another site, or a copied page).
    let (_, form) = page(Browser::new().visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    let (status, html) = page(Browser::new().submit(&issuer, &form, "registration", GOOD).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("id=\"registration-error\""), "{html}");
    assert!(server.provider.stores.users.find_by_username("olena.k").await.unwrap().is_none());

    let unknown = at(&server, "/ProfileRegistration/confirm?token=nonsense");
    let (status, html) = page(Browser::new().visit(&issuer, &unknown).await);
    assert_eq!(status, 404);
    assert!(html.contains("id=\"registration-unknown\""), "{html}");
    let (status, _) = page(Browser::new().visit(&issuer, &at(&server, "/ProfileRegistration/confirm")).await);
    assert_eq!(status, 404);
}

/// A resident of the register: Olena Kovalenko, a Ukrainian with a Czech residence permit.
async fn add_olena(server: &TestServer) {
    let record: identita::model::PersonRecord = serde_json::from_value(serde_json::json!({
        "id": "per-olena",
        "given_names": "Olena",
        "family_name": "Kovalenko",
        "birth_date": "1990-07-02",
        "birth_place": "Kyjiv",
        "birth_country": "UA",
        "sex": "F",
        "citizenship": ["UA"],
        "documents": [{ "type": "IR", "number": "RP1234567", "valid_until": "2030-01-01" }],
    }))
    .unwrap();
    server.provider.stores.persons.insert(&identita::model::Person::parse(&record).unwrap()).await.unwrap();
}

/// Records the Czech POINT request for the holder of RP1234567 with `message`, as the clerk's
/// command does; its JSON answer.
fn czech_point(server: &TestServer, message: &str) -> serde_json::Value {
    let args = ["czech-point", "record", "--document", "RP1234567", "--message", message];
    let output = common::cli_beside(server, &args, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_czech_point_request_with_the_code_activates_the_account_which_then_logs_in_with_nia_id() {
    let server = start().await;
    add_olena(&server).await;
    let issuer = server.url("");
    let browser = Browser::new();
    let (_, form) = page(browser.visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    page(browser.submit(&issuer, &form, "registration", GOOD).await);
    page(browser.visit(&issuer, &link_in(&last_email(&server).await)).await);
    let email = last_email(&server).await;
    let code = email.split("KÓD: ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();

    // The clerk mistypes the code: the request is recorded, nothing is activated.
    let mistyped = format!("{}{}", &code[..11], if code.ends_with('A') { "B" } else { "A" });
    assert_eq!(czech_point(&server, &mistyped)["nia_id"]["activated"], serde_json::Value::Null);
    assert!(server.provider.stores.users.find_by_username("olena.k").await.unwrap().unwrap().disabled);
    assert!(czech_point(&server, &mistyped)["nia_id"]["problem"].as_str().unwrap().contains("check the code"));
    // The right code, typed in lower case with a space, by a Czech POINT clerk in the back office:
    // the account is the register's person's.
    let password = server.dir.join("clerk.password");
    std::fs::write(&password, "clerk password 1\n").unwrap();
    let clerk = ["clerk", "add", "eva", "--name", "Eva Malá", "--phone", "+420601555111", "--role", "czech_point"];
    let output =
        common::cli_beside(&server, &[&clerk[..], &["--password-file", password.to_str().unwrap()]].concat(), &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = common::cli_beside(&server, &["clerk", "token", "eva"], &[]);
    let token: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let typed = format!("{} {}", code[..6].to_lowercase(), &code[6..]);
    let answer: serde_json::Value = reqwest::Client::new()
        .post(server.url("/api/admin/v1/czech-point/requests"))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&serde_json::json!({ "document_number": "RP1234567", "message": typed }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["nia_id"]["activated"], "olena.k", "{answer}");
    let account = server.provider.stores.users.find_by_username("olena.k").await.unwrap().unwrap();
    assert!(!account.disabled);
    assert_eq!(serde_json::to_value(&account.profile).unwrap()["family_name"], "Kovalenko");

    // NIA ID: the password and the SMS code to the registered number, at substantial.
    let portal = common::Portal::register(&server, "st-reg").await;
    let sms_page = page(
        browser
            .submit(
                &issuer,
                &page(browser.visit(&issuer, &portal.authorize_url(&[("scope", "openid loasubstantial")])).await).1,
                "login",
                &[("username", "olena.k"), ("password", "Heslo-2026")],
            )
            .await,
    )
    .1;
    let sms = server.provider.stores.outbox.recent(Some("+420601123456"), 1).await.unwrap().remove(0).body;
    let sms_code = identita::authn::nia_id::code_in(&sms).unwrap().to_owned();
    let landing = browser.submit(&issuer, &sms_page, "sms", &[("code", &sms_code), ("action", "verify")]).await;
    let claims = portal.id_token(&portal.back(landing)).await;
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial", "{claims}");
    assert_eq!(claims["sub"], account.id.as_str(), "{claims}");
}

/// Adds a data box as the operator's command does.
fn add_box(server: &TestServer, id: &str, kind: &str, owner: &[&str]) {
    let args = [&["databox", "add", id, "--kind", kind][..], owner, &["--password", "schranka-1"]].concat();
    let output = common::cli_beside(server, &args, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizens_data_box_activates_the_nia_id_without_a_czech_point_visit() {
    let server = start().await;
    add_olena(&server).await;
    // Olena's own box (the register finds her by the owner's names and date of birth), a
    // company's box, and a box of someone the register does not know.
    add_box(
        &server,
        "kq7b2xz",
        "FO",
        &["--given-names", "Olena", "--family-name", "Kovalenko", "--birth-date", "1990-07-02"],
    );
    add_box(&server, "pq22bxz", "PO", &["--firm", "Kovalenko s.r.o.", "--ico", "27074358"]);
    add_box(
        &server,
        "nq22bxz",
        "FO",
        &["--given-names", "Ivan", "--family-name", "Nikdo", "--birth-date", "1990-07-02"],
    );
    let issuer = server.url("");
    let browser = Browser::new();
    let (_, form) = page(browser.visit(&issuer, &at(&server, "/ProfileRegistration")).await);
    page(browser.submit(&issuer, &form, "registration", GOOD).await);

    let activation = at(&server, "/ProfileRegistration/databox");
    let (status, form) = page(browser.visit(&issuer, &activation).await);
    assert_eq!(status, 200, "{form}");
    let fields = |password: &'static str, box_id: &'static str, box_password: &'static str| {
        [("username", "olena.k"), ("password", password), ("box_id", box_id), ("box_password", box_password)]
    };
    let attempt = |password, box_id, box_password| {
        let browser = &browser;
        let issuer = &issuer;
        let activation = &activation;
        async move {
            let (_, form) = page(browser.visit(issuer, activation).await);
            page(
                browser.submit(issuer, &form, "databox-activation-form", &fields(password, box_id, box_password)).await,
            )
        }
    };
    // Before the e-mail is confirmed, the page says to confirm it.
    let (status, html) = attempt("Heslo-2026", "kq7b2xz", "schranka-1").await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("potvrďte e-mailovou adresu") || html.contains("confirm your e-mail"), "{html}");
    page(browser.visit(&issuer, &link_in(&last_email(&server).await)).await);

    let cases = [
        ("Heslo-2027", "kq7b2xz", "schranka-1", 401, ["NIA ID není správné", "NIA ID's username or password is wrong"]),
        ("Heslo-2026", "kq7b2xz", "schranka-2", 401, ["heslo k ní není správné", "or its password is wrong"]),
        ("Heslo-2026", "pq22bxz", "schranka-1", 400, ["nepatří fyzické osobě", "is not a natural person's"]),
        ("Heslo-2026", "nq22bxz", "schranka-1", 409, ["jsme v registru obyvatel nenašli", "did not find the owner"]),
    ];
    for (password, box_id, box_password, expected, texts) in cases {
        let (status, html) = attempt(password, box_id, box_password).await;
        assert_eq!(status, expected, "{box_id}: {html}");
        assert!(texts.iter().any(|t| html.contains(t)), "{box_id}: {html}");
        assert!(!html.contains("Heslo-2026") && !html.contains("schranka-1"), "a password is never sent back");
        assert!(server.provider.stores.users.find_by_username("olena.k").await.unwrap().unwrap().disabled);
    }

    // Her own box: the NIA ID is hers and active, with the register's names.
    let (status, html) = attempt("Heslo-2026", "kq7b2xz", "schranka-1").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"registration-activated\""), "{html}");
    let account = server.provider.stores.users.find_by_username("olena.k").await.unwrap().unwrap();
    assert!(!account.disabled);
    assert_eq!(
        server.provider.stores.persons.person_of_account(&account.id).await.unwrap().as_deref(),
        Some("per-olena")
    );
    let (status, html) = attempt("Heslo-2026", "kq7b2xz", "schranka-1").await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("je už aktivní") || html.contains("active already"), "{html}");

    // It logs in: the password, then the SMS code.
    let portal = common::Portal::register(&server, "st-box").await;
    let login = page(browser.visit(&issuer, &portal.authorize_url(&[("scope", "openid loasubstantial")])).await).1;
    let (status, html) =
        page(browser.submit(&issuer, &login, "login", &[("username", "olena.k"), ("password", "Heslo-2026")]).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("name=\"code\""), "the SMS code's form: {html}");
}

#[tokio::test]
async fn the_data_box_activation_refuses_a_form_from_elsewhere() {
    let server = start().await;
    let issuer = server.url("");
    let activation = at(&server, "/ProfileRegistration/databox");
    let (_, form) = page(Browser::new().visit(&issuer, &activation).await);
    let fields = [("username", "olena.k"), ("password", "x"), ("box_id", "kq7b2xz"), ("box_password", "y")];
    let (status, html) = page(Browser::new().submit(&issuer, &form, "databox-activation-form", &fields).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("id=\"registration-error\""), "{html}");
}

/// The whole path in a real browser (headless Chromium), as seed 000 tells it: the citizen
/// registers, confirms the address, a Czech POINT clerk records the
/// request with the identification code in the back office's form, and the citizen then logs
/// in to a portal with NIA ID and the SMS code, at substantial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_nia_id_from_the_form_to_a_login_at_substantial_in_a_real_browser() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;

    let test = "a_new_nia_id_from_the_form_to_a_login_at_substantial_in_a_real_browser";
    let Some(driver) = driver(test).await else { return };
    let server = start().await;
    add_olena(&server).await;
    let password = server.dir.join("clerk.password");
    std::fs::write(&password, "clerk password 1\n").unwrap();
    let clerk = ["clerk", "add", "eva", "--name", "Eva Malá", "--phone", "+420601555111", "--role", "czech_point"];
    let output =
        common::cli_beside(&server, &[&clerk[..], &["--password-file", password.to_str().unwrap()]].concat(), &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (callback, seen) = relying_party().await;
    let portal = common::Portal::register_at(&server, "st-chromium", &callback).await;
    let browser = browser_in(&driver, "cs").await;
    let find = |id: &'static str| {
        let browser = &browser;
        async move {
            let found = browser.wait().for_element(Locator::Id(id)).await;
            let url = browser.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            found.unwrap_or_else(|e| panic!("#{id} at {url}: {e}"))
        }
    };

    // The registration form, filled in and sent.
    browser.goto(&at(&server, "/ProfileRegistration")).await.unwrap();
    for (id, value) in [
        ("username", "olena.k"),
        ("password", "Heslo-2026"),
        ("password_again", "Heslo-2026"),
        ("email", EMAIL),
        ("phone", "+420 601 123 456"),
    ] {
        find(id).await.send_keys(value).await.unwrap();
    }
    find("terms").await.click().await.unwrap();
    browser.find(Locator::Css("form#registration button[type=submit]")).await.unwrap().click().await.unwrap();
    find("registration-sent").await;
    browser.goto(&link_in(&last_email(&server).await)).await.unwrap();
    find("registration-confirmed").await;
    let email = last_email(&server).await;
    let code = email.split("KÓD: ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();

    // The clerk, in the back office: the password, the code sent to the clerk's phone, the form.
    browser.goto(&server.url("/backoffice")).await.unwrap();
    find("login").await.send_keys("eva").await.unwrap();
    find("password").await.send_keys("clerk password 1").await.unwrap();
    find("bo-login-submit").await.click().await.unwrap();
    find("bo-code-submit").await;
    let sms = server.provider.stores.outbox.recent(Some("+420601555111"), 1).await.unwrap().remove(0).body;
    let clerk_code = identita::authn::nia_id::code_in(&sms).unwrap().to_owned();
    find("code").await.send_keys(&clerk_code).await.unwrap();
    find("bo-code-submit").await.click().await.unwrap();
    find("bo-link-czech-point").await.click().await.unwrap();
    find("document_number").await.send_keys("RP1234567").await.unwrap();
    find("message").await.send_keys(&code).await.unwrap();
    find("bo-czech-point-submit").await.click().await.unwrap();
    let note = find("bo-cp-nia-id").await.text().await.unwrap();
    assert!(note.contains("olena.k"), "{note}");

    // The citizen logs in to the portal: NIA ID's password, then the SMS code.
    browser.goto(&portal.authorize_url(&[("scope", "openid loasubstantial")])).await.unwrap();
    find("username").await.send_keys("olena.k").await.unwrap();
    find("password").await.send_keys("Heslo-2026").await.unwrap();
    find("login-submit").await.click().await.unwrap();
    find("sms-submit").await;
    let sms = server.provider.stores.outbox.recent(Some("+420601123456"), 1).await.unwrap().remove(0).body;
    let sms_code = identita::authn::nia_id::code_in(&sms).unwrap().to_owned();
    find("code").await.send_keys(&sms_code).await.unwrap();
    find("sms-submit").await.click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let claims = portal.id_token(&format!("{callback}?{query}")).await;
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial", "{claims}");
    let account = server.provider.stores.users.find_by_username("olena.k").await.unwrap().unwrap();
    assert_eq!(claims["sub"], account.id.as_str(), "{claims}");
    browser.close().await.unwrap();
}
