//! A client's registered metadata checked by the protocol's rules, for clients that arrive by
//! another way than registration (an import). The record itself is [`crate::model::Client`].

use crate::model::{Client, RedirectUri, RedirectUriError, UriRules};
use crate::oidc::authorize::ResponseType;

/// Checks the redirect and post-logout redirect URIs of `client` by the rules of registration.
pub(crate) fn check_redirect_uris(client: &Client) -> Result<(), RedirectUriError> {
    let front_channel_tokens =
        client.response_types.iter().filter_map(|rt| ResponseType::parse(rt)).any(ResponseType::front_channel_token);
    let rules = UriRules { application_type: client.application_type, front_channel_tokens };
    for uri in &client.redirect_uris {
        RedirectUri::parse(uri, rules)?;
    }
    for uri in &client.post_logout_redirect_uris {
        RedirectUri::parse(uri, rules.without_tokens())?;
    }
    Ok(())
}
