//! An SP's metadata fetched from its URL for `identita saml sp add --metadata-url`: over https,
//! or plain http only to this machine (a developer's SP); at most [`MAX_BYTES`], within
//! [`TIMEOUT`], no redirect followed. An operator names the URL, so any host is allowed; what
//! is fetched is registered only if it parses as SP metadata (`sp_metadata::parse`).

use std::net::IpAddr;
use std::time::Duration;

use super::SamlError;

/// The largest metadata document read (as `sp_metadata` accepts).
const MAX_BYTES: usize = 512 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a URL is not fetched, or its fetch failed.
fn refused(url: &str, why: impl std::fmt::Display) -> SamlError {
    SamlError::Metadata(format!("the metadata at {url} cannot be used: {why}"))
}

/// The metadata document at `url`.
pub async fn fetch(url: &str) -> Result<String, SamlError> {
    let parsed = url::Url::parse(url).map_err(|e| refused(url, format!("not a URL ({e})")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => return Err(refused(url, "plain http is allowed only to this machine (127.0.0.1, ::1, localhost)")),
        other => return Err(refused(url, format!("{other}: only https (or http to this machine) is fetched"))),
    }
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| refused(url, e))?;
    let mut response = client.get(parsed).send().await.map_err(|e| refused(url, describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(refused(url, format!("the server answered {status}")));
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(refused(url, "larger than 512 KiB"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| refused(url, describe(&e)))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(refused(url, "larger than 512 KiB"));
        }
    }
    String::from_utf8(body).map_err(|_| refused(url, "not UTF-8 text"))
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() { format!("no answer within {} s", TIMEOUT.as_secs()) } else { error.to_string() }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_http_elsewhere_and_other_schemes_are_refused_before_any_fetch() {
        for url in ["http://sp.example/metadata", "ftp://127.0.0.1/sp.xml", "file:///etc/passwd", "nonsense"] {
            let error = fetch(url).await.unwrap_err().to_string();
            assert!(error.contains("cannot be used"), "{url}: {error}");
        }
        assert!(fetch("http://sp.example/m").await.unwrap_err().to_string().contains("only to this machine"));
    }
}
