//! The one stylesheet of the person-facing pages, compiled into the binary.
//!
//! Serving it from the app (rather than inline `<style>`) lets the pages run under a
//! Content-Security-Policy of `style-src 'self'`; it loads no fonts, images or other resources.

use axum::http::header;
use axum::response::IntoResponse;

/// Where the router serves [`STYLESHEET`], relative to the issuer's path prefix; the templates
/// link to `{base}/static/identita.css`.
pub const STYLESHEET_PATH: &str = "/static/identita.css";

/// The stylesheet: system fonts, a centred card, visible focus, light and dark schemes.
pub const STYLESHEET: &str = r#":root {
  color-scheme: light dark;
  --bg: #f3f5f8;
  --card: #ffffff;
  --text: #1b1f24;
  --muted: #57606a;
  --border: #d0d7de;
  --accent: #11457e;
  --accent-text: #ffffff;
  --danger-bg: #fdecea;
  --danger-text: #8a1c12;
  --focus: #f0a30a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419;
    --card: #1a2129;
    --text: #e6edf3;
    --muted: #9aa6b2;
    --border: #384350;
    --accent: #5b9bd5;
    --accent-text: #0f1419;
    --danger-bg: #3d1a17;
    --danger-text: #ffb4aa;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  align-items: center;
  background: var(--bg);
  color: var(--text);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  line-height: 1.5;
}
header.site {
  width: 100%;
  max-width: 30rem;
  padding: 1.5rem 1rem 0.5rem;
}
header.site .brand { margin: 0; font-weight: 700; font-size: 1.25rem; letter-spacing: 0.02em; }
header.site .tagline { margin: 0; color: var(--muted); font-size: 0.875rem; }
main {
  width: 100%;
  max-width: 30rem;
  margin: 0.5rem 1rem 2rem;
  padding: 1.5rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 0.5rem;
}
h1 { margin: 0 0 1rem; font-size: 1.5rem; line-height: 1.25; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); }
.field { margin: 0 0 1rem; }
label { display: block; margin-bottom: 0.25rem; font-weight: 600; }
input[type="text"], input[type="password"] {
  width: 100%;
  padding: 0.625rem 0.75rem;
  font: inherit;
  color: inherit;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 0.375rem;
}
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin-top: 1.5rem; }
button {
  flex: 1 1 auto;
  min-height: 2.75rem;
  padding: 0.625rem 1rem;
  font: inherit;
  font-weight: 600;
  cursor: pointer;
  border-radius: 0.375rem;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-text);
}
button.secondary { background: transparent; color: var(--text); border-color: var(--border); }
button:hover { filter: brightness(1.08); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.alert {
  padding: 0.75rem 1rem;
  border-radius: 0.375rem;
  background: var(--danger-bg);
  color: var(--danger-text);
}
ul.scopes { margin: 0 0 1rem; padding-left: 1.25rem; }
ul.scopes li { margin-bottom: 0.25rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.client-logo { display: block; max-height: 3rem; max-width: 12rem; margin: 0 0 1rem; }
.client-links { font-size: 0.875rem; color: var(--muted); }
.client-links a { margin-right: 0.75rem; }
"#;

/// Serves [`STYLESHEET`]; it changes only with the binary, so clients may cache it for a day.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_loads_nothing_external() {
        assert!(!STYLESHEET.contains("url("));
        assert!(!STYLESHEET.contains("@import"));
        assert!(!STYLESHEET.contains("@font-face"));
    }
}
