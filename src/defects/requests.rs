//! `ignore-prompt-login` and `prompt-none-page`: a layer that rewrites the `prompt` parameter of
//! a request to the authorization endpoint (its query, or its form for a POST) before the router
//! sees it, so that the honest code does what the request did not ask for. `ignore-prompt-login`
//! removes `login` (an existing session then answers at once); `prompt-none-page` turns `none`
//! into `login` (the login page is shown instead of a silent answer).
//!
//! `logout-keeps-session`: the same layer takes the cookies off every request to the end-session
//! endpoint, so the honest code finds no session in the browser: it shows its logged-out page but
//! ends no session (unless an `id_token_hint` names one), and the person stays logged in.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::form;

#[derive(Debug, Clone)]
pub struct Rewrite {
    /// The authorization endpoint's path, with the issuer's base path.
    pub authorization: String,
    /// The end-session endpoint's path, with the issuer's base path.
    pub end_session: String,
    pub max_body_bytes: usize,
    pub ignore_prompt_login: bool,
    pub prompt_none_page: bool,
    pub logout_keeps_session: bool,
}

impl Rewrite {
    pub fn any(&self) -> bool {
        self.ignore_prompt_login || self.prompt_none_page || self.logout_keeps_session
    }

    /// The `prompt` value as the defects want it; `None` to leave the parameter out.
    fn prompt(&self, value: &str) -> Option<String> {
        let words: Vec<&str> = value
            .split(' ')
            .filter(|w| !w.is_empty())
            .filter(|w| !(self.ignore_prompt_login && *w == "login"))
            .map(|w| if self.prompt_none_page && w == "none" { "login" } else { w })
            .collect();
        (!words.is_empty()).then(|| words.join(" "))
    }

    /// `encoded` (a query or a form body) with its `prompt` rewritten; the other parameters stay
    /// as they were sent, byte for byte. `None` when there is nothing to change.
    fn params(&self, encoded: &str) -> Option<String> {
        let mut changed = false;
        let mut kept = Vec::new();
        for pair in encoded.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name != "prompt" {
                kept.push(pair.to_owned());
                continue;
            }
            let value = url::form_urlencoded::parse(format!("v={value}").as_bytes()).next()?.1.into_owned();
            changed = true;
            if let Some(prompt) = self.prompt(&value) {
                kept.push(url::form_urlencoded::Serializer::new(String::new()).append_pair("prompt", &prompt).finish());
            }
        }
        changed.then(|| kept.join("&"))
    }
}

pub async fn rewrite(State(rewrite): State<Rewrite>, mut request: Request, next: Next) -> Response {
    if rewrite.logout_keeps_session && request.uri().path() == rewrite.end_session {
        request.headers_mut().remove(axum::http::header::COOKIE);
        return next.run(request).await;
    }
    if request.uri().path() != rewrite.authorization {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    if let Some(query) = parts.uri.query().and_then(|q| rewrite.params(q)) {
        let path_and_query = format!("{}?{query}", parts.uri.path());
        let mut uri = parts.uri.clone().into_parts();
        uri.path_and_query = PathAndQuery::try_from(path_and_query).ok();
        if let Ok(new) = Uri::from_parts(uri) {
            parts.uri = new;
        }
    }
    if parts.method != Method::POST || !form::is_form(&parts.headers) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Ok(bytes) = axum::body::to_bytes(body, rewrite.max_body_bytes).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let rewritten = std::str::from_utf8(&bytes).ok().and_then(|text| rewrite.params(text));
    let body = match rewritten {
        Some(text) => {
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            Body::from(text)
        }
        None => Body::from(bytes),
    };
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(ignore_prompt_login: bool, prompt_none_page: bool) -> Rewrite {
        Rewrite {
            authorization: "/authorize".into(),
            end_session: "/logout".into(),
            max_body_bytes: 1024,
            ignore_prompt_login,
            prompt_none_page,
            logout_keeps_session: false,
        }
    }

    #[test]
    fn ignore_prompt_login_removes_login_only() {
        let r = rewrite(true, false);
        assert_eq!(r.params("client_id=c&prompt=login&state=a%20b").unwrap(), "client_id=c&state=a%20b");
        assert_eq!(r.params("prompt=login+consent&x=1").unwrap(), "prompt=consent&x=1");
        assert_eq!(r.params("prompt=none").unwrap(), "prompt=none");
        assert_eq!(r.params("client_id=c&scope=openid"), None);
    }

    #[test]
    fn prompt_none_page_turns_none_into_login() {
        let r = rewrite(false, true);
        assert_eq!(r.params("prompt=none&client_id=c").unwrap(), "prompt=login&client_id=c");
        assert_eq!(r.params("prompt=consent").unwrap(), "prompt=consent");
    }
}
