//! A minimal HTTP/1.1 client for the load generator: one keep-alive connection per virtual
//! client, requests sent one after another on it, whole bodies read back.
//!
//! hyper's connection API directly (no pool, no redirects, no cookie store) keeps the
//! generator's own cost per request small, so the generator's core is not what bounds a run.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Where the server is: `http://host:port`, the issuer of the provider under test.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

impl Target {
    pub fn parse(base: &str) -> Result<Self, Error> {
        let host = base.strip_prefix("http://").ok_or("the base URL must be http://host:port")?;
        let host = host.trim_end_matches('/');
        if host.contains('/') {
            return Err("the base URL must have no path (an issuer at the root)".into());
        }
        let addr = host.parse().map_err(|e| format!("{host}: {e} (give an IP address and a port)"))?;
        Ok(Self { addr, host: host.to_owned() })
    }
}

/// A server reply: status, headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Result<serde_json::Value, Error> {
        Ok(serde_json::from_slice(&self.body)?)
    }

    /// Fails unless the status is `want`, showing the start of the body.
    pub fn expect(self, want: u16, what: &str) -> Result<Self, Error> {
        if self.status == want {
            return Ok(self);
        }
        let body: String = String::from_utf8_lossy(&self.body).chars().take(300).collect();
        Err(format!("{what}: HTTP {} (wanted {want}): {body}", self.status).into())
    }
}

/// One keep-alive connection.
pub struct Conn {
    target: Target,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(target: &Target) -> Result<Self, Error> {
        let stream = TcpStream::connect(target.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::task::spawn_local(async move {
            let _ = connection.await;
        });
        Ok(Self { target: target.clone(), sender })
    }

    /// Sends a request; a connection the server closed is opened again once.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(header::HeaderName, &str)],
        body: Option<(&'static str, String)>,
    ) -> Result<Reply, Error> {
        if self.sender.ready().await.is_err() || self.sender.is_closed() {
            *self = Conn::open(&self.target).await?;
        }
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, &self.target.host);
        for (name, value) in headers {
            request = request.header(name, HeaderValue::from_str(value)?);
        }
        let request = match body {
            Some((kind, body)) => request.header(header::CONTENT_TYPE, kind).body(Full::new(Bytes::from(body)))?,
            None => request.body(Full::new(Bytes::new()))?,
        };
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
    }

    pub async fn get(&mut self, path: &str, headers: &[(header::HeaderName, &str)]) -> Result<Reply, Error> {
        self.send(Method::GET, path, headers, None).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        headers: &[(header::HeaderName, &str)],
        form: &[(&str, &str)],
    ) -> Result<Reply, Error> {
        self.send(Method::POST, path, headers, Some(("application/x-www-form-urlencoded", encode_form(form)))).await
    }
}

impl Conn {
    /// `POST` of a JSON body, as a program (the card reader) sends it.
    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Result<Reply, Error> {
        self.send(Method::POST, path, &[], Some(("application/json", body.to_string()))).await
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The value of query parameter `name` in a URL (percent-decoding only `%XX`).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| decode(v))
    })
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Basic` credentials for a client (RFC 6749 §2.3.1: form-encode, then base64).
pub fn basic(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_found_and_decoded() {
        let url = "http://rp/cb?code=a%2Bb&state=s+1&iss=http%3A%2F%2Fx";
        assert_eq!(query_param(url, "code").as_deref(), Some("a+b"));
        assert_eq!(query_param(url, "state").as_deref(), Some("s 1"));
        assert_eq!(query_param(url, "iss").as_deref(), Some("http://x"));
        assert_eq!(query_param(url, "nope"), None);
    }

    #[test]
    fn forms_are_encoded() {
        assert_eq!(encode_form(&[("a b", "c&d"), ("e", "~f")]), "a%20b=c%26d&e=~f");
    }
}
