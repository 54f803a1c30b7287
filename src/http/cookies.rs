//! The two cookies: the SSO session and the browser binding of login forms. Both `HttpOnly`,
//! `SameSite=Lax` (a top-level redirect from a client must carry them), `Secure` on https.
//!
//! On an https issuer without a path the names carry the `__Host-` prefix (RFC 6265bis §4.1.3.2):
//! the browser then takes them only from this host, over https, for the whole site, so neither
//! a sibling subdomain nor a plain-http answer can plant a session cookie. The prefix needs
//! `Secure` and `Path=/`, so on http (development) or under a path prefix the plain names stay;
//! the cookies of one configuration are read only by their own names.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "identita_session";
pub const BROWSER: &str = "identita_browser";

/// The value of cookie `name` (exactly that name) in the request, if any.
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
    /// The face's name (`[[faces]]`), `None` for the primary face: it ends the cookies' names, so
    /// that a face under a path does not take the cookies of the face at the root.
    pub face: Option<String>,
}

impl CookieJar {
    /// The name cookie `base` (`SESSION`, `BROWSER`) goes by in this configuration.
    pub fn name<'a>(&self, base: &'a str) -> Cow<'a, str> {
        let named = match &self.face {
            Some(face) => Cow::Owned(format!("{base}_{face}")),
            None => Cow::Borrowed(base),
        };
        if self.secure && self.path == "/" { Cow::Owned(format!("__Host-{named}")) } else { named }
    }

    /// The value of cookie `base` in the request, under its name in this configuration.
    pub fn get(&self, headers: &HeaderMap, base: &str) -> Option<String> {
        get(headers, &self.name(base))
    }

    pub fn set(&self, base: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
        let name = self.name(base);
        let secure = if self.secure { "; Secure" } else { "" };
        let path = &self.path;
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }

    pub fn clear(&self, base: &str) -> Option<HeaderValue> {
        self.set(base, "", 0)
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
        let jar = CookieJar { secure: true, path: "/".into(), face: None };
        let value = jar.set(SESSION, "v", 60).unwrap();
        let text = value.to_str().unwrap();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure"));
    }

    #[test]
    fn secure_cookies_for_the_whole_host_carry_the_host_prefix() {
        let jar = CookieJar { secure: true, path: "/".into(), face: None };
        let text = jar.set(SESSION, "v", 60).unwrap().to_str().unwrap().to_owned();
        assert!(text.starts_with("__Host-identita_session=v; Path=/;") && text.contains("; Secure"), "{text}");
        assert!(!text.contains("Domain"), "{text}");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("identita_session=planted; __Host-identita_session=v"));
        assert_eq!(jar.get(&headers, SESSION).as_deref(), Some("v"));
        // A cookie without the prefix is not the session's, even alone.
        headers.insert(header::COOKIE, HeaderValue::from_static("identita_session=planted"));
        assert_eq!(jar.get(&headers, SESSION), None);
    }

    #[test]
    fn plain_http_or_a_path_prefix_keep_the_plain_names() {
        for jar in [
            CookieJar { secure: false, path: "/".into(), face: None },
            CookieJar { secure: true, path: "/nia".into(), face: None },
        ] {
            let text = jar.set(BROWSER, "v", 60).unwrap().to_str().unwrap().to_owned();
            assert!(text.starts_with("identita_browser=v;"), "{text}");
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_static("identita_browser=v"));
            assert_eq!(jar.get(&headers, BROWSER).as_deref(), Some("v"));
        }
    }
}
