//! The command line: `serve`, `init`, and the operator commands (`keys`, `client`, `user`,
//! `registry`, `consent`, `card`, `audit`, `clerk`, `czech-point`, `mojeid`, `databox`, `seed`, `export`, `import`,
//! `migrate`), which print
//! JSON so scripts can read them, and `outbox`, which prints lines for people (JSON with `--json`).
//! Each reads the configuration `serve` reads, names on standard error the database and keys
//! directory it uses, and refuses to make a new store ([`location`]).

mod audit;
mod card;
mod clerk;
mod clients;
mod consents;
mod czech_point;
mod databox;
pub mod dev;
mod keys;
mod location;
mod meg;
mod mojeid;
mod notify;
mod outbox;
mod persona;
mod registry;
mod saml;
pub(crate) mod seed;
mod transfer;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "identita", version, about = "An OpenID Connect identity provider standing in for NIA and mojeID")]
pub struct Cli {
    /// Configuration file (default: ./identita.toml when it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Act as the face NAME of `[[faces]]` (its clients, its keys) instead of the primary issuer.
    #[arg(long, global = true, value_name = "NAME")]
    pub face: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider (creating the database and the key ring when they are missing).
    Serve {
        /// Dev mode: seed a demo client and test citizens with public credentials (created when
        /// missing, never duplicated or overwritten), allow client URLs on loopback, and print
        /// how to sign in. Refused unless the listen address and the issuer are on loopback.
        #[arg(long)]
        dev: bool,
    },
    /// Create the database and the key ring where the configuration points, if they are
    /// missing; the other commands never create them.
    Init,
    /// Inspect or rotate the signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage relying parties (OAuth clients).
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(users::UserCommand),
    /// The audit log of decisions (clerks' and operators'): list, export, verify its chain.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The back office's clerks: add, list, change roles, disable, make an API token.
    #[command(subcommand)]
    Clerk(clerk::ClerkCommand),
    /// Czech POINT: record a request to provide reference data to another person, or take one
    /// as its recipient.
    #[command(subcommand)]
    CzechPoint(czech_point::CzechPointCommand),
    /// The register of inhabitants' test citizens: import a fixture, add, show, change, list,
    /// and link accounts to persons.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// eObčanka cards: issue and register them (operator), and use a card file as a reader does.
    #[command(subcommand)]
    Card(card::CardCommand),
    /// Mobilní klíč eGovernmentu: pair devices and revoke them (operator), and play the phone
    /// with a device file (pair, approve, refuse, watch for pushes).
    #[command(subcommand)]
    Meg(meg::MegCommand),
    /// Manage what people have agreed to share with clients.
    #[command(subcommand)]
    Consent(consents::ConsentCommand),
    /// mojeID accounts: their kind, status and validation (the validation desk's decisions).
    #[command(subcommand)]
    Mojeid(mojeid::MojeidCommand),
    /// The data-box simulator: boxes, their owners' data, and messages between them.
    #[command(subcommand)]
    Databox(databox::DataBoxCommand),
    /// TLS helpers for serving https directly.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Load clients and users from a TOML or JSON fixture file.
    Seed {
        /// The fixture file (`.toml` or `.json`; no other kind is read).
        file: PathBuf,
    },
    /// Show the newest messages (SMS texts, e-mails) the notifier kept in the outbox instead of
    /// sending.
    Outbox(outbox::OutboxArgs),
    /// Send a test e-mail or SMS text through `[notifier]`, to check its settings.
    #[command(subcommand)]
    Notify(notify::NotifyCommand),
    /// What a portal registers and configures for a persona's face (`persona show nia`).
    #[command(subcommand)]
    Persona(persona::PersonaCommand),
    /// SAML: register the service providers of the face that serves SAML from their metadata.
    #[command(subcommand)]
    Saml(saml::SamlCommand),
    #[command(flatten)]
    Transfer(transfer::TransferCommand),
}

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Write a self-signed certificate and key (tls.crt, tls.key) for local https; point
    /// `tls.cert_file` and `tls.key_file` (IDENTITA_TLS__CERT_FILE, IDENTITA_TLS__KEY_FILE) at them.
    SelfSigned {
        /// A host name or IP address the certificate is for (repeatable).
        #[arg(long = "host", default_values = ["127.0.0.1", "localhost"])]
        hosts: Vec<String>,
        /// Where to write the files (default: the keys directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// An operator-facing failure: printed as `{"error": ...}` with exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl CliError {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        Self(e.to_string())
    }
}

impl From<crate::oidc::OAuthError> for CliError {
    fn from(e: crate::oidc::OAuthError) -> Self {
        Self(e.description)
    }
}

impl From<crate::app::StartError> for CliError {
    fn from(e: crate::app::StartError) -> Self {
        Self(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("identita: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("{}", serde_json::json!({ "error": e.0 }));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let mut config = Config::load(cli.config.as_deref()).map_err(|e| CliError(e.to_string()))?;
    crate::logging::init(&config.log);
    if let Command::Serve { dev: true } = cli.command {
        dev::prepare(&mut config)?;
    }
    if let Command::Tls(TlsCommand::SelfSigned { hosts, dir }) = &cli.command {
        let dir = dir.clone().unwrap_or_else(|| config.keys_dir.clone());
        let (cert, key) = crate::tls::self_signed(hosts, &dir).map_err(|e| CliError(e.to_string()))?;
        return print(&serde_json::json!({ "cert_file": cert, "key_file": key, "hosts": hosts }));
    }
    // A card reader needs the card file and the server's URL, not the store.
    let command = match cli.command {
        Command::Card(cmd) if cmd.on_the_card_only() => return card::run_on_card(cmd).await,
        Command::Meg(cmd) if cmd.on_the_device_only() => return meg::run_on_device(cmd).await,
        command => command,
    };
    let location = location::Location::of(&config, cli.config.as_deref());
    // `serve` names its store in its start-up log.
    if !matches!(command, Command::Serve { .. }) {
        location.announce();
    }
    // Moving data needs the database only: no keys are loaded or created for it.
    if let Command::Transfer(cmd) = command {
        return transfer::run(&config, cmd).await;
    }
    let mut existed = true;
    match command {
        Command::Serve { .. } => {}
        Command::Init => existed = location.missing().await?.is_none(),
        _ => location.require_existing().await?,
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let provider = crate::app::provider(config, clock).await?;
    let authn = crate::app::authn(&provider)?;
    let acting = match &cli.face {
        Some(_) if matches!(command, Command::Serve { .. }) => {
            return Err(CliError::new("--face: serve serves every face; the option is for the other commands"));
        }
        Some(name) => face(&provider, name)?,
        None => provider.clone(),
    };
    run_on(provider, acting, authn, command, location, existed).await
}

/// The face `name` of `[[faces]]`.
fn face(provider: &crate::oidc::Provider, name: &str) -> Result<crate::oidc::Provider, CliError> {
    provider.faces.iter().find(|f| f.persona.face.as_deref() == Some(name)).cloned().ok_or_else(|| {
        let names: Vec<_> = provider.faces.iter().filter_map(|f| f.persona.face.clone()).collect();
        CliError(format!("--face: there is no face {name:?} in [[faces]] (there are: {})", names.join(", ")))
    })
}

/// Runs `command`: what belongs to a face (clients, consents, keys, a seed's clients) on the
/// `acting` face, what belongs to a person (accounts, cards, devices, which every face shares) on
/// the primary `provider`, which reaches the other faces' sessions and clients too.
async fn run_on(
    provider: crate::oidc::Provider,
    acting: crate::oidc::Provider,
    authn: crate::authn::Authn,
    command: Command,
    location: location::Location,
    existed: bool,
) -> Result<(), CliError> {
    match command {
        Command::Serve { dev } => {
            let provider = if dev { dev::start(provider, &authn).await? } else { provider };
            crate::app::run(provider, authn).await.map_err(|e| CliError(e.to_string()))
        }
        Command::Init => print(&serde_json::json!({
            "database": location.database,
            "keys_dir": location.keys_dir,
            "keys": acting.keys.list().len(),
            "created": !existed,
        })),
        Command::Consent(cmd) => consents::run(&acting, cmd).await,
        Command::Keys(cmd) => keys::run(&acting, cmd),
        Command::Client(cmd) => clients::run(&acting, cmd).await,
        Command::User(cmd) => users::run(&provider, &authn, cmd).await,
        Command::Registry(cmd) => registry::run(&provider, cmd).await,
        Command::Card(cmd) => card::run(&provider, &authn, cmd).await,
        Command::Audit(cmd) => audit::run(&provider, cmd).await,
        Command::Clerk(cmd) => clerk::run(&provider, &authn, cmd).await,
        Command::CzechPoint(cmd) => czech_point::run(&provider, cmd).await,
        Command::Meg(cmd) => meg::run(&provider, &authn, cmd).await,
        Command::Mojeid(cmd) => mojeid::run(&provider, cmd).await,
        Command::Databox(cmd) => databox::run(&provider, &authn, cmd).await,
        Command::Seed { file } => seed::run(&acting, &authn, &file).await,
        Command::Outbox(args) => outbox::run(&provider, args).await,
        Command::Notify(cmd) => notify::run(&authn, cmd).await,
        Command::Persona(cmd) => persona::run(&provider, cmd),
        Command::Saml(cmd) => saml::run(&provider, &acting, cmd).await,
        Command::Tls(_) | Command::Transfer(_) => Ok(()),
    }
}

/// Prints a value as pretty JSON on standard output.
pub fn print(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError(e.to_string()))?;
    println!("{text}");
    Ok(())
}
