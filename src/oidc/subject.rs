//! Subject identifiers: public (the account id) or pairwise (OpenID Connect Core §8.1), so that
//! clients of different sectors cannot correlate a person; on NIA's surface, the citizen's
//! `PersonIdentifier` towards the portal.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::identity::eidas;
use crate::model::{Client, SubjectType};
use crate::oidc::Provider;
use crate::persona::Surface;

/// The `sub` a client sees for the account `user_id`.
pub(crate) fn of(provider: &Provider, client: &Client, user_id: &str) -> String {
    match (provider.persona.surface, client.subject_type) {
        (Surface::Nia, _) => person_identifier(provider, client, user_id),
        (Surface::Standard | Surface::MojeId, SubjectType::Public) => user_id.to_owned(),
        (Surface::Standard | Surface::MojeId, SubjectType::Pairwise) => {
            pairwise(sector(client), user_id, &provider.pairwise_salt)
        }
    }
}

/// NIA's `PersonIdentifier` (`CZ/CZ/<uuid>`): the same for a citizen at one portal, different
/// at another — a portal being its `client_id` (its "unique URL"), not the host of its redirect
/// URIs, since portals of different bodies may share a host.
pub(crate) fn person_identifier(provider: &Provider, client: &Client, user_id: &str) -> String {
    person_identifier_of(provider, &client.client_id, user_id)
}

/// The `PersonIdentifier` towards the portal `portal`: an OpenID Connect `client_id`, or a SAML
/// service provider's entityID — the same portal registered under the same identifier gets the
/// same value over both protocols.
pub(crate) fn person_identifier_of(provider: &Provider, portal: &str, user_id: &str) -> String {
    eidas::person_identifier(&digest(&["PersonIdentifier", portal, user_id, &provider.pairwise_salt]))
}

fn sector(client: &Client) -> &str {
    client.sector_identifier.as_deref().unwrap_or(&client.client_id)
}

pub(crate) fn pairwise(sector: &str, user_id: &str, salt: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&[sector, user_id, salt]))
}

/// SHA-256 over the parts, each prefixed with its length so no two lists of parts collide.
fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_differs_per_sector_and_is_stable() {
        let a = pairwise("rp-a.example", "user-1", "salt");
        assert_eq!(a, pairwise("rp-a.example", "user-1", "salt"));
        assert_ne!(a, pairwise("rp-b.example", "user-1", "salt"));
        assert_ne!(a, pairwise("rp-a.example", "user-2", "salt"));
    }
}
