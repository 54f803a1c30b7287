//! The integration tests, in one test binary (one link, one harness): each test starts its own
//! identita on a loopback port with its own database and keys, and drives it as its users do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod accessibility;
mod audit;
mod authorization;
mod backoffice;
mod backoffice_pages;
mod bank;
mod browser;
mod cli;
mod client_uris;
mod disabled_codes;
mod email;
mod eobcanka;
mod faces;
mod faults;
mod jwe;
mod loa;
mod login_limits;
mod logout;
mod meg;
mod metrics;
mod migrate;
mod mojeid;
mod multinode;
mod nia;
mod nia_id;
mod nia_mojeid;
mod nia_rp;
mod outbox;
mod pages;
mod postgres;
mod quickstart;
mod registration;
mod registration_access;
mod registry;
mod saml;
mod saml_requests;
mod serving;
mod sessions;
mod smoke;
mod third_party;
mod tokens;
mod webauthn;
