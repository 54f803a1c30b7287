//! `drop-state` and `error-page-500`: a layer that spoils the router's responses on the way out.
//!
//! An authorization response is recognised by its `iss` parameter (RFC 9207: identita puts it in
//! every one, success or error): in a redirect's query or fragment, or as a hidden field of the
//! form_post page. `drop-state` takes the response's `state` out of it. `error-page-500` turns an
//! error page — an HTML page with a 4xx status other than the login form's 401 and the 429 of
//! the throttles — into a bare 500.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Debug, Clone)]
pub struct Spoil {
    pub drop_state: bool,
    pub error_page_500: bool,
}

impl Spoil {
    pub fn any(&self) -> bool {
        self.drop_state || self.error_page_500
    }
}

pub async fn spoil(State(spoil): State<Spoil>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let status = response.status();
    if spoil.error_page_500
        && html
        && status.is_client_error()
        && status != StatusCode::UNAUTHORIZED
        && status != StatusCode::TOO_MANY_REQUESTS
    {
        let (mut parts, _) = response.into_parts();
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from("Internal Server Error"));
    }
    if !spoil.drop_state {
        return response;
    }
    if let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok())
        && let Some(spoiled) = location_without_state(location)
        && let Ok(value) = HeaderValue::from_str(&spoiled)
    {
        response.headers_mut().insert(header::LOCATION, value);
        return response;
    }
    if html && status == StatusCode::OK {
        let (mut parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return Response::from_parts(parts, Body::empty());
        };
        let spoiled = std::str::from_utf8(&bytes).ok().and_then(form_post_without_state);
        let body = match spoiled {
            Some(page) => {
                parts.headers.remove(header::CONTENT_LENGTH);
                Body::from(page)
            }
            None => Body::from(bytes),
        };
        return Response::from_parts(parts, body);
    }
    response
}

/// The redirect `location` without the authorization response's `state`, when it carries an
/// authorization response (an `iss` in its fragment or its query).
fn location_without_state(location: &str) -> Option<String> {
    let (before, fragment) = match location.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (location, None),
    };
    if let Some(fragment) = fragment
        && has(fragment, "iss")
    {
        return Some(format!("{before}#{}", without_last(fragment, "state")?));
    }
    let (base, query) = before.split_once('?')?;
    if !has(query, "iss") {
        return None;
    }
    let query = without_last(query, "state")?;
    Some(match fragment {
        Some(fragment) => format!("{base}?{query}#{fragment}"),
        None => format!("{base}?{query}"),
    })
}

fn has(encoded: &str, name: &str) -> bool {
    encoded.split('&').any(|pair| pair.split_once('=').map_or(pair, |(n, _)| n) == name)
}

/// `encoded` without its last `name` parameter: the response's own, which comes after any a
/// registered redirect URI had. `None` when there is none.
fn without_last(encoded: &str, name: &str) -> Option<String> {
    let mut pairs: Vec<&str> = encoded.split('&').collect();
    let last = pairs.iter().rposition(|pair| pair.split_once('=').map_or(*pair, |(n, _)| n) == name)?;
    pairs.remove(last);
    Some(pairs.join("&"))
}

/// The form_post page (templates/form_post.html) without its `state` field, when `page` is one
/// (it has an `iss` field).
fn form_post_without_state(page: &str) -> Option<String> {
    const STATE: &str = "<input type=\"hidden\" name=\"state\" value=\"";
    if !page.contains("<input type=\"hidden\" name=\"iss\" value=\"") {
        return None;
    }
    let start = page.find(STATE)?;
    // The value is escaped: its closing quote is the first one.
    let end = start + STATE.len() + page[start + STATE.len()..].find("\">")? + 2;
    let end = if page[end..].starts_with('\n') { end + 1 } else { end };
    Some(format!("{}{}", &page[..start], &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_leaves_query_and_fragment_responses() {
        assert_eq!(
            location_without_state("https://rp/cb?state=mine&code=c&state=s+1&iss=https%3A%2F%2Fop").unwrap(),
            "https://rp/cb?state=mine&code=c&iss=https%3A%2F%2Fop"
        );
        assert_eq!(
            location_without_state("https://rp/cb#code=c&state=s&iss=https%3A%2F%2Fop").unwrap(),
            "https://rp/cb#code=c&iss=https%3A%2F%2Fop"
        );
        assert_eq!(
            location_without_state("https://rp/cb?error=login_required&state=s&iss=x").unwrap(),
            "https://rp/cb?error=login_required&iss=x"
        );
        // Not an authorization response: a logout's redirect, the way to the login page.
        assert_eq!(location_without_state("https://rp/out?state=s"), None);
        assert_eq!(location_without_state("/login?interaction=i"), None);
        // An authorization response without state.
        assert_eq!(location_without_state("https://rp/cb?code=c&iss=x"), None);
    }

    #[test]
    fn state_leaves_the_form_post_page() {
        let page = "<form>\n<input type=\"hidden\" name=\"code\" value=\"c\">\n\
            <input type=\"hidden\" name=\"state\" value=\"a&amp;b&#34;\">\n\
            <input type=\"hidden\" name=\"iss\" value=\"https://op\">\n</form>";
        assert_eq!(
            form_post_without_state(page).unwrap(),
            "<form>\n<input type=\"hidden\" name=\"code\" value=\"c\">\n\
            <input type=\"hidden\" name=\"iss\" value=\"https://op\">\n</form>"
        );
        assert_eq!(form_post_without_state("<p>the login page</p>"), None);
    }
}
