//! Delivering an authorization response to the browser: a redirect for the query and fragment
//! modes, an auto-submitting form for `form_post`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages::FormPostPage;
use super::security;
use crate::oidc::authorize::AuthorizationResponse;
use crate::secret;

pub fn authorization_response(response: &AuthorizationResponse) -> Response {
    match response.redirect_url() {
        Some(url) => redirect(&url),
        None => {
            let nonce = secret::random_token(16);
            let page = FormPostPage {
                action: response.target.redirect_uri.clone(),
                fields: response.params.clone(),
                script_nonce: nonce.clone(),
            };
            security::page(StatusCode::OK, page.render(), Some(&nonce))
        }
    }
}

/// A 303 See Other: after a POST the browser follows with a GET.
pub fn redirect(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            security::no_store(response.headers_mut());
            response
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}
