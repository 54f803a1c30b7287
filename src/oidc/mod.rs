//! The OpenID Provider as plain functions over typed inputs; no HTTP types here.

pub mod client;
