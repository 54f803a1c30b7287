//! `replayable-code`: a code store that forgets redemptions. A code redeemed again comes back as
//! if it were its first use, and no replay is ever remembered, so the token endpoint's honest
//! replay protection never fires and a replayed code issues a second set of tokens.

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::model::AuthCode;
use crate::store::{CodeStore, CodesApart, Redemption, StoreResult, Stores};

/// `stores` with the forgetful code store; the code exchange goes through it too (redeem, then
/// store the tokens), as for codes and tokens kept in two backends.
pub fn forgetful(mut stores: Stores) -> Stores {
    let codes: Arc<dyn CodeStore> = Arc::new(Forgetful { inner: stores.codes });
    stores.codes = codes.clone();
    stores.exchange = Arc::new(CodesApart { codes, tokens: stores.tokens.clone() });
    stores
}

struct Forgetful {
    inner: Arc<dyn CodeStore>,
}

#[async_trait]
impl CodeStore for Forgetful {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()> {
        self.inner.insert(code).await
    }

    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>> {
        self.inner.peek(digest, now).await
    }

    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        Ok(match self.inner.redeem(digest, now).await? {
            Redemption::Replayed(code) => Redemption::Fresh(code),
            other => other,
        })
    }

    async fn replayed(&self, _digest: &str) -> StoreResult<bool> {
        Ok(false)
    }
}
