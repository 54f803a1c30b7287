use super::*;
use crate::config::PasswordConfig;
use crate::model::clerk::{Clerk, ClerkLogin, SecondFactor};
use crate::model::databox::{BoxAddress, BoxKind, OwnerData};
use crate::model::person::Phone;
use crate::model::{DataBox, Profile};
use crate::store::sqlite::SqliteStore;
use crate::validation::databox::{DataBoxes, NewBox, NewMessage};

/// Thursday 3 December 2026, 10:00 in Prague (09:00 UTC): the desk is open.
const THURSDAY_MORNING: Timestamp = 1_796_288_400;
/// Saturday 5 December 2026, 10:00 in Prague.
const SATURDAY: Timestamp = THURSDAY_MORNING + 2 * 86_400;

async fn stores() -> Stores {
    let stores = Stores::from_one(SqliteStore::memory().await.unwrap());
    let user = User {
        id: "u1".into(),
        username: "jana".into(),
        password_hash: String::new(),
        profile: Profile {
            given_name: Some("Jana".into()),
            family_name: Some("Nováková".into()),
            birthdate: Some("1980-05-17".into()),
            email: Some("jana@example.cz".into()),
            phone_number: Some("+420731000111".into()),
            address: Some(Address {
                street_address: Some("Milešovská 5".into()),
                locality: Some("Praha 3".into()),
                postal_code: Some("130 00".into()),
                ..Address::default()
            }),
            ..Profile::default()
        },
        updated_at: 0,
        created_at: 0,
        disabled: false,
    };
    stores.users.insert(&user).await.unwrap();
    stores
}

fn clerk(role: Role) -> Actor {
    let clerk = Clerk::new(
        ClerkLogin::parse("eva").unwrap(),
        "Eva".into(),
        SecondFactor::Sms(Phone::parse("+420601123456").unwrap()),
        [role].into_iter().collect(),
        String::new(),
        0,
    );
    Actor::clerk(&clerk, "10.0.0.7").unwrap()
}

fn desk() -> Actor {
    clerk(Role::ValidationDesk)
}

fn document() -> DeskEvidence {
    DeskEvidence::Document {
        place: None,
        kind: "ID".into(),
        number: "123456789".into(),
        valid_until: "2030-01-01".into(),
    }
}

fn fo_box(address: bool) -> DataBox {
    DataBox {
        id: "abc2def".into(),
        kind: BoxKind::Fo,
        owner: OwnerData {
            given_names: Some("Jana".into()),
            family_name: Some("Nováková".into()),
            birth_date: Some("1980-05-17".into()),
            firm: None,
            ico: None,
            address: address.then(|| BoxAddress {
                street: "Korunní 12".into(),
                city: "Praha 2".into(),
                postal_code: "120 00".into(),
            }),
        },
        password_hash: None,
        created_at: 0,
    }
}

#[tokio::test]
async fn a_registered_account_is_validated_only_once_its_contacts_are_verified_and_only_in_desk_hours() {
    let stores = stores().await;
    let desk_config = DeskConfig::default();
    let accounts = Accounts { stores: &stores, desk: &desk_config, now: THURSDAY_MORNING };
    let err = accounts.validate_at_desk(&desk(), "jana", document()).await.unwrap_err();
    assert!(matches!(err, MojeidError::NotConditionallyIdentified("REGISTERED")), "{err}");
    assert_eq!(accounts.verify_contacts(&desk(), "jana").await.unwrap().status, "CONDITIONALLY_IDENTIFIED");

    let saturday = Accounts { now: SATURDAY, ..accounts };
    let err = saturday.validate_at_desk(&desk(), "jana", document()).await.unwrap_err().to_string();
    assert!(err.contains("working hours") && err.contains("Sat 2026-12-05 10:00"), "{err}");
    assert!(err.contains("opens next on Mon 2026-12-07 08:30"), "{err}");
    // Only the desk approves: a Czech POINT clerk, an administrator and a citizen are refused.
    for actor in [clerk(Role::CzechPoint), clerk(Role::Administrator)] {
        let err = accounts.validate_at_desk(&actor, "jana", document()).await.unwrap_err();
        assert!(matches!(err, MojeidError::Forbidden(_)), "{err}");
    }

    let accounts = Accounts { stores: &stores, desk: &desk_config, now: THURSDAY_MORNING };
    let view = accounts.validate_at_desk(&desk(), "jana", document()).await.unwrap();
    assert_eq!((view.status, view.valid), ("VALIDATED", true));
    let validation = view.validation.unwrap();
    assert_eq!((validation.path, validation.by.as_str()), (ValidationPath::Office, "clerk:eva"));

    // A new surname ends it at once, and the audit log has every decision.
    let change = AccountChange { family_name: Some("Svobodová".into()), ..AccountChange::default() };
    let view = accounts.change(&desk(), "jana", change).await.unwrap();
    assert_eq!((view.status, view.valid), ("IDENTIFIED", false));
    let log = stores.audit.about("u1").await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(actions, ["mojeid.verify_contacts", "mojeid.validate", "mojeid.account"]);
    assert_eq!(log[1].record.role, "validation_desk");
    assert_eq!(log[2].record.detail["validation_lapsed"], true);
}

#[tokio::test]
async fn each_kind_needs_its_fields_named_in_the_refusal() {
    let stores = stores().await;
    let desk_config = DeskConfig::default();
    let accounts = Accounts { stores: &stores, desk: &desk_config, now: THURSDAY_MORNING };
    let kind = |kind, organisation: Option<&str>, ico: Option<&str>| AccountChange {
        kind: Some(kind),
        organisation: organisation.map(str::to_owned),
        ico: ico.map(str::to_owned),
        ..AccountChange::default()
    };
    let err = accounts.change(&desk(), "jana", kind(AccountKind::Entrepreneur, None, None)).await.unwrap_err();
    assert!(matches!(err, MojeidError::Field { field: "organisation", .. }), "{err}");
    let change = kind(AccountKind::LegalEntity, Some("Nováková s.r.o."), None);
    let err = accounts.change(&desk(), "jana", change).await.unwrap_err();
    assert!(matches!(err, MojeidError::Field { field: "ico", .. }), "{err}");
    let change = kind(AccountKind::LegalEntity, Some("Nováková s.r.o."), Some("12345678"));
    let err = accounts.change(&desk(), "jana", change).await.unwrap_err();
    assert!(matches!(err, MojeidError::Field { field: "ico", .. }) && err.to_string().contains("check digit"), "{err}");
    let change = kind(AccountKind::LegalEntity, Some("Nováková s.r.o."), Some("27074358"));
    assert_eq!(accounts.change(&desk(), "jana", change).await.unwrap().kind, "legal_entity");
    // A missing seat is named when validating.
    accounts.verify_contacts(&desk(), "jana").await.unwrap();
    let change = AccountChange { street: Some(String::new()), city: Some(String::new()), ..AccountChange::default() };
    accounts.change(&desk(), "jana", change).await.unwrap();
    let err = accounts.validate_at_desk(&desk(), "jana", document()).await.unwrap_err();
    assert!(matches!(err, MojeidError::Field { field: "address", .. }) && err.to_string().contains("seat"), "{err}");
}

#[tokio::test]
async fn the_data_box_button_refuses_a_company_box_and_one_without_a_permanent_address() {
    let stores = stores().await;
    let desk_config = DeskConfig::default();
    // Any time: the button is the citizen's.
    let accounts = Accounts { stores: &stores, desk: &desk_config, now: SATURDAY };
    accounts.verify_contacts(&desk(), "jana").await.unwrap();
    let (user, _) = accounts.find("jana").await.unwrap();
    let citizen = Actor::citizen(&user, "192.0.2.1");
    // Nobody else presses the button on the account: not another citizen, not a desk clerk.
    let mut other = user.clone();
    other.id = "u2".into();
    for actor in [Actor::citizen(&other, "192.0.2.9"), desk()] {
        let err = accounts.validate_by_databox_button(&actor, &user, &fo_box(true)).await.unwrap_err();
        assert!(matches!(err, MojeidError::Forbidden(Forbidden::NotHolder)), "{err}");
    }
    let err = accounts.validate_at_desk(&citizen, "jana", document()).await.unwrap_err();
    assert!(matches!(err, MojeidError::Forbidden(Forbidden::Role { .. })), "{err}");
    let company = DataBox { kind: BoxKind::Po, ..fo_box(true) };
    let err = accounts.validate_by_databox_button(&citizen, &user, &company).await.unwrap_err().to_string();
    assert!(err.contains("firemní datovou schránku"), "{err}");
    let err = accounts.validate_by_databox_button(&citizen, &user, &fo_box(false)).await.unwrap_err().to_string();
    assert!(err.contains("Vaše datová schránka neposkytuje všechny nezbytné údaje pro validaci"), "{err}");
    let view = accounts.validate_by_databox_button(&citizen, &user, &fo_box(true)).await.unwrap();
    assert_eq!((view.status, view.valid), ("VALIDATED", true));
    // The box's address replaced the account's.
    let (user, _) = accounts.find("jana").await.unwrap();
    assert_eq!(user.profile.address.unwrap().street_address.as_deref(), Some("Korunní 12"));
    let refusals = stores.audit.about("u1").await.unwrap();
    let refused = refusals.iter().filter(|e| e.record.action == "mojeid.validate_refused").count();
    assert_eq!(refused, 2);
    assert!(refusals.iter().all(|e| e.record.action == "mojeid.verify_contacts" || e.record.origin == "192.0.2.1"));
}

#[tokio::test]
async fn a_request_from_a_data_box_validates_a_business_whose_box_it_is() {
    let stores = stores().await;
    let desk_config = DeskConfig::default();
    let accounts = Accounts { stores: &stores, desk: &desk_config, now: THURSDAY_MORNING };
    let boxes = DataBoxes { stores: &stores, now: THURSDAY_MORNING };
    let hasher = crate::authn::password::PasswordHasher::new(&PasswordConfig {
        memory_kib: 64,
        iterations: 1,
        ..PasswordConfig::default()
    })
    .unwrap();
    let new = NewBox {
        id: "pfa2bxz".into(),
        kind: "PFO".into(),
        given_names: Some("Jana".into()),
        family_name: Some("Nováková".into()),
        firm: Some("Jana Nováková – tlumočnictví".into()),
        ico: Some("27074358".into()),
        ..NewBox::default()
    };
    boxes.add(&Actor::operator("eva"), new, &hasher).await.unwrap();
    let send = |identified| NewMessage {
        sender: "pfa2bxz".into(),
        recipient: crate::model::databox::MOJEID_BOX.into(),
        subject: "Žádost o validaci účtu mojeID jana".into(),
        body: String::new(),
        sender_identified: identified,
    };
    let anonymous = boxes.send(&Actor::operator("eva"), send(false)).await.unwrap();
    let message = boxes.send(&Actor::operator("eva"), send(true)).await.unwrap();
    accounts.verify_contacts(&desk(), "jana").await.unwrap();
    // A natural person's account cannot use it.
    let err = accounts.validate_by_databox_message(&desk(), "jana", &message.id).await.unwrap_err();
    assert!(matches!(err, MojeidError::BusinessOnly), "{err}");
    let change = AccountChange {
        kind: Some(AccountKind::Entrepreneur),
        organisation: Some("Jana Nováková – tlumočnictví".into()),
        ico: Some("27074358".into()),
        ..AccountChange::default()
    };
    accounts.change(&desk(), "jana", change).await.unwrap();
    let err = accounts.validate_by_databox_message(&desk(), "jana", &anonymous.id).await.unwrap_err();
    assert!(err.to_string().contains("identification"), "{err}");
    let view = accounts.validate_by_databox_message(&desk(), "jana", &message.id).await.unwrap();
    assert_eq!((view.status, view.valid), ("VALIDATED", true));
    let err = accounts.validate_by_databox_message(&desk(), "jana", &message.id).await.unwrap_err();
    assert!(err.to_string().contains("processed already"), "{err}");
    assert_eq!(boxes.inbox("h4axdn8").await.unwrap().len(), 2);
}
