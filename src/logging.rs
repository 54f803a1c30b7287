//! The log: `tracing` events to standard error, filtered by `IDENTITA_LOG` (default
//! `info,sqlx=warn,tower_http=warn`), as text or — `log.format = "json"`,
//! `IDENTITA_LOG__FORMAT=json` — one JSON object per line. Colours only on a terminal, so a file,
//! a pipe or a container log never holds escape codes.
//!
//! What goes into the log is kept free of secrets where it is written: query strings are
//! redacted (src/http/trace.rs), URLs with passwords are shown with [`redacted_url`].

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{LogConfig, LogFormat};

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=warn";

/// Installs the process's subscriber (once; a second call changes nothing).
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_env("IDENTITA_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing::subscriber::set_global_default(subscriber(config.format, filter, ansi, std::io::stderr));
}

/// The subscriber for `format`, writing to `writer`.
pub fn subscriber<W>(format: LogFormat, filter: EnvFilter, ansi: bool, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        // Fields at the top level (`"client_id": …` rather than `"fields": {"client_id": …}`), the
        // way log collectors index them; JSON never carries colours.
        LogFormat::Json => Box::new(builder.json().flatten_event(true).with_ansi(false).finish()),
    }
}

/// A database or Redis URL for the log: the password (in the user part, or a `password` query
/// parameter) replaced by `***`; anything that does not parse as a URL is shown by scheme only.
pub fn redacted_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:…"),
            None => "…".to_owned(),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let secret_query = parsed.query_pairs().any(|(name, _)| name.to_ascii_lowercase().contains("password"));
    if secret_query {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value =
                    if name.to_ascii_lowercase().contains("password") { "***".into() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat, ansi: bool) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(format, EnvFilter::new("info"), ansi, move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(endpoint = "token", client_id = ?"rp", "request refused");
            tracing::debug!("filtered out");
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn json_format_writes_one_object_per_line_with_the_fields_at_the_top() {
        let text = logged(LogFormat::Json, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(event["level"], "INFO");
        assert_eq!(event["message"], "request refused");
        assert_eq!(event["endpoint"], "token");
        assert!(!text.contains('\u{1b}'), "no escape codes in JSON: {text:?}");
    }

    #[test]
    fn text_format_has_colours_only_when_asked() {
        let plain = logged(LogFormat::Text, false);
        assert!(plain.contains("request refused") && plain.contains("endpoint=\"token\""), "{plain}");
        assert!(!plain.contains('\u{1b}'), "{plain:?}");
        assert!(logged(LogFormat::Text, true).contains('\u{1b}'));
    }

    #[test]
    fn passwords_in_urls_are_replaced() {
        assert_eq!(redacted_url("postgres://idp:s3cret@db:5432/identita"), "postgres://idp:***@db:5432/identita");
        assert_eq!(
            redacted_url("postgresql://db/identita?user=idp&password=s3cret&sslmode=require"),
            "postgresql://db/identita?user=idp&password=***&sslmode=require"
        );
        assert_eq!(redacted_url("sqlite://data/identita.db?mode=rwc"), "sqlite://data/identita.db?mode=rwc");
        assert_eq!(redacted_url("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
        assert!(!redacted_url("s3cret").contains("s3cret"));
    }
}
