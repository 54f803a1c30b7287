//! The data-box simulator (a stand-in for ISDS): boxes of people, entrepreneurs and
//! organisations with their owner's data, messages between boxes, and the login to a box that
//! mojeID's data-box button sends the citizen to. Enough for every data-box path of mojeID's
//! validation to run end to end; the operator's decisions (a box made, a message sent) are
//! audited.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::authn::password::{PasswordError, PasswordHasher, Verdict};
use crate::clock::Timestamp;
use crate::model::clerk::Role;
use crate::model::databox::{BoxAddress, BoxKind, DataBox, DataBoxMessage, MOJEID_BOX, OwnerData};
use crate::model::person::{DataBoxId, Date, Ico, NAME_MAX, Person};
use crate::store::{StoreError, Stores};
use crate::validation::actor::{Actor, Forbidden};
use crate::validation::audit;

#[derive(Debug, thiserror::Error)]
pub enum DataBoxError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("{field}: {problem}")]
    Field { field: &'static str, problem: String },
    #[error("there is no data box {0}")]
    NoBox(String),
    #[error("the data box {0} exists already")]
    Exists(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DataBoxError {
    fn from(e: StoreError) -> Self {
        DataBoxError::Store(e)
    }
}

fn field(field: &'static str, problem: impl Into<String>) -> DataBoxError {
    DataBoxError::Field { field, problem: problem.into() }
}

/// Logins to one box through [`DataBoxes::identify`] per [`LOGIN_WINDOW`]; and from one address.
pub const LOGINS_PER_BOX: u32 = 10;
pub const LOGINS_PER_SOURCE: u32 = 50;
pub const LOGIN_WINDOW: Timestamp = 15 * 60;

/// Whom a data-box login identified.
#[derive(Debug)]
pub enum Identified {
    /// The register's person who owns the box.
    Person(Box<Person>),
    /// The box's ID or its password is wrong (the two are not told apart).
    WrongLogin,
    /// The box is an entrepreneur's, a legal entity's or an authority's: it identifies no one.
    NotNaturalPerson(BoxKind),
    /// The register knows no one person as the box's owner.
    NotInRegister,
    /// Too many logins to this box, or from this address: try again at `retry_at`.
    TooMany { retry_at: Timestamp },
}

/// A new box as the operator describes it.
#[derive(Debug, Clone, Default)]
pub struct NewBox {
    pub id: String,
    pub kind: String,
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<String>,
    pub firm: Option<String>,
    pub ico: Option<String>,
    /// The permanent address (a seat for PO, OVM): all three, or none (owner data without it).
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    /// The box's login password, for the simulated ISDS login.
    pub password: Option<String>,
}

/// A message as the operator sends it.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub sender_identified: bool,
}

/// The simulator over the stores, as of `now`.
pub struct DataBoxes<'a> {
    pub stores: &'a Stores,
    pub now: Timestamp,
}

fn text(name: &'static str, value: Option<String>) -> Result<Option<String>, DataBoxError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if value.chars().count() > NAME_MAX || value.chars().any(char::is_control) {
        return Err(field(name, format!("at most {NAME_MAX} characters, without line breaks")));
    }
    Ok(Some(value))
}

/// The owner's data a kind of box needs: names (and the date of birth) of a person, the firm's
/// name and IČO of a business.
fn owner(kind: BoxKind, new: &NewBox) -> Result<OwnerData, DataBoxError> {
    let owner = OwnerData {
        given_names: text("given_names", new.given_names.clone())?,
        family_name: text("family_name", new.family_name.clone())?,
        birth_date: match text("birth_date", new.birth_date.clone())? {
            Some(date) => Some(Date::parse(&date).map_err(|e| field("birth_date", e))?.to_string()),
            None => None,
        },
        firm: text("firm", new.firm.clone())?,
        ico: match text("ico", new.ico.clone())? {
            Some(ico) => Some(Ico::parse(&ico).map_err(|e| field("ico", e))?.to_string()),
            None => None,
        },
        address: match (
            text("street", new.street.clone())?,
            text("city", new.city.clone())?,
            text("postal_code", new.postal_code.clone())?,
        ) {
            (Some(street), Some(city), Some(postal_code)) => Some(BoxAddress { street, city, postal_code }),
            (None, None, None) => None,
            _ => return Err(field("address", "give street, city and postal code together, or none of them")),
        },
    };
    let person = matches!(kind, BoxKind::Fo | BoxKind::Pfo);
    if person && owner.given_names.is_none() {
        return Err(field("given_names", format!("a {} box's owner is a person: give the names", kind.code())));
    }
    if person && owner.family_name.is_none() {
        return Err(field("family_name", format!("a {} box's owner is a person: give the names", kind.code())));
    }
    if !person && owner.firm.is_none() {
        return Err(field("firm", format!("a {} box's owner is an organisation: give its name", kind.code())));
    }
    if kind != BoxKind::Fo && owner.ico.is_none() {
        return Err(field("ico", format!("a {} box's owner has an IČO", kind.code())));
    }
    if kind == BoxKind::Fo && (owner.firm.is_some() || owner.ico.is_some()) {
        return Err(field("firm", "a natural person's (FO) box has no firm or IČO: make it a PFO box"));
    }
    Ok(owner)
}

/// Who makes the simulator's boxes and sends its messages: the operator, an administrator.
const MAKERS: &[Role] = &[Role::Administrator];

impl DataBoxes<'_> {
    /// Makes a box, its password hashed with `hasher`.
    pub async fn add(&self, actor: &Actor, new: NewBox, hasher: &PasswordHasher) -> Result<DataBox, DataBoxError> {
        let role = actor.require(MAKERS)?;
        let id = DataBoxId::parse(&new.id).map_err(|e| field("id", e))?.to_string();
        let kind = BoxKind::parse(&new.kind).map_err(|e| field("kind", e))?;
        let owner = owner(kind, &new)?;
        let password_hash = match new.password.as_deref().filter(|p| !p.is_empty()) {
            Some(password) => Some(hasher.hash(password).await?),
            None => None,
        };
        let data_box = DataBox { id: id.clone(), kind, owner, password_hash, created_at: self.now };
        match self.stores.data_boxes.insert(&data_box).await {
            Err(StoreError::Conflict(_)) => return Err(DataBoxError::Exists(id)),
            other => other?,
        }
        self.audit(actor, role, "databox.add", json!({ "box": id, "kind": kind.code() })).await?;
        Ok(data_box)
    }

    /// mojeID's own box (`h4axdn8`, CZ.NIC's), made the first time a message is sent to it.
    async fn ensure_mojeids(&self) -> Result<(), DataBoxError> {
        if self.stores.data_boxes.get(MOJEID_BOX).await?.is_some() {
            return Ok(());
        }
        let data_box = DataBox {
            id: MOJEID_BOX.into(),
            kind: BoxKind::Po,
            owner: OwnerData {
                given_names: None,
                family_name: None,
                birth_date: None,
                firm: Some("CZ.NIC, z.s.p.o.".into()),
                ico: Some(crate::validation::mojeid::CZ_NIC_ICO.into()),
                address: Some(BoxAddress {
                    street: "Milešovská 1136/5".into(),
                    city: "Praha 3".into(),
                    postal_code: "130 00".into(),
                }),
            },
            password_hash: None,
            created_at: self.now,
        };
        match self.stores.data_boxes.insert(&data_box).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends a message between two boxes (to mojeID's, `h4axdn8`, whether made yet or not).
    pub async fn send(&self, actor: &Actor, new: NewMessage) -> Result<DataBoxMessage, DataBoxError> {
        let role = actor.require(MAKERS)?;
        let sender = DataBoxId::parse(&new.sender).map_err(|e| field("from", e))?.to_string();
        let recipient = DataBoxId::parse(&new.recipient).map_err(|e| field("to", e))?.to_string();
        if recipient == MOJEID_BOX {
            self.ensure_mojeids().await?;
        }
        for id in [&sender, &recipient] {
            if self.stores.data_boxes.get(id).await?.is_none() {
                return Err(DataBoxError::NoBox(id.clone()));
            }
        }
        let subject = text("subject", Some(new.subject))?.ok_or_else(|| field("subject", "must not be empty"))?;
        if new.body.chars().count() > 10_000 {
            return Err(field("body", "at most 10000 characters"));
        }
        let message = DataBoxMessage {
            id: format!("dm-{}", crate::secret::random_token(12)),
            sender,
            recipient,
            subject,
            body: new.body,
            sender_identified: new.sender_identified,
            sent_at: self.now,
            processed_at: None,
        };
        self.stores.data_boxes.send(&message).await?;
        let detail = json!({ "message": message.id, "from": message.sender, "to": message.recipient });
        self.audit(actor, role, "databox.send", detail).await?;
        Ok(message)
    }

    /// The messages delivered to a box, newest first.
    pub async fn inbox(&self, id: &str) -> Result<Vec<DataBoxMessage>, DataBoxError> {
        if self.stores.data_boxes.get(id).await?.is_none() && id != MOJEID_BOX {
            return Err(DataBoxError::NoBox(id.to_owned()));
        }
        Ok(self.stores.data_boxes.inbox(id).await?)
    }

    /// The simulated ISDS login: the box, when `password` is its password; `None` otherwise
    /// (an unknown box costs as much as a wrong password).
    pub async fn log_in(
        &self,
        id: &str,
        password: &str,
        hasher: &PasswordHasher,
    ) -> Result<Option<DataBox>, DataBoxError> {
        let found = match DataBoxId::parse(id.trim()) {
            Ok(id) => self.stores.data_boxes.get(id.as_str()).await?,
            Err(_) => None,
        };
        let stored = found.as_ref().and_then(|b| b.password_hash.as_deref());
        let verdict = hasher.verify(stored, password).await?;
        Ok(found.filter(|_| matches!(verdict, Verdict::Valid | Verdict::ValidNeedsRehash)))
    }

    /// The simulated ISDS login as a way to identify a person of the register, as NIA offers it
    /// for activating NIA ID and MEG without a Czech POINT visit (seed 000): the box must be a
    /// natural person's (FO), and its owner the register's person who holds it — found by the
    /// box's ID in the register, or else by the owner's names and date of birth (exactly one
    /// person). The logins to a box and from an address are counted before the password's hash.
    pub async fn identify(
        &self,
        id: &str,
        password: &str,
        source: IpAddr,
        hasher: &PasswordHasher,
    ) -> Result<Identified, DataBoxError> {
        let counters = &self.stores.counters;
        let id = id.trim().to_lowercase();
        for (key, limit) in [
            (format!("databox-login:{id}"), LOGINS_PER_BOX),
            (format!("databox-login-source:{source}"), LOGINS_PER_SOURCE),
        ] {
            let tally = counters.tally(&key, self.now + LOGIN_WINDOW, self.now).await?;
            if tally.count > limit {
                return Ok(Identified::TooMany { retry_at: tally.ends_at });
            }
        }
        let Some(data_box) = self.log_in(&id, password, hasher).await? else { return Ok(Identified::WrongLogin) };
        if data_box.kind != BoxKind::Fo {
            return Ok(Identified::NotNaturalPerson(data_box.kind));
        }
        let persons = &self.stores.persons;
        if let Ok(box_id) = DataBoxId::parse(&data_box.id)
            && let Some(person) = persons.find_by_data_box(&box_id).await?
        {
            return Ok(Identified::Person(Box::new(person)));
        }
        let owner = &data_box.owner;
        let birth_date = owner.birth_date.as_deref().and_then(|d| Date::parse(d).ok());
        if let (Some(given), Some(family), Some(born)) = (&owner.given_names, &owner.family_name, birth_date) {
            let mut found = persons.find_by_name(family, given, born).await?;
            if found.len() == 1 {
                return Ok(Identified::Person(Box::new(found.remove(0))));
            }
        }
        Ok(Identified::NotInRegister)
    }

    async fn audit(&self, actor: &Actor, role: Role, action: &str, detail: Value) -> Result<(), DataBoxError> {
        let record = actor.record(role, action, None, detail, self.now);
        audit::record(&*self.stores.audit, record).await?;
        Ok(())
    }
}
