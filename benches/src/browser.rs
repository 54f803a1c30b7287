//! What a browser and a relying party do in the code flow: the password login through the
//! pages (authorize → login form → POST credentials with the form's CSRF token → consent if
//! asked → code), the NIA ID login (the same with the means `nia-id`, then the SMS code), the
//! eObčanka login (the card's page, the reader's signed answer, Continue), the MEG login (its
//! page, the device's signed approval, Continue), the mojeID login
//! (password, then the security key's answer to the key page's challenge) and the key's
//! registration on the account page, the bank identity login (identita's bank picker, the login
//! at the bank, back at identita's callback), a new authorization from an existing SSO session,
//! and the code exchange.

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
        credentials: (&str, &str, &str),
        inbox: &crate::sms::Inbox,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=nia-id", local(location(&reply)?)?);
        let form = self.get(conn, &page).await?.expect(200, "login page (NIA ID)")?;
        let reply = self.password_and_sms(conn, &form, credentials, inbox).await?;
        code_of(&reply, rp)
    }

    /// NIA ID from its login form on: POST the form's means, username and password → the SMS
    /// page → the code the gateway got; the redirect that ends the login.
    async fn password_and_sms(
        &mut self,
        conn: &mut Conn,
        form: &Reply,
        (username, password, phone): (&str, &str, &str),
        inbox: &crate::sms::Inbox,
    ) -> Result<Reply, Error> {
        let (interaction, csrf) = hidden_fields(form)?;
        let means = field(form, "means")?;
        let fields = [
            ("interaction", interaction.as_str()),
            ("csrf", &csrf),
            ("means", &means),
            ("username", username),
            ("password", password),
        ];
        let reply = self.post(conn, "/login", &fields).await?.expect(303, "login (NIA ID)")?;
        let sms_page = self.get(conn, &local(location(&reply)?)?).await?.expect(200, "SMS page")?;
        let (interaction, csrf) = hidden_fields(&sms_page)?;
        let code = inbox.code_for(phone).await?;
        let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("code", &code), ("action", "verify")];
        self.post(conn, "/login/sms", &fields).await?.expect(303, "SMS code")
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

    /// The whole MEG login: authorize → MEG's page (its challenge URL) → the device, on its own
    /// connection (`phone`), posts its signed approval of the challenge → Continue (the form
    /// without JavaScript; the page's event stream is left out) → the code at the relying party.
    pub async fn login_meg(
        &mut self,
        conn: &mut Conn,
        phone: &mut Conn,
        rp: &RelyingParty,
        device: &crate::meg_device::Device,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=meg", local(location(&reply)?)?);
        let form = self.get(conn, &page).await?.expect(200, "login page (MEG)")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let challenge = element_text(&form, "meg-url")?;
        let answer = phone.post_json(&local(&challenge)?, &device.approval(&challenge)?).await?;
        let answer = answer.expect(200, "the device's approval")?.json()?;
        if answer.get("status").and_then(|s| s.as_str()) != Some("approved") {
            return Err(format!("the device's approval was answered with {answer}").into());
        }
        let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("action", "continue")];
        let reply = self.post(conn, "/login/meg", &fields).await?.expect(303, "Continue (MEG)")?;
        code_of(&reply, rp)
    }

    /// The whole mojeID login: authorize → the login page of the means → POST username and
    /// password → the key page → the key's answer to its challenge → the code at the relying
    /// party. `origin` is the issuer's, as the browser's address bar has it.
    pub async fn login_key(
        &mut self,
        conn: &mut Conn,
        rp: &RelyingParty,
        (username, password): (&str, &str),
        key: &crate::authenticator::SecurityKey,
        origin: &str,
        scope: &str,
    ) -> Result<String, Error> {
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=mojeid", local(location(&reply)?)?);
        let form = self.get(conn, &page).await?.expect(200, "login page (mojeID)")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let fields = [
            ("interaction", interaction.as_str()),
            ("csrf", &csrf),
            ("means", "mojeid"),
            ("username", username),
            ("password", password),
        ];
        let reply = self.post(conn, "/login", &fields).await?.expect(303, "login (mojeID)")?;
        let key_page = self.get(conn, &local(location(&reply)?)?).await?.expect(200, "key page")?;
        let (interaction, csrf) = hidden_fields(&key_page)?;
        let answer = key.assert(&ceremony_options(&key_page)?, origin)?.to_string();
        let fields =
            [("interaction", interaction.as_str()), ("csrf", &csrf), ("credential", &answer), ("action", "verify")];
        let reply = self.post(conn, "/login/key", &fields).await?.expect(303, "the key's answer")?;
        code_of(&reply, rp)
    }

    /// Registers `key` on the account page of this browser's SSO session, as the only key of the
    /// account (any registered before are removed first).
    pub async fn register_key(
        &mut self,
        conn: &mut Conn,
        key: &crate::authenticator::SecurityKey,
        origin: &str,
    ) -> Result<(), Error> {
        let mut page = self.get(conn, "/account/keys").await?.expect(200, "account keys page")?;
        while let Some(old) = attribute(&page, "data-credential")? {
            let (ceremony, csrf) = (field(&page, "ceremony")?, field(&page, "csrf")?);
            let fields =
                [("ceremony", ceremony.as_str()), ("csrf", &csrf), ("action", "remove"), ("credential_id", &old)];
            page = self.post(conn, "/account/keys", &fields).await?.expect(200, "removing a key")?;
        }
        let (ceremony, csrf) = (field(&page, "ceremony")?, field(&page, "csrf")?);
        let answer = key.register(&ceremony_options(&page)?, origin)?.to_string();
        let fields = [
            ("ceremony", ceremony.as_str()),
            ("csrf", &csrf),
            ("action", "add"),
            ("name", "bench key"),
            ("credential", &answer),
        ];
        let page = self.post(conn, "/account/keys", &fields).await?.expect(200, "registering a key")?;
        if attribute(&page, "data-credential")?.as_deref() != Some(key.credential_id().as_str()) {
            return Err("the account page does not list the key registered".into());
        }
        Ok(())
    }

    /// The whole bank identity login: authorize → identita's bank picker → the bank chosen (a
    /// redirect to the bank) → the bank's NIA ID login, in `at_bank` (the bank's own cookies, on
    /// its own connection) → back at identita's callback (which redeems the bank's code and
    /// checks its ID token) → the code at the relying party.
    pub async fn login_bank(
        &mut self,
        conn: &mut Conn,
        rp: &RelyingParty,
        bank: (&mut Browser, &mut Conn),
        credentials: (&str, &str, &str),
        inbox: &crate::sms::Inbox,
        scope: &str,
    ) -> Result<String, Error> {
        let (at_bank, bank_conn) = bank;
        let reply = self.get(conn, &rp.authorize_path(scope)).await?.expect(303, "authorize")?;
        let page = format!("{}&means=bank", local(location(&reply)?)?);
        let picker = self.get(conn, &page).await?.expect(200, "bank picker")?;
        let (interaction, csrf) = hidden_fields(&picker)?;
        let fields = [("interaction", interaction.as_str()), ("csrf", &csrf), ("bank", crate::fixture::BANK_ID)];
        let reply = self.post(conn, "/login/bank", &fields).await?.expect(303, "the bank chosen")?;
        let reply = at_bank.get(bank_conn, &local(location(&reply)?)?).await?.expect(303, "authorize at the bank")?;
        let form = at_bank.get(bank_conn, &local(location(&reply)?)?).await?.expect(200, "login page at the bank")?;
        let reply = at_bank.password_and_sms(bank_conn, &form, credentials, inbox).await?;
        let callback = local(location(&reply)?)?;
        if !callback.starts_with("/login/bank/callback?") {
            return Err(format!("the bank sent the browser to {callback}").into());
        }
        let reply = self.get(conn, &callback).await?.expect(303, "identita's bank callback")?;
        code_of(&reply, rp)
    }

    /// A password login that a SAML request at `sso_path` (a signed HTTP-Redirect request)
    /// began: the request → the face's login page → POST username and password (with the
    /// form's hidden fields, to its action) → the redirects after it → the page that posts the
    /// response to the service provider, returned.
    pub async fn login_saml(
        &mut self,
        conn: &mut Conn,
        sso_path: &str,
        username: &str,
        password: &str,
    ) -> Result<Reply, Error> {
        let reply = self.get(conn, sso_path).await?.expect(303, "SAML request without a session")?;
        let form = self.get(conn, &local(location(&reply)?)?).await?.expect(200, "the face's login page")?;
        let action = attribute_after(&form, r#"<form id="login" method="post" action=""#)?.ok_or("no login form")?;
        let (interaction, csrf) = hidden_fields(&form)?;
        let means = field(&form, "means").unwrap_or_default();
        let fields = [
            ("interaction", interaction.as_str()),
            ("csrf", &csrf),
            ("means", &means),
            ("username", username),
            ("password", password),
        ];
        let mut reply = self.post(conn, &action, &fields).await?;
        for _ in 0..5 {
            if reply.status != 303 {
                break;
            }
            reply = self.get(conn, &local(location(&reply)?)?).await?;
        }
        reply.expect(200, "the page posting the SAML response")
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

/// The text of the element with `id` (a `<code>` holding a URL, say), unescaped.
fn element_text(page: &Reply, id: &str) -> Result<String, Error> {
    let html = std::str::from_utf8(&page.body)?;
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).ok_or_else(|| format!("the page has no #{id}"))? + marker.len();
    let len = html[start..].find('<').ok_or("an unterminated element")?;
    unescape(&html[start..start + len])
}

/// The base64 `SAMLResponse` of the page that posts it to a service provider.
pub fn saml_response(page: &Reply) -> Result<String, Error> {
    field(page, "SAMLResponse")
}

/// The `interaction` and `csrf` hidden inputs of a page's form.
fn hidden_fields(page: &Reply) -> Result<(String, String), Error> {
    Ok((field(page, "interaction")?, field(page, "csrf")?))
}

/// The value of the first input named `name` on a page.
fn field(page: &Reply, name: &str) -> Result<String, Error> {
    attribute_after(page, &format!("name=\"{name}\" value=\""))?
        .ok_or_else(|| format!("the page has no {name} field").into())
}

/// The first value of attribute `name` on a page, if any.
fn attribute(page: &Reply, name: &str) -> Result<Option<String>, Error> {
    attribute_after(page, &format!("{name}=\""))
}

/// The attribute value that follows `marker` (which ends with its opening quote), unescaped.
fn attribute_after(page: &Reply, marker: &str) -> Result<Option<String>, Error> {
    let html = std::str::from_utf8(&page.body)?;
    let Some(start) = html.find(marker).map(|i| i + marker.len()) else { return Ok(None) };
    let len = html[start..].find('"').ok_or("an unterminated value")?;
    Ok(Some(unescape(&html[start..start + len])?))
}

/// The WebAuthn options a key page hands its script (`data-options`, JSON).
fn ceremony_options(page: &Reply) -> Result<serde_json::Value, Error> {
    let options = attribute(page, "data-options")?.ok_or("the page has no WebAuthn options")?;
    Ok(serde_json::from_str(&options)?)
}

/// Text with HTML's character references (`&amp;`, `&quot;`, `&#34;`, `&#x2F;`) decoded.
fn unescape(text: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').ok_or("an unterminated character reference")? + at;
        let name = &rest[at + 1..end];
        let decoded = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16)?,
                    None => name.strip_prefix('#').ok_or_else(|| format!("&{name};"))?.parse()?,
                };
                char::from_u32(code).ok_or_else(|| format!("&{name};"))?
            }
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn character_references_are_decoded() {
        let text = "{&#34;a&#34;:&quot;b&amp;c&#x2F;d&lt;&#39;&quot;}";
        assert_eq!(super::unescape(text).unwrap(), r#"{"a":"b&c/d<'"}"#);
        assert!(super::unescape("a &amp b").is_err());
    }
}
