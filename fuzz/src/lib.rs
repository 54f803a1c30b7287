//! What every fuzz target shares: keeping the process off the network.

use std::sync::Once;

/// Sends every outbound request of the provider (reqwest honours the proxy variables) to a
/// closed local port, so an input naming a URL is refused at once instead of being fetched.
pub fn offline() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
            std::env::set_var(name, "http://127.0.0.1:9");
        }
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }
    });
}
