//! Serving connections: hyper's connection handling with the limits `axum::serve` does not set.
//!
//! - `header_read_timeout`: a request's head must arrive whole within it, counted from when the
//!   connection starts waiting for one (when it opens, and after each response), so a slowloris
//!   client sending half a header — or a keep-alive connection left idle — is closed (HTTP/1).
//! - `idle_timeout`: a connection on which no byte has moved either way for this long is closed:
//!   a request body that stalls, a client that stops reading its answer.
//!
//! HTTP/1.1 only, as `axum::serve` without its `http2` feature served before (TLS offers only
//! `http/1.1` through ALPN).
//!
//! Every request carries its connection's peer ([`Peer`], as `ConnectInfo`) for
//! [`crate::http::client_addr::ClientAddr`]. On shutdown, idle connections close at once and
//! requests in flight are answered, for at most `idle_timeout`. A connection upgraded to a
//! WebSocket (a MEG device's push connection) is its handler's from then on, with its own pings.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::http::client_addr::Peer;

/// The connection limits (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the open connections
/// finish (see the module doc).
pub async fn serve<L>(
    listener: L,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let mut listener = listener;
    let mut builder = Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(timeouts.header_read);
    // Every connection watches `stop`, and holds a clone of `open` until it ends.
    let (stop, stopping) = watch::channel(false);
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let activity = Activity::default();
        let io = TokioIo::new(Tracked { io, activity: activity.clone() });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(Peer(peer)));
            // A Router is always ready: calling it without `poll_ready` is allowed.
            tower::Service::call(&mut router.clone(), request)
        });
        // With upgrades: a MEG device's push connection becomes a WebSocket, which leaves this
        // task (and its timeouts) once upgraded.
        let connection = builder.serve_connection(io, service).with_upgrades();
        let (mut stopping, open) = (stopping.clone(), open.clone());
        tokio::spawn(async move {
            let _open = open;
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = activity.idle_for(timeouts.idle) => {
                    tracing::debug!(%peer, "closing an idle connection");
                    return;
                }
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                    connection.as_mut().graceful_shutdown();
                    tokio::select! {
                        served = connection => served,
                        () = activity.idle_for(timeouts.idle) => return,
                    }
                }
            };
            if let Err(e) = served {
                tracing::trace!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(open);
    if tokio::time::timeout(timeouts.idle, all_closed.recv()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period were closed");
    }
    Ok(())
}

/// When a byte last moved on a connection, in milliseconds since it opened.
#[derive(Clone)]
struct Activity {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Default for Activity {
    fn default() -> Self {
        Self { opened: Instant::now(), last_ms: Arc::default() }
    }
}

impl Activity {
    fn touch(&self) {
        let now = self.opened.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// Completes once nothing has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A stream that records its activity.
struct Tracked<T> {
    io: T,
    activity: Activity,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The peer reaches the handlers as `ConnectInfo<Peer>`, which `ClientAddr` reads.
    #[tokio::test]
    async fn every_request_carries_its_connections_peer() {
        let router =
            Router::new().route("/", get(|ConnectInfo(Peer(peer)): ConnectInfo<Peer>| async move { peer.to_string() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let timeouts = Timeouts { header_read: Duration::from_secs(5), idle: Duration::from_secs(5) };
        let serving = tokio::spawn(serve(listener, router, timeouts, async {
            let _ = stopped.await;
        }));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let local = stream.local_addr().unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.ends_with(&local.to_string()), "{answer}");
        let _ = stop.send(());
        serving.await.unwrap().unwrap();
    }

    /// The TLS listener serves through the same loop, and its requests carry the peer too.
    #[tokio::test]
    async fn tls_connections_are_served_with_their_peer() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = crate::tls::self_signed(&["127.0.0.1".to_string()], dir.path()).unwrap();
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = crate::tls::TlsListener::new(tcp, crate::tls::acceptor(&cert, &key).unwrap()).unwrap();
        let router = Router::new()
            .route("/", get(|ConnectInfo(Peer(peer)): ConnectInfo<Peer>| async move { peer.ip().to_string() }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let timeouts = Timeouts { header_read: Duration::from_secs(5), idle: Duration::from_secs(5) };
        let serving = tokio::spawn(serve(listener, router, timeouts, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
        let answer = http.get(format!("https://{addr}/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(answer, "127.0.0.1");
        let _ = stop.send(());
        serving.await.unwrap().unwrap();
    }
}
