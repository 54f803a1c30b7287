//! The six paths of mojeID's validation (`shared/seeds/003_*`, "Validovat se můžete takto"),
//! each a function of [`Accounts`]: the desk's approvals (an office or validation-point visit, a
//! notarised signature by post, a request from a data box) in its working hours, and the
//! citizen's own (the data-box button, finishing a Czech POINT request) at any time.

use super::{AccountView, Accounts, DESK, MojeidError};
use crate::authn::password::PasswordHasher;
use crate::model::databox::{DataBox, MOJEID_BOX};
use crate::model::mojeid::{AccountKind, MojeidAccount, ValidationPath};
use crate::model::person::{Date, DocumentKind, Ico};
use crate::model::{Address, Person, User};
use crate::store::StoreError;
use crate::validation::actor::{Actor, Capacity};
use crate::validation::databox::{DataBoxError, DataBoxes, LOGIN_WINDOW, LOGINS_PER_BOX};

/// What the desk worker checked for a visit or a posted request.
#[derive(Debug, Clone)]
pub enum DeskEvidence {
    /// A visit (at the office or a validation point, `place`) with an identity document: its
    /// kind (`ID`, `P`, `IR`), number and last day of validity, as the worker read them.
    Document { place: Option<String>, kind: String, number: String, valid_until: String },
    /// A request with an officially or notarially verified signature, received by post: who
    /// verified it (a notary, Czech POINT, a post office) and its verification's number.
    NotarisedSignature { verified_by: String, reference: String },
}

/// Why the data-box button cannot validate the account (`shared/seeds/003_*`, "Pokud se Vám
/// nedaří validovat svůj účet přes tlačítko…").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataBoxRefusal {
    /// A business's or an organisation's box, not a natural person's.
    CompanyBox,
    /// The owner's data lack the permanent address (an older box, a citizen living abroad, a
    /// foreigner).
    IncompleteData,
}

impl DataBoxRefusal {
    /// The seed's message, in Czech.
    pub fn czech(self) -> &'static str {
        match self {
            DataBoxRefusal::CompanyBox => {
                "Pro validaci fyzické osoby využíváte firemní datovou schránku. Je však třeba, aby datová \
                 schránka byla vedena na fyzickou osobu. V opačném případě validaci nelze provést."
            }
            DataBoxRefusal::IncompleteData => "Vaše datová schránka neposkytuje všechny nezbytné údaje pro validaci",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            DataBoxRefusal::CompanyBox => {
                "You are validating a natural person with a company's data box. The data box must be a \
                 natural person's; otherwise the validation cannot be done."
            }
            DataBoxRefusal::IncompleteData => "Your data box does not provide all the data needed for validation",
        }
    }
}

impl std::fmt::Display for DataBoxRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.czech(), self.english())
    }
}

/// The account's value and the evidence's must agree (compared without regard to case and
/// surrounding spaces).
fn same(
    field: &'static str,
    account: Option<&str>,
    evidence: Option<&str>,
    source_name: &'static str,
) -> Result<(), MojeidError> {
    let norm = |v: Option<&str>| v.map(|v| v.trim().to_lowercase()).unwrap_or_default();
    if norm(account) != norm(evidence) {
        return Err(MojeidError::Mismatch {
            field,
            account: account.unwrap_or_default().to_owned(),
            evidence: evidence.unwrap_or_default().to_owned(),
            source_name,
        });
    }
    Ok(())
}

impl Accounts<'_> {
    /// Paths 1, 2 and 5: the desk approves a visit with an identity document, or a request with a
    /// verified signature received by post. Where the account belongs to a person of the
    /// register, the document must be one of theirs and the names and date of birth theirs.
    pub async fn validate_at_desk(
        &self,
        actor: &Actor,
        username: &str,
        evidence: DeskEvidence,
    ) -> Result<AccountView, MojeidError> {
        let role = actor.require(DESK)?;
        self.desk_open()?;
        let (user, account) = self.find(username).await?;
        let person = match self.stores.persons.person_of_account(&user.id).await? {
            Some(id) => self.stores.persons.get(&id).await?,
            None => None,
        };
        let (path, text) = match &evidence {
            DeskEvidence::Document { place, kind, number, valid_until } => {
                let kind =
                    DocumentKind::parse(kind).map_err(|e| MojeidError::Field { field: "document", problem: e })?;
                let until = Date::parse(valid_until)
                    .map_err(|e| MojeidError::Field { field: "document_valid_until", problem: e })?;
                if self.today().is_some_and(|today| until < today) {
                    return Err(MojeidError::Evidence(format!(
                        "the document {number} expired on {until}: a valid identity document is needed"
                    )));
                }
                if let Some(person) = &person {
                    let theirs = person.documents.iter().any(|d| d.kind == kind && d.number == *number);
                    if !theirs {
                        return Err(MojeidError::Evidence(format!(
                            "the document {} {number} is not one the register knows of the account's person",
                            kind.code()
                        )));
                    }
                }
                let path = if place.is_some() { ValidationPath::ValidationPoint } else { ValidationPath::Office };
                let at = place.as_deref().unwrap_or("CZ.NIC, Milešovská 5, Praha 3");
                (path, format!("{} {number} (valid until {until}) seen at {at}", kind.code()))
            }
            DeskEvidence::NotarisedSignature { verified_by, reference } => {
                if verified_by.trim().is_empty() || reference.trim().is_empty() {
                    return Err(MojeidError::Field {
                        field: "verified_by",
                        problem: "name who verified the signature and the verification's number".into(),
                    });
                }
                (ValidationPath::NotarisedSignature, format!("signature verified by {verified_by}, no. {reference}"))
            }
        };
        if let Some(person) = &person {
            let p = &user.profile;
            same("given_name", p.given_name.as_deref(), Some(&person.given_names), "register")?;
            same("family_name", p.family_name.as_deref(), Some(&person.family_name), "register")?;
            same("birthdate", p.birthdate.as_deref(), Some(&person.birth_date.to_string()), "register")?;
        }
        self.validate(actor, role.into(), &user, account, path, text).await
    }

    /// Path 3: the desk processes a request sent from the holder's data box to mojeID's. Only
    /// for accounts with an organisation and IČO; the sender's box must be the business's (its
    /// IČO), the sender identified, and the message not yet processed.
    pub async fn validate_by_databox_message(
        &self,
        actor: &Actor,
        username: &str,
        message_id: &str,
    ) -> Result<AccountView, MojeidError> {
        let role = actor.require(DESK)?;
        self.desk_open()?;
        let (user, account) = self.find(username).await?;
        if !account.kind.is_business() {
            return Err(MojeidError::BusinessOnly);
        }
        let boxes = &self.stores.data_boxes;
        let message = boxes.message(message_id).await?.filter(|m| m.recipient == MOJEID_BOX).ok_or_else(|| {
            MojeidError::Evidence(format!("no data message {message_id} in mojeID's data box {MOJEID_BOX}"))
        })?;
        if message.processed_at.is_some() {
            return Err(MojeidError::Evidence(format!("the data message {message_id} was processed already")));
        }
        if !message.sender_identified {
            return Err(MojeidError::Evidence(
                "the message was sent without the sender's identification: the sender must be an authorised \
                 person of the box (not a delegate or administrator) and include their identification"
                    .into(),
            ));
        }
        let sender = boxes
            .get(&message.sender)
            .await?
            .ok_or_else(|| MojeidError::Evidence(format!("the sending data box {} does not exist", message.sender)))?;
        let owner = &sender.owner;
        same("ico", account.ico.as_deref(), owner.ico.as_deref(), "sending data box")?;
        same("organisation", account.organisation.as_deref(), owner.firm.as_deref(), "sending data box")?;
        if account.kind == AccountKind::Entrepreneur {
            let p = &user.profile;
            same("given_name", p.given_name.as_deref(), owner.given_names.as_deref(), "sending data box")?;
            same("family_name", p.family_name.as_deref(), owner.family_name.as_deref(), "sending data box")?;
        }
        if !boxes.mark_processed(message_id, self.now).await? {
            return Err(MojeidError::Evidence(format!("the data message {message_id} was processed already")));
        }
        let evidence = format!("data message {message_id} from box {} ({})", sender.id, sender.kind.code());
        self.validate(actor, role.into(), &user, account, ValidationPath::DataBoxMessage, evidence).await
    }

    /// Path 4: the citizen logged in to their data box from the account's page, and the box's
    /// owner data came back. Natural persons' accounts and boxes only, with the permanent address
    /// among the owner data; those data replace the account's (names, date of birth, address).
    /// A refusal is audited too.
    pub async fn validate_by_databox_button(
        &self,
        actor: &Actor,
        user: &User,
        data_box: &DataBox,
    ) -> Result<AccountView, MojeidError> {
        let path = ValidationPath::DataBoxButton;
        let capacity = actor.require_holder(&user.id)?;
        let account = self.of(user).await?;
        let checked = (|| {
            if account.kind.is_business() {
                return Err(MojeidError::NaturalPersonsOnly { path: "the data-box button" });
            }
            if !data_box.kind.is_natural_person() {
                return Err(MojeidError::DataBox(DataBoxRefusal::CompanyBox));
            }
            let owner = &data_box.owner;
            let address = owner.address.as_ref().ok_or(MojeidError::DataBox(DataBoxRefusal::IncompleteData))?;
            if owner.given_names.is_none() || owner.family_name.is_none() {
                return Err(MojeidError::DataBox(DataBoxRefusal::IncompleteData));
            }
            Ok(Address {
                street_address: Some(address.street.clone()),
                locality: Some(address.city.clone()),
                postal_code: Some(address.postal_code.clone()),
                country: Some("CZ".into()),
                ..Address::default()
            })
        })();
        let address = match checked {
            Ok(address) => address,
            Err(error) => return Err(self.refused(actor, capacity, user, path, error).await),
        };
        let owner = &data_box.owner;
        let mut user = user.clone();
        let p = &mut user.profile;
        p.given_name = owner.given_names.clone();
        p.family_name = owner.family_name.clone();
        p.name = super::full_name(p.given_name.as_deref(), p.family_name.as_deref());
        if owner.birth_date.is_some() {
            p.birthdate = owner.birth_date.clone();
        }
        p.address = Some(address);
        if let Err(error) = super::ready(&user, &account, path) {
            return Err(self.refused(actor, capacity, &user, path, error).await);
        }
        user.updated_at = self.now;
        self.stores.users.update(&user).await?;
        let evidence = format!("owner data of data box {} ({})", data_box.id, data_box.kind.code());
        self.validate(actor, capacity, &user, account, path, evidence).await
    }

    /// The data-box button's round trip: the citizen logs in to their box at the simulated ISDS
    /// login (`box_id`, `password`), and the box's owner data validate the account or are
    /// refused. `None` when the box or its password is wrong (nothing is validated or audited).
    pub async fn databox_button(
        &self,
        actor: &Actor,
        user: &User,
        box_id: &str,
        password: &str,
        hasher: &PasswordHasher,
    ) -> Result<Option<AccountView>, MojeidError> {
        actor.require_holder(&user.id)?;
        // The box's password is guessed no faster here than at NIA's data-box activation.
        let key = format!("databox-login:{}", box_id.trim().to_lowercase());
        let tally = self.stores.counters.tally(&key, self.now + LOGIN_WINDOW, self.now).await?;
        if tally.count > LOGINS_PER_BOX {
            let again = crate::clock::utc(tally.ends_at);
            return Err(MojeidError::Evidence(format!("too many logins to this data box; try again after {again}")));
        }
        let boxes = DataBoxes { stores: self.stores, now: self.now };
        let logged_in = boxes.log_in(box_id, password, hasher).await.map_err(|e| match e {
            DataBoxError::Store(e) => MojeidError::Store(e),
            other => MojeidError::Evidence(other.to_string()),
        })?;
        match logged_in {
            Some(data_box) => self.validate_by_databox_button(actor, user, &data_box).await.map(Some),
            None => Ok(None),
        }
    }

    /// Path 6 from the account's settings: the register's data that the account's Czech POINT
    /// request delivered, finishing the validation (see [`Accounts::finish_czech_point`]).
    /// The request is CZ.NIC's (IČO [`super::CZ_NIC_ICO`]) with the account's identifier as its
    /// message, taken once (`validation::czech_point::take`); until a clerk has recorded it,
    /// nothing arrives and the citizen is told to wait.
    pub async fn finish_czech_point_request(&self, actor: &Actor, user: &User) -> Result<AccountView, MojeidError> {
        actor.require_holder(&user.id)?;
        let account = self.of(user).await?;
        let delivered = match &account.czech_point_request {
            Some(identifier) if !account.kind.is_business() => {
                let cz_nic = Ico::parse(super::CZ_NIC_ICO).map_err(StoreError::Corrupt)?;
                let (requests, persons) = (&*self.stores.czech_point, &*self.stores.persons);
                crate::validation::czech_point::take(requests, persons, &cz_nic, identifier, self.now).await?
            }
            _ => None,
        };
        self.finish_czech_point(actor, user, delivered.as_ref()).await
    }

    /// The identifier the citizen gives Czech POINT with the request to provide the register's
    /// data to CZ.NIC (path 6), made once per account.
    pub async fn czech_point_request(&self, user: &User) -> Result<String, MojeidError> {
        let mut account = self.of(user).await?;
        if account.kind.is_business() {
            return Err(MojeidError::NaturalPersonsOnly { path: "a Czech POINT request" });
        }
        if let Some(existing) = &account.czech_point_request {
            return Ok(existing.clone());
        }
        let identifier = format!("MOJEID-{}", crate::secret::random_token(9).to_uppercase());
        account.czech_point_request = Some(identifier.clone());
        account.updated_at = self.now;
        self.stores.mojeid_accounts.put(&account).await?;
        Ok(identifier)
    }

    /// Path 6: the citizen finishes their Czech POINT request in the account's settings. `found`
    /// is the register's person the request delivered to CZ.NIC (under the account's request
    /// identifier), or `None` while nothing has come; their names, date of birth and permanent
    /// address replace the account's, as a register-bound account's are.
    pub async fn finish_czech_point(
        &self,
        actor: &Actor,
        user: &User,
        found: Option<&Person>,
    ) -> Result<AccountView, MojeidError> {
        let path = ValidationPath::CzechPoint;
        let capacity: Capacity = actor.require_holder(&user.id)?;
        let account: MojeidAccount = self.of(user).await?;
        if account.kind.is_business() {
            let error = MojeidError::NaturalPersonsOnly { path: "a Czech POINT request" };
            return Err(self.refused(actor, capacity, user, path, error).await);
        }
        let Some(person) = found else {
            return Err(self.refused(actor, capacity, user, path, MojeidError::CzechPointPending).await);
        };
        let Some(address) = &person.address else {
            let error = MojeidError::Evidence(
                "the register gives no permanent address in the Czech Republic: the account cannot be validated".into(),
            );
            return Err(self.refused(actor, capacity, user, path, error).await);
        };
        let mut user = user.clone();
        let p = &mut user.profile;
        p.given_name = Some(person.given_names.clone());
        p.family_name = Some(person.family_name.clone());
        p.name = super::full_name(p.given_name.as_deref(), p.family_name.as_deref());
        p.birthdate = Some(person.birth_date.to_string());
        p.address = Some(address_of(&address.text));
        if let Err(error) = super::ready(&user, &account, path) {
            return Err(self.refused(actor, capacity, &user, path, error).await);
        }
        user.updated_at = self.now;
        self.stores.users.update(&user).await?;
        let request = account.czech_point_request.clone().unwrap_or_default();
        let evidence = format!("the register's data of person {} (Czech POINT request {request})", person.id);
        self.validate(actor, capacity, &user, account, path, evidence).await
    }

    fn today(&self) -> Option<Date> {
        let day = chrono::DateTime::from_timestamp(self.now, 0)?.date_naive();
        Date::parse(&day.format("%Y-%m-%d").to_string()).ok()
    }
}

/// The register's address text (`Milešovská 1136/5, 130 00 Praha 3`) as an account's address:
/// the street before the first comma, then the postal code and the city.
fn address_of(text: &str) -> Address {
    let (street, rest) = text.split_once(',').map_or((text, ""), |(s, r)| (s.trim(), r.trim()));
    let postal: String = rest.chars().take(6).collect();
    let shaped = postal.len() == 6
        && postal.chars().enumerate().all(|(i, c)| (i == 3) == (c == ' ') && (i == 3 || c.is_ascii_digit()));
    let (postal_code, city) = match shaped {
        true => (Some(postal), rest[6..].trim().to_owned()),
        false => (None, rest.to_owned()),
    };
    Address {
        street_address: Some(street.to_owned()),
        locality: Some(if city.is_empty() { street.to_owned() } else { city }),
        postal_code,
        country: Some("CZ".into()),
        ..Address::default()
    }
}
