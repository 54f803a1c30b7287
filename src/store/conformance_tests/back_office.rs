//! The back office: clerks and their tokens, the clerks' sessions, the Czech POINT requests, and
//! the register's lookup by document.

use std::collections::BTreeSet;

use super::{NOW, race};
use crate::model::clerk::{Clerk, ClerkLogin, Role, SecondFactor};
use crate::model::czech_point::{Consent, CzechPointRequest, RequestMessage};
use crate::model::person::Phone;
use crate::store::fixtures::person;
use crate::store::{StoreError, Stores};

fn clerk(login: &str, roles: &[Role]) -> Clerk {
    Clerk::new(
        ClerkLogin::parse(login).unwrap(),
        "Jana Nováková".into(),
        SecondFactor::Sms(Phone::parse("+420601123456").unwrap()),
        roles.iter().copied().collect::<BTreeSet<_>>(),
        "$argon2id$hash".into(),
        NOW,
    )
}

fn request(id: &str, message: &str, consent: Consent) -> CzechPointRequest {
    CzechPointRequest {
        id: id.into(),
        person_id: "p1".into(),
        recipient_ico: "17651921".into(),
        consent,
        scope: "všechny".into(),
        message: RequestMessage::parse(message).unwrap(),
        document: "ID 123456789".into(),
        recorded_by: "clerk:jana".into(),
        created_at: NOW,
        taken_at: None,
    }
}

pub async fn clerks_are_kept_by_login_with_their_tokens(stores: Stores) {
    let mut jana = clerk("jana", &[Role::CzechPoint]);
    stores.clerks.insert(&jana).await.unwrap();
    stores.clerks.insert(&clerk("adam", &[Role::Administrator])).await.unwrap();
    assert!(matches!(stores.clerks.insert(&jana).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.clerks.get("jana").await.unwrap(), Some(jana.clone()));
    assert_eq!(stores.clerks.get("nul\0byte").await.unwrap(), None);
    let logins: Vec<String> = stores.clerks.list().await.unwrap().iter().map(|c| c.login().to_string()).collect();
    assert_eq!(logins, ["adam", "jana"]);
    jana.set_disabled(true);
    jana.set_roles([Role::ValidationDesk].into_iter().collect());
    assert!(stores.clerks.update(&jana).await.unwrap());
    assert!(!stores.clerks.update(&clerk("nobody", &[Role::CzechPoint])).await.unwrap());
    assert_eq!(stores.clerks.get("jana").await.unwrap(), Some(jana.clone()));
    stores.clerks.insert_token("digest-1", "jana", NOW).await.unwrap();
    assert!(matches!(stores.clerks.insert_token("digest-1", "adam", NOW).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.clerks.clerk_of_token("digest-1").await.unwrap(), Some(jana));
    assert_eq!(stores.clerks.clerk_of_token("digest-2").await.unwrap(), None);
}

/// tower-sessions' records in the back office's store (SQL, or Redis): a taken id is never
/// overwritten, a save replaces only a session that still exists, an expired one is not found.
pub async fn back_office_sessions_are_kept_until_they_expire(stores: Stores) {
    use time::{Duration, OffsetDateTime};
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};

    let sessions = &stores.backoffice_sessions;
    let data = |n: i64| [("backoffice".to_owned(), serde_json::json!({ "n": n }))].into_iter().collect();
    let now = OffsetDateTime::now_utc();
    let mut first = Record { id: Id::default(), data: data(1), expiry_date: now + Duration::minutes(15) };
    sessions.create(&mut first).await.unwrap();
    let mut clash = Record { data: data(2), ..first.clone() };
    sessions.create(&mut clash).await.unwrap();
    assert_ne!(clash.id, first.id, "a taken id is not overwritten: another is drawn");
    assert_eq!(sessions.load(&first.id).await.unwrap().map(|r| r.data), Some(data(1)));
    assert_eq!(sessions.load(&clash.id).await.unwrap().map(|r| r.data), Some(data(2)));
    let changed = Record { data: data(3), ..first.clone() };
    sessions.save(&changed).await.unwrap();
    let loaded = sessions.load(&first.id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.id, loaded.data, loaded.expiry_date.unix_timestamp()),
        (first.id, data(3), first.expiry_date.unix_timestamp())
    );
    sessions.delete(&first.id).await.unwrap();
    assert_eq!(sessions.load(&first.id).await.unwrap(), None);
    sessions.save(&changed).await.unwrap();
    assert_eq!(sessions.load(&first.id).await.unwrap(), None, "a session ended meanwhile is not saved back");
    let mut expired = Record { id: Id::default(), data: data(4), expiry_date: now - Duration::seconds(1) };
    sessions.create(&mut expired).await.unwrap();
    assert_eq!(sessions.load(&expired.id).await.unwrap(), None, "expired");
    sessions.delete(&clash.id).await.unwrap();
    assert_eq!(sessions.load(&Id::default()).await.unwrap(), None, "an id never given");
}

pub async fn persons_are_found_by_document_number(stores: Stores) {
    stores.persons.insert(&person("p1", None, None)).await.unwrap();
    let found = stores.persons.find_by_document("123456789").await.unwrap();
    assert_eq!(found.iter().map(|p| p.id()).collect::<Vec<_>>(), ["p1"]);
    for missing in ["12345678", "23456789", "1234567890", "%", "_23456789", ""] {
        assert!(stores.persons.find_by_document(missing).await.unwrap().is_empty(), "{missing}");
    }
}

pub async fn czech_point_requests_are_taken_once(stores: Stores) {
    stores.persons.insert(&person("p1", None, None)).await.unwrap();
    stores.czech_point.insert(&request("r1", "CODE1", Consent::OneTime)).await.unwrap();
    stores.czech_point.insert(&request("r2", "CODE2", Consent::Repeated)).await.unwrap();
    assert!(matches!(
        stores.czech_point.insert(&request("r1", "CODE3", Consent::OneTime)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(stores.czech_point.take("17651921", "CODE9", NOW).await.unwrap(), None, "a mistyped code");
    assert_eq!(stores.czech_point.take("00006947", "CODE1", NOW).await.unwrap(), None, "another recipient");
    let taken = stores.czech_point.take("17651921", "CODE1", NOW + 5).await.unwrap().unwrap();
    assert_eq!((taken.id.as_str(), taken.taken_at), ("r1", Some(NOW + 5)));
    assert_eq!(stores.czech_point.take("17651921", "CODE1", NOW + 6).await.unwrap(), None, "taken once");
    for _ in 0..2 {
        let repeated = stores.czech_point.take("17651921", "CODE2", NOW).await.unwrap().unwrap();
        assert_eq!((repeated.id.as_str(), repeated.taken_at), ("r2", None));
    }
    let of_person = stores.czech_point.of_person("p1").await.unwrap();
    assert_eq!(
        of_person.iter().map(|r| (r.id.as_str(), r.taken_at)).collect::<Vec<_>>(),
        [("r1", Some(NOW + 5)), ("r2", None)]
    );
}

pub async fn racing_czech_point_takes_have_one_winner(stores: Stores) {
    stores.persons.insert(&person("p1", None, None)).await.unwrap();
    stores.czech_point.insert(&request("r1", "RACE", Consent::OneTime)).await.unwrap();
    let answers = race(|_| {
        let store = stores.czech_point.clone();
        async move { store.take("17651921", "RACE", NOW).await.unwrap() }
    })
    .await;
    assert_eq!(answers.iter().filter(|a| a.is_some()).count(), 1, "{answers:?}");
}
