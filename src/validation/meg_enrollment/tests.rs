use std::net::Ipv4Addr;
use std::sync::Arc;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::config::{NotifierConfig, PasswordConfig};
use crate::meg::device;
use crate::model::PersonRecord;
use crate::store::sqlite::SqliteStore;
use crate::validation::actor::Actor;
use crate::validation::czech_point::{Places, RequestForm};

const PHONE: &str = "+420777123456";
const SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9));

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
    let record: PersonRecord = serde_json::from_value(serde_json::json!({
        "id": "per-petr", "given_names": "Petr", "family_name": "Dvořák", "birth_date": "1979-11-30",
        "birth_place": "Brno", "birth_country": "CZ", "sex": "M", "citizenship": ["CZ"],
        "documents": [{ "type": "ID", "number": "987654321", "valid_until": "2032-01-01" }],
    }))
    .unwrap();
    stores.persons.insert(&Person::parse(&record).unwrap()).await.unwrap();
    World { stores, notifier, passwords, clock }
}

impl World {
    fn enrollment(&self) -> Enrollment<'_> {
        Enrollment { stores: &self.stores, notifier: &self.notifier, salt: "salt", passwords: &self.passwords }
    }

    async fn sms_code(&self) -> String {
        let body = self.stores.outbox.recent(Some(PHONE), 1).await.unwrap().remove(0).body;
        body.chars().filter(char::is_ascii_digit).collect()
    }

    async fn czech_point(&self, message: &str) {
        let places =
            Places { persons: &*self.stores.persons, requests: &*self.stores.czech_point, audit: &*self.stores.audit };
        let form = RequestForm { document_number: "987654321".into(), message: message.into(), ..Default::default() };
        czech_point::record(&places, &Actor::operator("test"), &form, self.clock.now()).await.unwrap();
    }

    /// Steps 1 and 2: the identification code and the seal for "Hotovo".
    async fn confirmed(&self) -> Confirmed {
        let started = self.enrollment().start(PHONE, SOURCE, self.clock.now()).await.unwrap();
        let code = self.sms_code().await;
        self.enrollment().confirm(&started.enrollment, &code, true, self.clock.now()).await.unwrap()
    }
}

fn public_key() -> String {
    device::public_key(&device::new_key().unwrap())
}

#[tokio::test]
async fn the_app_enrolls_with_the_sms_code_a_czech_point_visit_and_hotovo() {
    let w = world().await;
    let confirmed = w.confirmed().await;
    assert_eq!(confirmed.identification_code.len(), 10);
    let key = public_key();
    // "Hotovo" before the visit: not yet.
    let early = w.enrollment().finish(&confirmed.enrollment, &key, "Pixel", w.clock.now()).await;
    assert!(matches!(early, Err(EnrollmentError::AwaitingCzechPoint)), "{early:?}");

    w.clock.advance(2 * 24 * 3600);
    w.czech_point(&confirmed.identification_code).await;
    let finished = w.enrollment().finish(&confirmed.enrollment, &key, "Pixel", w.clock.now()).await.unwrap();
    assert_eq!(finished.username, "meg-420777123456");
    assert_eq!(finished.device.status, DeviceStatus::Active);
    let account = w.stores.users.find_by_username("meg-420777123456").await.unwrap().unwrap();
    assert_eq!(account.profile.family_name.as_deref(), Some("Dvořák"));
    assert_eq!(w.stores.persons.person_of_account(&account.id).await.unwrap().as_deref(), Some("per-petr"));
    assert_eq!(w.stores.devices.list(Some(&account.id)).await.unwrap(), [finished.device]);
    // The request was one-time: "Hotovo" again pairs nothing more.
    let again = w.enrollment().finish(&confirmed.enrollment, &key, "Pixel", w.clock.now()).await;
    assert!(matches!(again, Err(EnrollmentError::AwaitingCzechPoint)), "{again:?}");
}

#[tokio::test]
async fn a_person_with_an_account_gets_the_device_on_it() {
    let w = world().await;
    let existing = User {
        id: "u-petr".into(),
        username: "petr".into(),
        password_hash: "x".into(),
        profile: Profile::default(),
        updated_at: 0,
        created_at: 0,
        disabled: false,
    };
    w.stores.users.insert(&existing).await.unwrap();
    w.stores.persons.link_account("u-petr", Some("per-petr")).await.unwrap();
    let confirmed = w.confirmed().await;
    w.czech_point(&confirmed.identification_code).await;
    let finished = w.enrollment().finish(&confirmed.enrollment, &public_key(), "Pixel", w.clock.now()).await.unwrap();
    assert_eq!((finished.username.as_str(), finished.device.user_id.as_str()), ("petr", "u-petr"));
}

#[tokio::test]
async fn the_sms_code_has_three_attempts_and_confirms_once() {
    let w = world().await;
    let started = w.enrollment().start(PHONE, SOURCE, w.clock.now()).await.unwrap();
    let code = w.sms_code().await;
    let e = w.enrollment();
    assert!(matches!(
        e.confirm(&started.enrollment, &code, false, w.clock.now()).await,
        Err(EnrollmentError::TermsNotAccepted)
    ));
    assert!(matches!(
        e.confirm(&started.enrollment, "000000x", true, w.clock.now()).await,
        Err(EnrollmentError::WrongCode { left: 2 })
    ));
    e.confirm(&started.enrollment, &code, true, w.clock.now()).await.unwrap();
    assert!(matches!(
        e.confirm(&started.enrollment, &code, true, w.clock.now()).await,
        Err(EnrollmentError::CodeSpent)
    ));

    let started = e.start(PHONE, SOURCE, w.clock.now()).await.unwrap();
    let code = w.sms_code().await;
    for left in [2, 1, 0] {
        let wrong = e.confirm(&started.enrollment, "999999x", true, w.clock.now()).await;
        assert!(matches!(wrong, Err(EnrollmentError::WrongCode { left: l }) if l == left), "{wrong:?}");
    }
    assert!(matches!(
        e.confirm(&started.enrollment, &code, true, w.clock.now()).await,
        Err(EnrollmentError::CodeSpent)
    ));
}

#[tokio::test]
async fn forged_stale_or_misplaced_seals_and_bad_input_are_refused() {
    let w = world().await;
    let e = w.enrollment();
    assert!(matches!(e.start("+421905123456", SOURCE, w.clock.now()).await, Err(EnrollmentError::BadPhone(_))));
    assert!(matches!(e.start("777 123 456", SOURCE, w.clock.now()).await, Err(EnrollmentError::BadPhone(_))));
    let started = e.start(PHONE, SOURCE, w.clock.now()).await.unwrap();
    let code = w.sms_code().await;
    // The first step's seal is nothing at "Hotovo", and a changed seal nothing anywhere.
    let at_finish = e.finish(&started.enrollment, &public_key(), "Pixel", w.clock.now()).await;
    assert!(matches!(at_finish, Err(EnrollmentError::Expired)), "{at_finish:?}");
    let forged = format!("{}x", started.enrollment);
    assert!(matches!(e.confirm(&forged, &code, true, w.clock.now()).await, Err(EnrollmentError::Expired)));
    w.clock.advance(SMS_TTL);
    assert!(matches!(e.confirm(&started.enrollment, &code, true, w.clock.now()).await, Err(EnrollmentError::Expired)));

    let confirmed = w.confirmed().await;
    let bad_key = e.finish(&confirmed.enrollment, "not-a-key", "Pixel", w.clock.now()).await;
    assert!(matches!(bad_key, Err(EnrollmentError::BadPublicKey)));
    let bad_name = e.finish(&confirmed.enrollment, &public_key(), " ", w.clock.now()).await;
    assert!(matches!(bad_name, Err(EnrollmentError::BadName)));
    w.clock.advance(VISIT_TTL);
    let stale = e.finish(&confirmed.enrollment, &public_key(), "Pixel", w.clock.now()).await;
    assert!(matches!(stale, Err(EnrollmentError::Expired)));
}

#[tokio::test]
async fn codes_to_one_number_are_limited() {
    let w = world().await;
    for _ in 0..SENDS_PER_NUMBER {
        w.enrollment().start(PHONE, SOURCE, w.clock.now()).await.unwrap();
    }
    let refused = w.enrollment().start(PHONE, SOURCE, w.clock.now()).await;
    assert!(matches!(refused, Err(EnrollmentError::TooMany { .. })), "{refused:?}");
    assert_eq!(w.stores.outbox.recent(Some(PHONE), 100).await.unwrap().len(), SENDS_PER_NUMBER as usize);
}
