//! The notifier against an in-memory outbox and against a stand-in SMS gateway on loopback: a
//! small axum server that records what it got and answers with the status it is told to.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::store::Stores;
use crate::store::sqlite::SqliteStore;

/// What the gateway received: the `Authorization` header and the JSON body.
type Received = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A gateway answering `status` to every POST at `/sms`; its URL and what it received.
async fn gateway(status: StatusCode) -> (String, Received) {
    let received = Received::default();
    let record = async |State((status, received)): State<(StatusCode, Received)>, headers: HeaderMap, body: String| {
        let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        received.lock().unwrap().push((authorization, json));
        status
    };
    let app = axum::Router::new().route("/sms", post(record)).with_state((status, received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/sms?key=k3y"), received)
}

fn webhook(url: &str, token: Option<&str>) -> NotifierConfig {
    NotifierConfig {
        sms: SmsRoute::Webhook,
        sms_webhook_url: Some(url.into()),
        sms_webhook_token: token.map(Secret::new),
        ..NotifierConfig::default()
    }
}

async fn stores() -> Stores {
    Stores::from_one(SqliteStore::memory().await.unwrap())
}

fn clock() -> ManualClock {
    ManualClock::default()
}

#[tokio::test]
async fn the_outbox_keeps_each_text_newest_first() {
    let stores = stores().await;
    let clock = clock();
    let notifier =
        Notifier::new(&NotifierConfig::default(), None, stores.outbox.clone(), Arc::new(clock.clone())).unwrap();
    notifier.send_sms("+420601123456", "Kód 111111").await.unwrap();
    notifier.send_sms("+420601123456", "Kód 222222").await.unwrap();
    clock.advance(30);
    notifier.send_sms("+420602000000", "Kód 333333").await.unwrap();

    let all = stores.outbox.recent(None, 20).await.unwrap();
    let bodies: Vec<&str> = all.iter().map(|m| m.body.as_str()).collect();
    // The two of one second in the order they were sent, the later one first.
    assert_eq!(bodies, ["Kód 333333", "Kód 222222", "Kód 111111"]);
    let latest = &all[0];
    assert_eq!((latest.channel, latest.to.as_str(), latest.subject.as_deref()), (Channel::Sms, "+420602000000", None));
    assert_eq!(latest.created_at, clock.now());
    let jana = stores.outbox.recent(Some("+420601123456"), 1).await.unwrap();
    assert_eq!(jana[0].body, "Kód 222222");
}

#[tokio::test]
async fn a_recipient_that_is_not_a_phone_number_is_refused() {
    let stores = stores().await;
    let notifier = Notifier::new(&NotifierConfig::default(), None, stores.outbox.clone(), Arc::new(clock())).unwrap();
    for bad in ["601123456", "+", "+42060112345678901", "+0601123456", "+420 601 123 456", "+420601\0", ""] {
        assert!(matches!(notifier.send_sms(bad, "Kód").await, Err(NotifyError::BadRecipient)), "{bad:?}");
    }
    assert_eq!(stores.outbox.recent(None, 20).await.unwrap(), vec![]);
}

#[tokio::test]
async fn the_webhook_gets_the_text_as_json_with_the_bearer_token_and_the_outbox_stays_empty() {
    let (url, received) = gateway(StatusCode::OK).await;
    let stores = stores().await;
    let notifier =
        Notifier::new(&webhook(&url, Some("t0ken")), None, stores.outbox.clone(), Arc::new(clock())).unwrap();
    notifier.send_sms("+420601123456", "Váš kód: 123456").await.unwrap();

    let received = received.lock().unwrap().clone();
    assert_eq!(
        received,
        [(Some("Bearer t0ken".to_owned()), serde_json::json!({ "to": "+420601123456", "text": "Váš kód: 123456" }))]
    );
    assert_eq!(stores.outbox.recent(None, 20).await.unwrap(), vec![]);
}

#[tokio::test]
async fn the_webhook_token_may_come_from_a_file_or_be_absent() {
    let (url, received) = gateway(StatusCode::ACCEPTED).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "  from-a-file\n").unwrap();
    let from_file = NotifierConfig { sms_webhook_token_file: Some(file), ..webhook(&url, None) };
    let outbox = stores().await.outbox;
    Notifier::new(&from_file, None, outbox.clone(), Arc::new(clock()))
        .unwrap()
        .send_sms("+420601123456", "a")
        .await
        .unwrap();
    Notifier::new(&webhook(&url, None), None, outbox, Arc::new(clock()))
        .unwrap()
        .send_sms("+420601123456", "b")
        .await
        .unwrap();
    let headers: Vec<Option<String>> = received.lock().unwrap().iter().map(|(h, _)| h.clone()).collect();
    assert_eq!(headers, [Some("Bearer from-a-file".to_owned()), None]);
}

#[tokio::test]
async fn a_missing_or_empty_token_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let outbox = stores().await.outbox;
    for file in [dir.path().join("missing"), empty] {
        let config = NotifierConfig { sms_webhook_token_file: Some(file), ..webhook("https://sms.example/", None) };
        let result = Notifier::new(&config, None, outbox.clone(), Arc::new(clock()));
        assert!(matches!(result, Err(NotifyError::Setup(ref e)) if e.contains("sms_webhook_token_file")));
    }
}

#[tokio::test]
async fn a_gateway_that_fails_or_is_not_there_is_an_error_naming_no_url_or_token() {
    let (url, received) = gateway(StatusCode::INTERNAL_SERVER_ERROR).await;
    let outbox = stores().await.outbox;
    let notifier = Notifier::new(&webhook(&url, Some("t0ken")), None, outbox.clone(), Arc::new(clock())).unwrap();
    let error = notifier.send_sms("+420601123456", "Kód").await.unwrap_err();
    assert!(matches!(error, NotifyError::Rejected(500)), "{error:?}");
    assert_eq!(received.lock().unwrap().len(), 1);

    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let url = format!("http://{closed}/sms?key=k3y");
    let notifier = Notifier::new(&webhook(&url, Some("t0ken")), None, outbox.clone(), Arc::new(clock())).unwrap();
    let error = notifier.send_sms("+420601123456", "Kód").await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, NotifyError::Unreachable(_)), "{error:?}");
    assert!(!text.contains("k3y") && !text.contains("t0ken") && !text.contains(&closed.to_string()), "{text}");
    assert_eq!(outbox.recent(None, 20).await.unwrap(), vec![]);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let target = gateway(StatusCode::OK).await;
    let redirect = async |State(to): State<String>| (StatusCode::TEMPORARY_REDIRECT, [("location", to)]);
    let app = axum::Router::new().route("/sms", post(redirect)).with_state(target.0.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let outbox = stores().await.outbox;
    let notifier =
        Notifier::new(&webhook(&format!("http://{addr}/sms"), Some("t0ken")), None, outbox, Arc::new(clock()));
    let error = notifier.unwrap().send_sms("+420601123456", "Kód").await.unwrap_err();
    assert!(matches!(error, NotifyError::Rejected(307)), "{error:?}");
    assert!(target.1.lock().unwrap().is_empty(), "the token went on to the redirect's target");
}
