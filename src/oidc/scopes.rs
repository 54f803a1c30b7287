//! The scopes this provider knows, and which of them a client may be granted.

use crate::model::Client;

pub(crate) const OFFLINE_ACCESS: &str = "offline_access";

/// The requested scopes the face knows (`supported`, its persona's) and the client may have,
/// without duplicates, in request order. Unknown scopes are ignored, as RFC 6749 §3.3 allows.
pub(crate) fn grantable<'a>(
    supported: &[&str],
    client: &Client,
    requested: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut granted: Vec<String> = Vec::new();
    for scope in requested {
        if supported.contains(&scope) && client.allows_scope(scope) && !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    granted
}

/// Joins scopes with single spaces, as the `scope` response member is written.
pub(crate) fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}
