//! The audit log's hash chains: built by the database on every append, verified, purged and
//! exported through `AuditMaintenance` as the owner role.

// Test helpers outside #[test] functions unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use chrono::{Duration, Utc};
use kurobe_core::AuditOutcome;
use kurobe_store::{
    AuditChain, AuditMaintenance, BreakReason, ChainReport, ChainedAuditRow, Context, NewAuditEntry, PurgeError, Store,
    testing::TestDatabase,
};
use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};
use uuid::Uuid;

fn entry(org_id: Option<Uuid>, action: &str, n: usize) -> NewAuditEntry {
    NewAuditEntry {
        org_id,
        actor_user_id: Some(Uuid::new_v4()),
        actor_api_key_id: n.is_multiple_of(2).then(Uuid::new_v4),
        action: action.into(),
        target: (!n.is_multiple_of(3)).then(|| format!("target-{n}")),
        outcome: if n % 4 == 3 { AuditOutcome::Denied } else { AuditOutcome::Success },
        error_code: (n % 4 == 3).then(|| "forbidden".into()),
        ip: Some(if n.is_multiple_of(2) { "203.0.113.9".parse().unwrap() } else { "2001:db8::1".parse().unwrap() }),
        user_agent: Some("tests/ünïcödé ✓".into()),
        request_id: Some(format!("req-{n}")),
        // Key order, nesting, numbers and escapes that jsonb normalises.
        details: serde_json::json!({ "zeta": n, "a": [1.5, "x\"y", null], "nested": { "b": true, "aa": 1e3 } }),
    }
}

async fn append(store: &Store, org: Option<Uuid>, action: &str, n: usize) {
    let mut tx = store.begin(&org.map_or_else(Context::none, Context::org)).await.unwrap();
    tx.append_audit(&entry(org, action, n)).await.unwrap();
    tx.commit().await.unwrap();
}

fn maintenance(db: &TestDatabase) -> AuditMaintenance {
    AuditMaintenance::from_pool(db.owner.clone())
}

fn report(reports: &[ChainReport], chain: AuditChain) -> &ChainReport {
    reports.iter().find(|r| r.chain == chain).unwrap_or_else(|| panic!("no report for {chain}"))
}

fn assert_all_hold(reports: &[ChainReport]) {
    for r in reports {
        assert!(r.holds(), "{} is broken: {:?}", r.chain, r.broken);
    }
}

/// Two organisations with `n` rows each and a few system rows.
async fn traffic(db: &TestDatabase, n: usize) -> (Uuid, Uuid) {
    let store = db.store();
    let (a, b) = (db.insert_org("alpha").await, db.insert_org("beta").await);
    for i in 0..n {
        append(&store, Some(a), "test.a", i).await;
        append(&store, Some(b), "test.b", i).await;
        if i.is_multiple_of(2) {
            append(&store, None, "auth.login", i).await;
        }
    }
    (a, b)
}

async fn rows_of(db: &TestDatabase, chain: AuditChain) -> Vec<ChainedAuditRow> {
    let mut rows = vec![];
    maintenance(db)
        .export(Some(chain), None, |row| {
            rows.push(row);
            Ok::<_, kurobe_store::StoreError>(())
        })
        .await
        .unwrap();
    rows
}

#[tokio::test]
async fn chains_verify_after_normal_traffic() {
    let db = TestDatabase::create().await;
    let (a, b) = traffic(&db, 6).await;
    let reports = maintenance(&db).verify(None).await.unwrap();
    assert_all_hold(&reports);
    assert_eq!(reports.len(), 3);
    for (chain, rows) in [(AuditChain::Org(a), 6), (AuditChain::Org(b), 6), (AuditChain::System, 3)] {
        let r = report(&reports, chain);
        assert_eq!((r.verified_rows, r.head_position), (rows, rows as i64));
    }
    // Positions count up from 1 along each chain, seq grows with them, and each row names its
    // predecessor's hash (the genesis for the first).
    let rows = rows_of(&db, AuditChain::Org(a)).await;
    assert_eq!(rows.iter().map(|r| r.chain_position).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>());
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq && w[1].prev_hash == w[0].hash));
    assert_eq!(rows[0].prev_hash, kurobe_store::AUDIT_GENESIS);
    // The Rust encoding agrees with the SQL one on inet and jsonb renderings.
    assert_eq!(rows[1].ip.as_deref(), Some("2001:db8::1/128"));
    assert!(rows.iter().all(|r| r.compute_hash(&r.prev_hash).as_slice() == r.hash));
    // One chain alone.
    let only = maintenance(&db).verify(Some(AuditChain::Org(b))).await.unwrap();
    assert_eq!(only.len(), 1);
    assert!(only[0].holds());
}

#[tokio::test]
async fn concurrent_appends_never_fork_a_chain() {
    let db = TestDatabase::create().await;
    let (a, b) = (db.insert_org("alpha").await, db.insert_org("beta").await);
    let store = db.store();
    let tasks = 48;
    let per_task = 8;
    let mut handles = vec![];
    for t in 0..tasks {
        let store = store.clone();
        // Most tasks hammer one organisation; some the other and the system chain.
        let org = match t % 6 {
            0 => Some(b),
            1 => None,
            _ => Some(a),
        };
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let mut tx = store.begin(&org.map_or_else(Context::none, Context::org)).await.unwrap();
                tx.append_audit(&entry(org, "test.concurrent", t * 100 + i)).await.unwrap();
                if i.is_multiple_of(3) {
                    // A second row in the same transaction, and a pause holding the head.
                    tx.append_audit(&entry(org, "test.concurrent.second", i)).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                tx.commit().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let reports = maintenance(&db).verify(None).await.unwrap();
    assert_all_hold(&reports);
    let rows_per_task = per_task + per_task.div_ceil(3);
    let expected = |share: usize| (share * rows_per_task) as u64;
    assert_eq!(report(&reports, AuditChain::Org(a)).verified_rows, expected(tasks * 4 / 6));
    assert_eq!(report(&reports, AuditChain::Org(b)).verified_rows, expected(tasks / 6));
    assert_eq!(report(&reports, AuditChain::System).verified_rows, expected(tasks / 6));
    let rows = rows_of(&db, AuditChain::Org(a)).await;
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq), "seq grows along the chain");
}

/// Restores the audit rows and heads saved by `save` (triggers off for the restore).
async fn restore(db: &TestDatabase) {
    let mut tx = db.owner.begin().await.unwrap();
    for sql in [
        "SET LOCAL session_replication_role = replica",
        "DELETE FROM audit_log",
        "INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM audit_saved",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn any_altered_field_of_any_row_is_reported_at_that_row() {
    let db = TestDatabase::create().await;
    let (a, b) = traffic(&db, 4).await;
    let spare = db.insert_org("spare").await;
    sqlx::query("CREATE TABLE audit_saved AS SELECT * FROM audit_log").execute(&db.owner).await.unwrap();
    let original = rows_of(&db, AuditChain::Org(a)).await;
    let mutations = [
        ("id", "id = gen_random_uuid()".to_owned()),
        ("seq", "seq = DEFAULT".to_owned()),
        ("chain_position", "chain_position = -chain_position".to_owned()),
        ("created_at", "created_at = created_at - interval '1 microsecond'".to_owned()),
        ("org_id", format!("org_id = '{spare}'")),
        ("actor_user_id", "actor_user_id = gen_random_uuid()".to_owned()),
        ("actor_api_key_id", "actor_api_key_id = gen_random_uuid()".to_owned()),
        ("action", "action = action || 'x'".to_owned()),
        ("target", "target = coalesce(target, '') || 'x'".to_owned()),
        ("outcome", "outcome = CASE outcome WHEN 'success' THEN 'denied' ELSE 'success' END".to_owned()),
        ("error_code", "error_code = 'forged'".to_owned()),
        ("ip", "ip = '10.9.9.9'".to_owned()),
        ("user_agent", "user_agent = NULL".to_owned()),
        ("request_id", "request_id = 'req-forged'".to_owned()),
        ("details", "details = details || '{\"forged\": true}'".to_owned()),
        ("prev_hash", "prev_hash = sha256(prev_hash)".to_owned()),
        ("hash", "hash = sha256(hash)".to_owned()),
    ];
    for row in &original {
        for (field, set) in &mutations {
            let what = format!("{field} of position {}", row.chain_position);
            let changed = sqlx::query(&format!("UPDATE audit_log SET {set} WHERE id = $1"))
                .bind(row.id)
                .execute(&db.owner)
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(changed, 1, "{what}");
            let reports = maintenance(&db).verify(None).await.unwrap();
            let broken =
                report(&reports, AuditChain::Org(a)).broken.clone().unwrap_or_else(|| panic!("{what} unnoticed"));
            assert!(report(&reports, AuditChain::Org(b)).holds(), "{what}");
            assert!(report(&reports, AuditChain::System).holds(), "{what}");
            let last = row.chain_position == original.len() as i64;
            match *field {
                // The row left the chain: it reads as missing there.
                "org_id" if last => {
                    assert_eq!(
                        broken.reason,
                        BreakReason::MissingTail { first: row.chain_position, last: row.chain_position }
                    )
                }
                "org_id" => {
                    let next = &original[row.chain_position as usize];
                    assert_eq!(
                        broken.reason,
                        BreakReason::Missing { first: row.chain_position, last: row.chain_position }
                    );
                    assert_eq!((broken.position, broken.seq), (row.chain_position, Some(next.seq)), "{what}");
                }
                "chain_position" => {
                    assert_eq!(
                        (broken.reason, broken.seq, broken.id),
                        (BreakReason::OutOfOrder, Some(row.seq), Some(row.id))
                    )
                }
                _ => {
                    assert_eq!(
                        (broken.reason.clone(), broken.position),
                        (BreakReason::Altered, row.chain_position),
                        "{what}"
                    );
                    if *field != "seq" {
                        assert_eq!(broken.seq, Some(row.seq), "{what}");
                    }
                    if *field != "id" {
                        assert_eq!(broken.id, Some(row.id), "{what}");
                    }
                }
            }
            restore(&db).await;
            assert_all_hold(&maintenance(&db).verify(Some(AuditChain::Org(a))).await.unwrap());
        }
    }
}

#[tokio::test]
async fn a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link() {
    let db = TestDatabase::create().await;
    let (a, _) = traffic(&db, 4).await;
    let rows = rows_of(&db, AuditChain::Org(a)).await;
    let mut forged = rows[1].clone();
    forged.action = "test.innocent".into();
    forged.hash = forged.compute_hash(&forged.prev_hash).to_vec();
    sqlx::query("UPDATE audit_log SET action = $2, hash = $3 WHERE id = $1")
        .bind(forged.id)
        .bind(&forged.action)
        .bind(&forged.hash)
        .execute(&db.owner)
        .await
        .unwrap();
    let reports = maintenance(&db).verify(Some(AuditChain::Org(a))).await.unwrap();
    let broken = reports[0].broken.clone().unwrap();
    assert_eq!((broken.reason, broken.position, broken.seq), (BreakReason::LinkMismatch, 3, Some(rows[2].seq)));
    assert_eq!(reports[0].verified_rows, 2);
}

#[tokio::test]
async fn deleted_rows_are_reported_where_they_were() {
    let db = TestDatabase::create().await;
    let (a, b) = traffic(&db, 6).await;
    let rows = rows_of(&db, AuditChain::Org(a)).await;
    let delete = |positions: &'static [i64]| {
        let owner = db.owner.clone();
        async move {
            sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND chain_position = ANY($2)")
                .bind(a)
                .bind(positions)
                .execute(&owner)
                .await
                .unwrap();
            maintenance_report(&owner, a).await
        }
    };
    sqlx::query("CREATE TABLE audit_saved AS SELECT * FROM audit_log").execute(&db.owner).await.unwrap();

    let r = delete(&[3]).await;
    let broken = r.broken.unwrap();
    assert_eq!(broken.reason, BreakReason::Missing { first: 3, last: 3 });
    assert_eq!((broken.position, broken.seq, broken.after_seq), (3, Some(rows[3].seq), Some(rows[1].seq)));
    assert_eq!(r.verified_rows, 2);
    restore(&db).await;

    let broken = delete(&[1, 2]).await.broken.unwrap();
    assert_eq!(
        (broken.reason, broken.seq, broken.after_seq),
        (BreakReason::Missing { first: 1, last: 2 }, Some(rows[2].seq), None)
    );
    restore(&db).await;

    let broken = delete(&[5, 6]).await.broken.unwrap();
    assert_eq!((broken.reason, broken.position, broken.seq), (BreakReason::MissingTail { first: 5, last: 6 }, 5, None));
    assert_eq!(broken.after_seq, Some(rows[3].seq));
    restore(&db).await;

    let broken = delete(&[1, 2, 3, 4, 5, 6]).await.broken.unwrap();
    assert_eq!(broken.reason, BreakReason::MissingTail { first: 1, last: 6 });
    restore(&db).await;
    assert_all_hold(&maintenance(&db).verify(None).await.unwrap());
    assert!(maintenance_report(&db.owner, b).await.holds());
}

async fn maintenance_report(owner: &sqlx::PgPool, org: Uuid) -> ChainReport {
    AuditMaintenance::from_pool(owner.clone()).verify(Some(AuditChain::Org(org))).await.unwrap().remove(0)
}

/// Rows `days` old, chained as they would have been then (the owner may set created_at).
async fn append_old(db: &TestDatabase, org: Option<Uuid>, days: i64, count: usize) {
    for i in 0..count {
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, action, outcome, created_at) VALUES ($1, $2, 'test.old', 'success', $3)",
        )
        .bind(Uuid::now_v7())
        .bind(org)
        .bind(Utc::now() - Duration::days(days) + Duration::seconds(i as i64))
        .execute(&db.owner)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn purging_keeps_the_remaining_chain_verifiable_and_is_audited() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let (a, b) = (db.insert_org("alpha").await, db.insert_org("beta").await);
    append_old(&db, Some(a), 40, 5).await;
    append_old(&db, None, 40, 2).await;
    // An old row behind a new one stays: only a prefix of the chain is ever purged.
    append_old(&db, Some(b), 40, 2).await;
    append(&store, Some(b), "test.new", 0).await;
    append_old(&db, Some(b), 40, 1).await;
    for i in 0..3 {
        append(&store, Some(a), "test.new", i).await;
    }

    let m = maintenance(&db);
    let purged = m.purge(Utc::now() - Duration::days(30), 30, "kurobe-cli").await.unwrap();
    assert_eq!(purged.rows(), 5 + 2 + 2);
    let chain_a = purged.chains.iter().find(|c| c.org_id == Some(a)).unwrap();
    assert_eq!((chain_a.rows, chain_a.checkpoint_position), (5, 5));

    let reports = m.verify(None).await.unwrap();
    assert_all_hold(&reports);
    let ra = report(&reports, AuditChain::Org(a));
    assert_eq!((ra.verified_rows, ra.checkpoint.as_ref().map(|c| (c.position, c.purged_rows))), (3, Some((5, 5))));
    assert_eq!(report(&reports, AuditChain::Org(b)).verified_rows, 2);

    // The purge is a system row, with what it did.
    let system = rows_of(&db, AuditChain::System).await;
    let purge_row = system.last().unwrap();
    assert_eq!((purge_row.action.as_str(), purge_row.org_id), ("audit.purge", None));
    let details: serde_json::Value = serde_json::from_str(purge_row.details.get()).unwrap();
    assert_eq!(details["rows"], 9);
    assert_eq!(details["older_than_days"], 30);

    // Appends go on after the checkpoint; a second purge moves it and sums the counts.
    append(&store, Some(a), "test.after", 9).await;
    assert_all_hold(&m.verify(None).await.unwrap());
    let again = m.purge(Utc::now() + Duration::days(1), 0, "kurobe-cli").await.unwrap();
    let reports = m.verify(None).await.unwrap();
    assert_all_hold(&reports);
    assert_eq!(
        report(&reports, AuditChain::Org(a)).checkpoint.as_ref().map(|c| (c.position, c.purged_rows)),
        Some((9, 9))
    );
    assert!(again.rows() >= 4 + 2);
    // Deleting a row after a checkpoint is still caught.
    sqlx::query("DELETE FROM audit_log WHERE org_id IS NULL AND action = 'audit.purge'")
        .execute(&db.owner)
        .await
        .unwrap();
    assert!(!report(&m.verify(None).await.unwrap(), AuditChain::System).holds());
}

#[tokio::test]
async fn a_purge_leaves_a_broken_range_alone() {
    let db = TestDatabase::create().await;
    let a = db.insert_org("alpha").await;
    append_old(&db, Some(a), 40, 4).await;
    sqlx::query("UPDATE audit_log SET action = 'forged' WHERE chain_position = 2").execute(&db.owner).await.unwrap();
    let err = maintenance(&db).purge(Utc::now() - Duration::days(30), 30, "kurobe-cli").await.unwrap_err();
    match err {
        PurgeError::Broken { chain, broken } => {
            assert_eq!((chain, broken.position, broken.reason), (AuditChain::Org(a), 2, BreakReason::Altered))
        }
        other => panic!("unexpected {other:?}"),
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&db.owner).await.unwrap();
    assert_eq!(left, 4, "nothing deleted, no purge row");
}

#[tokio::test]
async fn export_round_trips_as_json_lines() {
    let db = TestDatabase::create().await;
    let (a, _) = traffic(&db, 5).await;
    let m = maintenance(&db);
    let mut lines = vec![];
    let count = m
        .export(None, None, |row| {
            lines.push(serde_json::to_string(&row).unwrap());
            Ok::<_, kurobe_store::StoreError>(())
        })
        .await
        .unwrap();
    assert_eq!((count, lines.len()), (13, 13));
    let parsed: Vec<ChainedAuditRow> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Every line re-hashes to its stored hash, and each chain links up from the genesis.
    let mut heads = std::collections::HashMap::new();
    for row in &parsed {
        let prev = heads.entry(row.chain()).or_insert_with(|| kurobe_store::AUDIT_GENESIS.to_vec());
        assert_eq!(&row.prev_hash, prev);
        assert_eq!(row.compute_hash(&row.prev_hash).as_slice(), row.hash);
        *prev = row.hash.clone();
    }
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    for field in [
        "org_id",
        "chain_position",
        "seq",
        "id",
        "created_at",
        "actor_user_id",
        "actor_api_key_id",
        "action",
        "target",
        "outcome",
        "error_code",
        "ip",
        "user_agent",
        "request_id",
        "details",
        "prev_hash",
        "hash",
    ] {
        assert!(line.get(field).is_some(), "{field} missing from {line}");
    }
    assert_eq!(line["hash"].as_str().unwrap().len(), 64);
    // One chain, and a start time.
    assert_eq!(
        parsed.iter().filter(|r| r.org_id == Some(a)).cloned().collect::<Vec<_>>(),
        rows_of(&db, AuditChain::Org(a)).await
    );
    let since = parsed[7].created_at;
    let mut later = 0;
    m.export(None, Some(since), |row| {
        assert!(row.created_at >= since);
        later += 1;
        Ok::<_, kurobe_store::StoreError>(())
    })
    .await
    .unwrap();
    assert_eq!(later, parsed.iter().filter(|r| r.created_at >= since).count());
}

#[tokio::test]
async fn the_server_role_cannot_touch_the_chain() {
    let db = TestDatabase::create().await;
    let (a, b) = traffic(&db, 2).await;
    let store = db.store();
    let mut tx = store.begin(&Context::org(a)).await.unwrap();
    // Its own head is readable, another's is not.
    assert_eq!(tx.count_rows_for_test("audit_chain_heads").await.unwrap(), 1);
    for sql in [
        "UPDATE audit_chain_heads SET position = 0",
        "DELETE FROM audit_chain_heads",
        "INSERT INTO audit_chain_checkpoints (org_id, position, hash, last_seq, last_created_at, purged_rows) \
         VALUES (current_org_id(), 1, '\\x00', 1, now(), 1)",
        "DELETE FROM audit_log",
    ] {
        let mut tx = store.begin(&Context::org(a)).await.unwrap();
        assert!(tx.raw_execute_for_test(sql).await.is_err(), "{sql}");
    }
    // The maintenance switch opens nothing to the server role.
    let mut tx = store.begin(&Context::org(a)).await.unwrap();
    tx.raw_execute_for_test("SELECT set_config('kurobe.audit_maintenance', 'on', true)").await.unwrap();
    assert_eq!(tx.count_rows_for_test("audit_log").await.unwrap(), 2);
    assert_eq!(tx.count_rows_for_test("audit_chain_checkpoints").await.unwrap(), 0);
    // An insert naming another organisation fails before it can move that chain's head.
    let mut tx = store.begin(&Context::org(a)).await.unwrap();
    assert!(tx.append_audit(&entry(Some(b), "test.cross", 0)).await.is_err());
    drop(tx);
    assert_all_hold(&maintenance(&db).verify(None).await.unwrap());
}

/// A database migrated by a non-superuser owner, as in production (`scripts/services.sh`):
/// row-level security binds that role too, so maintenance must work through its policies.
#[tokio::test]
async fn maintenance_works_as_a_non_superuser_owner() {
    let db = TestDatabase::create().await;
    let admin = PgConnectOptions::from_str(&std::env::var("KUROBE_TEST_ADMIN_URL").unwrap()).unwrap();
    let role = format!("kurobe_owner_{}", Uuid::new_v4().simple());
    let name = format!("{}_owned", db.name);
    let mut conn = PgConnection::connect_with(&admin).await.unwrap();
    sqlx::query(&format!("CREATE ROLE {role} LOGIN CREATEROLE PASSWORD 'owner-test'"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {role}")).execute(&mut conn).await.unwrap();
    let owner_options = admin.clone().database(&name).username(&role).password("owner-test");
    let owner = sqlx::PgPool::connect_with(owner_options).await.unwrap();
    kurobe_store::MIGRATOR.run(&owner).await.unwrap();
    let app =
        admin.database(&name).username("kurobe_app").password(&std::env::var("KUROBE_TEST_APP_PASSWORD").unwrap());
    let store = Store::connect_lazy(app, 4);

    let org = Uuid::new_v4();
    let mut tx = store.begin(&Context::org(org)).await.unwrap();
    tx.create_organisation("owned").await.unwrap();
    tx.append_audit(&entry(Some(org), "test.one", 0)).await.unwrap();
    tx.commit().await.unwrap();
    append(&store, Some(org), "test.two", 1).await;
    append(&store, None, "auth.login", 2).await;

    let m = AuditMaintenance::from_pool(owner.clone());
    let reports = m.verify(None).await.unwrap();
    assert_all_hold(&reports);
    assert_eq!(reports.iter().map(|r| r.verified_rows).sum::<u64>(), 3);
    let purged = m.purge(Utc::now() + Duration::days(1), 0, "kurobe-cli").await.unwrap();
    assert_eq!(purged.rows(), 3);
    let reports = m.verify(None).await.unwrap();
    assert_all_hold(&reports);
    assert_eq!(report(&reports, AuditChain::System).verified_rows, 1, "the purge row");
    // Without the maintenance switch the owner sees no tenant's rows.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&owner).await.unwrap();
    assert_eq!(seen, 0);
    owner.close().await;
}
