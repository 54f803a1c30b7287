//! `identita card issue|list|set-status` (the operator's side, on the store) and
//! `identita card activate|status|unblock|login` (the reader's side, on a card file; `login`
//! talks to the server over HTTP only, as a citizen's reader does).

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliError, print};
use crate::authn::Authn;
use crate::card::chip::Chip;
use crate::model::CardStatus;
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Issue a card for an account: the chip's key and certificate (from the card CA in the
    /// keys directory, made when missing), registered; the card file written owner-only.
    Issue {
        #[arg(long)]
        user: String,
        /// Where to write the card file.
        #[arg(long)]
        out: PathBuf,
        /// Years the card is valid for.
        #[arg(long, default_value_t = 10)]
        valid_years: u32,
        /// Activate the card at once with this IOK (4 to 8 digits)...
        #[arg(long, requires = "dok")]
        iok: Option<String>,
        /// ...and this DOK (4 to 8 digits).
        #[arg(long, requires = "iok")]
        dok: Option<String>,
    },
    /// The cards of an account, with their status in the register.
    List {
        #[arg(long)]
        user: String,
    },
    /// Report a card lost or stolen, revoke it, or make it valid again.
    SetStatus {
        number: String,
        /// valid, lost, stolen or revoked.
        status: String,
    },
    /// Set the IOK and DOK of a card not yet activated.
    Activate {
        file: PathBuf,
        #[arg(long)]
        iok: String,
        #[arg(long)]
        dok: String,
    },
    /// What the card says of itself (retry counters, blocked), and what the register says of it
    /// when this configuration's store is at hand.
    Status { file: PathBuf },
    /// Unblock a card after three wrong IOKs, with the DOK; --new-iok sets a new IOK.
    Unblock {
        file: PathBuf,
        #[arg(long)]
        dok: String,
        #[arg(long)]
        new_iok: Option<String>,
    },
    /// Sign a login's challenge: the URL the login page shows. The IOK comes from --iok, or
    /// the first line of standard input (typed at a prompt on a terminal).
    Login {
        file: PathBuf,
        #[arg(long)]
        url: String,
        #[arg(long)]
        iok: Option<String>,
    },
}

impl CardCommand {
    /// Whether the command works on the card file alone (or the server over HTTP).
    pub fn on_the_card_only(&self) -> bool {
        matches!(self, CardCommand::Activate { .. } | CardCommand::Unblock { .. } | CardCommand::Login { .. })
    }
}

fn chip_error(e: crate::card::chip::ChipError) -> CliError {
    CliError(e.to_string())
}

fn chip_status(chip: &Chip) -> Value {
    json!({
        "number": chip.number,
        "activated": chip.activated(),
        "iok_failures": chip.iok_failures,
        "dok_failures": chip.dok_failures,
        "blocked": chip.blocked,
        "blocked_for_good": chip.blocked_for_good,
    })
}

/// The commands that need only the card file (and the server's URL).
pub async fn run_on_card(cmd: CardCommand) -> Result<(), CliError> {
    match cmd {
        CardCommand::Activate { file, iok, dok } => {
            let mut chip = Chip::read(&file).map_err(chip_error)?;
            chip.activate(&iok, &dok).map_err(chip_error)?;
            chip.write(&file).map_err(chip_error)?;
            print(&chip_status(&chip))
        }
        CardCommand::Unblock { file, dok, new_iok } => {
            let mut chip = Chip::read(&file).map_err(chip_error)?;
            let outcome = chip.unblock(&dok, new_iok.as_deref());
            chip.write(&file).map_err(chip_error)?;
            outcome.map_err(chip_error)?;
            print(&chip_status(&chip))
        }
        CardCommand::Login { file, url, iok } => login(&file, &url, iok).await,
        _ => Err(CliError::new("this card command needs the store")),
    }
}

async fn login(file: &Path, url: &str, iok: Option<String>) -> Result<(), CliError> {
    let parsed = url::Url::parse(url).map_err(|e| CliError(format!("--url: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || !parsed.path().contains("/login/card/") {
        return Err(CliError::new("--url: the address the login page shows, …/login/card/…"));
    }
    let mut chip = Chip::read(file).map_err(chip_error)?;
    let iok = match iok {
        Some(iok) => iok,
        None => read_iok()?,
    };
    let signed = chip.sign_login(iok.trim(), url);
    // The counters are written before the answer is used, as a chip's are.
    chip.write(file).map_err(chip_error)?;
    let signature = signed.map_err(chip_error)?;
    let body = json!({ "number": chip.number, "certificate": chip.certificate, "signature": signature });
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| CliError(format!("the server at {url} did not answer: {e}")))?;
    let ok = response.status().is_success();
    let answer: Value = response.json().await.map_err(|e| CliError(format!("the server's answer: {e}")))?;
    if ok {
        print(&answer)
    } else {
        let description = answer["error_description"].as_str().unwrap_or("the server refused the signature");
        let code = answer["error"].as_str().unwrap_or("error");
        Err(CliError(format!("{code}: {description}")))
    }
}

fn read_iok() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("IOK: ").map_err(|e| CliError(format!("reading the IOK: {e}")));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError(format!("reading the IOK: {e}")))?;
    Ok(line.trim().to_owned())
}

/// The commands on the store.
pub async fn run(provider: &Provider, authn: &Authn, cmd: CardCommand) -> Result<(), CliError> {
    let cards = &*provider.stores.cards;
    match cmd {
        CardCommand::Issue { user, out, valid_years, iok, dok } => {
            let account =
                authn.users.find_by_username(&user).await?.ok_or_else(|| CliError(format!("no account {user}")))?;
            if out.exists() {
                return Err(CliError(format!("{} exists: a card file is never overwritten", out.display())));
            }
            let now = provider.now();
            let valid_until = now + i64::from(valid_years) * 365 * 86_400 + i64::from(valid_years / 4) * 86_400;
            let codes = iok.as_deref().zip(dok.as_deref());
            let (card, chip) =
                crate::card::issue::issue(cards, &provider.config.keys_dir, &account.id, now, valid_until, codes)
                    .await
                    .map_err(|e| CliError(e.to_string()))?;
            chip.write(&out).map_err(chip_error)?;
            print(&json!({
                "number": card.number,
                "user": user,
                "valid_until": card.valid_until,
                "file": out,
                "activated": chip.activated(),
            }))
        }
        CardCommand::List { user } => {
            let account =
                authn.users.find_by_username(&user).await?.ok_or_else(|| CliError(format!("no account {user}")))?;
            let now = provider.now();
            let list: Vec<Value> =
                cards.of_user(&account.id).await?.iter().map(|card| register_status(card, now)).collect();
            print(&list)
        }
        CardCommand::SetStatus { number, status } => {
            let status = CardStatus::parse(&status)
                .ok_or_else(|| CliError::new("the status is one of valid, lost, stolen, revoked"))?;
            if !cards.set_status(&number, status).await? {
                return Err(CliError(format!("no card {number} in the register")));
            }
            print(&json!({ "number": number, "status": status.id() }))
        }
        CardCommand::Status { file } => {
            let chip = Chip::read(&file).map_err(chip_error)?;
            let register = cards.get(&chip.number).await?.map(|card| register_status(&card, provider.now()));
            let mut status = chip_status(&chip);
            status["register"] = register.unwrap_or(Value::Null);
            print(&status)
        }
        other => run_on_card(other).await,
    }
}

fn register_status(card: &crate::model::Card, now: crate::clock::Timestamp) -> Value {
    json!({
        "number": card.number,
        "status": card.status.id(),
        "expired": card.expired(now),
        "issued_at": card.issued_at,
        "valid_until": card.valid_until,
    })
}
