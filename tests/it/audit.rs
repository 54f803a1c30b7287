//! The audit log as an administrator sees it: the operator's decisions on cards and accounts
//! are listed with who, what, when, from where and on whom; `identita audit verify` vouches for
//! the chain, and finds an entry edited behind the database's back, one deleted, and entries
//! taken off the end since a head was kept.

use crate::common;

use common::{TestServer, cli_beside};
use serde_json::{Value, json};

/// `identita ARGS` as the operator `jana`: exit code and the JSON printed.
fn identita(server: &TestServer, args: &[&str]) -> (i32, Value) {
    let output = cli_beside(server, args, &[("USER", "jana")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!("identita {args:?}: not JSON: {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap_or(-1), json)
}

/// Runs `sql` on the server's database directly, as someone with access to its files would.
async fn behind_its_back(server: &TestServer, sqlite: &str, postgres: &str) {
    let url = server.provider.config.database_url();
    if url.starts_with("sqlite:") {
        let path = server.provider.config.data_dir.join("identita.db");
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch(sqlite).unwrap();
    } else {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(postgres.to_owned())).execute(&mut db).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_decisions_are_in_the_log_and_verify_finds_what_was_changed_behind_its_back() {
    let server = TestServer::start().await;
    let user = server.add_user("petr", "heslo-petra-1", json!({ "name": "Petr Svoboda" })).await;
    let file = server.dir.join("karta.json");
    let (_, issued) = identita(&server, &["card", "issue", "--user", "petr", "--out", file.to_str().unwrap()]);
    let number = issued["number"].as_str().unwrap().to_owned();
    assert_eq!(identita(&server, &["card", "set-status", &number, "lost"]).0, 0);
    assert_eq!(identita(&server, &["card", "set-status", &number, "revoked"]).0, 0);
    assert_eq!(identita(&server, &["user", "disable", "petr"]).0, 0);
    let refused = identita(&server, &["card", "set-status", &number, "valid"]);
    assert_eq!(refused.0, 1, "a refused change is no decision: {}", refused.1);

    let (code, list) = identita(&server, &["audit", "list", "--subject", &user.id]);
    assert_eq!(code, 0, "{list}");
    let actions: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["card.issue", "card.set_status", "card.set_status", "user.disable"]);
    let lost = &list[1];
    assert_eq!(lost["actor"], "operator:jana");
    assert_eq!(lost["origin"], "cli");
    assert_eq!(lost["role"], "administrator");
    assert_eq!(lost["detail"]["status"], "lost");
    assert_eq!(lost["detail"]["number"], number.as_str());
    assert!(lost["at"].as_i64().unwrap() >= server.provider.now() - 60, "{lost}");

    let (code, verified) = identita(&server, &["audit", "verify"]);
    assert_eq!(
        (code, verified["intact"].as_bool(), verified["entries"].as_u64()),
        (0, Some(true), Some(4)),
        "{verified}"
    );
    let head = verified["head"].as_str().unwrap().to_owned();

    // The log cannot be changed through the database's front door.
    let change = "UPDATE audit_log SET at = 0 WHERE seq = 1";
    let url = server.provider.config.database_url();
    if url.starts_with("sqlite:") {
        let db = rusqlite::Connection::open(server.provider.config.data_dir.join("identita.db")).unwrap();
        let refused = db.execute(change, ()).unwrap_err().to_string();
        assert!(refused.contains("append-only"), "{refused}");
    }

    // A "lost" that becomes "stolen", with the triggers out of the way.
    behind_its_back(
        &server,
        "DROP TRIGGER audit_log_no_update; \
         UPDATE audit_log SET entry = replace(entry, '\"lost\"', '\"stolen\"') WHERE seq = 2;",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; \
         UPDATE audit_log SET entry = replace(entry, '\"lost\"', '\"stolen\"') WHERE seq = 2;",
    )
    .await;
    let (code, broken) = identita(&server, &["audit", "verify"]);
    assert_eq!(code, 1, "{broken}");
    let error = broken["error"].as_str().unwrap();
    assert!(error.contains("entry 2") && error.contains("edited"), "{error}");

    // Put back, then the entry taken out.
    behind_its_back(
        &server,
        "UPDATE audit_log SET entry = replace(entry, '\"stolen\"', '\"lost\"') WHERE seq = 2; \
         DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3;",
        "UPDATE audit_log SET entry = replace(entry, '\"stolen\"', '\"lost\"') WHERE seq = 2; \
         DELETE FROM audit_log WHERE seq = 3;",
    )
    .await;
    let (code, broken) = identita(&server, &["audit", "verify"]);
    assert_eq!(code, 1, "{broken}");
    assert!(broken["error"].as_str().unwrap().contains("entry 4"), "{broken}");

    // Taken off the end: the chain is whole, but no longer reaches the head kept.
    behind_its_back(&server, "DELETE FROM audit_log WHERE seq >= 3;", "DELETE FROM audit_log WHERE seq >= 3;").await;
    assert_eq!(identita(&server, &["audit", "verify"]).0, 0, "a shorter chain is whole");
    let (code, shortened) = identita(&server, &["audit", "verify", "--head", &head]);
    assert_eq!(code, 1, "{shortened}");
    assert!(shortened["error"].as_str().unwrap().contains("taken off its end"), "{shortened}");

    // The export is the log, line by line.
    let out = server.dir.join("audit.jsonl");
    let (code, exported) = identita(&server, &["audit", "export", "--out", out.to_str().unwrap()]);
    assert_eq!((code, exported["entries"].as_u64()), (0, Some(2)), "{exported}");
    let lines: Vec<Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[1]["action"], "card.set_status");
    assert_eq!(lines[1]["prev"], lines[0]["hash"]);
}
