//! `identita databox add|list|send|inbox`: the data-box simulator (a stand-in for ISDS) — boxes
//! of people (FO), entrepreneurs (PFO) and organisations (PO, OVM) with their owner's data, and
//! messages between them. mojeID's own box is `h4axdn8`.

use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliError, audit, print};
use crate::authn::Authn;
use crate::model::DataBox;
use crate::oidc::Provider;
use crate::validation::databox::{DataBoxes, NewBox, NewMessage};

#[derive(Debug, Subcommand)]
pub enum DataBoxCommand {
    /// Make a data box. The owner's data are a person's (FO, PFO: --given-names, --family-name,
    /// --birth-date) and a business's (PFO, PO, OVM: --firm, --ico); the address is the
    /// permanent one (a seat): leave it out for owner data without it. --password lets the
    /// box log in at the simulated ISDS login.
    Add(AddArgs),
    /// Every box.
    List,
    /// Send a message from one box to another (mojeID's is h4axdn8).
    Send(SendArgs),
    /// The messages delivered to a box, newest first.
    Inbox { id: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Seven characters, e.g. abc2def.
    pub id: String,
    /// FO, PFO, PO or OVM.
    #[arg(long)]
    pub kind: String,
    #[arg(long)]
    pub given_names: Option<String>,
    #[arg(long)]
    pub family_name: Option<String>,
    #[arg(long)]
    pub birth_date: Option<String>,
    #[arg(long)]
    pub firm: Option<String>,
    #[arg(long)]
    pub ico: Option<String>,
    #[arg(long)]
    pub street: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub postal_code: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub subject: String,
    #[arg(long, default_value = "")]
    pub body: String,
    /// Send without the sender's identification (a delegate or administrator sending).
    #[arg(long)]
    pub anonymous: bool,
}

/// A box as the commands print it: never its password's hash.
fn shown(data_box: &DataBox) -> serde_json::Value {
    json!({
        "id": data_box.id,
        "kind": data_box.kind.code(),
        "owner": data_box.owner,
        "permanent_address": data_box.owner.address.is_some(),
        "login": data_box.password_hash.is_some(),
    })
}

pub async fn run(provider: &Provider, authn: &Authn, cmd: DataBoxCommand) -> Result<(), CliError> {
    let boxes = DataBoxes { stores: &provider.stores, now: provider.now() };
    let actor = audit::operator_actor();
    let failed = |e: crate::validation::databox::DataBoxError| CliError(e.to_string());
    match cmd {
        DataBoxCommand::Add(args) => {
            let new = NewBox {
                id: args.id,
                kind: args.kind,
                given_names: args.given_names,
                family_name: args.family_name,
                birth_date: args.birth_date,
                firm: args.firm,
                ico: args.ico,
                street: args.street,
                city: args.city,
                postal_code: args.postal_code,
                password: args.password,
            };
            let made = boxes.add(&actor, new, &authn.passwords).await.map_err(failed)?;
            print(&shown(&made))
        }
        DataBoxCommand::List => {
            let all = provider.stores.data_boxes.list().await?;
            print(&all.iter().map(shown).collect::<Vec<_>>())
        }
        DataBoxCommand::Send(args) => {
            let new = NewMessage {
                sender: args.from,
                recipient: args.to,
                subject: args.subject,
                body: args.body,
                sender_identified: !args.anonymous,
            };
            print(&boxes.send(&actor, new).await.map_err(failed)?)
        }
        DataBoxCommand::Inbox { id } => print(&boxes.inbox(&id).await.map_err(failed)?),
    }
}
