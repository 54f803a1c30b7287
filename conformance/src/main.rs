//! `conformance`: runs OpenID Foundation conformance test plans against an OpenID Provider, by
//! its issuer URL, as a black box: `conformance run --plan <name> --config <run.toml> --out <dir>`
//! and `conformance list`. Exits non-zero when a module fails that is not listed as an expected
//! failure, when a listed one does not fail, or when a module needs review (REVIEW) and no
//! reviewed-results file signs it off.

mod browser;
mod checks;
mod config;
mod expected;
mod http;
mod log;
mod plans;
mod report;
mod rp;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::log::TestLog;
use crate::plans::Ctx;

#[derive(Parser)]
#[command(version, about = "OpenID Provider conformance runner (reproduces the OpenID Foundation suite's checks)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a test plan against the OP of the run configuration.
    Run {
        #[arg(long)]
        plan: String,
        /// The plan's variant (see `list`): the client authentication (client_secret_basic, the
        /// default, client_secret_post, private_key_jwt) or the response type (`id_token token`,
        /// also written `id_token+token`).
        #[arg(long)]
        variant: Option<String>,
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        expected_failures: Option<PathBuf>,
        /// The reviewed-results file: REVIEW modules a person has signed off. A REVIEW module
        /// that is not in it makes the run exit 1.
        #[arg(long)]
        reviewed: Option<PathBuf>,
        /// Run only these modules (`--only a b` or `--only a --only b`).
        #[arg(long, num_args = 1..)]
        only: Vec<String>,
    },
    /// List the plans, their variants and their modules.
    List,
}

/// A module that hangs is stopped after this long.
const MODULE_TIMEOUT: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            for plan in plans::PLANS {
                println!("{} (variants: {})", plan.name, plan.variants.join(", "));
                let names = |v: &str| (plan.modules)(v).iter().map(|m| m.name).collect::<Vec<_>>();
                let per_variant = plan.variants.iter().any(|v| names(v) != names(plan.variants[0]));
                for variant in plan.variants.iter().take(if per_variant { plan.variants.len() } else { 1 }) {
                    if per_variant {
                        println!("  [{variant}]");
                    }
                    for name in names(variant) {
                        println!("  {}{name}", if per_variant { "  " } else { "" });
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Command::Run { plan, variant, config, out, expected_failures, reviewed, only } => {
            match run(&plan, variant, &config, &out, expected_failures, reviewed, &only).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

async fn run(
    plan_name: &str,
    variant: Option<String>,
    config_path: &std::path::Path,
    out: &std::path::Path,
    expected_path: Option<PathBuf>,
    reviewed_path: Option<PathBuf>,
    only: &[String],
) -> Result<bool, String> {
    let plan = plans::find(plan_name).ok_or_else(|| format!("unknown plan '{plan_name}' (see `conformance list`)"))?;
    let variant = variant.map(|v| v.replace('+', " ")).unwrap_or_else(|| plan.variants[0].to_string());
    if !plan.variants.contains(&variant.as_str()) {
        return Err(format!("plan {} has no variant '{variant}' (it has {:?})", plan.name, plan.variants));
    }
    let config = Arc::new(config::RunConfig::load(config_path)?);
    let expected = match expected_path {
        Some(p) => expected::ExpectedFailures::load(&p)?,
        None => expected::ExpectedFailures::default(),
    };
    let reviewed = match reviewed_path {
        Some(p) => expected::Reviewed::load(&p)?,
        None => expected::Reviewed::default(),
    };
    let modules: Vec<plans::Module> =
        (plan.modules)(&variant).into_iter().filter(|m| only.is_empty() || only.iter().any(|o| o == m.name)).collect();
    if let Some(unknown) = only.iter().find(|o| !(plan.modules)(&variant).iter().any(|m| m.name == o.as_str())) {
        return Err(format!("plan {} has no module '{unknown}'", plan.name));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let out = out.canonicalize().map_err(|e| e.to_string())?;
    let http = http::client(&config)?;
    let rp = rp::Rp::start(&config.rp_listen, config.rp_tls()).await?;
    let driver = if plan.needs_browser { Some(Arc::new(browser::Driver::start(&config.browser).await?)) } else { None };

    let mut results = Vec::new();
    for module in modules {
        let started = Instant::now();
        let shape = (plan.shape)(&variant);
        let mut ctx = Ctx::new(config.clone(), http.clone(), rp.clone(), driver.clone(), out.clone(), shape);
        ctx.module = module.name;
        let mut log = TestLog::default();
        let outcome = tokio::time::timeout(MODULE_TIMEOUT, (module.run)(&mut ctx, &mut log)).await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(abort)) => log.aborted = Some(abort.0),
            Err(_) => {
                log.check(
                    "RunnerModuleTimeout",
                    log::Level::Failure,
                    Err(format!("the module did not finish within {} s", MODULE_TIMEOUT.as_secs())),
                );
                log.aborted = Some("timeout".into());
            }
        }
        ctx.close_browser().await;
        let reason = expected.reason(plan.name, &variant, module.name).map(str::to_string);
        let sign_off = reviewed.sign_off(plan.name, &variant, module.name);
        let result = report::ModuleResult::new(module.name, log, reason, sign_off, started.elapsed().as_secs_f64());
        eprintln!("{:60} {} {}", module.name, result.outcome.as_str(), result.first_failure.as_deref().unwrap_or(""));
        results.push(result);
    }
    drop(driver);

    let report = report::Report { plan: plan.name.into(), variant, issuer: config.issuer.clone(), modules: results };
    print!("{}", report.terminal_table());
    let (json, html) = report.write(&out)?;
    println!("results: {}\nreport:  {}", json.display(), html.display());
    let broken: Vec<&str> = report.modules.iter().filter(|m| m.breaks_the_run()).map(|m| m.module.as_str()).collect();
    if !broken.is_empty() {
        println!("not as expected: {}", broken.join(", "));
    }
    let unreviewed: Vec<&str> = report.modules.iter().filter(|m| m.unreviewed()).map(|m| m.module.as_str()).collect();
    if !unreviewed.is_empty() {
        println!(
            "unreviewed (REVIEW, not signed off in a reviewed-results file; see report.html): {}",
            unreviewed.join(", ")
        );
    }
    Ok(broken.is_empty() && unreviewed.is_empty())
}
