//! The data-box simulator's records (a stand-in for ISDS, the information system of data boxes):
//! boxes of people (FO), entrepreneurs (PFO), legal entities (PO) and public authorities (OVM),
//! each with its owner's data as ISDS hands them out — with or without the permanent address —
//! and the messages sent between boxes.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// mojeID's own data box (`shared/seeds/003_*`): where validation requests are sent.
pub const MOJEID_BOX: &str = "h4axdn8";

/// The kinds of data box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BoxKind {
    /// A natural person's (fyzická osoba).
    Fo,
    /// An entrepreneur's (podnikající fyzická osoba).
    Pfo,
    /// A legal entity's (právnická osoba).
    Po,
    /// A public authority's (orgán veřejné moci).
    Ovm,
}

impl BoxKind {
    pub fn parse(text: &str) -> Result<BoxKind, String> {
        match text.to_ascii_uppercase().as_str() {
            "FO" => Ok(BoxKind::Fo),
            "PFO" => Ok(BoxKind::Pfo),
            "PO" => Ok(BoxKind::Po),
            "OVM" => Ok(BoxKind::Ovm),
            _ => Err(format!("{text:?} is not a kind of data box: FO, PFO, PO or OVM")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            BoxKind::Fo => "FO",
            BoxKind::Pfo => "PFO",
            BoxKind::Po => "PO",
            BoxKind::Ovm => "OVM",
        }
    }

    /// Whether the box is a natural person's own, not a business's or an organisation's.
    pub fn is_natural_person(self) -> bool {
        self == BoxKind::Fo
    }
}

/// An address as a box's owner data give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxAddress {
    pub street: String,
    pub city: String,
    pub postal_code: String,
}

/// What ISDS knows of a box's owner. A person's box gives names and the date of birth; a
/// business's its name and IČO. The address is the permanent one (a seat for PO, OVM), absent
/// where ISDS does not pass it on (an older box, a citizen living abroad, a foreigner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// The firm's or the authority's name (PFO, PO, OVM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ico: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<BoxAddress>,
}

/// A data box of the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataBox {
    /// Seven characters (checked by `model::person::DataBoxId`).
    pub id: String,
    pub kind: BoxKind,
    pub owner: OwnerData,
    /// The box's login password (argon2id), for the simulated ISDS login; none: no login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
}

/// A data message from one box to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataBoxMessage {
    pub id: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// The sender had their identification included, as an authorised person of the box (not
    /// a delegate or an administrator): what mojeID needs of a validation request.
    pub sender_identified: bool,
    pub sent_at: Timestamp,
    /// When the recipient processed it (mojeID's desk), if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at: Option<Timestamp>,
}
