//! The back-channel HTTP client (reqwest): trusts the run configuration's CA certificate or, when
//! told, any certificate; never follows redirects, so every response is seen as the OP sent it.

use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::Value;

use crate::config::RunConfig;

/// An HTTP response as the checks need it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.text).ok()
    }

    pub fn json_object(&self) -> Result<Value, String> {
        match serde_json::from_str::<Value>(&self.text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err("the body is JSON but not an object".into()),
            Err(e) => Err(format!("the body is not JSON ({e}): {}", preview(&self.text))),
        }
    }

    pub fn summary(&self) -> String {
        format!("HTTP {} {}", self.status, preview(&self.text))
    }
}

fn preview(s: &str) -> String {
    let cut: String = s.chars().take(300).collect();
    if cut.len() < s.len() { format!("{cut}…") } else { cut }
}

pub fn client(config: &RunConfig) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        // Servers close idle keep-alive connections (Node.js after 5 s): a request sent on one the
        // server is closing at that moment fails in transport, which is no fact about the OP.
        // Modules that wait (key rotation, code reuse) would meet that race; fresh connections don't.
        .pool_idle_timeout(Duration::from_secs(2))
        .user_agent("identita-conformance");
    if let Some(path) = &config.ca_cert {
        let pem = std::fs::read(path).map_err(|e| format!("reading ca_cert {}: {e}", path.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| format!("ca_cert {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(cert);
    }
    if config.insecure_tls {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

pub async fn send(request: reqwest::RequestBuilder) -> Result<Reply, String> {
    let response = request.send().await.map_err(|e| format!("HTTP request failed: {e}"))?;
    let header = |name| {
        response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_string)
    };
    let content_type = header(CONTENT_TYPE);
    let cache_control = header(CACHE_CONTROL);
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| format!("reading the response: {e}"))?;
    Ok(Reply { status, content_type, cache_control, text })
}
