//! The SMS gateway of the NIA ID scenario: identita runs with `[notifier] sms = "webhook"`
//! pointed here, and a login waits for its code as a person waits for the text. It runs on the
//! generator's core, so the server does what it does in production: `POST`s each text over HTTP.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::http::Error;

/// The texts received: the newest code per number, and a wake-up for whoever waits for one.
#[derive(Default)]
pub struct Inbox {
    codes: RefCell<HashMap<String, String>>,
    arrived: Notify,
}

impl Inbox {
    /// A gateway listening on `addr` until the process ends.
    pub async fn listen(addr: SocketAddr) -> Result<Rc<Inbox>, Error> {
        let listener = TcpListener::bind(addr).await?;
        let inbox = Rc::new(Inbox::default());
        let serving = inbox.clone();
        tokio::task::spawn_local(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inbox = serving.clone();
                tokio::task::spawn_local(async move {
                    let service = hyper::service::service_fn(move |request| receive(inbox.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(inbox)
    }

    /// The code sent to `phone` (taking it), waiting for it up to five seconds.
    pub async fn code_for(&self, phone: &str) -> Result<String, Error> {
        let wait = async {
            loop {
                let arrived = self.arrived.notified();
                if let Some(code) = self.codes.borrow_mut().remove(phone) {
                    return code;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait).await.map_err(|_| format!("no SMS code for {phone}").into())
    }
}

/// `POST {"to": "+420…", "text": "… 123456 …"}`: keeps the text's six-digit code for its number.
async fn receive(inbox: Rc<Inbox>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let message: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let to = message.get("to").and_then(|v| v.as_str());
    let code = message.get("text").and_then(|v| v.as_str()).and_then(six_digits);
    let status = match (to, code) {
        (Some(to), Some(code)) => {
            inbox.codes.borrow_mut().insert(to.to_owned(), code);
            inbox.arrived.notify_waiters();
            200
        }
        _ => 400,
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    Ok(response)
}

/// The first run of exactly six digits in a text.
fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 6).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_code_is_the_six_digit_run() {
        let text = "identita: kód pro přihlášení k NIA ID je 047113, platí 5 minut.";
        assert_eq!(super::six_digits(text).as_deref(), Some("047113"));
        assert_eq!(super::six_digits("+420601000001 1234567"), None);
    }
}
