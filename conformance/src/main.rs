//! `conformance`: runs OpenID Foundation conformance test plans against an OpenID Provider, by
//! its issuer URL, as a black box (being written).
#![allow(dead_code)]

mod log;

fn main() {}
