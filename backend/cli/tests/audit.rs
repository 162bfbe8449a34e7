//! `kurobe audit verify|purge|export` as an operator runs them: the binary, configured with
//! the owner's URL through the environment, against a fresh database.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use kurobe_core::AuditOutcome;
use kurobe_store::{ChainedAuditRow, Context, NewAuditEntry, testing::TestDatabase};
use uuid::Uuid;

const REPOSITORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The owner's URL of the test database: the admin URL with its database swapped.
fn owner_url(db: &TestDatabase) -> String {
    let admin = std::env::var("KUROBE_TEST_ADMIN_URL").unwrap();
    let (base, query) = admin.split_once('?').map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').unwrap();
    match query {
        Some(q) => format!("{server}/{}?{q}", db.name),
        None => format!("{server}/{}", db.name),
    }
}

fn kurobe(db: &TestDatabase, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kurobe"))
        .current_dir(REPOSITORY)
        .args(args)
        .env("KUROBE_DATABASE__MIGRATION_URL", owner_url(db))
        .env_remove("KUROBE_DATABASE__URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), stdout, stderr)
}

async fn traffic(db: &TestDatabase) -> (Uuid, Uuid) {
    let store = db.store();
    let (a, b) = (db.insert_org("alpha").await, db.insert_org("beta").await);
    for (i, org) in [Some(a), Some(b), None, Some(a), Some(a), Some(b)].into_iter().enumerate() {
        let mut tx = store.begin(&org.map_or_else(Context::none, Context::org)).await.unwrap();
        tx.append_audit(&NewAuditEntry {
            org_id: org,
            actor_user_id: None,
            actor_api_key_id: None,
            action: format!("test.{i}"),
            target: Some(format!("t{i}")),
            outcome: AuditOutcome::Success,
            error_code: None,
            ip: Some("198.51.100.7".parse().unwrap()),
            user_agent: Some("cli-test".into()),
            request_id: Some(format!("r{i}")),
            details: serde_json::json!({ "i": i }),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    (a, b)
}

#[tokio::test]
async fn verify_purge_and_export_from_the_command_line() {
    let db = TestDatabase::create().await;
    let (a, b) = traffic(&db).await;

    let (code, out, err) = kurobe(&db, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("every chain holds: 3 chain(s), 6 row(s) verified"), "{out}");
    assert!(out.contains(&format!("org {a}: ok, 3 row(s) verified")), "{out}");
    let (code, out, _) = kurobe(&db, &["audit", "verify", "--org", "system"]);
    assert_eq!(code, 0);
    assert!(out.contains("system: ok, 1 row(s) verified"), "{out}");

    // Export: every row, as JSON lines carrying the hash; and one organisation's.
    let (code, out, err) = kurobe(&db, &["audit", "export"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<ChainedAuditRow> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.compute_hash(&r.prev_hash).as_slice() == r.hash));
    let (_, out, _) = kurobe(&db, &["audit", "export", "--org", &b.to_string()]);
    assert_eq!(out.lines().count(), 2);
    let (_, out, _) = kurobe(&db, &["audit", "export", "--since", "2999-01-01"]);
    assert_eq!(out, "");

    // A tampered row: exit code 1 and the row named.
    let victim = rows.iter().find(|r| r.org_id == Some(a) && r.chain_position == 2).unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"i\": 99}' WHERE id = $1")
        .bind(victim.id)
        .execute(&db.owner)
        .await
        .unwrap();
    let (code, out, _) = kurobe(&db, &["audit", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("org {a}: BROKEN at seq {} (id {}, position 2): content altered", victim.seq, victim.id)),
        "{out}"
    );
    assert!(out.contains("1 of 3 chain(s) broken"), "{out}");
    let (code, out, err) = kurobe(&db, &["audit", "purge", "--older-than-days", "0"]);
    assert_ne!(code, 0, "a broken range is not purged: {out}");
    assert!(err.contains("does not verify"), "{err}");
    sqlx::query("UPDATE audit_log SET details = $2 WHERE id = $1")
        .bind(victim.id)
        .bind(serde_json::from_str::<serde_json::Value>(victim.details.get()).unwrap())
        .execute(&db.owner)
        .await
        .unwrap();

    // Purge everything older than now: checkpoints keep the chains verifiable, and the purge
    // is itself a system row.
    let (code, out, err) = kurobe(&db, &["audit", "purge", "--older-than-days", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("purged 6 row(s)"), "{out}");
    let (code, out, _) = kurobe(&db, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("after checkpoint at position 3"), "{out}");
    let (_, out, _) = kurobe(&db, &["audit", "export", "--org", "system"]);
    let purge: ChainedAuditRow = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!((purge.action.as_str(), purge.chain_position), ("audit.purge", 2));
}

#[tokio::test]
async fn audit_commands_need_the_owner_url() {
    let output = Command::new(env!("CARGO_BIN_EXE_kurobe"))
        .current_dir(REPOSITORY)
        .args(["audit", "verify"])
        .env_remove("KUROBE_DATABASE__MIGRATION_URL")
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("database.migration_url"));
}
