use std::sync::Arc;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::config::{NotifierConfig, PasswordConfig};
use crate::model::{Person, PersonRecord};
use crate::store::sqlite::SqliteStore;
use crate::validation::actor::Actor;
use crate::validation::czech_point::{self, Places, RequestForm};

const CONFIRM_URL: &str = "https://nia.example/ProfileRegistration/confirm";
const SOURCE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

struct World {
    stores: Stores,
    notifier: Notifier,
    passwords: PasswordHasher,
    clock: ManualClock,
}

async fn world() -> World {
    let stores = Stores::from_one(SqliteStore::memory().await.unwrap());
    let clock = ManualClock::default();
    let notifier =
        Notifier::new(&NotifierConfig::default(), None, stores.outbox.clone(), Arc::new(clock.clone())).unwrap();
    let passwords =
        PasswordHasher::new(&PasswordConfig { memory_kib: 64, iterations: 1, max_concurrent: 2, ..Default::default() })
            .unwrap();
    World { stores, notifier, passwords, clock }
}

fn form(username: &str) -> RegistrationForm {
    RegistrationForm {
        username: username.into(),
        password: "Heslo-2026".into(),
        password_again: "Heslo-2026".into(),
        email: "olena@example.cz".into(),
        phone: "+420 601 123 456".into(),
        terms_accepted: true,
    }
}

fn olena() -> Person {
    let record: PersonRecord = serde_json::from_value(serde_json::json!({
        "id": "per-olena",
        "given_names": "Olena",
        "family_name": "Kovalenko",
        "birth_date": "1990-07-02",
        "birth_place": "Kyjiv",
        "birth_country": "UA",
        "sex": "F",
        "citizenship": ["UA"],
        "documents": [{ "type": "IR", "number": "RP1234567", "valid_until": "2030-01-01" }],
    }))
    .unwrap();
    Person::parse(&record).unwrap()
}

impl World {
    /// A Czech POINT clerk's request for Olena (holding residence permit RP1234567) with this
    /// message, delivered to NIA ID.
    async fn czech_point(&self, message: &str) -> Activation {
        let places =
            Places { persons: &*self.stores.persons, requests: &*self.stores.czech_point, audit: &*self.stores.audit };
        let form = RequestForm { document_number: "RP1234567".into(), message: message.into(), ..Default::default() };
        let (request, _) =
            czech_point::record(&places, &Actor::operator("test"), &form, self.clock.now()).await.unwrap();
        deliver(&self.stores, &request, self.clock.now()).await.unwrap()
    }

    async fn register(&self, form: &RegistrationForm) -> Result<NiaRegistration, RegistrationError> {
        let request = Request { source: SOURCE, confirm_url: CONFIRM_URL, now: self.clock.now() };
        register(&self.stores, &self.passwords, &self.notifier, form, request).await
    }

    /// The newest e-mail's body.
    async fn last_email(&self) -> String {
        self.stores.outbox.recent(Some("olena@example.cz"), 1).await.unwrap().remove(0).body
    }

    /// The token of the confirmation link in the newest e-mail.
    async fn link_token(&self) -> String {
        let body = self.last_email().await;
        let start = body.find("?token=").expect("a link") + "?token=".len();
        body[start..].split_whitespace().next().unwrap().to_owned()
    }
}

fn problem(result: Result<NiaRegistration, RegistrationError>) -> (Field, Problem) {
    match result {
        Err(RegistrationError::Invalid { field, problem }) => (field, problem),
        other => panic!("expected a refused field, got {other:?}"),
    }
}

#[tokio::test]
async fn a_registration_is_confirmed_by_its_link_and_activated_by_the_czech_point_request() {
    let w = world().await;
    let registration = w.register(&form("olena.k")).await.unwrap();
    let account = w.stores.users.get(&registration.user_id).await.unwrap().unwrap();
    assert!(account.disabled, "the account waits");
    assert!(w.last_email().await.contains(CONFIRM_URL));

    let token = w.link_token().await;
    let Confirmation::Confirmed(confirmed) = confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap()
    else {
        panic!("not confirmed")
    };
    let code = confirmed.identification_code.clone().unwrap();
    assert_eq!(code.len(), 12);
    let email = w.last_email().await;
    assert!(email.contains(&code) && email.contains("17651921") && email.contains("všechny"), "{email}");
    // The link again: confirmed before, no new code.
    let again = confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap();
    assert_eq!(again, Confirmation::AlreadyConfirmed(confirmed.clone()));

    w.stores.persons.insert(&olena()).await.unwrap();
    // The clerk typed it with spaces and in lower case.
    let typed = format!("{} {}", &code[..6].to_lowercase(), &code[6..]);
    let activation = w.czech_point(&typed).await;
    assert_eq!(activation, Activation::Activated { user_id: registration.user_id.clone(), username: "olena.k".into() });
    let account = w.stores.users.get(&registration.user_id).await.unwrap().unwrap();
    assert!(!account.disabled);
    assert_eq!(account.profile.family_name.as_deref(), Some("Kovalenko"));
    assert_eq!(account.profile.birthdate.as_deref(), Some("1990-07-02"));
    assert_eq!(w.stores.persons.person_of_account(&account.id).await.unwrap().as_deref(), Some("per-olena"));
    let stored = w.stores.registrations.of_user(&account.id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.person_id.as_deref()), (RegistrationState::Active, Some("per-olena")));
    assert_eq!(w.czech_point(&code).await, Activation::AlreadyActive);
}

#[tokio::test]
async fn a_mistyped_code_or_an_unconfirmed_registration_activates_nothing() {
    let w = world().await;
    w.stores.persons.insert(&olena()).await.unwrap();
    let registration = w.register(&form("olena.k")).await.unwrap();
    assert_eq!(w.czech_point("ABCDEFGHJKMN").await, Activation::UnknownCode);
    assert_eq!(w.czech_point("MEG-CODE-1").await, Activation::NoRegistration, "not NIA ID's shape");
    let token = w.link_token().await;
    let Confirmation::Confirmed(confirmed) = confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap()
    else {
        panic!("not confirmed")
    };
    let code = confirmed.identification_code.unwrap();
    let mistyped = format!("{}{}", &code[..11], if code.ends_with('X') { 'Y' } else { 'X' });
    assert_eq!(w.czech_point(&mistyped).await, Activation::UnknownCode);
    assert!(w.stores.users.get(&registration.user_id).await.unwrap().unwrap().disabled);
    // The mistyped request stays with the register, untaken; the right one then activates.
    assert!(matches!(w.czech_point(&code).await, Activation::Activated { .. }));
}

#[tokio::test]
async fn a_lapsed_link_confirms_nothing_and_frees_the_username() {
    let w = world().await;
    w.register(&form("olena.k")).await.unwrap();
    let token = w.link_token().await;
    assert_eq!(problem(w.register(&form("olena.k")).await), (Field::Username, Problem::Taken));
    w.clock.advance(LINK_TTL);
    assert_eq!(confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap(), Confirmation::Expired);
    assert_eq!(confirm(&w.stores, &w.notifier, "nonsense", w.clock.now()).await.unwrap(), Confirmation::Unknown);
    let again = w.register(&form("olena.k")).await.unwrap();
    assert_eq!(w.stores.users.find_by_username("olena.k").await.unwrap().unwrap().id, again.user_id);
    assert_eq!(confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap(), Confirmation::Unknown);
}

#[tokio::test]
async fn each_bad_field_is_named_and_nothing_is_stored() {
    let w = world().await;
    let cases: Vec<(RegistrationForm, Field, Problem)> = vec![
        (RegistrationForm { username: " ".into(), ..form("x") }, Field::Username, Problem::Missing),
        (form("olena k"), Field::Username, Problem::Malformed),
        (form(&"o".repeat(65)), Field::Username, Problem::TooLong),
        (
            RegistrationForm { password: "heslo".into(), password_again: "heslo".into(), ..form("a") },
            Field::Password,
            Problem::Weak,
        ),
        (
            RegistrationForm { password: "heslohesl0".into(), password_again: "heslohesl0".into(), ..form("a") },
            Field::Password,
            Problem::Weak,
        ),
        (
            RegistrationForm { password_again: "Heslo-2027".into(), ..form("a") },
            Field::PasswordAgain,
            Problem::Mismatch,
        ),
        (RegistrationForm { email: "olena.example.cz".into(), ..form("a") }, Field::Email, Problem::Malformed),
        (RegistrationForm { phone: "".into(), ..form("a") }, Field::Phone, Problem::Missing),
        (RegistrationForm { phone: "+421 905 123 456".into(), ..form("a") }, Field::Phone, Problem::Malformed),
        (RegistrationForm { phone: "+420 123".into(), ..form("a") }, Field::Phone, Problem::Malformed),
        (RegistrationForm { terms_accepted: false, ..form("a") }, Field::Terms, Problem::Missing),
    ];
    for (bad, field, expected) in cases {
        assert_eq!(problem(w.register(&bad).await), (field, expected), "{bad:?}");
    }
    assert!(w.stores.users.list().await.unwrap().is_empty());
    assert!(w.stores.outbox.recent(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let w = world().await;
    for n in 0..REGISTRATIONS_PER_SOURCE {
        w.register(&form(&format!("user{n}"))).await.unwrap();
    }
    let refused = w.register(&form("one.more")).await;
    assert!(
        matches!(refused, Err(RegistrationError::TooMany { retry_at }) if retry_at == w.clock.now() + SOURCE_WINDOW)
    );
    assert!(w.stores.users.find_by_username("one.more").await.unwrap().is_none());
    w.clock.advance(SOURCE_WINDOW);
    w.register(&form("one.more")).await.unwrap();
}

#[tokio::test]
async fn a_foreign_resident_found_only_by_other_personal_data_is_activated() {
    let w = world().await;
    w.stores.persons.insert(&olena()).await.unwrap();
    w.register(&form("olena.k")).await.unwrap();
    let token = w.link_token().await;
    let Confirmation::Confirmed(confirmed) = confirm(&w.stores, &w.notifier, &token, w.clock.now()).await.unwrap()
    else {
        panic!("not confirmed")
    };
    let places = Places { persons: &*w.stores.persons, requests: &*w.stores.czech_point, audit: &*w.stores.audit };
    let code = confirmed.identification_code.unwrap();
    // The document she shows is not in the register: the clerk is told to identify her otherwise.
    let by_document = RequestForm { document_number: "XB1234567".into(), message: code.clone(), ..Default::default() };
    let refused = czech_point::record(&places, &Actor::operator("test"), &by_document, w.clock.now()).await;
    assert!(refused.unwrap_err().to_string().contains("other personal data"));
    // Two of three is not enough, and a wrong date of birth finds no one.
    let partial =
        RequestForm { given_names: Some("Olena".into()), family_name: Some("Kovalenko".into()), ..by_document.clone() };
    let refused = czech_point::record(&places, &Actor::operator("test"), &partial, w.clock.now()).await;
    assert!(refused.unwrap_err().to_string().starts_with("birth_date"));
    let wrong = RequestForm { birth_date: Some("1990-07-03".into()), ..partial.clone() };
    let refused = czech_point::record(&places, &Actor::operator("test"), &wrong, w.clock.now()).await;
    assert!(refused.unwrap_err().to_string().contains("no person of the register is Olena Kovalenko"));
    let right = RequestForm { birth_date: Some("1990-07-02".into()), ..partial };
    let (request, person) =
        czech_point::record(&places, &Actor::operator("test"), &right, w.clock.now()).await.unwrap();
    assert_eq!((person.id(), request.document.as_str()), ("per-olena", "other personal data, document XB1234567"));
    assert!(matches!(deliver(&w.stores, &request, w.clock.now()).await.unwrap(), Activation::Activated { .. }));
}
