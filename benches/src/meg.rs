//! MEG's push and live page at scale: pairs `--pairing-urls` devices (each a P-256 key, as the
//! app makes one: [`crate::meg_device`]), holds one push connection open per device (`GET /meg/devices/{id}/push`, a
//! WebSocket authenticated by a signed token, its pings answered) and reads the server's VmRSS
//! before and after, in the same
//! run; then, for `--logins` logins, opens the MEG login page and its event stream as a browser
//! does, posts a device's approval and times how long the approval takes to reach the page's
//! stream (p50, p99, max).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use hyper::header;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::browser::{Browser, RelyingParty};
use crate::http::{Conn, Error, Target};
use crate::meg_device::pair_all;

#[derive(Debug, clap::Args)]
pub struct MegArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base: String,
    /// The server's process, for its VmRSS.
    #[arg(long)]
    pub pid: u32,
    /// A file with one pairing URL a line (`identita meg enroll USER --count N`).
    #[arg(long)]
    pub pairing_urls: std::path::PathBuf,
    /// Logins whose approval-to-page latency is measured.
    #[arg(long, default_value_t = 200)]
    pub logins: usize,
}

pub async fn run(args: MegArgs) -> Result<serde_json::Value, Error> {
    let target = Target::parse(&args.base)?;
    let mut conn = Conn::open(&target).await?;
    let devices = pair_all(&mut conn, &args.pairing_urls).await?;

    let idle_kib = crate::run::rss_kib(args.pid)?;
    let mut held = Vec::with_capacity(devices.len());
    for device in &devices {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let token = device.push_token(now)?;
        let path = format!("/meg/devices/{}/push", device.id);
        held.push(open_push(&target, &path, &token).await?);
    }
    let connected_kib = crate::run::rss_kib(args.pid)?;

    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let rp = RelyingParty::new(crate::fixture::RS256_CLIENT);
    for i in 0..args.logins {
        let device = &devices[i % devices.len()];
        let mut browser = Browser::default();
        let reply =
            browser.get(&mut conn, &rp.authorize_path("openid loasubstantial")).await?.expect(303, "authorize")?;
        let login = reply.header(header::LOCATION).ok_or("no login page")?.to_owned();
        let page = browser.get(&mut conn, &format!("{login}&means=meg")).await?.expect(200, "the MEG page")?;
        let html = String::from_utf8_lossy(&page.body).into_owned();
        let challenge = between(&html, r#"<code id="meg-url">"#, "<")?.replace("&#x2f;", "/").replace("&#47;", "/");
        let events = between(&html, r#"data-events=""#, "\"")?.replace("&#x2f;", "/").replace("&#47;", "/");
        let cookie = browser.cookie_header();
        let mut stream = open_stream(&target, &events, &[("Cookie", &cookie)]).await?;
        let body = device.approval(&challenge)?;
        let path = challenge.find("/login/meg/").map(|at| &challenge[at..]).ok_or("a challenge URL")?;
        let started = Instant::now();
        conn.post_json(path, &body).await?.expect(200, "approve")?;
        read_until(&mut stream, "data: approved").await?;
        latency.record(started.elapsed().as_micros().max(1) as u64)?;
    }
    let per_connection = (connected_kib.saturating_sub(idle_kib) as f64) / devices.len() as f64;
    let still_open = held.iter().filter(|h| !h.is_finished()).count();
    held.iter().for_each(tokio::task::JoinHandle::abort);
    Ok(serde_json::json!({
        "scenario": "meg",
        "devices": devices.len(),
        "rss_before_push_kib": idle_kib,
        "rss_with_push_connections_kib": connected_kib,
        "kib_per_push_connection": per_connection,
        "push_connections_open_at_the_end": still_open,
        "logins": args.logins,
        "approval_to_page_p50_ms": latency.value_at_quantile(0.50) as f64 / 1000.0,
        "approval_to_page_p99_ms": latency.value_at_quantile(0.99) as f64 / 1000.0,
        "approval_to_page_max_ms": latency.max() as f64 / 1000.0,
    }))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Result<&'a str, Error> {
    let from = text.find(start).ok_or_else(|| format!("no {start} in the page"))? + start.len();
    let to = text[from..].find(end).ok_or("an unterminated value")?;
    Ok(&text[from..from + to])
}

/// A device's push connection: the WebSocket handshake with its token, then a task that reads
/// (and so answers the server's pings) until the connection ends.
async fn open_push(target: &Target, path: &str, token: &str) -> Result<tokio::task::JoinHandle<()>, Error> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let stream = TcpStream::connect(target.addr).await?;
    let mut request = format!("ws://{}{path}", target.host).into_client_request()?;
    request.headers_mut().insert("Authorization", token.parse()?);
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream).await?;
    Ok(tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} }))
}

/// A GET whose answer is an event stream, held open: the status line and headers are read.
async fn open_stream(target: &Target, path: &str, headers: &[(&str, &str)]) -> Result<TcpStream, Error> {
    let mut stream = TcpStream::connect(target.addr).await?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n", target.host);
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let head = read_until(&mut stream, "\r\n\r\n").await?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("{path}: {}", head.lines().next().unwrap_or_default()).into());
    }
    Ok(stream)
}

async fn read_until(stream: &mut TcpStream, marker: &str) -> Result<String, Error> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Err(format!("the stream ended before {marker:?}").into());
        }
        seen.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&seen);
        if text.contains(marker) {
            return Ok(text.into_owned());
        }
    }
}
