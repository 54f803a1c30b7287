//! What every upstream OpenID Provider identita logs people in at needs in the configuration
//! (`[[banks]]`, `[faces.mojeid]`): an https issuer (plain http only on loopback), a client id
//! and one secret. The operator configures these URLs, so unlike a client's they may be on
//! loopback.

use std::path::PathBuf;

use crate::secret::Secret;

/// Why an upstream's settings are unusable, or `Ok`.
pub(crate) fn check(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&Secret>,
    client_secret_file: Option<&PathBuf>,
) -> Result<(), &'static str> {
    if client_id.is_empty() {
        return Err("client_id is empty");
    }
    match (client_secret, client_secret_file) {
        (Some(_), Some(_)) => return Err("set client_secret or client_secret_file, not both"),
        (None, None) => return Err("client_secret or client_secret_file is needed"),
        _ => {}
    }
    check_url(issuer)
}

/// Why `url` (an issuer, a discovery document) is not one identita calls: https, or plain http
/// on loopback, without query or fragment.
pub(crate) fn check_url(url: &str) -> Result<(), &'static str> {
    let Ok(url) = url::Url::parse(url) else {
        return Err("issuer is not a URL");
    };
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let secure = url.scheme() == "https" && url.host().is_some();
    if !(secure || url.scheme() == "http" && loopback) {
        return Err("issuer must be https (http only on loopback)");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("issuer must have no query or fragment");
    }
    Ok(())
}
