//! `identita registry import|add|show|set|list|link|unlink`: the register of inhabitants' test
//! citizens, and which person an account belongs to.
//!
//! Every value is checked as [`crate::model::Person::parse`] checks it, and a refusal names the
//! field (and, in a file, the line). An import writes the whole file in one transaction or,
//! when any line is bad or any person is there already, nothing.

pub(super) mod file;

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{CliError, print};
use crate::model::person::{BirthNumber, DataBoxId, Date, FieldError};
use crate::model::{Person, PersonRecord};
use crate::oidc::Provider;
use crate::store::StoreError;

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Load persons from a fixture file (JSON Lines: one person per line; `#` comments and blank
    /// lines skipped): all of them, or nothing when a line is bad or a person is there already.
    Import { file: PathBuf },
    /// Add one person, given as a fixture line's JSON object (`-` reads it from standard input);
    /// without an `id`, one is made.
    Add { record: String },
    /// Show a person (and their accounts) by id, birth number, data-box ID, or names and date
    /// of birth.
    Show(Lookup),
    /// Change one field of a person: `family_name`, `address.text`, `documents[1].valid_until`…
    /// VALUE is text, or JSON for a list or an object (`citizenship '["CZ","SK"]'`); `null`
    /// removes an optional field.
    Set { id: String, field: String, value: String },
    /// List persons in id order, a page at a time.
    List {
        /// Start after this id.
        #[arg(long)]
        after: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Make the account USERNAME belong to the person ID.
    Link { id: String, username: String },
    /// Make the account USERNAME belong to no person.
    Unlink { username: String },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Lookup {
    /// The person's identifier.
    id: Option<String>,
    /// Rodné číslo, YYMMDD/SSSC.
    #[arg(long)]
    birth_number: Option<String>,
    /// The ID of the person's data box.
    #[arg(long)]
    data_box: Option<String>,
    /// FAMILY_NAME GIVEN_NAMES YYYY-MM-DD (all given names, as registered).
    #[arg(long, num_args = 3, value_names = ["FAMILY_NAME", "GIVEN_NAMES", "BIRTH_DATE"])]
    name: Option<Vec<String>>,
}

pub async fn run(provider: &Provider, command: RegistryCommand) -> Result<(), CliError> {
    match command {
        RegistryCommand::Import { file } => import(provider, &file).await,
        RegistryCommand::Add { record } => add(provider, &record).await,
        RegistryCommand::Show(lookup) => show(provider, lookup).await,
        RegistryCommand::Set { id, field, value } => set(provider, &id, &field, &value).await,
        RegistryCommand::List { after, limit } => {
            let persons = provider.stores.persons.list(after.as_deref(), limit).await?;
            let total = provider.stores.persons.count().await?;
            let records: Vec<PersonRecord> = persons.iter().map(Person::record).collect();
            print(&json!({ "persons": records, "total": total }))
        }
        RegistryCommand::Link { id, username } => link(provider, Some(&id), &username).await,
        RegistryCommand::Unlink { username } => link(provider, None, &username).await,
    }
}

async fn import(provider: &Provider, path: &Path) -> Result<(), CliError> {
    let named = |message: String| CliError(format!("{}: {message}", path.display()));
    let opened = std::fs::File::open(path).map_err(|e| named(format!("cannot be read: {e}")))?;
    let persons = file::read(BufReader::with_capacity(1 << 20, opened))
        .map_err(|refusal| named(format!("nothing was imported: {refusal}")))?;
    let (lines, persons): (Vec<usize>, Vec<Person>) = persons.into_iter().unzip();
    match provider.stores.persons.import(&persons).await {
        Ok(()) => print(&json!({ "imported": persons.len(), "file": path })),
        Err(StoreError::Conflict(why)) => {
            let line = first_registered(provider, &lines, &persons).await?;
            Err(named(format!("nothing was imported: {}", line.unwrap_or(why))))
        }
        Err(other) => Err(named(format!("nothing was imported: {other}"))),
    }
}

/// The first line whose person's id, birth number or data-box ID the register holds already.
async fn first_registered(
    provider: &Provider,
    lines: &[usize],
    persons: &[Person],
) -> Result<Option<String>, CliError> {
    let store = &provider.stores.persons;
    for (line, person) in lines.iter().zip(persons) {
        let held = if store.get(person.id()).await?.is_some() {
            Some(format!("id: {} is in the register already", person.id()))
        } else if let Some(number) = person.birth_number()
            && store.find_by_birth_number(number).await?.is_some()
        {
            Some(format!("birth_number: {number} is in the register already"))
        } else if let Some(data_box) = person.data_box()
            && store.find_by_data_box(data_box).await?.is_some()
        {
            Some(format!("data_box: {data_box} is in the register already"))
        } else {
            None
        };
        if let Some(held) = held {
            return Ok(Some(format!("line {line}: {held}")));
        }
    }
    Ok(None)
}

async fn add(provider: &Provider, text: &str) -> Result<(), CliError> {
    let text = match text {
        "-" => std::io::read_to_string(std::io::stdin()).map_err(|e| CliError(format!("reading the record: {e}")))?,
        text => text.to_owned(),
    };
    let mut value: Value = serde_json::from_str(&text).map_err(|e| CliError(format!("the record is not JSON: {e}")))?;
    if let Value::Object(members) = &mut value
        && !members.contains_key("id")
    {
        members.insert("id".into(), uuid::Uuid::new_v4().to_string().into());
    }
    let person = checked(&value)?;
    provider.stores.persons.insert(&person).await.map_err(|e| conflict(e, &person, true))?;
    print(&json!({ "person": person.record(), "accounts": [] }))
}

/// The person a record (as JSON) describes, or the field that does not read.
fn checked(value: &Value) -> Result<Person, CliError> {
    let record = file::record(&value.to_string()).map_err(refused)?;
    Person::parse(&record).map_err(refused)
}

fn refused(error: FieldError) -> CliError {
    CliError(format!("refused, nothing was changed: {error}"))
}

/// A conflict names the values that must be unique.
fn conflict(error: StoreError, person: &Person, adding: bool) -> CliError {
    match error {
        StoreError::Conflict(_) if adding => CliError(format!(
            "refused, nothing was changed: the register holds a person with the id {}, or with this birth number or \
             data-box ID, already",
            person.id()
        )),
        StoreError::Conflict(_) => CliError::new(
            "refused, nothing was changed: another person in the register has this birth number or data-box ID",
        ),
        other => other.into(),
    }
}

async fn show(provider: &Provider, lookup: Lookup) -> Result<(), CliError> {
    let store = &provider.stores.persons;
    let persons = if let Some(id) = &lookup.id {
        store.get(id).await?.into_iter().collect()
    } else if let Some(number) = &lookup.birth_number {
        let number = BirthNumber::parse(number).map_err(|e| CliError(format!("--birth-number: {e}")))?;
        store.find_by_birth_number(&number).await?.into_iter().collect()
    } else if let Some(data_box) = &lookup.data_box {
        let data_box = DataBoxId::parse(data_box).map_err(|e| CliError(format!("--data-box: {e}")))?;
        store.find_by_data_box(&data_box).await?.into_iter().collect()
    } else if let Some([family, given, born]) = lookup.name.as_deref() {
        let born = Date::parse(born).map_err(|e| CliError(format!("--name: the date of birth: {e}")))?;
        store.find_by_name(family, given, born).await?
    } else {
        Vec::new()
    };
    if persons.is_empty() {
        return Err(CliError::new("there is no such person in the register"));
    }
    let mut shown = Vec::new();
    for person in &persons {
        shown.push(json!({ "person": person.record(), "accounts": accounts(provider, person.id()).await? }));
    }
    match shown.len() {
        1 => print(&shown[0]),
        _ => print(&json!({ "persons": shown })),
    }
}

/// The usernames of the person's accounts.
async fn accounts(provider: &Provider, person_id: &str) -> Result<Vec<String>, CliError> {
    let mut names = Vec::new();
    for user_id in provider.stores.persons.accounts_of(person_id).await? {
        if let Some(user) = provider.stores.users.get(&user_id).await? {
            names.push(user.username);
        }
    }
    Ok(names)
}

async fn set(provider: &Provider, id: &str, field: &str, value: &str) -> Result<(), CliError> {
    let person = found(provider, id).await?;
    if field == "id" {
        return Err(CliError::new("id: a person's identifier never changes"));
    }
    let mut record = serde_json::to_value(person.record()).map_err(|e| CliError(e.to_string()))?;
    let new = match value {
        "null" => Value::Null,
        text if text.starts_with(['[', '{']) => {
            serde_json::from_str(text).map_err(|e| CliError(format!("{field}: the value is not JSON: {e}")))?
        }
        text => Value::String(text.to_owned()),
    };
    let slot = slot(&mut record, field).ok_or_else(|| CliError(format!("{field}: there is no such field")))?;
    *slot = new;
    let changed = checked(&record)?;
    if !provider.stores.persons.update(&changed).await.map_err(|e| conflict(e, &changed, false))? {
        return Err(CliError(format!("there is no person {id:?} in the register")));
    }
    print(&json!({ "person": changed.record(), "accounts": accounts(provider, id).await? }))
}

/// The place of `path` (`address.text`, `documents[1].number`) in a record, made when a member of
/// an object is missing (an optional field being set).
fn slot<'a>(record: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut at = record;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?.checked_sub(1)?)),
            None => (part, None),
        };
        if at.is_null() {
            *at = Value::Object(Default::default());
        }
        at = at.as_object_mut()?.entry(name).or_insert(Value::Null);
        if let Some(index) = index {
            at = at.as_array_mut()?.get_mut(index)?;
        }
    }
    Some(at)
}

async fn found(provider: &Provider, id: &str) -> Result<Person, CliError> {
    provider.stores.persons.get(id).await?.ok_or_else(|| CliError(format!("there is no person {id:?} in the register")))
}

async fn link(provider: &Provider, id: Option<&str>, username: &str) -> Result<(), CliError> {
    let user = super::users::find(provider, username).await?;
    if let Some(id) = id {
        found(provider, id).await?;
    }
    if !provider.stores.persons.link_account(&user.id, id).await? {
        return Err(CliError(format!("the account {username:?} or the person is gone")));
    }
    print(&json!({ "username": user.username, "person": id }))
}
