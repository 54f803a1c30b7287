//! `identita mojeid account|validate|status`: mojeID accounts and their validation, for the
//! operator (the desk's clerks have the back office, `/backoffice/mojeid`). The operator stands
//! in for mojeID's validation desk (`cli::audit::operator_actor`, in every role): its approvals
//! are refused when the desk is closed (`[validation_desk]`, the public holidays), and every
//! decision is in the audit log (`identita audit list --subject <account id>`).

use clap::{Args, Subcommand};

use super::{CliError, audit, print};
use crate::model::mojeid::{AccountKind, ValidationPath};
use crate::oidc::Provider;
use crate::validation::actor::Actor;
use crate::validation::mojeid::{AccountChange, Accounts, DeskEvidence, MojeidError};

#[derive(Debug, Subcommand)]
pub enum MojeidCommand {
    /// Set the account's kind and fields (a change of a mandatory one ends its validation);
    /// --verify-contacts records its e-mail and phone as verified (CONDITIONALLY_IDENTIFIED).
    Account(AccountArgs),
    /// Validate the account as the desk: a visit (--path office or validation-point, with the
    /// document seen), a notarised signature received by post (--path notarised-signature),
    /// a request from a data box (--path databox-message --message ID), or a Czech POINT
    /// request whose register data name --person.
    Validate(ValidateArgs),
    /// The account's kind, status (REGISTERED, CONDITIONALLY_IDENTIFIED, IDENTIFIED, VALIDATED)
    /// and validation.
    Status { username: String },
}

#[derive(Debug, Args)]
pub struct AccountArgs {
    pub username: String,
    /// natural_person, entrepreneur or legal_entity.
    #[arg(long)]
    pub kind: Option<String>,
    /// The trade name or the legal entity's name (empty: none).
    #[arg(long)]
    pub organisation: Option<String>,
    #[arg(long)]
    pub ico: Option<String>,
    #[arg(long)]
    pub given_name: Option<String>,
    #[arg(long)]
    pub family_name: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub birthdate: Option<String>,
    /// The permanent address, or a business's seat.
    #[arg(long)]
    pub street: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub postal_code: Option<String>,
    /// Record the account's e-mail address and phone number as verified.
    #[arg(long)]
    pub verify_contacts: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub username: String,
    /// office, validation-point, databox-message, notarised-signature or czech-point (the
    /// data-box button is the citizen's, in the account's page).
    #[arg(long)]
    pub path: String,
    /// The identity document seen at a visit: ID, P or IR.
    #[arg(long, default_value = "ID")]
    pub document_type: String,
    #[arg(long)]
    pub document_number: Option<String>,
    /// The document's last day of validity, YYYY-MM-DD.
    #[arg(long)]
    pub valid_until: Option<String>,
    /// The validation point visited (--path validation-point).
    #[arg(long)]
    pub place: Option<String>,
    /// Who verified the signature (--path notarised-signature): a notary, Czech POINT, a post office.
    #[arg(long)]
    pub verified_by: Option<String>,
    /// The verification's number in their register (ověřovací kniha).
    #[arg(long)]
    pub reference: Option<String>,
    /// The data message in mojeID's box (--path databox-message).
    #[arg(long)]
    pub message: Option<String>,
    /// The register's person a Czech POINT request delivered (--path czech-point).
    #[arg(long)]
    pub person: Option<String>,
}

fn failed(error: MojeidError) -> CliError {
    CliError(error.to_string())
}

pub async fn run(provider: &Provider, cmd: MojeidCommand) -> Result<(), CliError> {
    let accounts = Accounts { stores: &provider.stores, desk: &provider.config.validation_desk, now: provider.now() };
    let operator = audit::operator_actor();
    match cmd {
        MojeidCommand::Status { username } => {
            let (user, account) = accounts.find(&username).await.map_err(failed)?;
            print(&Accounts::view(&user, &account))
        }
        MojeidCommand::Account(args) => {
            let actor = &operator;
            let kind = args.kind.as_deref().map(AccountKind::parse).transpose().map_err(CliError)?;
            let change = AccountChange {
                kind,
                organisation: args.organisation,
                ico: args.ico,
                given_name: args.given_name,
                family_name: args.family_name,
                birthdate: args.birthdate,
                street: args.street,
                city: args.city,
                postal_code: args.postal_code,
            };
            let changes = [
                &change.organisation,
                &change.ico,
                &change.given_name,
                &change.family_name,
                &change.birthdate,
                &change.street,
                &change.city,
                &change.postal_code,
            ];
            if change.kind.is_some() || changes.iter().any(|c| c.is_some()) {
                accounts.change(actor, &args.username, change).await.map_err(failed)?;
            }
            if args.verify_contacts {
                accounts.verify_contacts(actor, &args.username).await.map_err(failed)?;
            }
            let (user, account) = accounts.find(&args.username).await.map_err(failed)?;
            print(&Accounts::view(&user, &account))
        }
        MojeidCommand::Validate(args) => validate(provider, &accounts, &operator, args).await,
    }
}

async fn validate(
    provider: &Provider,
    accounts: &Accounts<'_>,
    actor: &Actor,
    args: ValidateArgs,
) -> Result<(), CliError> {
    let needed = |value: Option<String>, flag: &str| {
        value.filter(|v| !v.trim().is_empty()).ok_or_else(|| CliError(format!("--path {} needs {flag}", args.path)))
    };
    let path = ValidationPath::parse(&args.path).map_err(CliError)?;
    let view = match path {
        ValidationPath::Office | ValidationPath::ValidationPoint => {
            let place = match path {
                ValidationPath::ValidationPoint => Some(needed(args.place.clone(), "--place")?),
                _ => None,
            };
            let evidence = DeskEvidence::Document {
                place,
                kind: args.document_type.clone(),
                number: needed(args.document_number.clone(), "--document-number")?,
                valid_until: needed(args.valid_until.clone(), "--valid-until")?,
            };
            accounts.validate_at_desk(actor, &args.username, evidence).await
        }
        ValidationPath::NotarisedSignature => {
            let evidence = DeskEvidence::NotarisedSignature {
                verified_by: needed(args.verified_by.clone(), "--verified-by")?,
                reference: needed(args.reference.clone(), "--reference")?,
            };
            accounts.validate_at_desk(actor, &args.username, evidence).await
        }
        ValidationPath::DataBoxMessage => {
            let message = needed(args.message.clone(), "--message")?;
            accounts.validate_by_databox_message(actor, &args.username, &message).await
        }
        ValidationPath::CzechPoint => {
            // The operator finishes it on the citizen's behalf, and the audit log says so: with
            // what the clerk's request delivered to CZ.NIC, or (--person) with the person named.
            let (user, _) = accounts.find(&args.username).await.map_err(failed)?;
            match args.person.clone() {
                Some(id) => {
                    let person =
                        provider.stores.persons.get(&id).await?.ok_or_else(|| CliError(format!("no person {id}")))?;
                    accounts.finish_czech_point(actor, &user, Some(&person)).await
                }
                None => accounts.finish_czech_point_request(actor, &user).await,
            }
        }
        ValidationPath::DataBoxButton => {
            return Err(CliError::new(
                "the data-box button is the citizen's: it is on the account's page (/account/mojeid) at the mojeID face",
            ));
        }
    };
    print(&view.map_err(failed)?)
}
