//! A first-party portal (no consent page) registered at a test server, as the tests of the means
//! and the levels of assurance use it: its code requests, the redirect back to it, and the ID
//! token its code buys — and the pieces of login pages those tests read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{Landing, TestServer, params_of};

/// Where every portal of these tests is sent back to (nothing listens there).
pub const PORTAL_REDIRECT: &str = "http://127.0.0.1:9/cb";

pub struct Portal {
    pub id: String,
    pub secret: Option<String>,
    /// The `state` of its requests, checked on the way back.
    pub state: &'static str,
    /// Its redirect URI.
    pub redirect: String,
    authorize: String,
    token: String,
}

impl Portal {
    /// A first-party confidential client of `server`, sending `state` with its requests.
    pub async fn register(server: &TestServer, state: &'static str) -> Portal {
        Portal::register_at(server, state, PORTAL_REDIRECT).await
    }

    /// The same, named "Portál občana", with `redirect` (a relying party that listens, for a
    /// real browser) as its redirect URI.
    pub async fn register_at(server: &TestServer, state: &'static str, redirect: &str) -> Portal {
        let client = json!({ "client_name": "Portál občana", "redirect_uris": [redirect], "first_party": true });
        let (id, secret) = server.add_client(client).await;
        let (authorize, token) = (server.url("/authorize"), server.url("/token"));
        Portal { id, secret, state, redirect: redirect.to_owned(), authorize, token }
    }

    /// A code request for `openid`; `extra` adds parameters or replaces these defaults.
    pub fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.id),
            ("redirect_uri", &self.redirect),
            ("scope", "openid"),
            ("state", self.state),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            params.push((name, value));
        }
        let mut url = url::Url::parse(&self.authorize).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// The redirect back to this portal, after checking it goes there and carries the state.
    pub fn back(&self, landing: Landing) -> String {
        match landing {
            Landing::Redirect(to) => {
                assert!(to.starts_with(&self.redirect), "redirect to the wrong place: {to}");
                assert_eq!(params_of(&to).get("state").map(String::as_str), Some(self.state), "{to}");
                to
            }
            Landing::Page(status, html) => panic!("expected a redirect to the portal, got a page ({status}):\n{html}"),
        }
    }

    /// The claims of the ID token the code in `redirect` (the redirect back here) buys.
    pub async fn id_token(&self, redirect: &str) -> Value {
        let code = params_of(redirect).get("code").cloned().unwrap_or_else(|| panic!("no code in {redirect}"));
        let response = reqwest::Client::new()
            .post(&self.token)
            .basic_auth(&self.id, self.secret.as_deref())
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &self.redirect)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let tokens: Value = response.json().await.unwrap();
        let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    /// The same for the query a listening relying party was called with.
    pub async fn id_token_from_query(&self, query: &str) -> Value {
        self.id_token(&format!("{}?{query}", self.redirect)).await
    }
}

/// The page a browser landed on, failing on a redirect.
pub fn page(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("expected a page, got a redirect to {to}"),
    }
}

/// The `interaction` hidden field of a page.
pub fn interaction_of(html: &str) -> String {
    let marker = r#"name="interaction" value=""#;
    let start = html.find(marker).unwrap_or_else(|| panic!("no interaction in:\n{html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The text of the element with `id` (no nested tags), unescaped.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let close = open + html[open..].find('<')?;
    Some(
        html[open..close]
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'"),
    )
}
