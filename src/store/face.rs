//! One face's view of the shared stores. Several issuers (faces) are served from one process and
//! one database; every client, SSO session, login in progress and grant (so every code, access
//! and refresh token) is tagged with the face it was made by, and a face finds only its own: a
//! code, a token, a client or a session cookie of one issuer is unknown to every other.
//!
//! The tag is the face's name in `[[faces]]`, and none for the primary face (so every record from
//! before faces is the primary's): a name stays when an issuer URL is changed, so moving a face to
//! another host keeps its clients.
//!
//! Only the lookups by what a caller presents (a client id, a cookie, a code, a token, an
//! interaction id, a `sid`) are filtered; what an operator does for a person across every face
//! (`of_user`, `revoke_user`, listing clients) sees everything.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    ClientStore, CodeExchange, CodeStore, InteractionStore, IssueFor, Redemption, RefreshUse, Rotation, SessionStore,
    StoreResult, Stores, TokenStore,
};
use crate::clock::Timestamp;
use crate::model::{AccessToken, AuthCode, Client, Interaction, RefreshToken, Session};

/// Which records a face owns: those tagged with its name (`None`: the primary face).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Face {
    pub name: Option<String>,
}

impl Face {
    /// Whether a record tagged `tag` belongs to this face.
    pub fn owns(&self, tag: Option<&str>) -> bool {
        tag == self.name.as_deref()
    }

    /// `stores` as this face sees them.
    pub fn view(&self, stores: Stores) -> Stores {
        let face = Arc::new(self.clone());
        let codes = Arc::new(FaceCodes { face: face.clone(), inner: stores.codes.clone() });
        let exchange = Arc::new(FaceExchange { face: face.clone(), inner: stores.exchange.clone() });
        Stores {
            clients: Arc::new(FaceClients { face: face.clone(), inner: stores.clients.clone() }),
            sessions: Arc::new(FaceSessions { face: face.clone(), inner: stores.sessions.clone() }),
            interactions: Arc::new(FaceInteractions { face: face.clone(), inner: stores.interactions.clone() }),
            tokens: Arc::new(FaceTokens { face, inner: stores.tokens.clone() }),
            codes,
            exchange,
            ..stores
        }
    }

    fn keep<T>(&self, found: Option<T>, tag: impl Fn(&T) -> Option<&str>) -> Option<T> {
        found.filter(|record| self.owns(tag(record)))
    }
}

struct FaceClients {
    face: Arc<Face>,
    inner: Arc<dyn ClientStore>,
}

#[async_trait]
impl ClientStore for FaceClients {
    async fn get(&self, client_id: &str) -> StoreResult<Option<Client>> {
        Ok(self.face.keep(self.inner.get(client_id).await?, |c| c.face.as_deref()))
    }
    async fn list(&self) -> StoreResult<Vec<Client>> {
        self.inner.list().await
    }
    async fn put(&self, client: &Client) -> StoreResult<()> {
        self.inner.put(client).await
    }
    async fn insert(&self, client: &Client) -> StoreResult<()> {
        self.inner.insert(client).await
    }
    async fn delete(&self, client_id: &str) -> StoreResult<bool> {
        self.inner.delete(client_id).await
    }
}

struct FaceSessions {
    face: Arc<Face>,
    inner: Arc<dyn SessionStore>,
}

#[async_trait]
impl SessionStore for FaceSessions {
    async fn insert(&self, session: &Session) -> StoreResult<()> {
        self.inner.insert(session).await
    }
    async fn get(&self, key: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        Ok(self.face.keep(self.inner.get(key, now).await?, |s| s.face.as_deref()))
    }
    async fn get_by_sid(&self, sid: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        Ok(self.face.keep(self.inner.get_by_sid(sid, now).await?, |s| s.face.as_deref()))
    }
    async fn add_client(&self, key: &str, client_id: &str) -> StoreResult<()> {
        self.inner.add_client(key, client_id).await
    }
    async fn delete(&self, key: &str) -> StoreResult<Option<Session>> {
        self.inner.delete(key).await
    }
    async fn of_user(&self, user_id: &str, now: Timestamp) -> StoreResult<Vec<Session>> {
        self.inner.of_user(user_id, now).await
    }
}

struct FaceInteractions {
    face: Arc<Face>,
    inner: Arc<dyn InteractionStore>,
}

#[async_trait]
impl InteractionStore for FaceInteractions {
    async fn put(&self, interaction: &Interaction) -> StoreResult<()> {
        self.inner.put(interaction).await
    }
    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>> {
        Ok(self.face.keep(self.inner.get(id, now).await?, |i| i.face.as_deref()))
    }
    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.inner.delete(id).await
    }
}

/// A code is looked at (`peek`) before it is redeemed, so another face's code is refused before
/// anything is spent; a redemption that still finds one (a caller that did not look first) is
/// reported as unknown.
struct FaceCodes {
    face: Arc<Face>,
    inner: Arc<dyn CodeStore>,
}

fn code_tag(code: &AuthCode) -> Option<&str> {
    code.grant.face.as_deref()
}

impl Face {
    fn redemption(&self, found: Redemption) -> Redemption {
        match found {
            Redemption::Fresh(code) | Redemption::Replayed(code) if !self.owns(code_tag(&code)) => Redemption::Unknown,
            other => other,
        }
    }
}

#[async_trait]
impl CodeStore for FaceCodes {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()> {
        self.inner.insert(code).await
    }
    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>> {
        Ok(self.face.keep(self.inner.peek(digest, now).await?, code_tag))
    }
    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        Ok(self.face.redemption(self.inner.redeem(digest, now).await?))
    }
    async fn replayed(&self, digest: &str) -> StoreResult<bool> {
        self.inner.replayed(digest).await
    }
}

struct FaceExchange {
    face: Arc<Face>,
    inner: Arc<dyn CodeExchange>,
}

#[async_trait]
impl CodeExchange for FaceExchange {
    async fn redeem_and_issue(&self, digest: &str, now: Timestamp, issue: &IssueFor<'_>) -> StoreResult<Redemption> {
        let face = self.face.clone();
        // Another face's code gets no tokens, even from a caller that did not look first.
        let own = move |code: &AuthCode| if face.owns(code_tag(code)) { issue(code) } else { None };
        Ok(self.face.redemption(self.inner.redeem_and_issue(digest, now, &own).await?))
    }
}

struct FaceTokens {
    face: Arc<Face>,
    inner: Arc<dyn TokenStore>,
}

#[async_trait]
impl TokenStore for FaceTokens {
    async fn insert_access(&self, token: &AccessToken) -> StoreResult<()> {
        self.inner.insert_access(token).await
    }
    async fn get_access(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AccessToken>> {
        Ok(self.face.keep(self.inner.get_access(digest, now).await?, |t| t.grant.face.as_deref()))
    }
    async fn delete_access(&self, digest: &str) -> StoreResult<bool> {
        self.inner.delete_access(digest).await
    }
    async fn insert_refresh(&self, token: &RefreshToken) -> StoreResult<()> {
        self.inner.insert_refresh(token).await
    }
    async fn get_refresh(&self, digest: &str, now: Timestamp) -> StoreResult<Option<RefreshToken>> {
        Ok(self.face.keep(self.inner.get_refresh(digest, now).await?, |t| t.grant.face.as_deref()))
    }
    async fn rotate_refresh(&self, digest: &str, now: Timestamp, rotation: &Rotation) -> StoreResult<RefreshUse> {
        Ok(match self.inner.rotate_refresh(digest, now, rotation).await? {
            RefreshUse::Fresh(t) | RefreshUse::Reused(t) if !self.face.owns(t.grant.face.as_deref()) => {
                RefreshUse::Unknown
            }
            other => other,
        })
    }
    async fn delete_refresh(&self, digest: &str) -> StoreResult<bool> {
        self.inner.delete_refresh(digest).await
    }
    async fn insert_pair(&self, access: &AccessToken, refresh: &RefreshToken) -> StoreResult<()> {
        self.inner.insert_pair(access, refresh).await
    }
    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        self.inner.revoke_grant(grant_id).await
    }
    async fn revoke_session(&self, sid: &str) -> StoreResult<()> {
        self.inner.revoke_session(sid).await
    }
    async fn revoke_user(&self, user_id: &str) -> StoreResult<u64> {
        self.inner.revoke_user(user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_owns_its_own_records_and_the_primary_the_untagged_ones() {
        let primary = Face { name: None };
        let other = Face { name: Some("b".into()) };
        assert!(primary.owns(None) && !primary.owns(Some("b")));
        assert!(other.owns(Some("b")));
        assert!(!other.owns(None) && !other.owns(Some("c")));
    }
}
