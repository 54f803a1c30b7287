//! The Markdown report: one row per scenario run, each rate set against its bound and target,
//! then the server's memory.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::bounds::Bounds;
use crate::http::Error;

/// What a scenario is held to: a share of a bound's rate, or an absolute rate.
enum Target {
    Ratio(f64),
    Rate(f64),
    None,
}

/// The label, the bounding operation (name and its rate) and the target of a scenario.
fn describe(scenario: &str, b: &Bounds) -> (&'static str, Option<(&'static str, f64)>, Target) {
    match scenario {
        "client_credentials" => ("client credentials grant", None, Target::Rate(10_000.0)),
        "code_rs256" => ("code exchange, RS256 ID token", Some(("RS256 sign", b.rs256_per_second)), Target::Ratio(0.8)),
        "code_es256" => ("code exchange, ES256 ID token", Some(("ES256 sign", b.es256_per_second)), Target::None),
        "refresh" => ("refresh (rotation, RS256 ID token)", Some(("RS256 sign", b.rs256_per_second)), Target::None),
        "userinfo" => ("userinfo", None, Target::Rate(20_000.0)),
        "introspection" => ("introspection", None, Target::None),
        "login" => (
            "complete password login (4 pages + token)",
            Some(("argon2id check", b.argon2id_per_second)),
            Target::Ratio(0.8),
        ),
        _ => ("?", None, Target::None),
    }
}

fn lines(path: &Path) -> Result<Vec<Value>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| Ok(serde_json::from_str(l)?)).collect()
}

fn num(value: &Value, name: &str) -> f64 {
    value.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

pub fn table(results: &Path, bounds: &Path, memory: &Path) -> Result<String, Error> {
    let b: Bounds = serde_json::from_str(&std::fs::read_to_string(bounds)?)?;
    let mut out = String::new();
    writeln!(
        out,
        "| scenario | run | conc. | req/s | p50 ms | p90 ms | p99 ms | errors | bound (/s on this core) | ratio to bound | target | met? |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for line in lines(results)? {
        let scenario = line.get("scenario").and_then(Value::as_str).unwrap_or("?");
        let o = line.get("outcome").cloned().unwrap_or(Value::Null);
        let rate = num(&o, "per_second");
        let (label, bound, target) = describe(scenario, &b);
        let ratio = bound.map(|(_, r)| rate / r);
        let bound_text = bound.map(|(name, r)| format!("{name} {r:.0}")).unwrap_or_else(|| "—".into());
        let ratio_text = ratio.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into());
        let (target_text, met) = match target {
            Target::Ratio(t) => (format!("≥ {:.0}% of bound", t * 100.0), ratio.map(|r| r >= t)),
            Target::Rate(t) => (format!("≥ {t:.0}/s"), Some(rate >= t)),
            Target::None => ("—".into(), None),
        };
        let errors = o.get("errors").and_then(Value::as_u64).unwrap_or(0);
        let dry = if o.get("ran_dry").and_then(Value::as_bool) == Some(true) { " (codes ran out)" } else { "" };
        writeln!(
            out,
            "| {label}{dry} | {} | {} | {rate:.0} | {:.2} | {:.2} | {:.2} | {errors} | {bound_text} | {ratio_text} | {target_text} | {} |",
            line.get("round").and_then(Value::as_u64).unwrap_or(1),
            o.get("concurrency").and_then(Value::as_u64).unwrap_or(0),
            num(&o, "p50_ms"),
            num(&o, "p90_ms"),
            num(&o, "p99_ms"),
            match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            },
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Bounds measured in this run on the server's core: argon2id ({}) {:.1}/s ({:.1} ms), RS256 {:.0}/s ({:.3} ms), ES256 {:.0}/s ({:.1} µs).",
        b.argon2id_params,
        b.argon2id_per_second,
        1000.0 / b.argon2id_per_second,
        b.rs256_per_second,
        1000.0 / b.rs256_per_second,
        b.es256_per_second,
        1_000_000.0 / b.es256_per_second
    )?;
    writeln!(out)?;
    writeln!(out, "| server memory (VmRSS) | MiB | target | met? | how |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for m in lines(memory)? {
        let label = m.get("label").and_then(Value::as_str).unwrap_or("?");
        let mib = num(&m, "kib") / 1024.0;
        let (target, met) = match label {
            "idle" => ("≤ 30 MB".to_owned(), if mib * 1.048_576 <= 30.0 { "yes" } else { "**no**" }),
            _ => ("—".to_owned(), "—"),
        };
        let label = match m.get("sessions").and_then(Value::as_u64) {
            Some(n) => format!("with {n} live SSO sessions"),
            None => label.to_owned(),
        };
        let note = m.get("note").and_then(Value::as_str).unwrap_or_default();
        writeln!(out, "| {label} | {mib:.1} | {target} | {met} | {note} |")?;
    }
    Ok(out)
}
