//! The address a request comes from, for throttles and logs: the connection's peer, or — when
//! the peer is one of `trusted_proxies` — the nearest address in `X-Forwarded-For` that is not a
//! trusted proxy. A client cannot choose its own address by sending the header directly.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use super::AppState;

/// The connection's peer, put on every request by `server::serve` for every listener (plain TCP
/// or TLS).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The source address of a request (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Served without connect info (never by `app::serve`), the request has no known peer.
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map(|ConnectInfo(Peer(addr))| addr.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Ok(Self(resolve(peer, forwarded, &state.provider.config.trusted_proxies)))
    }
}

/// Walks `X-Forwarded-For` from the right (the hop nearest to us) while the hop is trusted.
fn resolve<'a>(peer: IpAddr, forwarded: impl Iterator<Item = &'a str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&normalise(peer)) {
        return normalise(peer);
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut source = normalise(peer);
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        source = normalise(ip);
        if !is_trusted(&source) {
            break;
        }
    }
    source
}

/// An IPv4 address mapped into IPv6 counts as the IPv4 address.
fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_cannot_name_its_own_address() {
        let got = resolve(ip("203.0.113.7"), ["10.0.0.1"].into_iter(), &[net("127.0.0.1/32")]);
        assert_eq!(got, ip("203.0.113.7"));
    }

    #[test]
    fn a_trusted_proxy_forwards_the_nearest_untrusted_hop() {
        let trusted = [net("127.0.0.1/32"), net("10.0.0.0/8")];
        let got = resolve(ip("127.0.0.1"), ["198.51.100.1, 203.0.113.9, 10.0.0.2"].into_iter(), &trusted);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        let got = resolve(ip("127.0.0.1"), ["nonsense"].into_iter(), &[net("127.0.0.1/32")]);
        assert_eq!(got, ip("127.0.0.1"));
        let mapped = resolve(ip("::ffff:192.0.2.4"), std::iter::empty(), &[]);
        assert_eq!(mapped, ip("192.0.2.4"));
    }
}
