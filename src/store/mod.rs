//! Persistence behind small per-aggregate traits, used as `Arc<dyn …>`.
//!
//! Implementations: SQLite ([`sqlite`], the embedded default) and PostgreSQL ([`postgres`], for
//! several nodes), each holding everything including the expiring data. Every method is a single
//! atomic step: what must not happen twice (redeeming a code, rotating a refresh token,
//! remembering a `jti`) is decided by the store in one statement, so two requests racing on two
//! threads or two nodes cannot both win. `conformance_tests` holds the behaviour both must show.
//!
//! The stores keep the records of [`crate::model`] and know nothing of the protocols above them.

pub mod backoffice_sessions;
pub mod client_cache;
pub mod dump;
pub mod face;
pub mod postgres;
pub mod redis;
pub mod sqlite;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
pub(crate) mod fixtures;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{broadcast, mpsc};

use crate::clock::Timestamp;
use crate::model::person::{BirthNumber, DataBoxId, Date};
use crate::model::{
    AccessToken, AuditEntry, AuthCode, Card, CardStatus, Clerk, Client, CzechPointRequest, DataBox, DataBoxMessage,
    Device, DeviceStatus, Interaction, Message, MojeidAccount, NiaRegistration, Person, RefreshToken,
    RegistrationState, SecurityKeyRecord, ServiceProvider, Session, User,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (username, client_id) is taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The backing service cannot be reached or failed; the request may be retried later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn get(&self, client_id: &str) -> StoreResult<Option<Client>>;
    async fn list(&self) -> StoreResult<Vec<Client>>;
    /// Inserts the client, or replaces the one with the same `client_id`.
    async fn put(&self, client: &Client) -> StoreResult<()>;
    /// Inserts the client; `Conflict` when the `client_id` is taken.
    async fn insert(&self, client: &Client) -> StoreResult<()>;
    /// Returns whether a client was removed.
    async fn delete(&self, client_id: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn get(&self, id: &str) -> StoreResult<Option<User>>;
    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list(&self) -> StoreResult<Vec<User>>;
    /// `Conflict` when the id or the username is taken.
    async fn insert(&self, user: &User) -> StoreResult<()>;
    /// Replaces the stored user with the same id; returns whether one existed.
    async fn update(&self, user: &User) -> StoreResult<bool>;
    /// Deletes the account and, in the same step, its consents and security keys; returns
    /// whether it existed.
    /// Its sessions and tokens are ended first by the caller ([`SessionStore::of_user`],
    /// [`TokenStore::revoke_user`]).
    async fn delete(&self, id: &str) -> StoreResult<bool>;
}

/// The register of inhabitants (kept in SQL, also when Redis holds the expiring data), and which
/// person each account belongs to.
#[async_trait]
pub trait PersonStore: Send + Sync {
    /// `Conflict` when the id, the birth number or the data-box ID is taken.
    async fn insert(&self, person: &Person) -> StoreResult<()>;
    /// Inserts every one of `persons` in one transaction: all of them, or none when one
    /// conflicts (with a stored person or another of them).
    async fn import(&self, persons: &[Person]) -> StoreResult<()>;
    /// Replaces the stored person with the same id; returns whether one existed. `Conflict` as
    /// for [`PersonStore::insert`].
    async fn update(&self, person: &Person) -> StoreResult<bool>;
    async fn get(&self, id: &str) -> StoreResult<Option<Person>>;
    /// The persons of exactly these names born on `birth_date` (namesakes happen), by id.
    async fn find_by_name(&self, family_name: &str, given_names: &str, birth_date: Date) -> StoreResult<Vec<Person>>;
    async fn find_by_birth_number(&self, number: &BirthNumber) -> StoreResult<Option<Person>>;
    async fn find_by_data_box(&self, data_box: &DataBoxId) -> StoreResult<Option<Person>>;
    /// The persons holding an identity document of this number (of any type), by id.
    async fn find_by_document(&self, number: &str) -> StoreResult<Vec<Person>>;
    /// At most `limit` persons whose id sorts after `after` (from the first when `None`), in
    /// byte order of their ids: the register a page at a time.
    async fn list(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Person>>;
    /// The number of persons in the register.
    async fn count(&self) -> StoreResult<u64>;
    /// Makes the account `user_id` belong to the person `person_id`, or to no one (`None`);
    /// returns whether the account, and the person named, exist (nothing changes otherwise).
    async fn link_account(&self, user_id: &str, person_id: Option<&str>) -> StoreResult<bool>;
    /// The id of the person the account belongs to, if any.
    async fn person_of_account(&self, user_id: &str) -> StoreResult<Option<String>>;
    /// The ids of the accounts that belong to the person, sorted.
    async fn accounts_of(&self, person_id: &str) -> StoreResult<Vec<String>>;
}

/// The mojeID part of accounts (kept in SQL, also when Redis holds the expiring data).
#[async_trait]
pub trait MojeidAccountStore: Send + Sync {
    async fn get(&self, user_id: &str) -> StoreResult<Option<MojeidAccount>>;
    /// Inserts the account's record, or replaces the one of the same account.
    async fn put(&self, account: &MojeidAccount) -> StoreResult<()>;
}

/// The data-box simulator: boxes and the messages between them (kept in SQL, also when Redis
/// holds the expiring data).
#[async_trait]
pub trait DataBoxStore: Send + Sync {
    /// `Conflict` when the box's ID is taken.
    async fn insert(&self, data_box: &DataBox) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Option<DataBox>>;
    /// Every box, by ID.
    async fn list(&self) -> StoreResult<Vec<DataBox>>;
    /// `Conflict` when the message's id is taken.
    async fn send(&self, message: &DataBoxMessage) -> StoreResult<()>;
    async fn message(&self, id: &str) -> StoreResult<Option<DataBoxMessage>>;
    /// The messages delivered to the box, newest first.
    async fn inbox(&self, recipient: &str) -> StoreResult<Vec<DataBoxMessage>>;
    /// Marks the message processed at `at` in one step, when it was not yet; returns whether
    /// it did (of two desk workers processing it at once, one does).
    async fn mark_processed(&self, id: &str, at: Timestamp) -> StoreResult<bool>;
}

/// The security keys of mojeID + WebAuthn (kept in SQL, also when Redis holds the expiring data).
#[async_trait]
pub trait SecurityKeyStore: Send + Sync {
    /// `Conflict` when the credential id is registered (to this account or another).
    async fn insert(&self, key: &SecurityKeyRecord) -> StoreResult<()>;
    async fn get(&self, credential_id: &str) -> StoreResult<Option<SecurityKeyRecord>>;
    /// The user's keys, oldest first.
    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<SecurityKeyRecord>>;
    /// Replaces the stored key (its counter and last use after a login); returns whether it existed.
    async fn update(&self, key: &SecurityKeyRecord) -> StoreResult<bool>;
    /// Removes the user's key; returns whether it was theirs and existed.
    async fn delete(&self, user_id: &str, credential_id: &str) -> StoreResult<bool>;
}

/// The audit log (kept in SQL, also when Redis holds the expiring data): append-only — there
/// is no way here to change or remove an entry, and the schema refuses it too.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The newest entry.
    async fn last(&self) -> StoreResult<Option<AuditEntry>>;
    /// Appends `entry` at its place (`seq`); `Conflict` when the place is taken (another entry
    /// was appended first: the caller chains to that one and tries again).
    async fn append(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// At most `limit` entries after the place `after`, oldest first.
    async fn after(&self, after: i64, limit: usize) -> StoreResult<Vec<AuditEntry>>;
    /// The entries about `subject` (a person or an account), oldest first.
    async fn about(&self, subject: &str) -> StoreResult<Vec<AuditEntry>>;
}

/// The back office's clerks and the API tokens made for them (kept in SQL, also when Redis holds
/// the expiring data). A token is kept as its digest only.
#[async_trait]
pub trait ClerkStore: Send + Sync {
    /// `Conflict` when the login is taken.
    async fn insert(&self, clerk: &Clerk) -> StoreResult<()>;
    async fn get(&self, login: &str) -> StoreResult<Option<Clerk>>;
    /// Every clerk, by login.
    async fn list(&self) -> StoreResult<Vec<Clerk>>;
    /// Replaces the stored clerk with the same login; returns whether one existed.
    async fn update(&self, clerk: &Clerk) -> StoreResult<bool>;
    /// Keeps an API token's digest for the clerk `login`; `Conflict` when the digest is taken.
    async fn insert_token(&self, digest: &str, login: &str, now: Timestamp) -> StoreResult<()>;
    /// The clerk an API token (its digest) was made for.
    async fn clerk_of_token(&self, digest: &str) -> StoreResult<Option<Clerk>>;
}

/// The rows of the back office's sessions in SQL ([`backoffice_sessions::SqlSessions`] keeps
/// tower-sessions' records in them when there is no Redis): each an opaque record until it
/// expires.
#[async_trait]
pub trait BackOfficeSessionStore: Send + Sync {
    /// Replaces the record of session `id` if there is one (expired or not); returns whether
    /// there was.
    async fn save(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool>;
    /// Inserts the record unless the id is taken; returns whether it did.
    async fn create(&self, id: &str, data: &str, expires_at: Timestamp) -> StoreResult<bool>;
    /// The record, unless expired at `now`.
    async fn load(&self, id: &str, now: Timestamp) -> StoreResult<Option<String>>;
    async fn delete(&self, id: &str) -> StoreResult<()>;
}

/// The Czech POINT requests clerks record (kept in SQL, also when Redis holds the expiring data).
#[async_trait]
pub trait CzechPointStore: Send + Sync {
    /// `Conflict` when the id is taken.
    async fn insert(&self, request: &CzechPointRequest) -> StoreResult<()>;
    /// Takes the oldest request to `recipient_ico` with exactly this message that is not yet
    /// taken, in one atomic step: a one-time request is marked taken at `now` (of two racing
    /// takes exactly one gets it), a repeated one stays. `None` when there is none.
    async fn take(&self, recipient_ico: &str, message: &str, now: Timestamp) -> StoreResult<Option<CzechPointRequest>>;
    /// The requests recorded for a person, oldest first.
    async fn of_person(&self, person_id: &str) -> StoreResult<Vec<CzechPointRequest>>;
}

/// The SAML service providers registered from their metadata, each at one face (kept in SQL, also
/// when Redis holds the expiring data). `face` is the face's name, `None` for the primary face.
#[async_trait]
pub trait SamlSpStore: Send + Sync {
    /// Inserts the service provider, or replaces the one with the same face and entityID.
    async fn put(&self, sp: &ServiceProvider) -> StoreResult<()>;
    async fn get(&self, face: Option<&str>, entity_id: &str) -> StoreResult<Option<ServiceProvider>>;
    /// The face's service providers, by entityID.
    async fn list(&self, face: Option<&str>) -> StoreResult<Vec<ServiceProvider>>;
    /// Returns whether one was removed.
    async fn delete(&self, face: Option<&str>, entity_id: &str) -> StoreResult<bool>;
}

/// NIA ID's online registrations (kept in SQL, also when Redis holds the expiring data): each
/// with its account, which stays disabled until the registration is activated.
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Inserts the account (disabled) and its registration in one step, after removing the
    /// registrations still awaiting their e-mail that lapsed by `now`, with their accounts, so
    /// that a lapsed username is free again. `Conflict` when the username is taken.
    async fn register(&self, user: &User, registration: &NiaRegistration, now: Timestamp) -> StoreResult<()>;
    async fn of_user(&self, user_id: &str) -> StoreResult<Option<NiaRegistration>>;
    /// The registration whose confirmation link's token has this digest.
    async fn by_email_token(&self, digest: &str) -> StoreResult<Option<NiaRegistration>>;
    /// The registration whose identification code is `code`.
    async fn by_code(&self, code: &str) -> StoreResult<Option<NiaRegistration>>;
    /// Stores `registration` in place of the stored one if that is still in state `from`;
    /// returns whether it was (one request of two racing wins). `Conflict` when its
    /// identification code is another registration's.
    async fn advance(&self, registration: &NiaRegistration, from: RegistrationState) -> StoreResult<bool>;
    /// Stores `registration` (activated) if the stored one still awaits identity and, in the
    /// same step, `account` (bound to its person and enabled); returns whether it still awaited.
    async fn activate(&self, registration: &NiaRegistration, account: &User) -> StoreResult<bool>;
}

/// The eObčanka card register (kept in SQL, also when Redis holds the expiring data).
#[async_trait]
pub trait CardStore: Send + Sync {
    /// `Conflict` when the number is taken.
    async fn insert(&self, card: &Card) -> StoreResult<()>;
    async fn get(&self, number: &str) -> StoreResult<Option<Card>>;
    /// The user's cards, newest first.
    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<Card>>;
    /// Sets the card's status to `to` when it is one of `from` (in one statement, so two clerks
    /// cannot both move it); returns whether it did.
    async fn set_status(&self, number: &str, from: &[CardStatus], to: CardStatus) -> StoreResult<bool>;
    /// Replaces the stored card with `card` (same number) when its status is `from`: an
    /// application becoming a card with its chip; returns whether it did.
    async fn replace(&self, card: &Card, from: CardStatus) -> StoreResult<bool>;
}

/// The register of paired MEG devices and the pairing codes handed out for them (kept in SQL,
/// also when Redis holds the expiring data).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// `Conflict` when the id is taken.
    async fn insert(&self, device: &Device) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Option<Device>>;
    /// The user's devices (every device when `None`), newest first.
    async fn list(&self, user_id: Option<&str>) -> StoreResult<Vec<Device>>;
    /// Returns whether the device exists.
    async fn set_status(&self, id: &str, status: DeviceStatus) -> StoreResult<bool>;
    /// Records that the device approved or refused a login at `now`.
    async fn touch(&self, id: &str, now: Timestamp) -> StoreResult<()>;
    /// Keeps a pairing code (its digest) for `user_id` until `expires_at`.
    async fn insert_pairing(&self, digest: &str, user_id: &str, expires_at: Timestamp) -> StoreResult<()>;
    /// Spends a pairing code in one atomic step: its user when it was unused and unexpired at
    /// `now`, else `None`. Of two racing uses exactly one gets the user.
    async fn take_pairing(&self, digest: &str, now: Timestamp) -> StoreResult<Option<String>>;
}

#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// The scopes the user has granted to the client, if any.
    async fn get(&self, user_id: &str, client_id: &str) -> StoreResult<Option<Vec<String>>>;
    /// Adds `scopes` to what the user has granted the client.
    async fn grant(&self, user_id: &str, client_id: &str, scopes: &[String], now: Timestamp) -> StoreResult<()>;
    async fn revoke(&self, user_id: &str, client_id: &str) -> StoreResult<()>;
    /// The clients the user has consented to, sorted.
    async fn clients_of(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// Forgets every consent the user has given; returns the clients they were given to.
    async fn revoke_all(&self, user_id: &str) -> StoreResult<Vec<String>>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert(&self, session: &Session) -> StoreResult<()>;
    /// The session whose cookie digest is `key`, unless it has expired at `now`.
    async fn get(&self, key: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    /// The session with the public session id `sid`, unless expired.
    async fn get_by_sid(&self, sid: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    /// Records that `client_id` received tokens in this session (for logout).
    async fn add_client(&self, key: &str, client_id: &str) -> StoreResult<()>;
    /// Removes and returns the session.
    async fn delete(&self, key: &str) -> StoreResult<Option<Session>>;
    /// Every live session of the user (an operator's command: it may read every session).
    async fn of_user(&self, user_id: &str, now: Timestamp) -> StoreResult<Vec<Session>>;
}

#[async_trait]
pub trait InteractionStore: Send + Sync {
    /// Inserts or replaces.
    async fn put(&self, interaction: &Interaction) -> StoreResult<()>;
    /// Unless expired at `now`.
    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>>;
    async fn delete(&self, id: &str) -> StoreResult<()>;
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    /// No such code, or it has expired.
    Unknown,
    /// First use: the code as issued.
    Fresh(AuthCode),
    /// The code was already redeemed.
    Replayed(AuthCode),
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()>;
    /// The code as issued, changing nothing: while it can be redeemed (unexpired), or once it
    /// has been (a replay is recognized after expiry too), as [`CodeStore::redeem`] would find it.
    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>>;
    /// Marks the code used, atomically; says whether this was its first use. A second
    /// redemption also marks the code replayed.
    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption>;
    /// Whether someone tried to redeem the code again after its first use.
    async fn replayed(&self, digest: &str) -> StoreResult<bool>;
}

/// What presenting a refresh token for rotation found.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    Unknown,
    /// First use: the token, now marked used.
    Fresh(RefreshToken),
    /// Already used: `used_at` and `successor` of the earlier rotation are in the record.
    Reused(RefreshToken),
}

/// What rotating a refresh token writes: the new pair, and the sealed successor kept on the old
/// token (see [`RefreshToken::successor`]).
#[derive(Debug, Clone)]
pub struct Rotation {
    pub access: AccessToken,
    pub refresh: RefreshToken,
    pub successor: String,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_access(&self, token: &AccessToken) -> StoreResult<()>;
    /// Unless expired at `now`.
    async fn get_access(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AccessToken>>;
    async fn delete_access(&self, digest: &str) -> StoreResult<bool>;

    async fn insert_refresh(&self, token: &RefreshToken) -> StoreResult<()>;
    /// Unless expired at `now`.
    async fn get_refresh(&self, digest: &str, now: Timestamp) -> StoreResult<Option<RefreshToken>>;
    /// Rotates the refresh token `digest` in one atomic step: when it is unused and unexpired,
    /// marks it used at `now`, keeps `rotation.successor` on it and stores the new pair; else
    /// changes nothing. Of two racing rotations exactly one is `Fresh`; the other sees the
    /// winner's `used_at` and `successor` (`Reused`).
    async fn rotate_refresh(&self, digest: &str, now: Timestamp, rotation: &Rotation) -> StoreResult<RefreshUse>;
    async fn delete_refresh(&self, digest: &str) -> StoreResult<bool>;
    /// The two tokens of one token response; a backend with transactions writes both or neither.
    async fn insert_pair(&self, access: &AccessToken, refresh: &RefreshToken) -> StoreResult<()> {
        self.insert_access(access).await?;
        self.insert_refresh(refresh).await
    }

    /// Revokes every access and refresh token of a grant (a code's or a refresh family's).
    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()>;
    /// Revokes the tokens issued in an SSO session, except offline ones (`offline_access`).
    async fn revoke_session(&self, sid: &str) -> StoreResult<()>;
    /// Revokes every access and refresh token issued to the user, offline ones included (an
    /// operator's command: it may read every token); returns how many went.
    async fn revoke_user(&self, user_id: &str) -> StoreResult<u64>;
}

/// The tokens a code exchange issues, made from the code being redeemed.
#[derive(Debug, Clone)]
pub struct Issue {
    pub access: AccessToken,
    pub refresh: Option<RefreshToken>,
}

/// Given the code being redeemed, what to issue for it: `None` when the request fails its checks
/// (the code is spent all the same). It may be called more than once (a retried write); the
/// last call counts.
pub type IssueFor<'a> = dyn Fn(&AuthCode) -> Option<Issue> + Send + Sync + 'a;

/// A code exchange's writes: the code redeemed and the tokens it issues.
#[async_trait]
pub trait CodeExchange: Send + Sync {
    /// Redeems the code `digest` as [`CodeStore::redeem`] does and, when it is fresh and `issue`
    /// gives tokens for it, stores them. A backend that holds both in one database does it in
    /// one transaction (and one commit).
    async fn redeem_and_issue(&self, digest: &str, now: Timestamp, issue: &IssueFor<'_>) -> StoreResult<Redemption>;
}

/// Redeems with `codes`, then stores what `issue` gives in `tokens`: for codes and tokens in two
/// backends, or a backend that does not join the two.
pub async fn redeem_then_issue(
    codes: &dyn CodeStore,
    tokens: &dyn TokenStore,
    digest: &str,
    now: Timestamp,
    issue: &IssueFor<'_>,
) -> StoreResult<Redemption> {
    let redemption = codes.redeem(digest, now).await?;
    if let Redemption::Fresh(code) = &redemption
        && let Some(issued) = issue(code)
    {
        match &issued.refresh {
            Some(refresh) => tokens.insert_pair(&issued.access, refresh).await?,
            None => tokens.insert_access(&issued.access).await?,
        }
    }
    Ok(redemption)
}

/// Codes in one backend and tokens in another (codes in Redis).
pub struct CodesApart {
    pub codes: Arc<dyn CodeStore>,
    pub tokens: Arc<dyn TokenStore>,
}

#[async_trait]
impl CodeExchange for CodesApart {
    async fn redeem_and_issue(&self, digest: &str, now: Timestamp, issue: &IssueFor<'_>) -> StoreResult<Redemption> {
        redeem_then_issue(&*self.codes, &*self.tokens, digest, now, issue).await
    }
}

#[async_trait]
pub trait ReplayStore: Send + Sync {
    /// Remembers `key` until `expires_at`; returns `false` when it was already remembered.
    async fn remember(&self, key: &str, expires_at: Timestamp, now: Timestamp) -> StoreResult<bool>;
}

/// Fixed-window counters, e.g. failed logins per account.
#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Adds one to `key` and returns the new count; a window that has ended (or a new key)
    /// starts at one and lasts until `window_ends_at`.
    async fn increment(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<u32>;
    /// The count of `key` in its current window (0 when none).
    async fn count(&self, key: &str, now: Timestamp) -> StoreResult<u32>;
    async fn reset(&self, key: &str) -> StoreResult<()>;
    /// Like [`increment`](Self::increment), and also says when the window ends: a limit can tell
    /// the person when to try again.
    async fn tally(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<Tally>;
    /// The window of `key` open at `now`, if any, without counting.
    async fn peek(&self, key: &str, now: Timestamp) -> StoreResult<Option<Tally>>;
}

/// A counter in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub count: u32,
    pub ends_at: Timestamp,
}

/// How long the outbox keeps a message: long enough for a developer to read the code of a
/// login they started, not so long that it piles up. `purge_expired` removes older ones.
pub const OUTBOX_RETENTION: Timestamp = 24 * 3600;

/// The messages the notifier sent to the outbox instead of to a person (`crate::notify`), for a
/// developer to read. Durable: with Redis configured it stays in the SQL database.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn push(&self, message: &Message) -> StoreResult<()>;
    /// Newest first (by `created_at`, then `id`), at most `limit`, only those to `to` when given.
    async fn recent(&self, to: Option<&str>, limit: usize) -> StoreResult<Vec<Message>>;
}

#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Whether the backing service answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Deletes what expired before `now`, and outbox messages older than [`OUTBOX_RETENTION`];
    /// returns how many rows went.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64>;
}

/// Messages between the nodes that share the store, each heard by every node listening, the
/// one that published it included: a MEG push reaches a device whichever node holds its
/// connection.
#[async_trait]
pub trait Broadcast: Send + Sync {
    /// Sends `message` to every node listening.
    async fn publish(&self, message: &str) -> StoreResult<()>;
    /// The messages published from now on, for as long as the receiver is kept.
    async fn listen(&self) -> StoreResult<mpsc::Receiver<String>>;
}

/// The broadcast of a store only one node uses (SQLite): within this process.
pub struct LocalBroadcast(broadcast::Sender<String>);

impl Default for LocalBroadcast {
    fn default() -> Self {
        Self(broadcast::channel(BROADCAST_QUEUE).0)
    }
}

/// Messages a listener may fall behind by before the oldest are dropped.
pub const BROADCAST_QUEUE: usize = 1024;

#[async_trait]
impl Broadcast for LocalBroadcast {
    async fn publish(&self, message: &str) -> StoreResult<()> {
        // No listener yet: nothing to reach.
        let _ = self.0.send(message.to_owned());
        Ok(())
    }

    async fn listen(&self) -> StoreResult<mpsc::Receiver<String>> {
        let mut heard = self.0.subscribe();
        let (sender, receiver) = mpsc::channel(BROADCAST_QUEUE);
        tokio::spawn(async move {
            loop {
                match heard.recv().await {
                    Ok(message) => {
                        if sender.send(message).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Ok(receiver)
    }
}

/// What a person's stored JSON holds for a document of this number, as a `LIKE` pattern: its
/// lookup reads every person (there is no index on documents; a clerk's lookup, not a login's),
/// and the caller checks the documents of what it finds. `None` for a number no document has
/// (only capital letters and digits: nothing that `LIKE` would read as a wildcard).
pub(crate) fn document_pattern(number: &str) -> Option<String> {
    let plain =
        (1..=20).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    plain.then(|| format!("%\"number\":\"{number}\"%"))
}

/// Every store the provider uses, as cheap handles.
#[derive(Clone)]
pub struct Stores {
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub persons: Arc<dyn PersonStore>,
    pub mojeid_accounts: Arc<dyn MojeidAccountStore>,
    pub data_boxes: Arc<dyn DataBoxStore>,
    pub cards: Arc<dyn CardStore>,
    pub audit: Arc<dyn AuditStore>,
    pub clerks: Arc<dyn ClerkStore>,
    /// The back office's sessions, as tower-sessions keeps them (SQL, or Redis when there is one).
    pub backoffice_sessions: backoffice_sessions::BackOfficeSessions,
    pub czech_point: Arc<dyn CzechPointStore>,
    pub security_keys: Arc<dyn SecurityKeyStore>,
    pub saml_sps: Arc<dyn SamlSpStore>,
    pub registrations: Arc<dyn RegistrationStore>,
    pub devices: Arc<dyn DeviceStore>,
    pub consents: Arc<dyn ConsentStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub interactions: Arc<dyn InteractionStore>,
    pub codes: Arc<dyn CodeStore>,
    pub tokens: Arc<dyn TokenStore>,
    /// Redeems codes and stores what they issue; `codes` and `tokens` joined.
    pub exchange: Arc<dyn CodeExchange>,
    pub replay: Arc<dyn ReplayStore>,
    pub counters: Arc<dyn CounterStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub maintenance: Arc<dyn Maintenance>,
    /// Messages between the nodes (within this process unless the database is shared).
    pub broadcast: Arc<dyn Broadcast>,
}

impl Stores {
    /// Every store backed by one implementation of all the traits.
    pub fn from_one<S>(store: S) -> Self
    where
        S: ClientStore
            + UserStore
            + PersonStore
            + MojeidAccountStore
            + DataBoxStore
            + CardStore
            + AuditStore
            + ClerkStore
            + BackOfficeSessionStore
            + CzechPointStore
            + SecurityKeyStore
            + SamlSpStore
            + RegistrationStore
            + DeviceStore
            + ConsentStore
            + SessionStore
            + InteractionStore
            + CodeStore
            + TokenStore
            + CodeExchange
            + ReplayStore
            + CounterStore
            + OutboxStore
            + Maintenance
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            clients: store.clone(),
            users: store.clone(),
            persons: store.clone(),
            mojeid_accounts: store.clone(),
            data_boxes: store.clone(),
            cards: store.clone(),
            audit: store.clone(),
            clerks: store.clone(),
            backoffice_sessions: backoffice_sessions::BackOfficeSessions::sql(store.clone()),
            czech_point: store.clone(),
            security_keys: store.clone(),
            saml_sps: store.clone(),
            registrations: store.clone(),
            devices: store.clone(),
            consents: store.clone(),
            sessions: store.clone(),
            interactions: store.clone(),
            codes: store.clone(),
            tokens: store.clone(),
            exchange: store.clone(),
            replay: store.clone(),
            counters: store.clone(),
            outbox: store.clone(),
            maintenance: store,
            broadcast: Arc::new(LocalBroadcast::default()),
        }
    }
}
