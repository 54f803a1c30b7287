//! The measured operations, each a [`Worker`], and the untimed set-up each needs: logged-in
//! browsers, a pool of fresh single-use codes, tokens to refresh, present and introspect,
//! registered security keys.

use std::cell::RefCell;
use std::rc::Rc;

use hyper::header;

use crate::authenticator::SecurityKey;
use crate::browser::{Browser, RelyingParty};
use crate::fixture;
use crate::http::{Conn, Error, Target, basic};
use crate::load::Worker;

/// The scope every person-facing scenario asks for.
pub const SCOPE: &str = "openid profile email";
/// The scope of the MEG login: a request for substantial (`loasubstantial`), as a portal that
/// needs MEG's level asks.
pub const SUBSTANTIAL_SCOPE: &str = "openid loasubstantial";

/// `POST /token` with `grant_type=client_credentials`, `client_secret_basic`.
pub struct ClientCredentials {
    pub conn: Conn,
    pub authorization: String,
}

impl ClientCredentials {
    pub async fn new(target: &Target) -> Result<Self, Error> {
        Ok(Self {
            conn: Conn::open(target).await?,
            authorization: basic(fixture::CC_CLIENT, &fixture::secret_of(fixture::CC_CLIENT)),
        })
    }
}

impl Worker for ClientCredentials {
    async fn step(&mut self) -> Result<bool, Error> {
        let form = [("grant_type", "client_credentials")];
        let reply = self.conn.post("/token", &[(header::AUTHORIZATION, &self.authorization)], &form).await?;
        let token = reply.expect(200, "client credentials")?.json()?;
        token.get("access_token").ok_or("no access_token")?;
        Ok(true)
    }
}

/// Shared single-use codes, made before the measured window.
pub type CodePool = Rc<RefCell<Vec<String>>>;

/// `POST /token` with `grant_type=authorization_code`, one fresh code from the pool each time.
pub struct CodeExchange {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub pool: CodePool,
}

impl Worker for CodeExchange {
    async fn step(&mut self) -> Result<bool, Error> {
        let Some(code) = self.pool.borrow_mut().pop() else { return Ok(false) };
        let token = self.rp.exchange(&mut self.conn, &code).await?.json()?;
        token.get("id_token").and_then(|t| t.as_str()).ok_or("no id_token")?;
        Ok(true)
    }
}

/// `POST /token` with `grant_type=refresh_token`, following the rotation: each answer's new
/// refresh token is the next request's.
pub struct Refresh {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub refresh_token: String,
}

impl Worker for Refresh {
    async fn step(&mut self) -> Result<bool, Error> {
        let form = [("grant_type", "refresh_token"), ("refresh_token", self.refresh_token.as_str())];
        let reply = self.conn.post("/token", &[(header::AUTHORIZATION, &self.rp.authorization())], &form).await?;
        let token = reply.expect(200, "refresh")?.json()?;
        let next = token.get("refresh_token").and_then(|t| t.as_str()).ok_or("no refresh_token")?;
        self.refresh_token = next.to_owned();
        Ok(true)
    }
}

/// `GET /userinfo` with a bearer access token.
pub struct Userinfo {
    pub conn: Conn,
    pub bearer: String,
}

impl Worker for Userinfo {
    async fn step(&mut self) -> Result<bool, Error> {
        let reply = self.conn.get("/userinfo", &[(header::AUTHORIZATION, &self.bearer)]).await?;
        let claims = reply.expect(200, "userinfo")?.json()?;
        claims.get("sub").ok_or("no sub")?;
        Ok(true)
    }
}

/// `POST /introspect` of an access token by the client it was issued to.
pub struct Introspect {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub token: String,
}

impl Worker for Introspect {
    async fn step(&mut self) -> Result<bool, Error> {
        let form = [("token", self.token.as_str()), ("token_type_hint", "access_token")];
        let reply = self.conn.post("/introspect", &[(header::AUTHORIZATION, &self.rp.authorization())], &form).await?;
        let answer = reply.expect(200, "introspection")?.json()?;
        if answer.get("active") != Some(&serde_json::Value::Bool(true)) {
            return Err("introspection says the token is not active".into());
        }
        Ok(true)
    }
}

/// The complete browser login with a fresh browser each time, ending with the code exchange;
/// or, with `exchange: false`, ending at the code (to leave one more live SSO session behind).
pub struct Login {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub username: String,
    pub exchange: bool,
}

impl Worker for Login {
    async fn step(&mut self) -> Result<bool, Error> {
        let password = fixture::password_of(&self.username);
        let code = Browser::default().login(&mut self.conn, &self.rp, &self.username, &password, SCOPE).await?;
        if self.exchange {
            self.rp.exchange(&mut self.conn, &code).await?;
        }
        Ok(true)
    }
}

/// The complete NIA ID login with a fresh browser each time, ending with the code exchange. The
/// workers take the bench users in turn (worker `k` of `n`: users k, k+n, …), since each account
/// may be sent only ten codes in fifteen minutes.
pub struct NiaIdLogin {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub users: std::ops::Range<usize>,
    pub next: usize,
    pub step: usize,
    pub inbox: Rc<crate::sms::Inbox>,
}

impl Worker for NiaIdLogin {
    async fn step(&mut self) -> Result<bool, Error> {
        let i = self.users.start + self.next % self.users.len();
        self.next += self.step;
        let (username, phone) = (fixture::username(i), fixture::phone_of(i));
        let password = fixture::password_of(&username);
        let code = Browser::default()
            .login_nia_id(&mut self.conn, &self.rp, (&username, &password, &phone), &self.inbox, SCOPE)
            .await?;
        self.rp.exchange(&mut self.conn, &code).await?;
        Ok(true)
    }
}

/// The complete eObčanka login with a fresh browser each time, ending with the code exchange.
/// The cards are shared and each may answer only ten challenges in fifteen minutes: a login takes
/// the next card with answers left, and the worker stops when none has.
pub struct CardLogin {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub cards: Rc<CardPool>,
}

/// Cards and the answers each has left in the window.
pub struct CardPool {
    pub cards: Vec<crate::card::Card>,
    pub next: std::cell::Cell<usize>,
    pub per_card: usize,
}

impl CardPool {
    fn take(&self) -> Option<&crate::card::Card> {
        let n = self.next.get();
        self.next.set(n + 1);
        (n < self.cards.len() * self.per_card).then(|| &self.cards[n % self.cards.len()])
    }
}

impl Worker for CardLogin {
    async fn step(&mut self) -> Result<bool, Error> {
        let Some(card) = self.cards.take() else { return Ok(false) };
        let code = Browser::default().login_card(&mut self.conn, &self.rp, card, SCOPE).await?;
        self.rp.exchange(&mut self.conn, &code).await?;
        Ok(true)
    }
}

/// The complete mojeID login (password, then the security key) with a fresh browser each time,
/// ending with the code exchange. Each worker has bench users of its own, each with the key
/// registered for it before the run, and takes them in turn: a key's signature counter grows by
/// one at each login, as a real key's does, and never races another login's.
pub struct KeyLogin {
    pub conn: Conn,
    pub rp: RelyingParty,
    pub users: Vec<(String, Rc<SecurityKey>)>,
    pub next: usize,
    /// The issuer's origin, as the browser's address bar has it.
    pub origin: String,
}

impl Worker for KeyLogin {
    async fn step(&mut self) -> Result<bool, Error> {
        let (username, key) = &self.users[self.next % self.users.len()];
        self.next += 1;
        let password = fixture::password_of(username);
        let code = Browser::default()
            .login_key(&mut self.conn, &self.rp, (username, &password), key, &self.origin, SCOPE)
            .await?;
        let tokens = self.rp.exchange(&mut self.conn, &code).await?.json()?;
        expect_amr(&tokens, "hwk")?;
        Ok(true)
    }
}

/// The complete MEG login with a fresh browser each time, ending with the code exchange. The
/// device answers on a connection of its own, as a phone does. Each worker has devices of its
/// own (paired before the run, one for each of several bench users) and takes them in turn; MEG
/// limits only the answers to one challenge (five), and each login's challenge gets one.
pub struct MegLogin {
    pub conn: Conn,
    pub phone: Conn,
    pub rp: RelyingParty,
    pub devices: Vec<Rc<crate::meg_device::Device>>,
    pub next: usize,
}

impl Worker for MegLogin {
    async fn step(&mut self) -> Result<bool, Error> {
        let device = &self.devices[self.next % self.devices.len()];
        self.next += 1;
        let code =
            Browser::default().login_meg(&mut self.conn, &mut self.phone, &self.rp, device, SUBSTANTIAL_SCOPE).await?;
        let tokens = self.rp.exchange(&mut self.conn, &code).await?.json()?;
        expect_amr(&tokens, "swk")?;
        Ok(true)
    }
}

/// Registers a new security key for each of `users` (untimed, before the run): a password
/// login, then the account page, where the key replaces any key registered before.
pub async fn register_keys(
    target: &Target,
    rp: &RelyingParty,
    users: std::ops::Range<usize>,
    origin: &str,
) -> Result<Vec<(String, Rc<SecurityKey>)>, Error> {
    let mut conn = Conn::open(target).await?;
    let mut keys = Vec::with_capacity(users.len());
    for i in users {
        let username = fixture::username(i);
        let mut browser = Browser::default();
        browser.login(&mut conn, rp, &username, &fixture::password_of(&username), SCOPE).await?;
        let key = SecurityKey::generate()?;
        browser.register_key(&mut conn, &key, origin).await.map_err(|e| format!("{username}: {e}"))?;
        keys.push((username, Rc::new(key)));
    }
    Ok(keys)
}

/// The complete bank identity login with fresh browsers each time (one for identita, one for
/// the bank: two sites), ending with the code exchange. The login at the bank is its NIA ID
/// (password, then the SMS code), so the workers take the bank's users in turn, as
/// [`NiaIdLogin`]'s do.
pub struct BankLogin {
    pub conn: Conn,
    pub bank_conn: Conn,
    pub rp: RelyingParty,
    pub users: std::ops::Range<usize>,
    pub next: usize,
    pub step: usize,
    pub inbox: Rc<crate::sms::Inbox>,
}

impl Worker for BankLogin {
    async fn step(&mut self) -> Result<bool, Error> {
        let i = self.users.start + self.next % self.users.len();
        self.next += self.step;
        let (username, phone) = (fixture::username(i), fixture::phone_of(i));
        let password = fixture::password_of(&username);
        let mut at_bank = Browser::default();
        let code = Browser::default()
            .login_bank(
                &mut self.conn,
                &self.rp,
                (&mut at_bank, &mut self.bank_conn),
                (&username, &password, &phone),
                &self.inbox,
                SCOPE,
            )
            .await?;
        let tokens = self.rp.exchange(&mut self.conn, &code).await?.json()?;
        expect_amr(&tokens, "fed")?;
        Ok(true)
    }
}

/// Fails unless the ID token of a token response names `method` in its `amr`: the login was the
/// means measured, not another.
fn expect_amr(tokens: &serde_json::Value, method: &str) -> Result<(), Error> {
    use base64::Engine;
    let id_token = member(tokens, "id_token")?;
    let payload = id_token.split('.').nth(1).ok_or("an ID token that is not a JWS")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?)?;
    let amr = claims.get("amr").and_then(|a| a.as_array()).ok_or("an ID token without amr")?;
    if !amr.iter().any(|m| m.as_str() == Some(method)) {
        return Err(format!("the ID token's amr is {amr:?}, without {method}").into());
    }
    Ok(())
}

/// A browser logged in (once, through the pages) as the first bench user at `rp`.
pub async fn logged_in(target: &Target, rp: &RelyingParty) -> Result<Browser, Error> {
    let mut conn = Conn::open(target).await?;
    let user = fixture::username(0);
    let mut browser = Browser::default();
    browser.login(&mut conn, rp, &user, &fixture::password_of(&user), SCOPE).await?;
    Ok(browser)
}

/// `count` fresh codes for `rp`, made from one SSO session over `concurrency` connections; the
/// pool gives the oldest first.
pub async fn code_pool(
    target: &Target,
    rp: &RelyingParty,
    count: usize,
    concurrency: usize,
) -> Result<CodePool, Error> {
    let browser = logged_in(target, rp).await?;
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let share = count / concurrency + usize::from(i < count % concurrency);
        let (target, rp, mut browser) = (target.clone(), rp.clone(), browser.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let mut conn = Conn::open(&target).await?;
            let mut codes = Vec::with_capacity(share);
            for _ in 0..share {
                codes.push(browser.authorize(&mut conn, &rp, SCOPE).await?);
            }
            Ok::<_, Error>(codes)
        }));
    }
    let mut lists = Vec::with_capacity(concurrency);
    for task in tasks {
        lists.push(task.await??.into_iter());
    }
    // In the order they were issued (the connections took turns), to be redeemed oldest first, as
    // relying parties redeem codes moments after they get them; `pop` takes from the end.
    let mut pool = Vec::with_capacity(count);
    while pool.len() < count {
        let before = pool.len();
        pool.extend(lists.iter_mut().filter_map(Iterator::next));
        if pool.len() == before {
            break;
        }
    }
    pool.reverse();
    Ok(Rc::new(RefCell::new(pool)))
}

/// One token response (access, refresh and ID token) per entry, from codes of one session.
pub async fn token_sets(target: &Target, rp: &RelyingParty, count: usize) -> Result<Vec<serde_json::Value>, Error> {
    let codes = code_pool(target, rp, count, 1).await?.take();
    let mut conn = Conn::open(target).await?;
    let mut sets = Vec::with_capacity(count);
    for code in codes {
        sets.push(rp.exchange(&mut conn, &code).await?.json()?);
    }
    Ok(sets)
}

/// A string member of a token response.
pub fn member(set: &serde_json::Value, name: &str) -> Result<String, Error> {
    Ok(set.get(name).and_then(|v| v.as_str()).ok_or_else(|| format!("the token response has no {name}"))?.to_owned())
}

/// SAML SSO answered from a live SSO session: a signed `AuthnRequest` over HTTP-Redirect (a new
/// ID each time, signed on the generator's core) → the page posting the signed Response with the
/// assertion encrypted to the SP. Each worker's browser logged in once before the run (untimed).
pub struct SamlSso {
    pub conn: Conn,
    pub browser: Browser,
    pub sp: Rc<crate::saml::ServiceProvider>,
    /// The face's SSO URL as its issuer names it (the request's `Destination`), and its path.
    pub sso: String,
    pub sso_path: String,
    /// Makes the request IDs of this worker its own.
    pub worker: usize,
    pub sent: u64,
}

impl SamlSso {
    fn next_path(&mut self) -> Result<String, Error> {
        self.sent += 1;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        let id = format!("_bench-{}-{}-{}", std::process::id(), self.worker, self.sent);
        self.sp.redirect_path(&self.sso, &self.sso_path, &id, i64::try_from(now)?)
    }

    /// Logs the worker's browser in with `username`'s password (untimed), through a first request.
    pub async fn log_in(&mut self, username: &str) -> Result<(), Error> {
        let path = self.next_path()?;
        let password = fixture::password_of(username);
        let page = self.browser.login_saml(&mut self.conn, &path, username, &password).await?;
        check_response(&page)
    }
}

/// The page posts a successful Response carrying an encrypted assertion.
fn check_response(page: &crate::http::Reply) -> Result<(), Error> {
    use base64::Engine;
    let response = base64::engine::general_purpose::STANDARD.decode(crate::browser::saml_response(page)?)?;
    let xml = std::str::from_utf8(&response)?;
    if !xml.contains("urn:oasis:names:tc:SAML:2.0:status:Success") || !xml.contains("EncryptedAssertion") {
        let start: String = xml.chars().take(300).collect();
        return Err(format!("not a successful response with an encrypted assertion: {start}").into());
    }
    Ok(())
}

impl Worker for SamlSso {
    async fn step(&mut self) -> Result<bool, Error> {
        let path = self.next_path()?;
        let page = self.browser.get(&mut self.conn, &path).await?.expect(200, "SAML SSO with a session")?;
        check_response(&page)?;
        Ok(true)
    }
}
