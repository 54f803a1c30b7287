//! mojeID accounts and the data-box simulator.

use crate::model::databox::{BoxKind, DataBox, DataBoxMessage, OwnerData};
use crate::model::mojeid::{AccountKind, MojeidAccount};
use crate::store::{StoreError, Stores};

fn data_box(id: &str) -> DataBox {
    DataBox {
        id: id.into(),
        kind: BoxKind::Fo,
        owner: OwnerData {
            given_names: Some("Jana".into()),
            family_name: Some("Nováková".into()),
            birth_date: None,
            firm: None,
            ico: None,
            address: None,
        },
        password_hash: None,
        created_at: 1,
    }
}

fn message(id: &str, to: &str, sent_at: i64) -> DataBoxMessage {
    DataBoxMessage {
        id: id.into(),
        sender: "abc2def".into(),
        recipient: to.into(),
        subject: "Žádost".into(),
        body: String::new(),
        sender_identified: true,
        sent_at,
        processed_at: None,
    }
}

pub async fn mojeid_accounts_are_replaced_whole(stores: Stores) {
    assert_eq!(stores.mojeid_accounts.get("u1").await.unwrap(), None);
    let mut account = MojeidAccount {
        user_id: "u1".into(),
        kind: AccountKind::NaturalPerson,
        organisation: None,
        ico: None,
        validation: None,
        czech_point_request: Some("MOJEID-X".into()),
        updated_at: 1,
    };
    stores.mojeid_accounts.put(&account).await.unwrap();
    account.kind = AccountKind::LegalEntity;
    account.organisation = Some("Nováková s.r.o.".into());
    stores.mojeid_accounts.put(&account).await.unwrap();
    assert_eq!(stores.mojeid_accounts.get("u1").await.unwrap(), Some(account));
    assert_eq!(stores.mojeid_accounts.get("nul\0byte").await.unwrap(), None);
}

pub async fn data_boxes_deliver_messages_processed_once(stores: Stores) {
    stores.data_boxes.insert(&data_box("abc2def")).await.unwrap();
    let taken = stores.data_boxes.insert(&data_box("abc2def")).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    stores.data_boxes.insert(&data_box("h4axdn8")).await.unwrap();
    let ids: Vec<String> = stores.data_boxes.list().await.unwrap().into_iter().map(|b| b.id).collect();
    assert_eq!(ids, ["abc2def", "h4axdn8"]);
    stores.data_boxes.send(&message("m1", "h4axdn8", 10)).await.unwrap();
    stores.data_boxes.send(&message("m2", "h4axdn8", 20)).await.unwrap();
    stores.data_boxes.send(&message("m3", "abc2def", 30)).await.unwrap();
    let inbox: Vec<String> = stores.data_boxes.inbox("h4axdn8").await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(inbox, ["m2", "m1"]);
    assert!(stores.data_boxes.mark_processed("m1", 40).await.unwrap());
    assert!(!stores.data_boxes.mark_processed("m1", 50).await.unwrap());
    assert!(!stores.data_boxes.mark_processed("nope", 50).await.unwrap());
    let processed = stores.data_boxes.message("m1").await.unwrap().unwrap();
    assert_eq!(processed.processed_at, Some(40));
    assert_eq!(stores.data_boxes.message("m2").await.unwrap().unwrap().processed_at, None);
}
