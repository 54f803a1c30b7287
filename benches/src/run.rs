//! `run` and `sessions`: set a scenario up (untimed), drive it, and report the outcome.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::browser::RelyingParty;
use crate::fixture;
use crate::http::{Conn, Error, Target};
use crate::load::{self, Plan, Worker};
use crate::scenarios::{
    self, BankLogin, CardLogin, CardPool, ClientCredentials, CodeExchange, Introspect, KeyLogin, Login, MegLogin,
    NiaIdLogin, Refresh, SamlSso, Userinfo, member,
};

/// The answers one card may give in fifteen minutes (identita's `eobcanka::CARD_ANSWERS`).
const CARD_ANSWERS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    ClientCredentials,
    CodeRs256,
    CodeEs256,
    Refresh,
    Userinfo,
    Introspection,
    Login,
    NiaIdLogin,
    CardLogin,
    KeyLogin,
    MegLogin,
    BankLogin,
    SamlSso,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base: String,
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// Virtual clients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Fresh codes made before the window for the code-exchange scenarios; the window ends
    /// early (and says so) if they run out. By default enough for 5,000 exchanges a second over
    /// the warm-up and the window.
    #[arg(long)]
    pub codes: Option<usize>,
    /// The server's process id, to report its CPU time per operation.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Which run of the scenario this is, for the report.
    #[arg(long, default_value_t = 1)]
    pub round: u32,
    /// nia-id-login, bank-login: where the SMS gateway listens (identita's, or the bank's,
    /// `notifier.sms_webhook_url`).
    #[arg(long, default_value = "127.0.0.1:18090")]
    pub sms_listen: std::net::SocketAddr,
    /// nia-id-login, bank-login: the bench users to log in as, `FIRST..END` (each may get ten
    /// codes in fifteen minutes: give each round users of its own); key-login: the users to
    /// register a key for and log in as.
    #[arg(long, default_value = "0..64", value_parser = parse_range)]
    pub users: std::ops::Range<usize>,
    /// card-login: the directory of card files (`identita card issue --out`) to log in with.
    #[arg(long)]
    pub cards: Option<std::path::PathBuf>,
    /// The issuer of the server under test when it is not `--base` (key-login: WebAuthn needs
    /// it on a host name, such as `http://localhost:18080`; its origin goes into the client data).
    #[arg(long)]
    pub issuer: Option<String>,
    /// meg-login: a file of pairing URLs (`identita meg enroll USER`), one a line; a device is
    /// paired with each before the run (untimed).
    #[arg(long)]
    pub pairing_urls: Option<std::path::PathBuf>,
    /// bank-login: the bank (a second identita, `http://IP:port`).
    #[arg(long, default_value = "http://127.0.0.1:18081")]
    pub bank_base: String,
    /// bank-login: the bank's process id, to report its CPU time per login too.
    #[arg(long)]
    pub bank_pid: Option<u32>,
    /// saml-sso: the SP's directory (`identita-bench saml-sp --out DIR`, its metadata registered
    /// with `identita saml sp add`).
    #[arg(long)]
    pub saml_sp: Option<std::path::PathBuf>,
    /// saml-sso: where the face that serves SAML is, under the issuer (`[[faces]]` url).
    #[arg(long, default_value = "/nia")]
    pub saml_face: String,
}

fn parse_range(text: &str) -> Result<std::ops::Range<usize>, String> {
    let (start, end) = text.split_once("..").ok_or("FIRST..END")?;
    let range = start.parse().map_err(|_| "FIRST..END")?..end.parse().map_err(|_| "FIRST..END")?;
    if range.is_empty() {
        return Err("an empty range".into());
    }
    Ok(range)
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base: String,
    #[arg(long, default_value_t = 100_000)]
    pub count: usize,
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// The server's process id, for its VmRSS afterwards.
    #[arg(long)]
    pub pid: u32,
}

pub async fn scenario(args: RunArgs) -> Result<serde_json::Value, Error> {
    let target = Target::parse(&args.base)?;
    let plan = Plan {
        concurrency: args.concurrency,
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
        server_pid: args.pid,
        upstream_pid: if args.scenario == Scenario::BankLogin { args.bank_pid } else { None },
    };
    let n = plan.concurrency;
    let rs256 = RelyingParty::new(fixture::RS256_CLIENT);
    let outcome = match args.scenario {
        Scenario::ClientCredentials => {
            let mut workers = Vec::new();
            for _ in 0..n {
                workers.push(ClientCredentials::new(&target).await?);
            }
            load::drive(workers, plan).await?
        }
        Scenario::CodeRs256 | Scenario::CodeEs256 => {
            let id = if args.scenario == Scenario::CodeRs256 { fixture::RS256_CLIENT } else { fixture::ES256_CLIENT };
            let rp = RelyingParty::new(id);
            let pool = scenarios::code_pool(
                &target,
                &rp,
                args.codes.unwrap_or_else(|| codes_for(args.warmup + args.duration)),
                n,
            )
            .await?;
            let mut workers = Vec::new();
            for _ in 0..n {
                workers.push(CodeExchange { conn: Conn::open(&target).await?, rp: rp.clone(), pool: pool.clone() });
            }
            load::drive(workers, plan).await?
        }
        Scenario::Refresh => {
            let mut workers = Vec::new();
            for set in scenarios::token_sets(&target, &rs256, n).await? {
                let refresh_token = member(&set, "refresh_token")?;
                workers.push(Refresh { conn: Conn::open(&target).await?, rp: rs256.clone(), refresh_token });
            }
            load::drive(workers, plan).await?
        }
        Scenario::Userinfo => {
            let mut workers = Vec::new();
            for set in scenarios::token_sets(&target, &rs256, n).await? {
                let bearer = format!("Bearer {}", member(&set, "access_token")?);
                workers.push(Userinfo { conn: Conn::open(&target).await?, bearer });
            }
            load::drive(workers, plan).await?
        }
        Scenario::Introspection => {
            let mut workers = Vec::new();
            for set in scenarios::token_sets(&target, &rs256, n).await? {
                let token = member(&set, "access_token")?;
                workers.push(Introspect { conn: Conn::open(&target).await?, rp: rs256.clone(), token });
            }
            load::drive(workers, plan).await?
        }
        Scenario::Login => {
            let mut workers = Vec::new();
            for i in 0..n {
                let (conn, rp, username) = (Conn::open(&target).await?, rs256.clone(), fixture::username(i));
                workers.push(Login { conn, rp, username, exchange: true });
            }
            load::drive(workers, plan).await?
        }
        Scenario::NiaIdLogin => {
            let inbox = crate::sms::Inbox::listen(args.sms_listen).await?;
            let mut workers = Vec::new();
            for k in 0..n {
                let (conn, rp) = (Conn::open(&target).await?, rs256.clone());
                workers.push(NiaIdLogin {
                    conn,
                    rp,
                    users: args.users.clone(),
                    next: k,
                    step: n,
                    inbox: inbox.clone(),
                });
            }
            load::drive(workers, plan).await?
        }
        Scenario::CardLogin => {
            let dir = args.cards.as_deref().ok_or("card-login needs --cards DIR")?;
            let cards = crate::card::read_all(dir)?;
            if cards.is_empty() {
                return Err(format!("no card files in {}", dir.display()).into());
            }
            let pool = Rc::new(CardPool { cards, next: Cell::new(0), per_card: CARD_ANSWERS });
            let mut workers = Vec::new();
            for _ in 0..n {
                workers.push(CardLogin { conn: Conn::open(&target).await?, rp: rs256.clone(), cards: pool.clone() });
            }
            load::drive(workers, plan).await?
        }
        Scenario::KeyLogin => {
            let origin = args.issuer.as_deref().unwrap_or(&args.base).trim_end_matches('/').to_owned();
            let keys = scenarios::register_keys(&target, &rs256, args.users.clone(), &origin).await?;
            let mut workers = Vec::new();
            for k in 0..n {
                let users = keys.iter().skip(k).step_by(n).cloned().collect::<Vec<_>>();
                if users.is_empty() {
                    return Err(format!("key-login: {} users for {n} clients", keys.len()).into());
                }
                let (conn, rp, origin) = (Conn::open(&target).await?, rs256.clone(), origin.clone());
                workers.push(KeyLogin { conn, rp, users, next: 0, origin });
            }
            load::drive(workers, plan).await?
        }
        Scenario::MegLogin => {
            let urls = args.pairing_urls.as_deref().ok_or("meg-login needs --pairing-urls FILE")?;
            let devices = crate::meg_device::pair_all(&mut Conn::open(&target).await?, urls).await?;
            let devices: Vec<_> = devices.into_iter().map(Rc::new).collect();
            let mut workers = Vec::new();
            for k in 0..n {
                let own = devices.iter().skip(k).step_by(n).cloned().collect::<Vec<_>>();
                if own.is_empty() {
                    return Err(format!("meg-login: {} devices for {n} clients", devices.len()).into());
                }
                let (conn, phone) = (Conn::open(&target).await?, Conn::open(&target).await?);
                workers.push(MegLogin { conn, phone, rp: rs256.clone(), devices: own, next: 0 });
            }
            load::drive(workers, plan).await?
        }
        Scenario::BankLogin => {
            let bank = Target::parse(&args.bank_base)?;
            let inbox = crate::sms::Inbox::listen(args.sms_listen).await?;
            let mut workers = Vec::new();
            for k in 0..n {
                let (conn, bank_conn) = (Conn::open(&target).await?, Conn::open(&bank).await?);
                let (rp, users, inbox) = (rs256.clone(), args.users.clone(), inbox.clone());
                workers.push(BankLogin { conn, bank_conn, rp, users, next: k, step: n, inbox });
            }
            load::drive(workers, plan).await?
        }
        Scenario::SamlSso => {
            let dir = args.saml_sp.as_deref().ok_or("saml-sso needs --saml-sp DIR")?;
            let sp = Rc::new(crate::saml::ServiceProvider::read(dir)?);
            let issuer = args.issuer.as_deref().unwrap_or(&args.base).trim_end_matches('/');
            let sso_path = format!("{}/FPSTS/saml2/basic", args.saml_face.trim_end_matches('/'));
            let mut workers = Vec::new();
            for k in 0..n {
                let mut worker = SamlSso {
                    conn: Conn::open(&target).await?,
                    browser: Default::default(),
                    sp: sp.clone(),
                    sso: format!("{issuer}{sso_path}"),
                    sso_path: sso_path.clone(),
                    worker: k,
                    sent: 0,
                };
                worker.log_in(&fixture::username(k)).await?;
                workers.push(worker);
            }
            load::drive(workers, plan).await?
        }
    };
    Ok(serde_json::json!({ "scenario": args.scenario, "round": args.round, "outcome": outcome }))
}

/// A worker that stops once a shared budget of operations is used up.
struct Budgeted<W> {
    inner: W,
    left: Rc<Cell<usize>>,
}

impl<W: Worker> Worker for Budgeted<W> {
    async fn step(&mut self) -> Result<bool, Error> {
        if self.left.get() == 0 {
            return Ok(false);
        }
        self.left.set(self.left.get() - 1);
        self.inner.step().await
    }
}

pub async fn sessions(args: SessionArgs) -> Result<serde_json::Value, Error> {
    let target = Target::parse(&args.base)?;
    let before = rss_kib(args.pid)?;
    let left = Rc::new(Cell::new(args.count));
    let es256 = RelyingParty::new(fixture::ES256_CLIENT);
    let mut workers = Vec::new();
    for i in 0..args.concurrency {
        let inner = Login {
            conn: Conn::open(&target).await?,
            rp: es256.clone(),
            username: fixture::username(i),
            exchange: false,
        };
        workers.push(Budgeted { inner, left: left.clone() });
    }
    let plan = Plan {
        concurrency: args.concurrency,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(3600),
        server_pid: Some(args.pid),
        upstream_pid: None,
    };
    let outcome = load::drive(workers, plan).await?;
    if outcome.errors > 0 {
        return Err(format!("{} logins failed: {:?}", outcome.errors, outcome.first_error).into());
    }
    let after = rss_kib(args.pid)?;
    Ok(serde_json::json!({
        "label": "sessions",
        "sessions": outcome.count,
        "kib": after,
        "before_kib": before,
        "logins_per_second": outcome.per_second,
        "note": "live SSO sessions left by real password logins (cheap argon2id for this phase only)",
    }))
}

/// `VmRSS` of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS line")?;
    let kib = line.split_whitespace().nth(1).ok_or("an empty VmRSS line")?;
    Ok(kib.parse()?)
}

/// Codes enough for 5,000 exchanges a second over `seconds`, and at least 30,000.
fn codes_for(seconds: f64) -> usize {
    ((seconds.max(0.0) * 5_000.0).ceil() as usize).max(30_000)
}
