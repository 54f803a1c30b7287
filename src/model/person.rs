//! A person as the register of inhabitants (ROB) knows them: names, birth, sex, citizenship,
//! permanent address with its RÚIAN codes, contacts, data box, identity documents, and the
//! businesses they run or represent. Accounts belong to a person (`users.person_id`).
//!
//! A [`Person`] holds only checked values: it is made by [`Person::parse`] from a
//! [`PersonRecord`] (the plain form a fixture line, the store's `data` and the CLI use), and a
//! record that fails says which field and why ([`FieldError`]).

mod birth_number;
mod codes;
mod contact;
mod date;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use birth_number::BirthNumber;
pub use codes::{AddressPlaceCode, Country, DataBoxId, Ico, MunicipalityCode};
pub use contact::{Email, Phone};
pub use date::Date;

/// A field that does not read, named as in the record (`documents[2].number`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

fn at(field: impl Into<String>) -> impl FnOnce(String) -> FieldError {
    let field = field.into();
    move |problem| FieldError { field, problem }
}

/// The longest name, place or organisation name the register takes, in characters.
pub const NAME_MAX: usize = 100;
/// The longest address text, in characters.
pub const ADDRESS_MAX: usize = 255;
/// The longest identifier of a person, in bytes.
pub const ID_MAX: usize = 64;

/// Text of one to `max` characters, without control characters and trimmed of nothing: what is
/// given is what is kept.
fn text(value: &str, max: usize) -> Result<String, String> {
    let count = value.chars().count();
    if value.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if count > max {
        return Err(format!("is {count} characters long; at most {max}"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not hold control characters (line breaks, tabs)".into());
    }
    Ok(value.to_owned())
}

/// An identifier: opaque and stable, 1 to 64 of `A–Z a–z 0–9 . _ -`.
fn identifier(value: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if value.is_empty() || value.len() > ID_MAX || !value.chars().all(allowed) {
        return Err(format!("{value:?} is not an identifier: 1 to {ID_MAX} of A-Z a-z 0-9 . _ -"));
    }
    Ok(value.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `M` or `F`, as in a passport's machine-readable zone.
    pub fn parse(text: &str) -> Result<Sex, String> {
        match text {
            "M" => Ok(Sex::Male),
            "F" => Ok(Sex::Female),
            _ => Err(format!("{text:?} is not a sex: M or F")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
}

/// The kinds of identity document, by the codes NIA's `idtype` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Občanský průkaz (eObčanka): `ID`.
    IdCard,
    /// Cestovní pas: `P`.
    Passport,
    /// Průkaz o povolení k pobytu (a residence permit of a foreigner): `IR`.
    ResidencePermit,
}

impl DocumentKind {
    pub fn parse(text: &str) -> Result<DocumentKind, String> {
        match text {
            "ID" => Ok(DocumentKind::IdCard),
            "P" => Ok(DocumentKind::Passport),
            "IR" => Ok(DocumentKind::ResidencePermit),
            _ => Err(format!(
                "{text:?} is not a document type: ID (identity card), P (passport) or IR (residence permit)"
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::IdCard => "ID",
            DocumentKind::Passport => "P",
            DocumentKind::ResidencePermit => "IR",
        }
    }
}

/// An identity document: its kind, number (1 to 20 capital letters and digits; an identity
/// card's is nine digits) and last day of validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub(crate) kind: DocumentKind,
    pub(crate) number: String,
    pub(crate) valid_until: Date,
}

/// A permanent address: as written, and its RÚIAN codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermanentAddress {
    pub(crate) text: String,
    pub(crate) address_place: AddressPlaceCode,
    pub(crate) municipality: MunicipalityCode,
}

/// A business in the register of persons: an entrepreneur's own, or a legal entity the person
/// is a statutory body of (with the role, e.g. "jednatel").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub(crate) ico: Ico,
    pub(crate) name: String,
    pub(crate) role: Option<String>,
}

/// A person of the register, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Opaque and stable: accounts refer to it.
    pub(crate) id: String,
    /// All given names, as written (`Jan Petr`).
    pub(crate) given_names: String,
    pub(crate) family_name: String,
    pub(crate) birth_date: Date,
    /// None for a foreigner who was never given one.
    pub(crate) birth_number: Option<BirthNumber>,
    /// The municipality (or, abroad, the place) of birth.
    pub(crate) birth_place: String,
    pub(crate) birth_country: Country,
    pub(crate) sex: Sex,
    /// Every citizenship; none for a stateless person.
    pub(crate) citizenship: Vec<Country>,
    /// None for a person with no permanent address in the Czech Republic.
    pub(crate) address: Option<PermanentAddress>,
    pub(crate) phone: Option<Phone>,
    pub(crate) email: Option<Email>,
    pub(crate) data_box: Option<DataBoxId>,
    pub(crate) documents: Vec<Document>,
    /// The business the person runs as an entrepreneur (OSVČ).
    pub(crate) entrepreneur: Option<Organisation>,
    /// The legal entities the person is a statutory body of.
    pub(crate) statutory_body_of: Vec<Organisation>,
}

/// A RÚIAN code as written: a JSON number (or digits in a string, as a CLI argument is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(pub String);

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<u64>() {
            Ok(number) if !self.0.starts_with('0') => serializer.serialize_u64(number),
            _ => serializer.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(u64),
            Text(String),
        }
        Ok(Code(match Written::deserialize(deserializer)? {
            Written::Number(number) => number.to_string(),
            Written::Text(text) => text,
        }))
    }
}

/// The plain form of a [`PersonRecord`]'s address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRecord {
    pub text: String,
    pub address_place: Code,
    pub municipality: Code,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRecord {
    #[serde(rename = "type")]
    pub kind: String,
    pub number: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRecord {
    pub ico: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A person in plain values, as a fixture line, the store and the CLI write it; read into a
/// [`Person`] by [`Person::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRecord {
    pub id: String,
    pub given_names: String,
    pub family_name: String,
    pub birth_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_number: Option<String>,
    pub birth_place: String,
    pub birth_country: String,
    pub sex: String,
    #[serde(default)]
    pub citizenship: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_box: Option<String>,
    #[serde(default)]
    pub documents: Vec<DocumentRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrepreneur: Option<OrganisationRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statutory_body_of: Vec<OrganisationRecord>,
}

/// An optional field's value, checked by `parse`; a failure is named `field`.
fn optional<T>(
    value: Option<&str>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, FieldError> {
    value.map(|value| parse(value).map_err(at(field))).transpose()
}

fn document(record: &DocumentRecord, field: &str) -> Result<Document, FieldError> {
    let kind = DocumentKind::parse(&record.kind).map_err(at(format!("{field}.type")))?;
    let number = &record.number;
    let shaped = match kind {
        DocumentKind::IdCard => number.len() == 9 && number.bytes().all(|b| b.is_ascii_digit()),
        _ => (1..=20).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
    };
    if !shaped {
        let rule = match kind {
            DocumentKind::IdCard => "an identity card's number is nine digits",
            _ => "1 to 20 capital letters and digits",
        };
        return Err(at(format!("{field}.number"))(format!("{number:?} is not a document number: {rule}")));
    }
    let valid_until = Date::parse(&record.valid_until).map_err(at(format!("{field}.valid_until")))?;
    Ok(Document { kind, number: number.clone(), valid_until })
}

fn organisation(record: &OrganisationRecord, field: &str) -> Result<Organisation, FieldError> {
    Ok(Organisation {
        ico: Ico::parse(&record.ico).map_err(at(format!("{field}.ico")))?,
        name: text(&record.name, NAME_MAX).map_err(at(format!("{field}.name")))?,
        role: optional(record.role.as_deref(), &format!("{field}.role"), |r| text(r, NAME_MAX))?,
    })
}

fn address(record: &AddressRecord) -> Result<PermanentAddress, FieldError> {
    Ok(PermanentAddress {
        text: text(&record.text, ADDRESS_MAX).map_err(at("address.text"))?,
        address_place: AddressPlaceCode::parse(&record.address_place.0).map_err(at("address.address_place"))?,
        municipality: MunicipalityCode::parse(&record.municipality.0).map_err(at("address.municipality"))?,
    })
}

impl Person {
    /// Checks every field of `record`, and that a birth number agrees with the date of birth
    /// and the sex; the first field that fails is named.
    pub fn parse(record: &PersonRecord) -> Result<Person, FieldError> {
        let person = Person {
            id: identifier(&record.id).map_err(at("id"))?,
            given_names: text(&record.given_names, NAME_MAX).map_err(at("given_names"))?,
            family_name: text(&record.family_name, NAME_MAX).map_err(at("family_name"))?,
            birth_date: Date::parse(&record.birth_date).map_err(at("birth_date"))?,
            birth_number: optional(record.birth_number.as_deref(), "birth_number", BirthNumber::parse)?,
            birth_place: text(&record.birth_place, NAME_MAX).map_err(at("birth_place"))?,
            birth_country: Country::parse(&record.birth_country).map_err(at("birth_country"))?,
            sex: Sex::parse(&record.sex).map_err(at("sex"))?,
            citizenship: (record.citizenship.iter().enumerate())
                .map(|(i, c)| Country::parse(c).map_err(at(format!("citizenship[{}]", i + 1))))
                .collect::<Result<_, _>>()?,
            address: record.address.as_ref().map(address).transpose()?,
            phone: optional(record.phone.as_deref(), "phone", Phone::parse)?,
            email: optional(record.email.as_deref(), "email", Email::parse)?,
            data_box: optional(record.data_box.as_deref(), "data_box", DataBoxId::parse)?,
            documents: (record.documents.iter().enumerate())
                .map(|(i, d)| document(d, &format!("documents[{}]", i + 1)))
                .collect::<Result<_, _>>()?,
            entrepreneur: record.entrepreneur.as_ref().map(|o| organisation(o, "entrepreneur")).transpose()?,
            statutory_body_of: (record.statutory_body_of.iter().enumerate())
                .map(|(i, o)| organisation(o, &format!("statutory_body_of[{}]", i + 1)))
                .collect::<Result<_, _>>()?,
        };
        person.check_birth_number()?;
        Ok(person)
    }

    /// The birth number encodes the date of birth and the sex: they must agree.
    fn check_birth_number(&self) -> Result<(), FieldError> {
        let Some(number) = &self.birth_number else { return Ok(()) };
        if number.born() != self.birth_date {
            return Err(at("birth_number")(format!(
                "{number} is of someone born on {}, not on the birth_date {}",
                number.born(),
                self.birth_date
            )));
        }
        if number.sex() != self.sex {
            return Err(at("birth_number")(format!(
                "{number} is of sex {}, not {}",
                number.sex().code(),
                self.sex.code()
            )));
        }
        Ok(())
    }

    /// The plain form, which [`Person::parse`] reads back into this person.
    pub fn record(&self) -> PersonRecord {
        let organisation = |o: &Organisation| OrganisationRecord {
            ico: o.ico.to_string(),
            name: o.name.clone(),
            role: o.role.clone(),
        };
        PersonRecord {
            id: self.id.clone(),
            given_names: self.given_names.clone(),
            family_name: self.family_name.clone(),
            birth_date: self.birth_date.to_string(),
            birth_number: self.birth_number.as_ref().map(ToString::to_string),
            birth_place: self.birth_place.clone(),
            birth_country: self.birth_country.to_string(),
            sex: self.sex.code().to_owned(),
            citizenship: self.citizenship.iter().map(ToString::to_string).collect(),
            address: self.address.as_ref().map(|a| AddressRecord {
                text: a.text.clone(),
                address_place: Code(a.address_place.code().to_string()),
                municipality: Code(a.municipality.code().to_string()),
            }),
            phone: self.phone.as_ref().map(ToString::to_string),
            email: self.email.as_ref().map(ToString::to_string),
            data_box: self.data_box.as_ref().map(ToString::to_string),
            documents: (self.documents.iter())
                .map(|d| DocumentRecord {
                    kind: d.kind.code().to_owned(),
                    number: d.number.clone(),
                    valid_until: d.valid_until.to_string(),
                })
                .collect(),
            entrepreneur: self.entrepreneur.as_ref().map(organisation),
            statutory_body_of: self.statutory_body_of.iter().map(organisation).collect(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn given_names(&self) -> &str {
        &self.given_names
    }

    pub fn family_name(&self) -> &str {
        &self.family_name
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn birth_number(&self) -> Option<&BirthNumber> {
        self.birth_number.as_ref()
    }

    pub fn data_box(&self) -> Option<&DataBoxId> {
        self.data_box.as_ref()
    }

    pub fn documents(&self) -> &[Document] {
        &self.documents
    }
}

impl Document {
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn valid_until(&self) -> Date {
        self.valid_until
    }
}

#[cfg(test)]
mod tests;
