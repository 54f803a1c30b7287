//! NIA ID's online registrations and the accounts they hold disabled until activated.

use crate::model::{NiaRegistration, RegistrationState};
use crate::store::fixtures::{NOW, person, user};
use crate::store::{StoreError, Stores};

fn awaiting_email(user_id: &str, token: &str) -> NiaRegistration {
    NiaRegistration {
        user_id: user_id.into(),
        state: RegistrationState::AwaitingEmail,
        email: "olena@example.cz".into(),
        phone: "+420601123456".into(),
        email_token: token.into(),
        identification_code: None,
        created_at: NOW,
        expires_at: NOW + 100,
        verified_at: None,
        activated_at: None,
        person_id: None,
    }
}

pub async fn registrations_advance_once_activate_once_and_lapse(stores: Stores) {
    let regs = &stores.registrations;
    let mut account = user("u1", "olena");
    account.disabled = true;
    let first = awaiting_email("u1", "t1");
    regs.register(&account, &first, NOW).await.unwrap();
    let taken = regs.register(&user("u2", "olena"), &awaiting_email("u2", "t2"), NOW).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(stores.users.get("u2").await.unwrap().is_none(), "nothing half-written");
    assert_eq!(regs.by_email_token("t1").await.unwrap(), Some(first.clone()));
    assert_eq!(regs.by_email_token("nul\0byte").await.unwrap(), None);

    let mut confirmed = first.clone();
    confirmed.state = RegistrationState::AwaitingIdentity;
    confirmed.identification_code = Some("K7M2Q9X4T8W3".into());
    assert!(regs.advance(&confirmed, RegistrationState::AwaitingEmail).await.unwrap());
    assert!(!regs.advance(&confirmed, RegistrationState::AwaitingEmail).await.unwrap(), "only once");
    assert_eq!(regs.by_code("K7M2Q9X4T8W3").await.unwrap(), Some(confirmed.clone()));

    // Another registration cannot take the same code.
    let mut other = user("u3", "petr");
    other.disabled = true;
    regs.register(&other, &awaiting_email("u3", "t3"), NOW).await.unwrap();
    let mut clash = awaiting_email("u3", "t3");
    clash.state = RegistrationState::AwaitingIdentity;
    clash.identification_code = Some("K7M2Q9X4T8W3".into());
    assert!(matches!(regs.advance(&clash, RegistrationState::AwaitingEmail).await, Err(StoreError::Conflict(_))));

    stores.persons.insert(&person("per1", None, None)).await.unwrap();
    let mut active = confirmed.clone();
    active.state = RegistrationState::Active;
    active.person_id = Some("per1".into());
    active.activated_at = Some(NOW + 1);
    let mut enabled = account.clone();
    enabled.disabled = false;
    assert!(regs.activate(&active, &enabled).await.unwrap());
    assert!(!regs.activate(&active, &enabled).await.unwrap(), "only once");
    assert!(!stores.users.get("u1").await.unwrap().unwrap().disabled);
    assert_eq!(stores.persons.person_of_account("u1").await.unwrap().as_deref(), Some("per1"));
    assert_eq!(regs.of_user("u1").await.unwrap(), Some(active));

    // u3's link lapses: at the next registration its username is free, its account gone.
    let again = regs.register(&user("u4", "petr"), &awaiting_email("u4", "t4"), NOW + 100).await;
    assert!(again.is_ok(), "{again:?}");
    assert!(stores.users.get("u3").await.unwrap().is_none());
    assert_eq!(regs.of_user("u3").await.unwrap(), None);
    assert!(stores.users.get("u1").await.unwrap().is_some(), "an active registration never lapses");
}
