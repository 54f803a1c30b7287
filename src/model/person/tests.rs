use super::*;

fn jana() -> PersonRecord {
    serde_json::from_value(serde_json::json!({
        "id": "jana-novakova",
        "given_names": "Jana Marie",
        "family_name": "Nováková",
        "birth_date": "1992-01-02",
        "birth_number": "925102/4442",
        "birth_place": "Praha",
        "birth_country": "CZ",
        "sex": "F",
        "citizenship": ["CZ"],
        "address": { "text": "Vodičkova 681/14, 110 00 Praha 1", "address_place": 21717036, "municipality": "554782" },
        "phone": "+420 601 123 456",
        "email": "jana@example.cz",
        "data_box": "ab5cd9e",
        "documents": [{ "type": "ID", "number": "123456789", "valid_until": "2031-05-01" }],
        "entrepreneur": { "ico": "25596641", "name": "Jana Nováková – překlady" },
        "statutory_body_of": [{ "ico": "67985726", "name": "Spolek", "role": "předsedkyně" }]
    }))
    .unwrap()
}

fn refused(record: &PersonRecord) -> FieldError {
    Person::parse(record).unwrap_err()
}

#[test]
fn a_good_record_reads_and_writes_back_in_canonical_form() {
    let person = Person::parse(&jana()).unwrap();
    assert_eq!(person.birth_number().unwrap().digits(), "9251024442");
    let record = person.record();
    assert_eq!(record.phone.as_deref(), Some("+420601123456"), "spaces dropped");
    let address = record.address.as_ref().unwrap();
    assert_eq!((address.address_place.0.as_str(), address.municipality.0.as_str()), ("21717036", "554782"));
    assert_eq!(Person::parse(&record).unwrap(), person);
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["address"]["municipality"], 554782, "codes are written as numbers");
}

/// A change that spoils one field of a good record.
type Spoil = Box<dyn Fn(&mut PersonRecord)>;

#[test]
fn each_bad_field_is_named() {
    let cases: Vec<(&str, Spoil)> = vec![
        ("id", Box::new(|r| r.id = "jana novakova".into())),
        ("given_names", Box::new(|r| r.given_names = " ".into())),
        ("family_name", Box::new(|r| r.family_name = "N".repeat(NAME_MAX + 1))),
        ("family_name", Box::new(|r| r.family_name = "Nová\nková".into())),
        ("birth_date", Box::new(|r| r.birth_date = "1992-02-30".into())),
        ("birth_number", Box::new(|r| r.birth_number = Some("925102/4443".into()))),
        ("birth_place", Box::new(|r| r.birth_place = String::new())),
        ("birth_country", Box::new(|r| r.birth_country = "CZE".into())),
        ("sex", Box::new(|r| r.sex = "female".into())),
        ("citizenship[2]", Box::new(|r| r.citizenship.push("XX".into()))),
        ("address.text", Box::new(|r| r.address.as_mut().unwrap().text = "x".repeat(ADDRESS_MAX + 1))),
        ("address.address_place", Box::new(|r| r.address.as_mut().unwrap().address_place = Code("0".into()))),
        ("address.municipality", Box::new(|r| r.address.as_mut().unwrap().municipality = Code("999999".into()))),
        ("phone", Box::new(|r| r.phone = Some("+42060112345".into()))),
        ("email", Box::new(|r| r.email = Some("jana".into()))),
        ("data_box", Box::new(|r| r.data_box = Some("ab0cd9e".into()))),
        ("documents[1].type", Box::new(|r| r.documents[0].kind = "OP".into())),
        ("documents[1].number", Box::new(|r| r.documents[0].number = "12345678".into())),
        ("documents[1].valid_until", Box::new(|r| r.documents[0].valid_until = "2031-13-01".into())),
        ("entrepreneur.ico", Box::new(|r| r.entrepreneur.as_mut().unwrap().ico = "25596642".into())),
        ("statutory_body_of[1].name", Box::new(|r| r.statutory_body_of[0].name = String::new())),
    ];
    for (field, spoil) in cases {
        let mut record = jana();
        spoil(&mut record);
        assert_eq!(refused(&record).field, field, "{record:?}");
    }
}

#[test]
fn the_birth_number_must_agree_with_the_birth_date_and_sex() {
    let mut record = jana();
    record.birth_date = "1992-01-03".into();
    let error = refused(&record);
    assert_eq!(error.field, "birth_number");
    assert!(error.problem.contains("born on 1992-01-02"), "{error}");

    let mut record = jana();
    record.sex = "M".into();
    assert!(refused(&record).problem.contains("of sex F"));
}

#[test]
fn optional_parts_may_be_missing() {
    let mut record = jana();
    record.birth_number = None;
    record.address = None;
    record.phone = None;
    record.email = None;
    record.data_box = None;
    record.documents.clear();
    record.entrepreneur = None;
    record.statutory_body_of.clear();
    record.citizenship.clear();
    let person = Person::parse(&record).unwrap();
    assert!(person.address.is_none() && person.birth_number().is_none());
    assert_eq!(Person::parse(&person.record()).unwrap(), person);
}

#[test]
fn unknown_fields_are_refused() {
    let mut json = serde_json::to_value(jana()).unwrap();
    json["nickname"] = "J".into();
    assert!(serde_json::from_value::<PersonRecord>(json).unwrap_err().to_string().contains("nickname"));
}
