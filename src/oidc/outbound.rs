//! Which addresses identita may connect to on a client's behalf, and which client URLs
//! (`jwks_uri`, `request_uris`, `sector_identifier_uri`, `backchannel_logout_uri`) it accepts.
//!
//! A client names these URLs, so without a rule it could make the provider reach what only the
//! provider can reach: the cloud metadata service (169.254.169.254), a database on the private
//! network, an admin port on loopback. Refused are loopback (unless `outbound.allow_loopback`),
//! private (RFC 1918, ULA), link-local, CGNAT, unspecified, multicast, broadcast and reserved
//! addresses, also when mapped into or embedded in IPv6. The check applies to every address a
//! name resolves to ([`crate::oidc::fetch`] resolves through it) and to literal addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether identita may connect to `ip` on a client's behalf.
pub(crate) fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => allowed_v4(v4, allow_loopback),
        IpAddr::V6(v6) => allowed_v6(v6, allow_loopback),
    }
}

fn allowed_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        return allow_loopback;
    }
    let refused = a == 0 // "this network", 0.0.0.0 included
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local() // 169.254/16: cloud metadata
        || (a == 100 && (64..128).contains(&b)) // 100.64/10: CGNAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // 192.0.0/24: IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15: benchmarking
        || ip.is_multicast() // 224/4
        || a >= 240; // 240/4 reserved, 255.255.255.255 broadcast
    !refused
}

fn allowed_v6(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return allowed_v4(v4, allow_loopback);
    }
    let first = ip.segments()[0];
    let refused = ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00 // fc00::/7: unique local
        || (first & 0xffc0) == 0xfe80 // fe80::/10: link-local
        || (first & 0xffc0) == 0xfec0 // fec0::/10: site-local (deprecated)
        || (first & 0xff00) == 0xff00; // ff00::/8: multicast
    !refused
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) address, which reach that IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(tail);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ClientUrlError {
    #[error("{0} is not an absolute URL")]
    NotAbsolute(String),
    #[error("{0} must be an https URL")]
    NotHttps(String),
    #[error("{0} must not contain user information")]
    UserInfo(String),
    #[error("{0} must not contain a fragment")]
    Fragment(String),
    #[error("{0} points to an address identita does not connect to (loopback, private or link-local)")]
    Address(String),
}

/// A URL identita will fetch from or post to for a client: https (plain http only to loopback,
/// and loopback only with `allow_loopback`), no user information, and no literal address that
/// [`allowed`] refuses. Host names are resolved, and checked, when fetched.
pub(crate) fn check_client_url(
    uri: &str,
    allow_fragment: bool,
    allow_loopback: bool,
) -> Result<url::Url, ClientUrlError> {
    let parsed = url::Url::parse(uri).map_err(|_| ClientUrlError::NotAbsolute(uri.into()))?;
    if parsed.fragment().is_some() && !allow_fragment {
        return Err(ClientUrlError::Fragment(uri.into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ClientUrlError::UserInfo(uri.into()));
    }
    let loopback = crate::model::redirect_uri::is_loopback(&parsed);
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(ClientUrlError::NotHttps(uri.into())),
    }
    let host_allowed = match parsed.host() {
        None => return Err(ClientUrlError::NotAbsolute(uri.into())),
        Some(url::Host::Domain(_)) => !loopback || allow_loopback,
        Some(url::Host::Ipv4(ip)) => allowed(IpAddr::V4(ip), allow_loopback),
        Some(url::Host::Ipv6(ip)) => allowed(IpAddr::V6(ip), allow_loopback),
    };
    if !host_allowed {
        return Err(ClientUrlError::Address(uri.into()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ip: &str) -> bool {
        allowed(ip.parse().unwrap(), false)
    }

    #[test]
    fn private_link_local_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(!ok(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in ["93.184.216.34", "172.32.0.1", "100.128.0.1", "8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert!(ok(ip), "{ip} must be allowed");
        }
    }

    #[test]
    fn loopback_is_allowed_only_by_the_development_setting() {
        for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            assert!(allowed(ip.parse().unwrap(), true), "{ip}");
        }
        assert!(!allowed("10.0.0.1".parse().unwrap(), true));
        assert!(!allowed("169.254.169.254".parse().unwrap(), true));
    }

    #[test]
    fn client_urls_need_https_and_an_allowed_host() {
        assert!(check_client_url("https://rp.example/jwks", false, false).is_ok());
        assert_eq!(
            check_client_url("http://rp.example/jwks", false, false),
            Err(ClientUrlError::NotHttps("http://rp.example/jwks".into()))
        );
        for refused in [
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/jwks",
            "https://[fe80::1]/jwks",
            "https://localhost/jwks",
            "http://127.0.0.1:9/jwks",
            "https://user:pw@rp.example/jwks",
            "file:///etc/passwd",
        ] {
            assert!(check_client_url(refused, false, false).is_err(), "{refused}");
        }
        assert!(check_client_url("http://127.0.0.1:9/jwks", false, true).is_ok());
        assert!(check_client_url("http://localhost:9/jwks", false, true).is_ok());
        assert!(check_client_url("http://10.0.0.1/jwks", false, true).is_err());
        assert!(check_client_url("https://rp.example/req#abc", false, false).is_err());
        assert!(check_client_url("https://rp.example/req#abc", true, false).is_ok());
    }
}
