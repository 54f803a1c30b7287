//! Connection limits (issue #11, slowloris): a request head must arrive within
//! `http.header_read_timeout`, and a connection on which nothing moves for `http.idle_timeout`
//! is closed. Each test speaks raw HTTP/1.1 over TCP, as a hostile client would.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestServer;

/// Reads until the server closes the connection; what arrived and when the end came.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the connection was still open after {limit:?}; received: {}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), start.elapsed())
}

#[tokio::test]
async fn half_a_header_is_disconnected_after_the_header_read_timeout() {
    let server = TestServer::start_with(|c| {
        c.http.header_read_timeout = 1;
        c.http.idle_timeout = 30;
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
    // Trickling keeps bytes moving, so only the header deadline can end this.
    let trickle = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b"a").await.is_err() {
                break;
            }
        }
    };
    trickle.await;
    let (received, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(!received.contains("200 OK"), "{received}");
}

#[tokio::test]
async fn half_a_header_is_disconnected_without_trickling_too() {
    let server = TestServer::start_with(|c| {
        c.http.header_read_timeout = 1;
        c.http.idle_timeout = 30;
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    let (received, after) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(!received.contains("200 OK"), "{received}");
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the timeout");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = TestServer::start_with(|c| {
        c.http.header_read_timeout = 1;
        c.http.idle_timeout = 30;
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let (received, after) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(received.starts_with("HTTP/1.1 200 OK"), "the request was answered: {received}");
    assert!(!received.to_ascii_lowercase().contains("connection: close"), "{received}");
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the timeout");
}

#[tokio::test]
async fn a_stalled_request_body_is_disconnected_after_the_idle_timeout() {
    let server = TestServer::start_with(|c| {
        c.http.header_read_timeout = 30;
        c.http.idle_timeout = 1;
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\n\r\ngrant_type";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (received, after) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(!received.contains("200 OK"), "{received}");
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the timeout");
}

#[tokio::test]
async fn a_keep_alive_connection_serves_several_requests_within_the_limits() {
    let server = TestServer::start_with(|c| {
        c.http.header_read_timeout = 2;
        c.http.idle_timeout = 5;
    })
    .await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    for _ in 0..5 {
        let response = http.get(server.url("/healthz")).send().await.unwrap();
        assert!(response.status().is_success());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
