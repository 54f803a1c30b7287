//! The scopes this provider knows, and which of them a client may be granted.

use crate::model::Client;

/// Every scope this provider serves, in the order discovery lists them.
pub(crate) const SUPPORTED: [&str; 6] = ["openid", "profile", "email", "address", "phone", "offline_access"];

pub(crate) const OFFLINE_ACCESS: &str = "offline_access";

/// The requested scopes this provider knows and the client may have, without duplicates, in
/// request order. Unknown scopes are ignored, as RFC 6749 §3.3 allows.
pub(crate) fn grantable<'a>(client: &Client, requested: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut granted: Vec<String> = Vec::new();
    for scope in requested {
        if SUPPORTED.contains(&scope) && client.allows_scope(scope) && !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    granted
}

/// Joins scopes with single spaces, as the `scope` response member is written.
pub(crate) fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}
