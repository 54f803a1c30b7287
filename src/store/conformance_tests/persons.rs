//! The register of inhabitants and the accounts that belong to its persons.

use crate::model::person::{BirthNumber, DataBoxId, Date};
use crate::store::fixtures::{person, user};
use crate::store::{StoreError, Stores};

const RC: &str = "850314/1251";

pub async fn persons_are_found_by_each_key(stores: Stores) {
    let jan = person("p1", Some(RC), Some("ab5cd9e"));
    let namesake = person("p2", None, None);
    stores.persons.insert(&jan).await.unwrap();
    stores.persons.insert(&namesake).await.unwrap();
    assert_eq!(stores.persons.get("p1").await.unwrap(), Some(jan.clone()));
    assert_eq!(stores.persons.get("p3").await.unwrap(), None);
    assert_eq!(stores.persons.get("nul\0byte").await.unwrap(), None);
    let born = Date::parse("1985-03-14").unwrap();
    assert_eq!(stores.persons.find_by_name("Novák", "Jan", born).await.unwrap(), [jan.clone(), namesake.clone()]);
    assert!(stores.persons.find_by_name("Novak", "Jan", born).await.unwrap().is_empty(), "diacritics count");
    let other_day = Date::parse("1985-03-15").unwrap();
    assert!(stores.persons.find_by_name("Novák", "Jan", other_day).await.unwrap().is_empty());
    let number = BirthNumber::parse("8503141251").unwrap();
    assert_eq!(stores.persons.find_by_birth_number(&number).await.unwrap(), Some(jan.clone()));
    let data_box = DataBoxId::parse("ab5cd9e").unwrap();
    assert_eq!(stores.persons.find_by_data_box(&data_box).await.unwrap(), Some(jan));
    assert_eq!(stores.persons.find_by_data_box(&DataBoxId::parse("zz5cd9e").unwrap()).await.unwrap(), None);
    assert_eq!(stores.persons.count().await.unwrap(), 2);
}

pub async fn persons_keep_their_keys_unique(stores: Stores) {
    stores.persons.insert(&person("p1", Some(RC), Some("ab5cd9e"))).await.unwrap();
    for taken in [person("p1", None, None), person("p2", Some(RC), None), person("p3", None, Some("ab5cd9e"))] {
        let result = stores.persons.insert(&taken).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{}: {result:?}", taken.id());
    }
    let mut moved = person("p2", None, None);
    stores.persons.insert(&moved).await.unwrap();
    moved = person("p2", Some(RC), None);
    assert!(matches!(stores.persons.update(&moved).await, Err(StoreError::Conflict(_))));
    let changed = person("p2", None, Some("zz5cd9e"));
    assert!(stores.persons.update(&changed).await.unwrap());
    assert_eq!(stores.persons.get("p2").await.unwrap(), Some(changed));
    assert!(!stores.persons.update(&person("p9", None, None)).await.unwrap());
}

pub async fn persons_import_all_or_nothing(stores: Stores) {
    stores.persons.insert(&person("p0", Some(RC), None)).await.unwrap();
    let batch: Vec<_> = (1..=20).map(|n| person(&format!("p{n:02}"), None, None)).collect();
    let mut spoiled = batch.clone();
    spoiled.push(person("p99", Some(RC), None));
    assert!(matches!(stores.persons.import(&spoiled).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.persons.count().await.unwrap(), 1, "nothing of the refused import stays");
    stores.persons.import(&batch).await.unwrap();
    assert_eq!(stores.persons.count().await.unwrap(), 21);
    let page = stores.persons.list(Some("p05"), 3).await.unwrap();
    let ids: Vec<&str> = page.iter().map(|p| p.id()).collect();
    assert_eq!(ids, ["p06", "p07", "p08"]);
    assert_eq!(stores.persons.list(None, 1).await.unwrap()[0].id(), "p0");
}

pub async fn accounts_belong_to_a_person_or_to_no_one(stores: Stores) {
    stores.persons.insert(&person("p1", None, None)).await.unwrap();
    stores.users.insert(&user("u1", "jan")).await.unwrap();
    stores.users.insert(&user("u2", "jan2")).await.unwrap();
    assert_eq!(stores.persons.person_of_account("u1").await.unwrap(), None);
    assert!(stores.persons.link_account("u1", Some("p1")).await.unwrap());
    assert!(stores.persons.link_account("u2", Some("p1")).await.unwrap());
    assert!(!stores.persons.link_account("u1", Some("nobody")).await.unwrap(), "no such person");
    assert!(!stores.persons.link_account("u9", Some("p1")).await.unwrap(), "no such account");
    assert_eq!(stores.persons.person_of_account("u1").await.unwrap().as_deref(), Some("p1"));
    assert_eq!(stores.persons.accounts_of("p1").await.unwrap(), ["u1", "u2"]);
    // Changing the account keeps its person.
    let mut changed = user("u1", "jan");
    changed.disabled = true;
    assert!(stores.users.update(&changed).await.unwrap());
    assert_eq!(stores.persons.person_of_account("u1").await.unwrap().as_deref(), Some("p1"));
    assert!(stores.persons.link_account("u1", None).await.unwrap());
    assert_eq!(stores.persons.accounts_of("p1").await.unwrap(), ["u2"]);
}
