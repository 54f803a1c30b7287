//! The admin API's OpenAPI 3 document, written by hand in `openapi.json` beside this file and
//! served as it is; a test checks it describes every route of [`super::ROUTES`].

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn every_route_is_described() {
        let doc: Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for (method, path) in super::super::ROUTES {
            let operation = &doc["paths"][*path][*method];
            assert!(operation.is_object(), "{method} {path} is not in openapi.json");
            assert!(operation["responses"].is_object(), "{method} {path} has no responses");
        }
        let described: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(described, super::super::ROUTES.len(), "openapi.json describes a route that is not served");
    }
}
