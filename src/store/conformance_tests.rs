//! The behaviour every implementation of the store traits must show, written once against
//! [`Stores`] and run for each backend by [`conformance_suite!`]: the same answers, the same
//! expiry, and — in the `racing_*` cases — the same at-most-once decisions under concurrency.

mod back_office;
mod mojeid;
mod persons;
mod registrations;

use std::future::Future;

use super::fixtures::{NOW, authn, client, grant, user};
use super::{
    AccessToken, AuthCode, Interaction, Issue, Redemption, RefreshToken, RefreshUse, Rotation, Session, StoreError,
    Stores, Tally,
};
use crate::clock::Timestamp;
use crate::model::{Channel, Message};

pub use back_office::*;
pub use mojeid::*;
pub use persons::*;
pub use registrations::*;

/// Expands to one `#[tokio::test]` per case, each calling `$run(test_name, case)`; `$run` gives
/// the case a fresh, empty `Stores` of its backend (or skips it). `purged = N` says how many of
/// the expired records of [`purge_removes_only_what_expired`] the backend's purge finds (3 unless
/// said otherwise: a backend that expires records by itself finds fewer).
macro_rules! conformance_suite {
    ($run:path) => {
        $crate::store::conformance_tests::conformance_suite!($run, purged = 3);
    };
    ($run:path, purged = $purged:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn purge_removes_only_what_expired() {
            $run("purge_removes_only_what_expired", |stores| {
                $crate::store::conformance_tests::purge_removes_only_what_expired(stores, $purged)
            })
            .await;
        }
        $crate::store::conformance_tests::conformance_suite!(@cases $run;
            clients_insert_conflicts_but_put_replaces,
            clients_delete_says_whether_there_was_one,
            users_taken_id_or_username_conflicts,
            users_round_trip_with_the_password_hash,
            users_update_replaces_and_keeps_usernames_unique,
            users_are_listed_in_byte_order,
            cards_register_by_number_and_holder,
            audit_entries_take_their_place_once_and_chain,
            security_keys_belong_to_one_account,
            saml_sps_are_kept_per_face_and_replaced_by_entity_id,
            meg_devices_register_and_pairing_codes_are_spent_once,
            consents_accumulate_as_a_sorted_set,
            consents_revoke_forgets,
            sessions_found_by_key_or_sid_until_they_expire,
            sessions_add_each_client_once,
            sessions_delete_returns_the_session_once,
            interactions_put_replaces_and_expiry_hides,
            codes_redeemed_twice_are_replayed,
            codes_peeked_as_a_redemption_would_find_them,
            codes_expired_or_missing_are_unknown,
            codes_redeemed_with_their_tokens,
            racing_exchanges_issue_once,
            access_tokens_expire,
            refresh_reuse_reports_the_first_use,
            refresh_rotation_stores_the_pair_and_keeps_the_successor,
            refresh_expired_or_missing_is_unknown,
            revoking_a_grant_removes_both_kinds,
            ending_a_session_keeps_offline_tokens,
            replay_keys_are_remembered_until_they_expire,
            counters_count_within_a_window,
            counters_tally_tells_when_the_window_ends,
            ping_answers,
            odd_characters_are_kept_apart_or_not_found,
            racing_redemptions_have_one_winner,
            racing_refresh_rotations_have_one_winner,
            racing_remembers_have_one_winner,
            racing_increments_all_count,
            racing_tallies_all_count,
            racing_add_clients_keep_every_client,
            racing_grants_keep_every_scope,
            users_delete_takes_their_consents,
            consents_revoke_all_names_the_clients,
            sessions_of_a_user_are_found_until_they_expire,
            tokens_of_a_user_are_revoked_offline_ones_too,
            outbox_lists_the_newest_first_by_recipient,
            outbox_keeps_messages_a_day,
            persons_are_found_by_each_key,
            persons_keep_their_keys_unique,
            persons_import_all_or_nothing,
            accounts_belong_to_a_person_or_to_no_one,
            registrations_advance_once_activate_once_and_lapse,
            clerks_are_kept_by_login_with_their_tokens,
            back_office_sessions_are_kept_until_they_expire,
            persons_are_found_by_document_number,
            czech_point_requests_are_taken_once,
            racing_czech_point_takes_have_one_winner,
            mojeid_accounts_are_replaced_whole,
            data_boxes_deliver_messages_processed_once,
        );
    };
    (@cases $run:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $run(stringify!($case), $crate::store::conformance_tests::$case).await;
            }
        )*
    };
}
pub(crate) use conformance_suite;

/// How many requests the racing cases send at once.
const RACERS: usize = 24;

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn code(digest: &str, expires_at: Timestamp) -> AuthCode {
    AuthCode {
        digest: digest.into(),
        grant: grant("g1", Some("sid1"), &["openid"]),
        redirect_uri: "https://rp.example/cb".into(),
        code_challenge: Some("challenge".into()),
        code_challenge_method: Some("S256".into()),
        expires_at,
    }
}

fn access(digest: &str, grant_id: &str, sid: &str, scopes: &[&str]) -> AccessToken {
    AccessToken {
        digest: digest.into(),
        grant: grant(grant_id, Some(sid), scopes),
        issued_at: NOW,
        expires_at: NOW + 300,
    }
}

fn refresh(digest: &str, grant_id: &str, sid: &str, scopes: &[&str]) -> RefreshToken {
    RefreshToken {
        digest: digest.into(),
        grant: grant(grant_id, Some(sid), scopes),
        issued_at: NOW,
        expires_at: NOW + 3600,
        used_at: None,
        successor: None,
    }
}

/// The rotation of a refresh token of grant `g1` into an access and a refresh token named after
/// `tag`, with the sealed successor `sealed-<tag>`.
fn rotation(tag: &str) -> Rotation {
    Rotation {
        access: access(&format!("a-{tag}"), "g1", "sid1", &["openid"]),
        refresh: refresh(&format!("r-{tag}"), "g1", "sid1", &["openid"]),
        successor: format!("sealed-{tag}"),
    }
}

fn session(key: &str, sid: &str) -> Session {
    Session {
        face: None,
        key: key.into(),
        sid: sid.into(),
        authn: authn("u1"),
        clients: vec![],
        created_at: NOW,
        expires_at: NOW + 3600,
    }
}

fn interaction(id: &str) -> Interaction {
    Interaction {
        face: None,
        id: id.into(),
        pending: Some(crate::model::interaction::PendingRequest {
            protocol: crate::model::interaction::Protocol::Oidc,
            login: crate::model::interaction::LoginRequest {
                client_id: "rp".into(),
                loa: Default::default(),
                login_hint: Some("jan.novák".into()),
                ui_locales: None,
                force_authn: false,
            },
            request: serde_json::json!({ "client_id": "rp", "scope": "openid", "state": "Žluťoučký kůň" }),
        }),
        csrf: "csrf".into(),
        browser: "browser".into(),
        authn: None,
        sid: None,
        failures: 0,
        sms: None,
        card: None,
        bank: None,
        mojeid: None,
        key: None,
        meg: None,
        created_at: NOW,
        expires_at: NOW + 600,
    }
}

/// Runs `attempt(i)` for `RACERS` values of `i` at once, each on its own task, and returns what
/// they answered.
async fn race<T, F, Fut>(attempt: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..RACERS).map(|i| tokio::spawn(attempt(i))).collect();
    let mut answers = Vec::with_capacity(RACERS);
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

pub async fn clients_insert_conflicts_but_put_replaces(stores: Stores) {
    let mut rp = client("rp");
    stores.clients.insert(&rp).await.unwrap();
    assert!(matches!(stores.clients.insert(&rp).await, Err(StoreError::Conflict(_))));
    rp.client_name = Some("Portál občana".into());
    stores.clients.put(&rp).await.unwrap();
    assert_eq!(stores.clients.get("rp").await.unwrap(), Some(rp.clone()));
    let mut other = client("other");
    other.created_at = NOW + 1;
    stores.clients.put(&other).await.unwrap();
    assert_eq!(stores.clients.list().await.unwrap(), vec![rp, other]);
}

pub async fn clients_delete_says_whether_there_was_one(stores: Stores) {
    stores.clients.put(&client("rp")).await.unwrap();
    assert!(stores.clients.delete("rp").await.unwrap());
    assert!(!stores.clients.delete("rp").await.unwrap());
    assert_eq!(stores.clients.get("rp").await.unwrap(), None);
}

pub async fn users_taken_id_or_username_conflicts(stores: Stores) {
    stores.users.insert(&user("u1", "jana")).await.unwrap();
    assert!(matches!(stores.users.insert(&user("u2", "jana")).await, Err(StoreError::Conflict(_))));
    assert!(matches!(stores.users.insert(&user("u1", "petr")).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.users.list().await.unwrap().len(), 1);
}

pub async fn users_round_trip_with_the_password_hash(stores: Stores) {
    let jana = user("u1", "jana");
    stores.users.insert(&jana).await.unwrap();
    assert_eq!(stores.users.get("u1").await.unwrap(), Some(jana.clone()));
    assert_eq!(stores.users.find_by_username("jana").await.unwrap(), Some(jana));
    assert_eq!(stores.users.find_by_username("petr").await.unwrap(), None);
}

pub async fn users_update_replaces_and_keeps_usernames_unique(stores: Stores) {
    stores.users.insert(&user("u1", "jana")).await.unwrap();
    stores.users.insert(&user("u2", "petr")).await.unwrap();
    let mut jana = user("u1", "jana");
    jana.disabled = true;
    jana.profile.family_name = Some("Nováková".into());
    assert!(stores.users.update(&jana).await.unwrap());
    assert_eq!(stores.users.get("u1").await.unwrap(), Some(jana));
    assert!(matches!(stores.users.update(&user("u1", "petr")).await, Err(StoreError::Conflict(_))));
    assert!(!stores.users.update(&user("u3", "eva")).await.unwrap());
}

pub async fn users_are_listed_in_byte_order(stores: Stores) {
    for (id, username) in [("u1", "eva"), ("u2", "Zdeněk"), ("u3", "adam"), ("u4", "Žofie")] {
        stores.users.insert(&user(id, username)).await.unwrap();
    }
    let names: Vec<String> = stores.users.list().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["Zdeněk", "adam", "eva", "Žofie"]);
}

pub async fn cards_register_by_number_and_holder(stores: Stores) {
    use crate::model::{Card, CardStatus};
    let card = |number: &str, user_id: &str, issued_at| Card {
        number: number.into(),
        user_id: user_id.into(),
        public_key: format!("key-{number}"),
        certificate: "-----BEGIN CERTIFICATE-----".into(),
        issued_at,
        valid_until: issued_at + 1000,
        status: CardStatus::Valid,
    };
    stores.cards.insert(&card("000000001", "u1", NOW)).await.unwrap();
    stores.cards.insert(&card("000000002", "u1", NOW + 5)).await.unwrap();
    stores.cards.insert(&card("000000003", "u2", NOW)).await.unwrap();
    assert!(matches!(stores.cards.insert(&card("000000001", "u2", NOW)).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.cards.get("000000001").await.unwrap(), Some(card("000000001", "u1", NOW)));
    assert_eq!(stores.cards.get("000000009").await.unwrap(), None);
    let numbers: Vec<String> = stores.cards.of_user("u1").await.unwrap().into_iter().map(|c| c.number).collect();
    assert_eq!(numbers, ["000000002", "000000001"], "newest first");
    let lost_or_valid = [CardStatus::Valid, CardStatus::Lost];
    assert!(stores.cards.set_status("000000001", &lost_or_valid, CardStatus::Stolen).await.unwrap());
    assert!(!stores.cards.set_status("000000009", &lost_or_valid, CardStatus::Stolen).await.unwrap());
    assert!(
        !stores.cards.set_status("000000001", &lost_or_valid, CardStatus::Lost).await.unwrap(),
        "a stolen card is not in the statuses it may be moved from"
    );
    assert_eq!(stores.cards.get("000000001").await.unwrap().map(|c| c.status), Some(CardStatus::Stolen));
    assert_eq!(stores.cards.get("000000002").await.unwrap().map(|c| c.status), Some(CardStatus::Valid));
    // An application becomes a card once, and only for its holder.
    let application = Card { status: CardStatus::Applied, public_key: String::new(), ..card("000000004", "u2", NOW) };
    stores.cards.insert(&application).await.unwrap();
    let made = Card { status: CardStatus::Issued, issued_at: NOW + 9, ..card("000000004", "u2", NOW) };
    assert!(!stores.cards.replace(&Card { user_id: "u1".into(), ..made.clone() }, CardStatus::Applied).await.unwrap());
    assert!(stores.cards.replace(&made, CardStatus::Applied).await.unwrap());
    assert!(!stores.cards.replace(&made, CardStatus::Applied).await.unwrap(), "not twice");
    assert_eq!(stores.cards.get("000000004").await.unwrap(), Some(made));
}

pub async fn audit_entries_take_their_place_once_and_chain(stores: Stores) {
    use crate::model::AuditRecord;
    use crate::validation::audit::{self, Verdict};
    let record = |action: &str, subject: &str| AuditRecord {
        at: NOW,
        actor: "clerk-1".into(),
        role: "czech_point".into(),
        action: action.into(),
        subject: Some(subject.into()),
        origin: "192.0.2.7".into(),
        detail: serde_json::json!({ "ičo": "17651921", "zpráva": "ABC-123" }),
    };
    assert_eq!(stores.audit.last().await.unwrap(), None);
    let first = audit::record(&*stores.audit, record("nia_id.bind", "p1")).await.unwrap();
    let second = audit::record(&*stores.audit, record("card.set_status", "p2")).await.unwrap();
    let third = audit::record(&*stores.audit, record("user.disable", "p1")).await.unwrap();
    assert_eq!((first.seq, second.seq, third.seq), (1, 2, 3));
    assert_eq!((second.prev.as_str(), third.prev.as_str()), (first.hash.as_str(), second.hash.as_str()));
    // A writer that chained to an old head loses the place.
    let late = crate::model::AuditEntry::chained(record("late", "p3"), 3, &second.hash);
    assert!(matches!(stores.audit.append(&late).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.audit.last().await.unwrap(), Some(third.clone()));
    assert_eq!(stores.audit.after(1, 10).await.unwrap(), [second.clone(), third.clone()]);
    assert_eq!(stores.audit.after(0, 1).await.unwrap(), std::slice::from_ref(&first));
    assert_eq!(stores.audit.about("p1").await.unwrap(), [first, third.clone()]);
    match audit::verify(&*stores.audit, Some(&second.hash)).await.unwrap() {
        Verdict::Intact { entries, head } => assert_eq!((entries, head), (3, third.hash)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(audit::verify(&*stores.audit, Some("elsewhere")).await.unwrap(), Verdict::Shortened { .. }));
}

pub async fn saml_sps_are_kept_per_face_and_replaced_by_entity_id(stores: Stores) {
    use crate::model::ServiceProvider;
    use crate::model::saml::{BINDING_POST, Endpoint};
    let sp = |face: Option<&str>, entity_id: &str, acs: &str| ServiceProvider {
        face: face.map(str::to_owned),
        entity_id: entity_id.into(),
        name: None,
        acs: vec![Endpoint { binding: BINDING_POST.into(), location: acs.into(), index: Some(1), is_default: true }],
        slo: vec![],
        signing_certs: vec!["c2lnbg==".into()],
        encryption_certs: vec!["ZW5j".into()],
        sp_type: Some("public".into()),
        authn_requests_signed: true,
        want_assertions_signed: true,
        created_at: NOW,
    };
    let sps = &stores.saml_sps;
    sps.put(&sp(Some("nia"), "https://b.example/", "https://b.example/acs")).await.unwrap();
    sps.put(&sp(Some("nia"), "https://a.example/", "https://a.example/acs")).await.unwrap();
    sps.put(&sp(None, "https://a.example/", "https://a.example/primary")).await.unwrap();
    let replaced = sp(Some("nia"), "https://a.example/", "https://a.example/acs2");
    sps.put(&replaced).await.unwrap();
    assert_eq!(sps.get(Some("nia"), "https://a.example/").await.unwrap(), Some(replaced));
    let ids: Vec<String> = sps.list(Some("nia")).await.unwrap().into_iter().map(|s| s.entity_id).collect();
    assert_eq!(ids, ["https://a.example/", "https://b.example/"], "one per entityID, by entityID");
    assert_eq!(sps.list(None).await.unwrap().len(), 1, "another face's are not listed");
    assert_eq!(sps.get(Some("mojeid"), "https://a.example/").await.unwrap(), None);
    assert!(sps.delete(Some("nia"), "https://a.example/").await.unwrap());
    assert!(!sps.delete(Some("nia"), "https://a.example/").await.unwrap());
    assert!(sps.get(None, "https://a.example/").await.unwrap().is_some(), "the primary face's stays");
}

pub async fn security_keys_belong_to_one_account(stores: Stores) {
    use crate::model::SecurityKeyRecord;
    let key = |id: &str, user_id: &str, created_at| SecurityKeyRecord {
        credential_id: id.into(),
        user_id: user_id.into(),
        name: format!("key {id}"),
        aaguid: Some("01020304-0506-0708-0102-030405060708".into()),
        key: serde_json::json!({ "cred": id }),
        created_at,
        last_used_at: None,
    };
    let keys = &stores.security_keys;
    keys.insert(&key("b", "u1", NOW + 5)).await.unwrap();
    keys.insert(&key("a", "u1", NOW)).await.unwrap();
    keys.insert(&key("c", "u2", NOW)).await.unwrap();
    assert!(matches!(keys.insert(&key("a", "u2", NOW)).await, Err(StoreError::Conflict(_))), "one account per key");
    let ids: Vec<String> = keys.of_user("u1").await.unwrap().into_iter().map(|k| k.credential_id).collect();
    assert_eq!(ids, ["a", "b"], "oldest first");
    let mut used = key("a", "u1", NOW);
    used.last_used_at = Some(NOW + 9);
    assert!(keys.update(&used).await.unwrap());
    assert_eq!(keys.get("a").await.unwrap(), Some(used));
    assert!(!keys.update(&key("a", "u2", NOW)).await.unwrap(), "not another account's key");
    assert!(!keys.delete("u2", "a").await.unwrap(), "not another account's key");
    assert!(keys.delete("u1", "a").await.unwrap());
    assert_eq!(keys.get("a").await.unwrap(), None);
    assert!(!keys.delete("u1", "a").await.unwrap());
    // A deleted account takes its keys along.
    stores.users.insert(&crate::store::fixtures::user("u2", "petr")).await.unwrap();
    assert!(stores.users.delete("u2").await.unwrap());
    assert_eq!(keys.get("c").await.unwrap(), None);
}

pub async fn meg_devices_register_and_pairing_codes_are_spent_once(stores: Stores) {
    use crate::model::{Device, DeviceStatus};
    let device = |id: &str, user_id: &str, created_at| Device {
        id: id.into(),
        user_id: user_id.into(),
        public_key: format!("key-{id}"),
        name: "Telefon".into(),
        created_at,
        last_used_at: None,
        status: DeviceStatus::Active,
    };
    stores.devices.insert(&device("d1", "u1", NOW)).await.unwrap();
    stores.devices.insert(&device("d2", "u1", NOW + 5)).await.unwrap();
    stores.devices.insert(&device("d3", "u2", NOW)).await.unwrap();
    assert!(matches!(stores.devices.insert(&device("d1", "u2", NOW)).await, Err(StoreError::Conflict(_))));
    assert_eq!(stores.devices.get("d1").await.unwrap(), Some(device("d1", "u1", NOW)));
    assert_eq!(stores.devices.get("d9").await.unwrap(), None);
    let ids = |list: Vec<Device>| list.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(stores.devices.list(Some("u1")).await.unwrap()), ["d2", "d1"], "newest first");
    assert_eq!(ids(stores.devices.list(None).await.unwrap()), ["d2", "d1", "d3"]);
    assert!(stores.devices.set_status("d1", DeviceStatus::Revoked).await.unwrap());
    assert!(!stores.devices.set_status("d9", DeviceStatus::Revoked).await.unwrap());
    stores.devices.touch("d2", NOW + 7).await.unwrap();
    let d1 = stores.devices.get("d1").await.unwrap().unwrap();
    let d2 = stores.devices.get("d2").await.unwrap().unwrap();
    assert_eq!((d1.status, d2.status, d2.last_used_at), (DeviceStatus::Revoked, DeviceStatus::Active, Some(NOW + 7)));

    stores.devices.insert_pairing("p1", "u1", NOW + 240).await.unwrap();
    stores.devices.insert_pairing("p2", "u2", NOW + 240).await.unwrap();
    let (first, second) = tokio::join!(stores.devices.take_pairing("p1", NOW), stores.devices.take_pairing("p1", NOW));
    let mut taken = [first.unwrap(), second.unwrap()];
    taken.sort();
    assert_eq!(taken, [None, Some("u1".to_owned())], "one use only");
    assert_eq!(stores.devices.take_pairing("p2", NOW + 240).await.unwrap(), None, "expired");
    assert_eq!(stores.devices.take_pairing("p2", NOW).await.unwrap(), None, "and gone");
}

pub async fn consents_accumulate_as_a_sorted_set(stores: Stores) {
    assert_eq!(stores.consents.get("u1", "rp").await.unwrap(), None);
    stores.consents.grant("u1", "rp", &scopes(&["profile", "openid", "openid"]), NOW).await.unwrap();
    stores.consents.grant("u1", "rp", &scopes(&["email", "profile"]), NOW + 1).await.unwrap();
    assert_eq!(stores.consents.get("u1", "rp").await.unwrap(), Some(scopes(&["email", "openid", "profile"])));
    assert_eq!(stores.consents.get("u1", "other").await.unwrap(), None);
}

pub async fn consents_revoke_forgets(stores: Stores) {
    stores.consents.grant("u1", "rp", &scopes(&["openid"]), NOW).await.unwrap();
    stores.consents.revoke("u1", "rp").await.unwrap();
    assert_eq!(stores.consents.get("u1", "rp").await.unwrap(), None);
}

pub async fn sessions_found_by_key_or_sid_until_they_expire(stores: Stores) {
    let s = session("k1", "sid1");
    stores.sessions.insert(&s).await.unwrap();
    assert_eq!(stores.sessions.get("k1", NOW).await.unwrap(), Some(s.clone()));
    assert_eq!(stores.sessions.get_by_sid("sid1", NOW).await.unwrap(), Some(s));
    assert_eq!(stores.sessions.get("k1", NOW + 3600).await.unwrap(), None);
    assert_eq!(stores.sessions.get_by_sid("sid1", NOW + 3600).await.unwrap(), None);
    assert!(matches!(stores.sessions.insert(&session("k2", "sid1")).await, Err(StoreError::Conflict(_))));
}

pub async fn sessions_add_each_client_once(stores: Stores) {
    stores.sessions.insert(&session("k1", "sid1")).await.unwrap();
    stores.sessions.add_client("k1", "rp").await.unwrap();
    stores.sessions.add_client("k1", "rp").await.unwrap();
    stores.sessions.add_client("k1", "other").await.unwrap();
    stores.sessions.add_client("missing", "rp").await.unwrap();
    let found = stores.sessions.get("k1", NOW).await.unwrap().unwrap();
    assert_eq!(found.clients, ["rp", "other"]);
    assert_eq!(found.authn, authn("u1"));
}

pub async fn sessions_delete_returns_the_session_once(stores: Stores) {
    let s = session("k1", "sid1");
    stores.sessions.insert(&s).await.unwrap();
    assert_eq!(stores.sessions.delete("k1").await.unwrap(), Some(s));
    assert_eq!(stores.sessions.delete("k1").await.unwrap(), None);
}

pub async fn interactions_put_replaces_and_expiry_hides(stores: Stores) {
    let mut i1 = interaction("i1");
    stores.interactions.put(&i1).await.unwrap();
    i1.authn = Some(authn("u1"));
    i1.sid = Some("sid1".into());
    i1.failures = 2;
    stores.interactions.put(&i1).await.unwrap();
    assert_eq!(stores.interactions.get("i1", NOW).await.unwrap(), Some(i1));
    assert_eq!(stores.interactions.get("i1", NOW + 600).await.unwrap(), None);
    stores.interactions.delete("i1").await.unwrap();
    assert_eq!(stores.interactions.get("i1", NOW).await.unwrap(), None);
}

pub async fn codes_redeemed_twice_are_replayed(stores: Stores) {
    let c1 = code("c1", NOW + 60);
    stores.codes.insert(&c1).await.unwrap();
    assert_eq!(stores.codes.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(c1.clone()));
    assert!(!stores.codes.replayed("c1").await.unwrap());
    assert_eq!(stores.codes.redeem("c1", NOW + 1).await.unwrap(), Redemption::Replayed(c1.clone()));
    assert!(stores.codes.replayed("c1").await.unwrap());
    // Still recognized after it would have expired, as long as it has not been purged.
    assert_eq!(stores.codes.redeem("c1", NOW + 3600).await.unwrap(), Redemption::Replayed(c1));
}

/// A peek finds what a redemption would (a fresh code, or a used one even after it expired) and
/// spends nothing.
pub async fn codes_peeked_as_a_redemption_would_find_them(stores: Stores) {
    let c1 = code("c1", NOW + 60);
    stores.codes.insert(&c1).await.unwrap();
    assert_eq!(stores.codes.peek("c1", NOW).await.unwrap(), Some(c1.clone()));
    assert_eq!(stores.codes.peek("c1", NOW).await.unwrap(), Some(c1.clone()));
    assert_eq!(stores.codes.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(c1.clone()), "the peek spent it");
    assert_eq!(stores.codes.peek("c1", NOW + 3600).await.unwrap(), Some(c1.clone()));
    assert!(!stores.codes.replayed("c1").await.unwrap(), "a peek is no replay");

    stores.codes.insert(&code("c2", NOW + 60)).await.unwrap();
    assert_eq!(stores.codes.peek("c2", NOW + 60).await.unwrap(), None);
    assert_eq!(stores.codes.peek("nope", NOW).await.unwrap(), None);
    assert_eq!(stores.codes.peek("c\0", NOW).await.unwrap(), None);
}

pub async fn codes_expired_or_missing_are_unknown(stores: Stores) {
    stores.codes.insert(&code("c1", NOW + 60)).await.unwrap();
    assert_eq!(stores.codes.redeem("c1", NOW + 60).await.unwrap(), Redemption::Unknown);
    assert_eq!(stores.codes.redeem("nope", NOW).await.unwrap(), Redemption::Unknown);
    assert!(!stores.codes.replayed("nope").await.unwrap());
}

/// What the exchange issues for a code: an access and a refresh token named after `tag`, on the
/// code's own grant, unless `accept` says the request failed its checks.
fn issue_for(tag: &str, accept: bool) -> impl Fn(&AuthCode) -> Option<Issue> + Send + Sync + '_ {
    move |code: &AuthCode| {
        accept.then(|| Issue {
            access: AccessToken { grant: code.grant.clone(), ..access(&format!("a-{tag}"), "", "", &[]) },
            refresh: Some(RefreshToken { grant: code.grant.clone(), ..refresh(&format!("r-{tag}"), "", "", &[]) }),
        })
    }
}

pub async fn codes_redeemed_with_their_tokens(stores: Stores) {
    let c1 = code("c1", NOW + 60);
    stores.codes.insert(&c1).await.unwrap();
    let redeemed = stores.exchange.redeem_and_issue("c1", NOW, &issue_for("1", true)).await.unwrap();
    assert_eq!(redeemed, Redemption::Fresh(c1.clone()));
    let access = stores.tokens.get_access("a-1", NOW).await.unwrap().expect("the access token is stored");
    assert_eq!(access.grant, c1.grant);
    assert!(stores.tokens.get_refresh("r-1", NOW).await.unwrap().is_some(), "the refresh token is stored");
    // A second exchange is a replay and stores nothing.
    let again = stores.exchange.redeem_and_issue("c1", NOW + 1, &issue_for("2", true)).await.unwrap();
    assert_eq!(again, Redemption::Replayed(c1));
    assert!(stores.codes.replayed("c1").await.unwrap());
    assert_eq!(stores.tokens.get_access("a-2", NOW).await.unwrap(), None);
    // A request that fails its checks spends the code and gets nothing.
    stores.codes.insert(&code("c2", NOW + 60)).await.unwrap();
    let refused = stores.exchange.redeem_and_issue("c2", NOW, &issue_for("3", false)).await.unwrap();
    assert!(matches!(refused, Redemption::Fresh(_)), "{refused:?}");
    assert_eq!(stores.tokens.get_access("a-3", NOW).await.unwrap(), None);
    assert!(matches!(stores.codes.redeem("c2", NOW).await.unwrap(), Redemption::Replayed(_)));
    // Unknown and expired codes issue nothing.
    stores.codes.insert(&code("c3", NOW + 60)).await.unwrap();
    assert_eq!(
        stores.exchange.redeem_and_issue("c3", NOW + 60, &issue_for("4", true)).await.unwrap(),
        Redemption::Unknown
    );
    assert_eq!(
        stores.exchange.redeem_and_issue("nope", NOW, &issue_for("5", true)).await.unwrap(),
        Redemption::Unknown
    );
    assert_eq!(stores.tokens.get_access("a-4", NOW).await.unwrap(), None);
    assert_eq!(stores.tokens.get_access("a-5", NOW).await.unwrap(), None);
}

pub async fn racing_exchanges_issue_once(stores: Stores) {
    stores.codes.insert(&code("c1", NOW + 60)).await.unwrap();
    let answers = race(|i| {
        let stores = stores.clone();
        async move { stores.exchange.redeem_and_issue("c1", NOW, &issue_for(&i.to_string(), true)).await.unwrap() }
    })
    .await;
    let winners: Vec<usize> = (0..RACERS).filter(|i| matches!(answers[*i], Redemption::Fresh(_))).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for i in 0..RACERS {
        let stored = stores.tokens.get_access(&format!("a-{i}"), NOW).await.unwrap().is_some();
        assert_eq!(stored, winners == [i], "exchange {i}: tokens stored only for the one that won");
    }
}

pub async fn access_tokens_expire(stores: Stores) {
    let token = access("a1", "g1", "sid1", &["openid"]);
    stores.tokens.insert_access(&token).await.unwrap();
    assert_eq!(stores.tokens.get_access("a1", NOW).await.unwrap(), Some(token));
    assert_eq!(stores.tokens.get_access("a1", NOW + 300).await.unwrap(), None);
    assert!(stores.tokens.delete_access("a1").await.unwrap());
    assert!(!stores.tokens.delete_access("a1").await.unwrap());
}

pub async fn refresh_reuse_reports_the_first_use(stores: Stores) {
    stores.tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
    let first = stores.tokens.rotate_refresh("r1", NOW + 10, &rotation("1")).await.unwrap();
    let RefreshUse::Fresh(token) = first else { panic!("expected a fresh use, got {first:?}") };
    assert_eq!(token.used_at, Some(NOW + 10));
    let again = stores.tokens.rotate_refresh("r1", NOW + 20, &rotation("2")).await.unwrap();
    let RefreshUse::Reused(token) = again else { panic!("expected a reuse, got {again:?}") };
    assert_eq!(token.used_at, Some(NOW + 10));
    assert_eq!(stores.tokens.get_refresh("r1", NOW + 20).await.unwrap().and_then(|t| t.used_at), Some(NOW + 10));
    assert!(stores.tokens.delete_refresh("r1").await.unwrap());
    assert!(!stores.tokens.delete_refresh("r1").await.unwrap());
}

/// A rotation stores the new pair with the old token spent, in one step; the old token keeps the
/// successor of the rotation that won, which a later reuse gets back, and nothing else.
pub async fn refresh_rotation_stores_the_pair_and_keeps_the_successor(stores: Stores) {
    let tokens = &stores.tokens;
    tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
    assert_eq!(tokens.get_refresh("r1", NOW).await.unwrap().and_then(|t| t.successor), None);
    assert!(matches!(tokens.rotate_refresh("r1", NOW, &rotation("1")).await.unwrap(), RefreshUse::Fresh(_)));
    assert_eq!(tokens.get_access("a-1", NOW).await.unwrap(), Some(rotation("1").access));
    assert_eq!(tokens.get_refresh("r-1", NOW).await.unwrap(), Some(rotation("1").refresh));
    assert_eq!(tokens.get_refresh("r1", NOW).await.unwrap().and_then(|t| t.successor).as_deref(), Some("sealed-1"));

    // A reuse stores nothing and sees the first rotation's successor.
    let again = tokens.rotate_refresh("r1", NOW, &rotation("2")).await.unwrap();
    let RefreshUse::Reused(token) = again else { panic!("expected a reuse, got {again:?}") };
    assert_eq!(token.successor.as_deref(), Some("sealed-1"));
    assert_eq!(tokens.get_access("a-2", NOW).await.unwrap(), None);
    assert_eq!(tokens.get_refresh("r-2", NOW).await.unwrap(), None);

    // The successor goes with the family.
    tokens.revoke_grant("g1").await.unwrap();
    assert_eq!(tokens.rotate_refresh("r1", NOW, &rotation("3")).await.unwrap(), RefreshUse::Unknown);
    assert_eq!(tokens.get_refresh("r-1", NOW).await.unwrap(), None);
}

pub async fn refresh_expired_or_missing_is_unknown(stores: Stores) {
    stores.tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
    assert_eq!(stores.tokens.rotate_refresh("r1", NOW + 3600, &rotation("1")).await.unwrap(), RefreshUse::Unknown);
    assert_eq!(stores.tokens.rotate_refresh("nope", NOW, &rotation("2")).await.unwrap(), RefreshUse::Unknown);
    assert_eq!(stores.tokens.get_refresh("r1", NOW + 3600).await.unwrap(), None);
    assert_eq!(stores.tokens.get_access("a-1", NOW).await.unwrap(), None, "an unknown token issues nothing");
    assert_eq!(stores.tokens.get_access("a-2", NOW).await.unwrap(), None, "an unknown token issues nothing");
}

pub async fn revoking_a_grant_removes_both_kinds(stores: Stores) {
    stores.tokens.insert_access(&access("a1", "g1", "sid1", &["openid"])).await.unwrap();
    stores.tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid", "offline_access"])).await.unwrap();
    stores.tokens.insert_access(&access("a2", "g2", "sid1", &["openid"])).await.unwrap();
    stores.tokens.revoke_grant("g1").await.unwrap();
    assert_eq!(stores.tokens.get_access("a1", NOW).await.unwrap(), None);
    assert_eq!(stores.tokens.get_refresh("r1", NOW).await.unwrap(), None);
    assert!(stores.tokens.get_access("a2", NOW).await.unwrap().is_some());
}

pub async fn ending_a_session_keeps_offline_tokens(stores: Stores) {
    let tokens = &stores.tokens;
    tokens.insert_access(&access("a1", "g1", "sid1", &["openid"])).await.unwrap();
    tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
    tokens.insert_access(&access("a2", "g2", "sid1", &["openid", "offline_access"])).await.unwrap();
    tokens.insert_refresh(&refresh("r2", "g2", "sid1", &["openid", "offline_access"])).await.unwrap();
    tokens.insert_refresh(&refresh("r3", "g3", "sid2", &["openid"])).await.unwrap();
    tokens.revoke_session("sid1").await.unwrap();
    assert_eq!(tokens.get_access("a1", NOW).await.unwrap(), None);
    assert_eq!(tokens.get_refresh("r1", NOW).await.unwrap(), None);
    assert!(tokens.get_access("a2", NOW).await.unwrap().is_some());
    assert!(tokens.get_refresh("r2", NOW).await.unwrap().is_some());
    assert!(tokens.get_refresh("r3", NOW).await.unwrap().is_some());
}

pub async fn replay_keys_are_remembered_until_they_expire(stores: Stores) {
    assert!(stores.replay.remember("jti-1", NOW + 60, NOW).await.unwrap());
    assert!(!stores.replay.remember("jti-1", NOW + 120, NOW + 30).await.unwrap());
    assert!(stores.replay.remember("jti-2", NOW + 60, NOW + 30).await.unwrap());
    // Once expired the key may be used again, and is then remembered anew.
    assert!(stores.replay.remember("jti-1", NOW + 120, NOW + 60).await.unwrap());
    assert!(!stores.replay.remember("jti-1", NOW + 180, NOW + 90).await.unwrap());
}

pub async fn counters_tally_tells_when_the_window_ends(stores: Stores) {
    let counters = &stores.counters;
    assert_eq!(counters.peek("k", NOW).await.unwrap(), None);
    assert_eq!(counters.tally("k", NOW + 60, NOW).await.unwrap(), Tally { count: 1, ends_at: NOW + 60 });
    // A later hit counts in the open window and keeps its end.
    assert_eq!(counters.tally("k", NOW + 90, NOW + 10).await.unwrap(), Tally { count: 2, ends_at: NOW + 60 });
    assert_eq!(counters.increment("k", NOW + 90, NOW + 20).await.unwrap(), 3);
    assert_eq!(counters.peek("k", NOW + 59).await.unwrap(), Some(Tally { count: 3, ends_at: NOW + 60 }));
    assert_eq!(counters.count("k", NOW + 59).await.unwrap(), 3);
    // Once it has ended, the window is gone, and the next hit opens a new one.
    assert_eq!(counters.peek("k", NOW + 60).await.unwrap(), None);
    assert_eq!(counters.tally("k", NOW + 130, NOW + 70).await.unwrap(), Tally { count: 1, ends_at: NOW + 130 });
    counters.reset("k").await.unwrap();
    assert_eq!(counters.peek("k", NOW + 71).await.unwrap(), None);
}

pub async fn counters_count_within_a_window(stores: Stores) {
    let counters = &stores.counters;
    assert_eq!(counters.increment("k", NOW + 60, NOW).await.unwrap(), 1);
    assert_eq!(counters.increment("k", NOW + 90, NOW + 10).await.unwrap(), 2);
    assert_eq!(counters.count("k", NOW + 59).await.unwrap(), 2);
    assert_eq!(counters.count("k", NOW + 60).await.unwrap(), 0);
    assert_eq!(counters.increment("k", NOW + 120, NOW + 60).await.unwrap(), 1);
    counters.reset("k").await.unwrap();
    assert_eq!(counters.count("k", NOW + 61).await.unwrap(), 0);
    assert_eq!(counters.count("never", NOW).await.unwrap(), 0);
}

pub async fn ping_answers(stores: Stores) {
    stores.maintenance.ping().await.unwrap();
}

/// `purged`: how many of the three expired records (a code, an access token, a replay key) the
/// purge finds.
pub async fn purge_removes_only_what_expired(stores: Stores, purged: u64) {
    stores.codes.insert(&code("old", NOW)).await.unwrap();
    stores.codes.insert(&code("new", NOW + 60)).await.unwrap();
    let token = AccessToken { digest: "a1".into(), grant: grant("g1", None, &[]), issued_at: NOW, expires_at: NOW };
    stores.tokens.insert_access(&token).await.unwrap();
    stores.replay.remember("jti", NOW - 1, NOW - 10).await.unwrap();
    stores.counters.increment("k", NOW + 1, NOW).await.unwrap();

    assert_eq!(stores.maintenance.purge_expired(NOW).await.unwrap(), purged);
    assert_eq!(stores.maintenance.purge_expired(NOW).await.unwrap(), 0);
    assert!(matches!(stores.codes.redeem("new", NOW).await.unwrap(), Redemption::Fresh(_)));
    assert_eq!(stores.counters.count("k", NOW).await.unwrap(), 1);
}

/// What requests can carry and a database may not hold as text (U+0000), or may confuse with an
/// escape (`\`): lookups by such values find nothing, opaque keys stay distinct, records keep them.
pub async fn odd_characters_are_kept_apart_or_not_found(stores: Stores) {
    stores.users.insert(&user("u1", "jana")).await.unwrap();
    assert_eq!(stores.users.find_by_username("ja\0na").await.unwrap(), None);
    assert_eq!(stores.clients.get("rp\0").await.unwrap(), None);
    assert_eq!(stores.interactions.get("i\0", NOW).await.unwrap(), None);
    assert_eq!(stores.codes.redeem("c\0", NOW).await.unwrap(), Redemption::Unknown);

    for key in ["lockout:a\0b", "lockout:a\\0b", "lockout:a\\\\0b", "lockout:ab"] {
        assert_eq!(stores.counters.increment(key, NOW + 60, NOW).await.unwrap(), 1, "{key:?}");
        assert!(stores.replay.remember(key, NOW + 60, NOW).await.unwrap(), "{key:?}");
    }
    assert_eq!(stores.counters.count("lockout:a\0b", NOW).await.unwrap(), 1);
    stores.counters.reset("lockout:a\0b").await.unwrap();
    assert_eq!(stores.counters.count("lockout:a\0b", NOW).await.unwrap(), 0);
    assert_eq!(stores.counters.count("lockout:a\\0b", NOW).await.unwrap(), 1);

    let mut odd = interaction("i1");
    if let Some(pending) = &mut odd.pending {
        pending.request = serde_json::json!({ "state": "a\0b\\c\"d", "nonce": "\u{1F600}" });
    }
    stores.interactions.put(&odd).await.unwrap();
    assert_eq!(stores.interactions.get("i1", NOW).await.unwrap(), Some(odd));
}

pub async fn racing_redemptions_have_one_winner(stores: Stores) {
    stores.codes.insert(&code("c1", NOW + 60)).await.unwrap();
    let answers = race(|_| {
        let stores = stores.clone();
        async move { stores.codes.redeem("c1", NOW).await.unwrap() }
    })
    .await;
    let fresh = answers.iter().filter(|a| matches!(a, Redemption::Fresh(_))).count();
    let replayed = answers.iter().filter(|a| matches!(a, Redemption::Replayed(_))).count();
    assert_eq!((fresh, replayed), (1, RACERS - 1), "{answers:?}");
    assert!(stores.codes.replayed("c1").await.unwrap());
}

pub async fn racing_refresh_rotations_have_one_winner(stores: Stores) {
    stores.tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
    let answers =
        race(|i| {
            let stores = stores.clone();
            async move {
                stores.tokens.rotate_refresh("r1", NOW + 1 + i as Timestamp, &rotation(&i.to_string())).await.unwrap()
            }
        })
        .await;
    let winners: Vec<usize> = (0..RACERS).filter(|i| matches!(answers[*i], RefreshUse::Fresh(_))).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = winners[0];
    for (i, answer) in answers.iter().enumerate() {
        match answer {
            RefreshUse::Fresh(token) => assert_eq!(token.used_at, Some(NOW + 1 + winner as Timestamp)),
            RefreshUse::Reused(token) => {
                assert_eq!(token.used_at, Some(NOW + 1 + winner as Timestamp));
                assert_eq!(
                    token.successor,
                    Some(format!("sealed-{winner}")),
                    "every loser sees the winner's successor"
                );
            }
            RefreshUse::Unknown => panic!("the refresh token went missing"),
        }
        let stored = stores.tokens.get_refresh(&format!("r-{i}"), NOW).await.unwrap().is_some();
        assert_eq!(stored, i == winner, "rotation {i}: a pair stored only for the one that won");
    }
}

pub async fn racing_remembers_have_one_winner(stores: Stores) {
    let answers = race(|_| {
        let stores = stores.clone();
        async move { stores.replay.remember("jti:rp:1", NOW + 60, NOW).await.unwrap() }
    })
    .await;
    assert_eq!(answers.iter().filter(|fresh| **fresh).count(), 1);
}

pub async fn racing_increments_all_count(stores: Stores) {
    let mut answers = race(|_| {
        let stores = stores.clone();
        async move { stores.counters.increment("lockout:jana", NOW + 60, NOW).await.unwrap() }
    })
    .await;
    answers.sort_unstable();
    let expected: Vec<u32> = (1..=RACERS as u32).collect();
    assert_eq!(answers, expected);
}

pub async fn racing_tallies_all_count(stores: Stores) {
    let mut answers = race(|i| {
        let stores = stores.clone();
        // Each racer asks for a window of its own; the first one's holds for all.
        async move { stores.counters.tally("login:account:jana", NOW + 60 + i as Timestamp, NOW).await.unwrap() }
    })
    .await;
    answers.sort_unstable_by_key(|t| t.count);
    let counts: Vec<u32> = answers.iter().map(|t| t.count).collect();
    assert_eq!(counts, (1..=RACERS as u32).collect::<Vec<_>>());
    let first = answers[0].ends_at;
    assert!(answers.iter().all(|t| t.ends_at == first), "{answers:?}");
}

pub async fn racing_add_clients_keep_every_client(stores: Stores) {
    stores.sessions.insert(&session("k1", "sid1")).await.unwrap();
    race(|i| {
        let stores = stores.clone();
        // Every client twice, so the racers also compete over adding the same one.
        async move { stores.sessions.add_client("k1", &format!("rp{}", i / 2)).await.unwrap() }
    })
    .await;
    let mut clients = stores.sessions.get("k1", NOW).await.unwrap().unwrap().clients;
    clients.sort_unstable();
    let mut expected: Vec<String> = (0..RACERS / 2).map(|i| format!("rp{i}")).collect();
    expected.sort_unstable();
    assert_eq!(clients, expected);
}

pub async fn racing_grants_keep_every_scope(stores: Stores) {
    race(|i| {
        let stores = stores.clone();
        async move { stores.consents.grant("u1", "rp", &[format!("scope{i:02}")], NOW).await.unwrap() }
    })
    .await;
    let granted = stores.consents.get("u1", "rp").await.unwrap().unwrap();
    let expected: Vec<String> = (0..RACERS).map(|i| format!("scope{i:02}")).collect();
    assert_eq!(granted, expected);
}

pub async fn users_delete_takes_their_consents(stores: Stores) {
    stores.users.insert(&user("u1", "jana")).await.unwrap();
    stores.users.insert(&user("u2", "petr")).await.unwrap();
    stores.consents.grant("u1", "rp", &scopes(&["openid"]), NOW).await.unwrap();
    stores.consents.grant("u2", "rp", &scopes(&["openid"]), NOW).await.unwrap();
    assert!(stores.users.delete("u1").await.unwrap());
    assert!(!stores.users.delete("u1").await.unwrap());
    assert_eq!(stores.users.get("u1").await.unwrap(), None);
    assert_eq!(stores.consents.get("u1", "rp").await.unwrap(), None);
    assert!(stores.users.get("u2").await.unwrap().is_some());
    assert!(stores.consents.get("u2", "rp").await.unwrap().is_some());
    assert!(!stores.users.delete("nul\0byte").await.unwrap());
}

pub async fn consents_revoke_all_names_the_clients(stores: Stores) {
    stores.consents.grant("u1", "rp-b", &scopes(&["openid"]), NOW).await.unwrap();
    stores.consents.grant("u1", "rp-a", &scopes(&["openid"]), NOW).await.unwrap();
    stores.consents.grant("u2", "rp-a", &scopes(&["openid"]), NOW).await.unwrap();
    assert_eq!(stores.consents.revoke_all("u1").await.unwrap(), ["rp-a", "rp-b"]);
    assert_eq!(stores.consents.revoke_all("u1").await.unwrap(), Vec::<String>::new());
    assert_eq!(stores.consents.get("u1", "rp-a").await.unwrap(), None);
    assert!(stores.consents.get("u2", "rp-a").await.unwrap().is_some());
}

pub async fn sessions_of_a_user_are_found_until_they_expire(stores: Stores) {
    let mine = session("k1", "sid1");
    let mut also_mine = session("k2", "sid2");
    also_mine.expires_at = NOW + 60;
    let mut theirs = session("k3", "sid3");
    theirs.authn = authn("u2");
    for s in [&mine, &also_mine, &theirs] {
        stores.sessions.insert(s).await.unwrap();
    }
    stores.sessions.add_client("k1", "rp").await.unwrap();
    let mut found = stores.sessions.of_user("u1", NOW).await.unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    let keys: Vec<&str> = found.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["k1", "k2"]);
    assert_eq!(found[0].clients, ["rp"]);
    let later: Vec<String> =
        stores.sessions.of_user("u1", NOW + 120).await.unwrap().into_iter().map(|s| s.key).collect();
    assert_eq!(later, ["k1"]);
    assert_eq!(stores.sessions.of_user("nobody", NOW).await.unwrap(), Vec::<Session>::new());
}

pub async fn tokens_of_a_user_are_revoked_offline_ones_too(stores: Stores) {
    let tokens = &stores.tokens;
    tokens.insert_access(&access("a1", "g1", "sid1", &["openid"])).await.unwrap();
    tokens.insert_refresh(&refresh("r1", "g1", "sid1", &["openid", "offline_access"])).await.unwrap();
    let mut theirs = refresh("r2", "g2", "sid2", &["openid"]);
    theirs.grant.authn = Some(authn("u2"));
    tokens.insert_refresh(&theirs).await.unwrap();
    let mut machine = access("a3", "g3", "sid3", &[]);
    machine.grant.authn = None;
    tokens.insert_access(&machine).await.unwrap();
    assert_eq!(tokens.revoke_user("u1").await.unwrap(), 2);
    assert_eq!(tokens.get_access("a1", NOW).await.unwrap(), None);
    assert_eq!(tokens.get_refresh("r1", NOW).await.unwrap(), None);
    assert!(tokens.get_refresh("r2", NOW).await.unwrap().is_some());
    assert!(tokens.get_access("a3", NOW).await.unwrap().is_some());
    assert_eq!(tokens.revoke_user("u1").await.unwrap(), 0);
}

fn sms(id: &str, to: &str, created_at: Timestamp) -> Message {
    Message {
        id: id.into(),
        channel: Channel::Sms,
        to: to.into(),
        subject: None,
        body: format!("Kód {id}"),
        created_at,
    }
}

pub async fn outbox_lists_the_newest_first_by_recipient(stores: Stores) {
    assert_eq!(stores.outbox.recent(None, 20).await.unwrap(), vec![]);
    let mail = Message {
        id: "m4".into(),
        channel: Channel::Email,
        to: "jana@example.cz".into(),
        subject: Some("Přihlášení \u{1F511}".into()),
        body: "řádek 1\nřádek 2".into(),
        created_at: NOW + 1,
    };
    // Pushed out of order; two in the same second are told apart by their ids.
    for message in [sms("m2", "+420601123456", NOW), sms("m1", "+420601123456", NOW - 5), mail.clone()] {
        stores.outbox.push(&message).await.unwrap();
    }
    stores.outbox.push(&sms("m3", "+420602000000", NOW)).await.unwrap();
    let ids = |messages: Vec<Message>| messages.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(stores.outbox.recent(None, 20).await.unwrap()), ["m4", "m3", "m2", "m1"]);
    assert_eq!(ids(stores.outbox.recent(None, 2).await.unwrap()), ["m4", "m3"]);
    assert_eq!(ids(stores.outbox.recent(Some("+420601123456"), 20).await.unwrap()), ["m2", "m1"]);
    assert_eq!(ids(stores.outbox.recent(Some("+420601123456"), 1).await.unwrap()), ["m2"]);
    assert_eq!(stores.outbox.recent(Some("+420699999999"), 20).await.unwrap(), vec![]);
    assert_eq!(stores.outbox.recent(Some("+420\0"), 20).await.unwrap(), vec![]);
    assert_eq!(stores.outbox.recent(Some("jana@example.cz"), 20).await.unwrap(), vec![mail]);
    assert_eq!(stores.outbox.recent(None, usize::MAX).await.unwrap().len(), 4);
    assert!(matches!(stores.outbox.push(&sms("m1", "+420603000000", NOW)).await, Err(StoreError::Conflict(_))));
}

/// Kept for [`super::OUTBOX_RETENTION`] after it was sent, then purged; with Redis too (the
/// outbox stays in the durable store).
pub async fn outbox_keeps_messages_a_day(stores: Stores) {
    let day = super::OUTBOX_RETENTION;
    stores.outbox.push(&sms("old", "+420601123456", NOW - day)).await.unwrap();
    stores.outbox.push(&sms("new", "+420601123456", NOW - day + 1)).await.unwrap();
    assert_eq!(stores.maintenance.purge_expired(NOW).await.unwrap(), 1);
    let left: Vec<String> = stores.outbox.recent(None, 20).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(left, ["new"]);
    assert_eq!(stores.maintenance.purge_expired(NOW + 1).await.unwrap(), 1);
    assert_eq!(stores.outbox.recent(None, 20).await.unwrap(), vec![]);
}
