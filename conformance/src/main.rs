//! `conformance`: runs OpenID Foundation conformance test plans against an OpenID Provider, by
//! its issuer URL, as a black box (being written).

mod log;

fn main() {}
