//! The outbox as a developer reads it: the texts a server's notifier sent (in the default
//! `sms = "outbox"`), printed by `identita outbox` run beside the server on the same data, listed
//! on the dev landing page and answered as JSON by `GET /dev/outbox` — the last two in dev mode
//! only. What sends here is the server's own notifier, the one its login means use.

use crate::common;

use common::TestServer;
use identita::config::DevMode;
use serde_json::{Value, json};

const JANA: &str = "+420601123456";
const PETR: &str = "+420602000000";

/// Three texts, in this order: two to Jana, one to Petr.
async fn send_three(server: &TestServer) {
    let notifier = &server.authn.notifier;
    notifier.send_sms(JANA, "Váš kód je 111111").await.unwrap();
    notifier.send_sms(PETR, "Váš kód je 222222").await.unwrap();
    server.clock.advance(10);
    notifier.send_sms(JANA, "Váš kód je 333333").await.unwrap();
}

/// `identita ARGS` on the server's data (its database, Redis and keys), as an operator on the
/// same machine runs it; what it printed on standard output, after checking it succeeded.
fn identita(server: &TestServer, args: &[&str]) -> String {
    let output = common::cli_beside(server, args, &[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "identita {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

fn bodies(messages: &Value) -> Vec<&str> {
    messages.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn identita_outbox_prints_the_texts_a_server_sent_newest_first() {
    let server = TestServer::start().await;
    send_three(&server).await;

    let all: Value = serde_json::from_str(&identita(&server, &["outbox", "--json"])).unwrap();
    assert_eq!(bodies(&all), ["Váš kód je 333333", "Váš kód je 222222", "Váš kód je 111111"]);
    let now = server.provider.now();
    assert_eq!(
        all[0],
        json!({ "channel": "sms", "to": JANA, "subject": null, "body": "Váš kód je 333333", "created_at": now })
    );

    // What a script does to read the code of Jana's login: her newest text.
    let jana: Value =
        serde_json::from_str(&identita(&server, &["outbox", "--json", "--to", JANA, "--limit", "1"])).unwrap();
    assert_eq!(bodies(&jana), ["Váš kód je 333333"]);
    let nobody: Value =
        serde_json::from_str(&identita(&server, &["outbox", "--json", "--to", "+420699999999"])).unwrap();
    assert_eq!(nobody, json!([]));

    // For people: a line a message, the time, channel, number and text.
    let text = identita(&server, &["outbox", "--limit", "2"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with(&format!("UTC  sms  {JANA}  Váš kód je 333333")), "{text}");
    assert!(lines[1].ends_with(&format!("UTC  sms  {PETR}  Váš kód je 222222")), "{text}");
    assert!(lines[0].starts_with(&identita::clock::utc(now)), "{text}");
}

#[tokio::test]
async fn the_dev_landing_page_and_dev_outbox_show_the_sent_texts() {
    let server = TestServer::start_with(|config| config.dev = Some(DevMode::default())).await;
    let page = |lang: &str| {
        let url = server.url(&format!("/?lang={lang}"));
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let empty = page("cs").await;
    assert!(empty.contains("Odeslané zprávy") && !empty.contains("id=\"landing-outbox\""), "{empty}");

    send_three(&server).await;
    let czech = page("cs").await;
    let table = &czech[czech.find("id=\"landing-outbox\"").unwrap_or_else(|| panic!("no outbox table:\n{czech}"))..];
    let (newest, oldest) = (table.find("333333").unwrap(), table.find("111111").unwrap());
    assert!(newest < oldest, "not newest first:\n{table}");
    assert!(table.contains(&format!("<code>{JANA}</code>")) && table.contains("Váš kód je 222222"), "{table}");
    assert!(table.contains(&identita::clock::utc(server.provider.now())), "{table}");
    let english = page("en").await;
    assert!(english.contains("Sent messages") && english.contains("id=\"landing-outbox\""), "{english}");

    let http = reqwest::Client::new();
    let get = |query: &str| http.get(server.url(&format!("/dev/outbox{query}"))).send();
    let all = get("").await.unwrap();
    assert_eq!(all.status(), 200);
    assert_eq!(all.headers()["cache-control"], "no-store");
    let all: Value = all.json().await.unwrap();
    assert_eq!(bodies(&all), ["Váš kód je 333333", "Váš kód je 222222", "Váš kód je 111111"]);
    assert_eq!(
        all[1],
        json!({ "channel": "sms", "to": PETR, "subject": null, "body": "Váš kód je 222222", "created_at": server.provider.now() - 10 })
    );
    let jana: Value = get("?to=%2B420601123456").await.unwrap().json().await.unwrap();
    assert_eq!(bodies(&jana), ["Váš kód je 333333", "Váš kód je 111111"]);

    let twice = get("?to=a&to=b").await.unwrap();
    assert_eq!(twice.status(), 400);
    let error: Value = twice.json().await.unwrap();
    assert_eq!(error["error"], "invalid_request", "{error}");
}

#[tokio::test]
async fn outside_dev_mode_nothing_of_the_outbox_is_served() {
    let server = TestServer::start().await;
    send_three(&server).await;
    let http = reqwest::Client::new();
    for query in ["", "?to=%2B420601123456", "?to=a&to=b"] {
        let url = server.url(&format!("/dev/outbox{query}"));
        for response in [http.get(&url).send().await.unwrap(), http.post(&url).send().await.unwrap()] {
            assert_eq!(response.status(), 404, "{url}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("111111"), "{body}");
        }
    }
    for lang in ["cs", "en"] {
        let html = reqwest::get(server.url(&format!("/?lang={lang}"))).await.unwrap().text().await.unwrap();
        assert!(html.contains("id=\"landing-issuer\""), "{html}");
        for hidden in ["landing-outbox", "Odeslané zprávy", "Sent messages", JANA, "111111", "/dev/outbox"] {
            assert!(!html.contains(hidden), "a landing page outside dev mode shows {hidden:?}:\n{html}");
        }
    }
}

#[tokio::test]
async fn a_notifier_setting_that_does_not_fit_stops_the_command_naming_it_but_not_the_url() {
    let server = TestServer::start().await;
    let cases: [&[(&str, &str)]; 3] = [
        &[("IDENTITA_NOTIFIER__SMS", "webhook")],
        &[("IDENTITA_NOTIFIER__SMS", "webhook"), ("IDENTITA_NOTIFIER__SMS_WEBHOOK_URL", "http://sms.example/?key=k3y")],
        &[("IDENTITA_NOTIFIER__SMS_WEBHOOK_URL", "https://sms.example/?key=k3y")],
    ];
    for env in cases {
        let output = common::cli_beside(&server, &["outbox"], env);
        assert_eq!(output.status.code(), Some(1), "{env:?}");
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        let error = printed["error"].as_str().unwrap();
        assert!(error.contains("notifier.sms") && !error.contains("k3y"), "{env:?}: {error}");
    }
    // A route that is no route at all.
    let output = common::cli_beside(&server, &["outbox"], &[("IDENTITA_NOTIFIER__SMS", "pigeon")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("pigeon"));
}
