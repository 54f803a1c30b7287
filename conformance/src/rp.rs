//! The relying-party endpoints the suite hosts, on loopback (axum): the redirect URI
//! (`/callback`, GET or POST, plus any path under it, so a redirect to an unregistered
//! `/callback/<x>` is seen too), the fragment receiver (`/implicit_submit`, fed by JavaScript on
//! the callback page, as the suite's), `/post_logout_redirect`, `/backchannel_logout`,
//! `/client1_jwks`, `/request_uri/<id>` and `/redirect_uris.json`. Every request is recorded;
//! modules take a mark and wait for what arrives after it. With a certificate and key the
//! endpoints serve https (as the suite's do), and each request records the TLS version and cipher
//! suite of its connection (`EnsureIncomingTls12WithSecureCipherOrTls13`).

use std::collections::HashMap;
use std::path::Path as FilePath;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

/// One request that reached the relying party.
#[derive(Debug, Clone)]
pub struct Hit {
    pub seq: usize,
    pub path: String,
    pub method: String,
    pub query: String,
    pub content_type: Option<String>,
    pub body: String,
    /// The connection's TLS; `None` on plain http.
    pub tls: Option<IncomingTls>,
}

/// The TLS of the connection a request came on, as rustls names them (`TLSv1_3`,
/// `TLS13_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingTls {
    pub version: String,
    pub cipher: String,
}

impl Hit {
    pub fn query_params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes()).into_owned().collect()
    }

    pub fn body_params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes()).into_owned().collect()
    }
}

#[derive(Default)]
struct Inner {
    hits: Vec<Hit>,
    request_objects: HashMap<String, String>,
    jwks: Option<serde_json::Value>,
    redirect_uris: Vec<String>,
}

#[derive(Clone, Default)]
pub struct Rp {
    inner: Arc<Mutex<Inner>>,
    arrived: Arc<Notify>,
}

impl Rp {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked mid-push; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts serving on `listen` (e.g. `127.0.0.1:4400`), on https with `tls` (certificate and
    /// key, PEM).
    pub async fn start(listen: &str, tls: Option<(&FilePath, &FilePath)>) -> Result<Self, String> {
        let rp = Self::default();
        let listener =
            tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("RP endpoints on {listen}: {e}"))?;
        let app = Router::new()
            .route("/client1_jwks", get(jwks))
            .route("/request_uri/{id}", get(request_object))
            .route("/redirect_uris.json", get(redirect_uris))
            .route("/backchannel_logout", post(backchannel))
            .fallback(record)
            .with_state(rp.clone());
        match tls {
            Some((cert, key)) => {
                let acceptor = acceptor(cert, key)?;
                tokio::spawn(serve_tls(listener, acceptor, app));
            }
            None => {
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, app).await {
                        eprintln!("RP endpoints stopped: {e}");
                    }
                });
            }
        }
        Ok(rp)
    }

    /// The sequence number the next request will get.
    pub fn mark(&self) -> usize {
        self.lock().hits.len()
    }

    pub fn hits_since(&self, mark: usize) -> Vec<Hit> {
        self.lock().hits.iter().skip(mark).cloned().collect()
    }

    /// Waits until a request after `mark` satisfies `wanted`.
    pub async fn wait_for(&self, mark: usize, timeout: Duration, wanted: impl Fn(&Hit) -> bool) -> Option<Hit> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            if let Some(hit) = self.lock().hits.iter().skip(mark).find(|h| wanted(h)) {
                return Some(hit.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Hosting for the dynamic plan's request_uri, jwks_uri and sector-identifier modules.
    #[allow(dead_code)]
    pub fn host_request_object(&self, id: &str, jwt: String) {
        self.lock().request_objects.insert(id.into(), jwt);
    }

    #[allow(dead_code)]
    pub fn host_jwks(&self, jwks: serde_json::Value) {
        self.lock().jwks = Some(jwks);
    }

    #[allow(dead_code)]
    pub fn host_redirect_uris(&self, uris: Vec<String>) {
        self.lock().redirect_uris = uris;
    }

    fn push(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: String,
        tls: Option<IncomingTls>,
    ) {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        {
            let mut inner = self.lock();
            let seq = inner.hits.len();
            inner.hits.push(Hit {
                seq,
                path: path.into(),
                method: method.to_string(),
                query: query.into(),
                content_type,
                body,
                tls,
            });
        }
        self.arrived.notify_waiters();
    }
}

/// The page at the redirect URI: hands a fragment back to the runner, as the suite's page does.
const CALLBACK_PAGE: &str = r#"<!doctype html><html><head><title>callback</title></head><body>
<p id="rp-callback">Response received by the conformance runner.</p>
<script>
if (location.hash.length > 1) {
  fetch('/implicit_submit', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: location.hash.substring(1)});
}
</script></body></html>"#;

async fn record(State(rp): State<Rp>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.map(|b| String::from_utf8_lossy(&b).into_owned());
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let tls = parts.extensions.get::<IncomingTls>().cloned();
    rp.push(&parts.method, &path, &query, &parts.headers, body.unwrap_or_default(), tls);
    if path == "/callback" || path.starts_with("/callback/") {
        Html(CALLBACK_PAGE).into_response()
    } else if path == "/post_logout_redirect" {
        Html("<!doctype html><p id=\"rp-post-logout\">Logged out (conformance runner).</p>").into_response()
    } else if path == "/implicit_submit" {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn backchannel(State(rp): State<Rp>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.map(|b| String::from_utf8_lossy(&b).into_owned());
    let tls = parts.extensions.get::<IncomingTls>().cloned();
    rp.push(&Method::POST, "/backchannel_logout", "", &parts.headers, body.unwrap_or_default(), tls);
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn jwks(State(rp): State<Rp>) -> Response {
    match rp.lock().jwks.clone() {
        Some(jwks) => axum::Json(jwks).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn request_object(State(rp): State<Rp>, Path(id): Path<String>) -> Response {
    match rp.lock().request_objects.get(&id).cloned() {
        Some(jwt) => ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn redirect_uris(State(rp): State<Rp>) -> Response {
    axum::Json(rp.lock().redirect_uris.clone()).into_response()
}

/// A rustls acceptor for the PEM certificate chain and key (HTTP/1.1).
fn acceptor(cert: &FilePath, key: &FilePath) -> Result<tokio_rustls::TlsAcceptor, String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("rp_tls_cert {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("rp_tls_key {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("RP endpoints TLS: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `app` on https: each request carries its connection's [`IncomingTls`].
async fn serve_tls(listener: tokio::net::TcpListener, acceptor: tokio_rustls::TlsAcceptor, app: Router) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let (_, connection) = stream.get_ref();
            let tls = IncomingTls {
                version: connection.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
                cipher: connection.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())).unwrap_or_default(),
            };
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(tls.clone());
                // A Router is always ready: calling it without `poll_ready` is allowed.
                tower::Service::call(&mut app.clone(), request)
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
