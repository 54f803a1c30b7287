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
///
/// WCAG 1.4.11 (non-text contrast): the borders of inputs and buttons (`--control`) and the
/// focus ring (`--focus`) keep at least 3:1 against the card and the page background in both
/// schemes (light: #6e7781 4.5:1 and #1a5fb4 6.3:1 on white; dark: #7d8590 4.3:1 and #f0a30a
/// 7.7:1 on #1a2129); the card's own outline is decoration and may be lighter. A field in error
/// (`aria-invalid="true"`) gets the danger colour and a thicker border, not colour alone: its
/// message is also linked by `aria-describedby`.
pub const STYLESHEET: &str = r#":root {
  color-scheme: light dark;
  --bg: #f3f5f8;
  --card: #ffffff;
  --text: #1b1f24;
  --muted: #57606a;
  --border: #d0d7de;
  --control: #6e7781;
  --link: #0b5cad;
  --invalid: #b3261e;
  --accent: #11457e;
  --accent-text: #ffffff;
  --danger-bg: #fdecea;
  --danger-text: #8a1c12;
  --focus: #1a5fb4;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419;
    --card: #1a2129;
    --text: #e6edf3;
    --muted: #9aa6b2;
    --border: #384350;
    --control: #7d8590;
    --link: #8ab4f8;
    --invalid: #ff8a80;
    --focus: #f0a30a;
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
  width: calc(100% - 2rem);
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
  border: 1px solid var(--control);
  border-radius: 0.375rem;
}
input[aria-invalid="true"] { border: 2px solid var(--invalid); }
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
button.secondary { background: transparent; color: var(--text); border-color: var(--control); }
button.link {
  min-height: 2.75rem;
  padding: 0.5rem 0;
  background: none;
  border: none;
  color: var(--link);
  font-weight: 400;
  text-decoration: underline;
}
a { color: var(--link); }
h2 { margin: 1.5rem 0 0.5rem; font-size: 1.125rem; line-height: 1.3; }
dl.values { margin: 0 0 1rem; }
dl.values div { display: flex; flex-wrap: wrap; gap: 0 0.75rem; padding: 0.375rem 0; border-bottom: 1px solid var(--border); }
dl.values dt { flex: 0 0 9rem; color: var(--muted); }
dl.values dd { margin: 0; flex: 1 1 12rem; font-weight: 600; overflow-wrap: anywhere; }
.account { display: flex; flex-wrap: wrap; align-items: center; gap: 0 1rem; margin: 0 0 1rem; }
.account p { margin: 0; }
form.switch { margin: 0; }
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
nav.means { margin: 0 0 1.25rem; }
nav.means h2 { margin-top: 0; font-size: 1rem; }
nav.means ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
nav.means a, nav.means span {
  display: block;
  padding: 0.625rem 0.75rem;
  border: 1px solid var(--control);
  border-radius: 0.375rem;
}
nav.means [aria-current="page"] { border: 2px solid var(--accent); font-weight: 600; }
nav.means [aria-current="page"]::before { content: "✓ "; }
.status {
  padding: 0.75rem 1rem;
  border-radius: 0.375rem;
  border: 1px solid var(--border);
}
input[inputmode="numeric"] { letter-spacing: 0.2em; font-variant-numeric: tabular-nums; }
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

    /// WCAG 2.x relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The value of `--name` in the first block of the sheet that declares it after `from`.
    fn var(from: &str, name: &str) -> String {
        let start = STYLESHEET.find(from).unwrap();
        let rest = &STYLESHEET[start..];
        let at = rest.find(&format!("--{name}:")).unwrap();
        rest[at..].split([':', ';']).nth(1).unwrap().trim().to_owned()
    }

    #[test]
    fn controls_and_the_focus_ring_reach_3_to_1_in_both_schemes() {
        for scheme in [":root {", "@media (prefers-color-scheme: dark)"] {
            for surface in ["card", "bg"] {
                for part in ["control", "focus", "invalid"] {
                    let ratio = contrast(&var(scheme, part), &var(scheme, surface));
                    assert!(ratio >= 3.0, "{scheme}: --{part} on --{surface} is {ratio:.2}:1");
                }
            }
        }
        assert!(STYLESHEET.contains("border: 1px solid var(--control)"));
        assert!(STYLESHEET.contains(":focus-visible { outline: 3px solid var(--focus)"));
    }
}
