//! SAML service providers through the admin API (`/api/admin/v1/saml/service-providers`): an
//! administrator registers pysaml2's SP from the metadata it wrote, and that SP then logs a
//! citizen in at the nia face; the SP is listed, shown (its entityID percent-encoded in the path)
//! and removed, each change in the audit log; metadata that cannot be used is refused with a 400
//! naming the problem and nothing registered; a clerk without the administrator role is refused
//! each call.
//!
//! The tests run on several threads: the operator's commands (`identita clerk add`, `clerk
//! token`) block the thread that runs them while the server in this process goes on.

use crate::common;
use crate::saml::{self, LOW, SP, Send, Then};
use crate::saml_requests::SpKey;

use common::{Browser, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "clerk password 1";
const ACS: &str = "http://127.0.0.1:9/saml/acs";

fn api(server: &TestServer, path: &str) -> String {
    server.url(&format!("/api/admin/v1{path}"))
}

/// The path of the SP `entity_id`: its entityID as one percent-encoded segment.
fn sp_path(entity_id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(entity_id.as_bytes()).collect();
    format!("/saml/service-providers/{encoded}")
}

/// A clerk with `roles`, made by the operator, and an API token acting as them.
fn clerk_token(server: &TestServer, login: &str, roles: &[&str]) -> String {
    let ok = |args: &[&str]| {
        let output = common::cli_beside(server, args, &[]);
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "identita {args:?}: {stdout} {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    let file = server.dir.join(format!("{login}.password"));
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let mut args = vec!["clerk", "add", login, "--name", "Jana Nováková", "--phone", "+420601555111"];
    for role in roles {
        args.extend(["--role", role]);
    }
    args.extend(["--password-file", file.to_str().unwrap()]);
    ok(&args);
    ok(&["clerk", "token", login])["token"].as_str().unwrap().to_owned()
}

/// Registers the SP of metadata `xml` at the nia face as the administrator of `token`, as
/// `saml::converse` does with `Then::RegisterThroughApi`.
pub(crate) async fn register(server: &TestServer, token: &str, xml: &str) {
    let body = json!({ "metadata": xml, "name": "Portál", "face": "nia" });
    let (status, answer) = call(server, token, "POST", "/saml/service-providers", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["face"], "nia", "{answer}");
    assert_eq!(answer["name"], "Portál", "{answer}");
}

/// `method path` with the API token and a JSON body: the status and the JSON answer.
async fn call(server: &TestServer, token: &str, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let http = reqwest::Client::new();
    let url = api(server, path);
    let request = match method {
        "GET" => http.get(url),
        "POST" => http.post(url),
        "DELETE" => http.delete(url),
        other => panic!("{other}"),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_registers_pysaml2_through_the_api_and_it_logs_in() {
    let test = "an_administrator_registers_pysaml2_through_the_api_and_it_logs_in";
    if !saml::saml_ready(test) {
        return;
    }
    let server = saml::start().await;
    let admin = clerk_token(&server, "spravce", &["administrator"]);

    let seen =
        saml::converse(&server, LOW, Send::Redirect, &Browser::new(), Then::RegisterThroughApi(&admin)).await.remove(0);
    assert_eq!(seen["audience"], json!([SP]), "{seen}");
    assert_eq!(seen["authn_context"], LOW, "{seen}");
    assert!(saml::is_person_identifier(seen["name_id"].as_str().unwrap()), "{seen}");

    let (status, listed) = call(&server, &admin, "GET", "/saml/service-providers?face=nia", None).await;
    assert_eq!(status, StatusCode::OK);
    let sps = listed["service_providers"].as_array().unwrap();
    assert_eq!(sps.len(), 1, "{listed}");
    assert_eq!(sps[0]["entity_id"], SP);
    let (status, shown) = call(&server, &admin, "GET", &format!("{}?face=nia", sp_path(SP)), None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["entity_id"], SP);
    assert!(shown["acs"].as_array().unwrap().iter().any(|e| e["location"] == "http://127.0.0.1:9/saml/acs"), "{shown}");
    assert!(shown["signing_certificates"].as_u64().unwrap() >= 1, "{shown}");

    let (status, removed) = call(&server, &admin, "DELETE", &format!("{}?face=nia", sp_path(SP)), None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"], SP);
    let (status, gone) = call(&server, &admin, "GET", &format!("{}?face=nia", sp_path(SP)), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    let (status, _) = call(&server, &admin, "DELETE", &format!("{}?face=nia", sp_path(SP)), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removed twice");

    // Both changes are in the audit log, as the administrator's.
    let (_, audit) = call(&server, &admin, "GET", "/audit", None).await;
    let entries = audit["entries"].as_array().unwrap();
    for action in ["saml_sp.add", "saml_sp.remove"] {
        let entry = entries.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action}: {audit}"));
        assert_eq!(entry["actor"], "clerk:spravce", "{entry}");
        assert_eq!(entry["role"], "administrator", "{entry}");
        assert_eq!(entry["detail"]["entity_id"], SP, "{entry}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_metadata_is_refused_with_a_400_naming_the_problem() {
    let sp = SpKey::new();
    let server = crate::saml_requests::start(&sp, false).await;
    let admin = clerk_token(&server, "spravce", &["administrator"]);
    // The SP's own web server, on this machine (plain http is allowed only there).
    let app = axum::Router::new().route("/big.xml", axum::routing::get(|| async { "x".repeat(600 * 1024) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let good = sp.metadata_of(SP, ACS, None);
    let signing_only = r#"<md:KeyDescriptor use="encryption">"#;
    let no_signing = {
        // Only the encryption key: no certificate to check the signed requests with.
        let start = good.find(r#"<md:KeyDescriptor use="signing">"#).unwrap();
        let end = good.find(signing_only).unwrap();
        format!("{}{}", &good[..start], &good[end..])
    };
    let no_post_acs = good.replace("bindings:HTTP-POST", "bindings:HTTP-Artifact");
    let cases = [
        (json!({ "metadata": "<md:EntityDescriptor" }), "not SAML metadata"),
        (json!({ "metadata": no_post_acs }), "no AssertionConsumerService with the HTTP-POST binding"),
        (json!({ "metadata": no_signing }), "requires signed AuthnRequests"),
        (json!({ "metadata": "x".repeat(600 * 1024) }), "larger than 512 KiB"),
        (json!({ "metadata_url": "http://sp.example/metadata" }), "only to this machine"),
        (json!({ "metadata_url": "https://127.0.0.1:1/metadata" }), "https://127.0.0.1:1/metadata cannot be used"),
        (json!({ "metadata_url": format!("{at}/big.xml") }), "larger than 512 KiB"),
    ];
    for (mut body, says) in cases {
        body["face"] = json!("nia");
        let (status, error) = call(&server, &admin, "POST", "/saml/service-providers", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{says}: {error}");
        assert_eq!(error["error"], "invalid_metadata", "{error}");
        assert!(error["message"].as_str().unwrap().contains(says), "{says}: {error}");
    }
    // Neither or both sources, and a face that serves no SAML.
    for body in [json!({ "face": "nia" }), json!({ "metadata": good, "metadata_url": "https://sp.example/m" })] {
        let (status, error) = call(&server, &admin, "POST", "/saml/service-providers", Some(body)).await;
        assert_eq!((status, error["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{error}");
    }
    let (status, error) =
        call(&server, &admin, "POST", "/saml/service-providers", Some(json!({ "metadata": good, "face": "x" }))).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::BAD_REQUEST, Some("face")), "{error}");

    let (_, listed) = call(&server, &admin, "GET", "/saml/service-providers", None).await;
    assert_eq!(listed["service_providers"], json!([]), "nothing was registered");
    // The good metadata is taken; with no face named, by the primary face, which serves the
    // generic SAML profile.
    let (status, added) =
        call(&server, &admin, "POST", "/saml/service-providers", Some(json!({ "metadata": good }))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["face"], Value::Null, "{added}");
    let (status, added) =
        call(&server, &admin, "POST", "/saml/service-providers", Some(json!({ "metadata": good, "face": "nia" })))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["face"], "nia");
}

/// `method path` as a clerk holding only `role`: refused with 403 naming the role needed, and
/// nothing changed.
async fn refused(method: &str, path: &str, role: &str) {
    let sp = SpKey::new();
    let server = crate::saml_requests::start(&sp, true).await;
    let token = clerk_token(&server, "someone", &[role]);
    let body = (method == "POST").then(|| json!({ "metadata": sp.metadata_of("https://other.example/sp", ACS, None) }));
    let (status, error) = call(&server, &token, method, path, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as {role}: {error}");
    assert_eq!(error["error"], "forbidden", "{error}");
    assert!(error["message"].as_str().unwrap().contains("needs the role administrator"), "{error}");
    let face = &server.provider.faces[0];
    let sps = face.stores.saml_sps.list(Some("nia")).await.unwrap();
    assert_eq!(sps.iter().map(|s| s.entity_id.as_str()).collect::<Vec<_>>(), [SP], "{method} {path} changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_register_a_service_provider() {
    refused("POST", "/saml/service-providers", "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validation_desk_cannot_list_the_service_providers() {
    refused("GET", "/saml/service-providers", "validation_desk").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_read_a_service_provider() {
    refused("GET", &sp_path(SP), "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validation_desk_cannot_remove_a_service_provider() {
    refused("DELETE", &sp_path(SP), "validation_desk").await;
}
