//! Subject identifiers: public (the account id) or pairwise (OpenID Connect Core §8.1), so that
//! clients of different sectors cannot correlate a person.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::model::{Client, SubjectType};
use crate::oidc::Provider;

/// The `sub` a client sees for the account `user_id`.
pub(crate) fn of(provider: &Provider, client: &Client, user_id: &str) -> String {
    match client.subject_type {
        SubjectType::Public => user_id.to_owned(),
        SubjectType::Pairwise => {
            let sector = client.sector_identifier.as_deref().unwrap_or(&client.client_id);
            pairwise(sector, user_id, &provider.pairwise_salt)
        }
    }
}

pub(crate) fn pairwise(sector: &str, user_id: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [sector, user_id, salt] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(hasher.finalize())
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
