//! `identita czech-point record|take`: the Czech POINT request from the command line — recorded
//! as a clerk would (the operator acting as one; audited), and taken as its recipient would
//! (what NIA's registration does with an identification code).

use clap::Subcommand;
use serde_json::json;

use super::audit::operator_actor;
use super::{CliError, print};
use crate::model::czech_point::DIA_ICO;
use crate::model::person::Ico;
use crate::oidc::Provider;
use crate::validation::czech_point::{self, RequestForm};
use crate::validation::recipients;

#[derive(Debug, Subcommand)]
pub enum CzechPointCommand {
    /// Record the request to provide reference data from the register to another person, for
    /// the person holding the identity document --document.
    Record {
        /// The number of the identity document checked (may be left out when the applicant is
        /// identified by other personal data).
        #[arg(long, default_value = "")]
        document: String,
        /// Identification by other personal data (a foreign resident the register does not find
        /// by the document): all three, copied from the document presented.
        #[arg(long)]
        given_names: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        birth_date: Option<String>,
        /// The message to the recipient (NIA's identification code).
        #[arg(long)]
        message: String,
        #[arg(long, default_value = DIA_ICO)]
        recipient_ico: String,
        /// one_time or repeated.
        #[arg(long, default_value = "one_time")]
        consent: String,
    },
    /// Take the request with this message, as its recipient: prints the person, or fails when
    /// there is none (a one-time request is taken once).
    Take {
        #[arg(long)]
        message: String,
        #[arg(long, default_value = DIA_ICO)]
        recipient_ico: String,
    },
}

pub async fn run(provider: &Provider, cmd: CzechPointCommand) -> Result<(), CliError> {
    let stores = &provider.stores;
    let now = provider.now();
    match cmd {
        CzechPointCommand::Record {
            document,
            given_names,
            family_name,
            birth_date,
            message,
            recipient_ico,
            consent,
        } => {
            let form = RequestForm {
                document_number: document,
                recipient_ico: Some(recipient_ico),
                consent: Some(consent),
                scope: None,
                message,
                given_names,
                family_name,
                birth_date,
            };
            // DIA processes the request at once: a NIA ID registration awaiting this code is
            // activated.
            let recorded =
                recipients::record(stores, &operator_actor(), &form, now).await.map_err(|e| CliError(e.to_string()))?;
            print(&json!({ "request": recorded.request, "nia_id": recorded.nia_id_json() }))
        }
        CzechPointCommand::Take { message, recipient_ico } => {
            let ico = Ico::parse(&recipient_ico).map_err(|e| CliError(format!("--recipient-ico: {e}")))?;
            match czech_point::take(&*stores.czech_point, &*stores.persons, &ico, &message, now).await? {
                Some(person) => print(&json!({ "person": person.record() })),
                None => Err(CliError::new("there is no request to this recipient with this message (or it was taken)")),
            }
        }
    }
}
