//! What a browser and a relying party do in the code flow: the password login through the
//! pages (authorize → login form → POST credentials with the form's CSRF token → consent if
//! asked → code), the NIA ID login (the same with the means `nia-id`, then the SMS code), the
//! eObčanka login (the card's page, the reader's signed answer, Continue), a new authorization
//! from an existing SSO session, and the code exchange.

use hyper::header;

use crate::http::{Conn, Error, Reply, basic, query_param};

/// A confidential relying party registered by the seed fixture (`client_secret_basic`).
#[derive(Debug, Clone)]
pub struct RelyingParty {
    pub client_id: String,
    pub secret: String,
    pub redirect_uri: String,
}

impl RelyingParty {
    pub fn new(client_id: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            secret: crate::fixture::secret_of(client_id),
            redirect_uri: crate::fixture::REDIRECT_URI.to_owned(),
        }
    }

    pub fn authorization(&self) -> String {
        basic(&self.client_id, &self.secret)
    }

    pub fn authorize_path(&self, scope: &str) -> String {
        let form = crate::http::encode_form(&[
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", scope),
            ("state", "bench-state"),
            ("nonce", "bench-nonce"),
        ]);
        format!("/authorize?{form}")
    }

    /// `POST /token` with `grant_type=authorization_code`.
    pub async fn exchange(&self, conn: &mut Conn, code: &str) -> Result<Reply, Error> {
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", self.redirect_uri.as_str())];
        conn.post("/token", &[(header::AUTHORIZATION, &self.authorization())], &form)
            .await?
            .expect(200, "code exchange")
    }
}

/// A browser's cookies (name → value); a fresh `Browser` is a browser that never saw identita.
#[derive(Debug, Default, Clone)]
pub struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = value.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else { continue };
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub async fn get(&mut self, conn: &mut Conn, path: &str) -> Result<Reply, Error> {
        let cookie = self.cookie_header();
        let reply = conn.get(path, &[(header::COOKIE, &cookie)]).await?;
        self.remember(&reply);
        Ok(reply)
    }

    async fn post(&mut self, conn: &mut Conn, path: &str, form: &[(&str, &str)]) -> Result<Reply, Error> {
        let cookie = self.cookie_header();
        let reply = conn.post(path, &[(header::COOKIE, &cookie)], form).await?;
        self.remember(&reply);
        Ok(reply)
    }

    /// The whole password login, from the authorization request to the code it ends with.
    pub async fn login(
        &mut self,
        conn: &mut Conn,
        rp: &RelyingParty,
        username: &str,
        password: &str,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = local(location(&reply)?)?;
        let form = self.get(conn, &page).await?.expect(200, "login page")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let fields =
            [("interaction", interaction.as_str()), ("csrf", &csrf), ("username", username), ("password", password)];
        let mut reply = self.post(conn, "/login", &fields).await?.expect(303, "login")?;
        if location(&reply)?.starts_with("/consent") {
            let page = self.get(conn, &local(location(&reply)?)?).await?.expect(200, "consent page")?;
            let (interaction, csrf) = hidden_fields(&page)?;
            let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("decision", "allow")];
            reply = self.post(conn, "/consent", &fields).await?.expect(303, "consent")?;
        }
        code_of(&reply, rp)
    }

    /// The whole NIA ID login: authorize → the login page of the means → POST username and
    /// password → the SMS page → the code the gateway got → the code at the relying party.
    pub async fn login_nia_id(
        &mut self,
        conn: &mut Conn,
        rp: &RelyingParty,
        (username, password, phone): (&str, &str, &str),
        inbox: &crate::sms::Inbox,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=nia-id", local(location(&reply)?)?);
        let form = self.get(conn, &page).await?.expect(200, "login page (NIA ID)")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let fields = [
            ("interaction", interaction.as_str()),
            ("csrf", &csrf),
            ("means", "nia-id"),
            ("username", username),
            ("password", password),
        ];
        let reply = self.post(conn, "/login", &fields).await?.expect(303, "login (NIA ID)")?;
        let sms_page = self.get(conn, &local(location(&reply)?)?).await?.expect(200, "SMS page")?;
        let (interaction, csrf) = hidden_fields(&sms_page)?;
        let code = inbox.code_for(phone).await?;
        let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("code", &code), ("action", "verify")];
        let reply = self.post(conn, "/login/sms", &fields).await?.expect(303, "SMS code")?;
        code_of(&reply, rp)
    }

    /// The whole eObčanka login: authorize → the card's page → the reader posts the card's
    /// signature of the challenge → Continue → the code at the relying party.
    pub async fn login_card(
        &mut self,
        conn: &mut Conn,
        rp: &RelyingParty,
        card: &crate::card::Card,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=eobcanka", local(location(&reply)?)?);
        let form = self.get(conn, &page).await?.expect(200, "login page (eObčanka)")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let challenge = element_text(&form, "card-url")?;
        let answer = card.answer(&challenge)?;
        conn.post_json(&local(&challenge)?, &answer).await?.expect(200, "the reader's answer")?;
        let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("action", "continue")];
        let reply = self.post(conn, "/login/card", &fields).await?.expect(303, "Continue (eObčanka)")?;
        code_of(&reply, rp)
    }

    /// A new authorization answered from this browser's SSO session: no page, just a code.
    pub async fn authorize(&mut self, conn: &mut Conn, rp: &RelyingParty, scope: &str) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize with a session")?;
        code_of(&reply, rp)
    }
}

fn location(reply: &Reply) -> Result<&str, Error> {
    reply.header(header::LOCATION).ok_or_else(|| "a redirect without Location".into())
}

/// The path and query of a redirect within identita.
fn local(location: &str) -> Result<String, Error> {
    if location.starts_with('/') {
        return Ok(location.to_owned());
    }
    let rest = location.strip_prefix("http://").ok_or_else(|| format!("unexpected redirect to {location}"))?;
    Ok(rest.find('/').map(|i| rest[i..].to_owned()).unwrap_or_else(|| "/".to_owned()))
}

fn code_of(reply: &Reply, rp: &RelyingParty) -> Result<String, Error> {
    let to = location(reply)?;
    if !to.starts_with(&rp.redirect_uri) {
        return Err(format!("expected a redirect to the client, got {to}").into());
    }
    query_param(to, "code").ok_or_else(|| format!("no code in {to}").into())
}

/// The text of the element with `id` (a `<code>` holding a URL, say), HTML entities of `&`
/// decoded.
fn element_text(page: &Reply, id: &str) -> Result<String, Error> {
    let html = std::str::from_utf8(&page.body)?;
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).ok_or_else(|| format!("the page has no #{id}"))? + marker.len();
    let len = html[start..].find('<').ok_or("an unterminated element")?;
    Ok(html[start..start + len].replace("&amp;", "&").replace("&#x2F;", "/").replace("&#47;", "/"))
}

/// The `interaction` and `csrf` hidden inputs of a page's form.
fn hidden_fields(page: &Reply) -> Result<(String, String), Error> {
    let html = std::str::from_utf8(&page.body)?;
    let field = |name: &str| -> Result<String, Error> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker).ok_or_else(|| format!("the page has no {name} field"))? + marker.len();
        let len = html[start..].find('"').ok_or("an unterminated value")?;
        Ok(html[start..start + len].to_owned())
    };
    Ok((field("interaction")?, field("csrf")?))
}
