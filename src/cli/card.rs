//! `identita card apply|issue|collect|list|set-status` (the operator's side, on the store) and
//! `identita card activate|status|unblock|login` (the reader's side, on a card file; `login`
//! talks to the server over HTTP only, as a citizen's reader does).

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliError, print};
use crate::authn::Authn;
use crate::card::chip::Chip;
use chrono::NaiveDate;

use crate::clock::Timestamp;
use crate::model::{Card, CardStatus, User, card};
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Apply for a card for an account: registered with its number, to be made (`card issue
    /// --application`).
    Apply {
        #[arg(long)]
        user: String,
    },
    /// Issue a card: with --user, for an account at once (applied for, made and collected; the
    /// chip's key and certificate from the card CA in the keys directory, made when missing);
    /// with --application, the card of an application, waiting at the office to be collected
    /// (`card collect`). The card file is written owner-only.
    Issue {
        #[arg(long, required_unless_present = "application", conflicts_with = "application")]
        user: Option<String>,
        /// The number of an application (`card apply`).
        #[arg(long, conflicts_with_all = ["iok", "dok"])]
        application: Option<String>,
        /// Where to write the card file.
        #[arg(long)]
        out: PathBuf,
        /// Years the card is valid for; by default by the holder's age on the day of issue (5
        /// under 15, 10 from 15, 35 from 70; 10 when the account has no date of birth).
        #[arg(long)]
        valid_years: Option<u32>,
        /// Activate the card at once with this IOK (4 to 8 digits)...
        #[arg(long, requires = "dok")]
        iok: Option<String>,
        /// ...and this DOK (4 to 8 digits).
        #[arg(long, requires = "iok")]
        dok: Option<String>,
    },
    /// The holder collects an issued card at the office; with --file, --iok and --dok its chip
    /// is activated (not for a holder under 15, whose codes are not entered).
    Collect {
        number: String,
        /// The card file `card issue --application` wrote.
        #[arg(long, requires_all = ["iok", "dok"])]
        file: Option<PathBuf>,
        #[arg(long, requires = "file")]
        iok: Option<String>,
        #[arg(long, requires = "file")]
        dok: Option<String>,
    },
    /// The cards of an account, with their status in the register.
    List {
        #[arg(long)]
        user: String,
    },
    /// Report a card lost or stolen, revoke it, or make a card reported lost or stolen valid
    /// again.
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
        CardCommand::Apply { user } => {
            let account = account(authn, &user).await?;
            let card = crate::card::issue::apply(cards, &account.id, provider.now()).await.map_err(issue_error)?;
            audited(provider, "card.apply", &card).await?;
            print(&json!({ "number": card.number, "user": user, "status": card.status.id() }))
        }
        CardCommand::Issue { user, application, out, valid_years, iok, dok } => {
            if out.exists() {
                return Err(CliError(format!("{} exists: a card file is never overwritten", out.display())));
            }
            let now = provider.now();
            let (card, chip, holder) = match (user, application) {
                (Some(user), _) => {
                    let account = account(authn, &user).await?;
                    let valid_until = valid_until(&account, now, valid_years);
                    if iok.is_some() && holder_under_15(&account, now) {
                        return Err(CliError::new(CHILD_CHIP));
                    }
                    let codes = iok.as_deref().zip(dok.as_deref());
                    let keys_dir = &provider.config.keys_dir;
                    let (card, chip) = crate::card::issue::issue(cards, keys_dir, &account.id, now, valid_until, codes)
                        .await
                        .map_err(issue_error)?;
                    (card, chip, user)
                }
                (None, Some(number)) => {
                    let application = cards.get(&number).await?.filter(|card| card.status == CardStatus::Applied);
                    let application = application.ok_or_else(|| CliError(format!("no application {number}")))?;
                    let account = authn.users.get(&application.user_id).await?;
                    let account = account.ok_or_else(|| CliError(format!("the holder of {number} has no account")))?;
                    let valid_until = valid_until(&account, now, valid_years);
                    let keys_dir = &provider.config.keys_dir;
                    let made = crate::card::issue::make(cards, keys_dir, &application, now, valid_until)
                        .await
                        .map_err(issue_error)?;
                    let (card, chip) = made.ok_or_else(|| CliError(format!("no application {number}")))?;
                    (card, chip, account.username)
                }
                (None, None) => return Err(CliError::new("--user or --application")),
            };
            chip.write(&out).map_err(chip_error)?;
            audited(provider, "card.issue", &card).await?;
            print(&json!({
                "number": card.number,
                "user": holder,
                "status": card.status.id(),
                "valid_until": card.valid_until,
                "file": out,
                "activated": chip.activated(),
            }))
        }
        CardCommand::Collect { number, file, iok, dok } => {
            let card =
                cards.get(&number).await?.ok_or_else(|| CliError(format!("no card {number} in the register")))?;
            if card.status != CardStatus::Issued {
                return Err(CliError(format!(
                    "card {number} is {}: only an issued card is collected",
                    card.status.id()
                )));
            }
            // The chip and the codes are checked before the register changes.
            let mut chip = match (&file, iok.as_deref().zip(dok.as_deref())) {
                (Some(file), Some((iok, dok))) => {
                    let holder = authn.users.get(&card.user_id).await?;
                    if holder.is_some_and(|holder| holder_under_15(&holder, provider.now())) {
                        return Err(CliError::new(CHILD_CHIP));
                    }
                    let chip = Chip::read(file).map_err(chip_error)?;
                    if chip.number != number {
                        return Err(CliError(format!("{} is the file of card {}", file.display(), chip.number)));
                    }
                    crate::card::chip::check_codes(iok, dok).map_err(chip_error)?;
                    Some(chip)
                }
                _ => None,
            };
            if !cards.set_status(&number, &[CardStatus::Issued], CardStatus::Valid).await? {
                return Err(CliError(format!("card {number} is no longer waiting to be collected")));
            }
            audited(provider, "card.collect", &Card { status: CardStatus::Valid, ..card }).await?;
            if let (Some(chip), Some(file), Some(iok), Some(dok)) = (chip.as_mut(), &file, &iok, &dok) {
                chip.activate(iok, dok).map_err(chip_error)?;
                chip.write(file).map_err(chip_error)?;
            }
            print(&json!({
                "number": number,
                "status": CardStatus::Valid.id(),
                "activated": chip.as_ref().is_some_and(Chip::activated),
            }))
        }
        CardCommand::List { user } => {
            let account = account(authn, &user).await?;
            let now = provider.now();
            let list: Vec<Value> =
                cards.of_user(&account.id).await?.iter().map(|card| register_status(card, now)).collect();
            print(&list)
        }
        CardCommand::SetStatus { number, status } => {
            let status = CardStatus::parse(&status)
                .ok_or_else(|| CliError::new("the status is one of valid, lost, stolen, revoked"))?;
            let card =
                cards.get(&number).await?.ok_or_else(|| CliError(format!("no card {number} in the register")))?;
            if !cards.set_status(&number, status.reported_from(), status).await? {
                let now = card.status.id();
                return Err(CliError(format!("card {number} is {now}: it cannot be set to {}", status.id())));
            }
            audited(provider, "card.set_status", &Card { status, ..card }).await?;
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

/// Records the operator's decision about a card in the audit log, on its holder's account.
async fn audited(provider: &Provider, action: &str, card: &Card) -> Result<(), CliError> {
    let detail = json!({ "number": card.number, "status": card.status.id(), "valid_until": card.valid_until });
    super::audit::operator(provider, action, Some(&card.user_id), detail).await
}

/// Why a child's card is collected without its chip activated.
const CHILD_CHIP: &str = "the holder is under 15: no codes are entered and the chip is not activated";

async fn account(authn: &Authn, username: &str) -> Result<User, CliError> {
    authn.users.find_by_username(username).await?.ok_or_else(|| CliError(format!("no account {username}")))
}

fn issue_error(e: crate::card::issue::IssueError) -> CliError {
    CliError(e.to_string())
}

/// The holder's date of birth, when the account has a readable one.
fn born(holder: &User) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(holder.profile.birthdate.as_deref()?, "%Y-%m-%d").ok()
}

fn holder_under_15(holder: &User, now: Timestamp) -> bool {
    born(holder).is_some_and(|born| card::under_15(born, day(now)))
}

fn day(at: Timestamp) -> NaiveDate {
    chrono::DateTime::from_timestamp(at, 0).unwrap_or_default().date_naive()
}

/// The end of a card issued `now` for `years` (by default by the holder's age that day): the
/// end of its last day (UTC).
fn valid_until(holder: &User, now: Timestamp, years: Option<u32>) -> Timestamp {
    let today = day(now);
    let years = years.unwrap_or_else(|| born(holder).map_or(10, |born| card::validity_years(born, today)));
    let last = card::valid_until(today, years);
    last.succ_opt().unwrap_or(last).and_hms_opt(0, 0, 0).map_or(now, |end| end.and_utc().timestamp())
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
