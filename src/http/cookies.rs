//! The two cookies: the SSO session and the browser binding of login forms. Both `HttpOnly`,
//! `SameSite=Lax` (a top-level redirect from a client must carry them), `Secure` on https.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "identita_session";
pub const BROWSER: &str = "identita_browser";

/// The value of cookie `name` in the request, if any.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.trim_matches('"').to_owned())
    })
}

#[derive(Debug, Clone)]
pub struct CookieJar {
    pub secure: bool,
    /// Path prefix of the issuer, or "/".
    pub path: String,
}

impl CookieJar {
    pub fn set(&self, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let path = &self.path;
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }

    pub fn clear(&self, name: &str) -> Option<HeaderValue> {
        self.set(name, "", 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; identita_session=xyz; b=2"));
        assert_eq!(get(&headers, SESSION).as_deref(), Some("xyz"));
        assert_eq!(get(&headers, BROWSER), None);
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let jar = CookieJar { secure: true, path: "/".into() };
        let value = jar.set(SESSION, "v", 60).unwrap();
        let text = value.to_str().unwrap();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure"));
    }
}
