//! Tenant isolation proven in the database itself, connected as the server role.

// Test helpers outside #[test] functions unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use kurobe_core::{AuditOutcome, Permission, Role};
use kurobe_store::{Context, NewApiKey, NewAuditEntry, StoreError, testing::TestDatabase};
use uuid::Uuid;

fn audit(org_id: Option<Uuid>, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        org_id,
        actor_user_id: None,
        actor_api_key_id: None,
        action: action.into(),
        target: None,
        outcome: AuditOutcome::Success,
        error_code: None,
        ip: Some("127.0.0.1".parse().unwrap()),
        user_agent: None,
        request_id: None,
        details: serde_json::json!({}),
    }
}

/// Two organisations, each with one member, one key and one audit row.
async fn two_tenants(db: &TestDatabase) -> (Uuid, Uuid) {
    let store = db.store();
    let mut ids = vec![];
    for name in ["alpha", "beta"] {
        let org = Uuid::new_v4();
        let user = Uuid::new_v4();
        let email = format!("{name}@example.com");
        let mut tx = store.begin(&Context::org(org)).await.unwrap();
        tx.create_organisation(name).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin(&Context { login_email: Some(email.clone()), ..Context::org(org) }).await.unwrap();
        tx.create_user(user, &email, None, None).await.unwrap();
        tx.add_member(user, Role::Owner).await.unwrap();
        tx.create_api_key(NewApiKey {
            id: Uuid::new_v4(),
            created_by: user,
            name: "k",
            secret_digest: &[7; 32],
            scopes: &[Permission::QueriesRun],
            expires_at: None,
        })
        .await
        .unwrap();
        tx.append_audit(&audit(Some(org), "test.setup")).await.unwrap();
        tx.commit().await.unwrap();
        ids.push(org);
    }
    (ids[0], ids[1])
}

async fn visible_counts(db: &TestDatabase, context: &Context) -> Vec<i64> {
    let store = db.store();
    let mut tx = store.begin(context).await.unwrap();
    let mut counts = vec![];
    for table in ["organisations", "users", "memberships", "api_keys", "data_sources", "query_history", "audit_log"] {
        counts.push(tx.count_rows_for_test(table).await.unwrap());
    }
    counts
}

#[tokio::test]
async fn without_a_context_every_tenant_table_is_empty() {
    let db = TestDatabase::create().await;
    two_tenants(&db).await;
    assert_eq!(visible_counts(&db, &Context::none()).await, vec![0; 7]);
}

#[tokio::test]
async fn an_organisation_sees_only_its_own_rows() {
    let db = TestDatabase::create().await;
    let (alpha, beta) = two_tenants(&db).await;
    // organisations, users, memberships, api_keys, data_sources, query_history, audit_log
    assert_eq!(visible_counts(&db, &Context::org(alpha)).await, vec![1, 1, 1, 1, 0, 0, 1]);
    let store = db.store();
    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    assert!(tx.organisation(beta).await.unwrap().is_none());
    assert!(tx.api_keys().await.unwrap().iter().all(|k| k.org_id == alpha));
    assert_eq!(tx.members().await.unwrap().len(), 1);
}

#[tokio::test]
async fn writing_a_row_for_another_organisation_fails() {
    let db = TestDatabase::create().await;
    let (alpha, beta) = two_tenants(&db).await;
    let store = db.store();

    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    let err = tx.append_audit(&audit(Some(beta), "test.cross")).await.unwrap_err();
    assert!(matches!(err, StoreError::PolicyViolation(_)), "{err:?}");

    let mut tx = store.begin(&Context::none()).await.unwrap();
    let err = tx.create_organisation("nobody").await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_) | StoreError::PolicyViolation(_)), "{err:?}");

    // Nothing of the refused writes is left behind.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'test.cross'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn the_server_role_cannot_rewrite_the_audit_log_or_skip_policies() {
    let db = TestDatabase::create().await;
    let (alpha, _) = two_tenants(&db).await;
    let store = db.store();
    let check = store.check_role_is_restricted().await.unwrap();
    assert!(check.is_restricted(), "{check:?}");

    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    let err = tx.raw_execute_for_test("UPDATE audit_log SET action = 'forged'").await.unwrap_err();
    assert!(format!("{err:?}").contains("permission denied"), "{err:?}");
    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    let err = tx.raw_execute_for_test("DELETE FROM audit_log").await.unwrap_err();
    assert!(format!("{err:?}").contains("permission denied"), "{err:?}");
    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    let err = tx.raw_execute_for_test("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY").await.unwrap_err();
    assert!(format!("{err:?}").contains("must be owner"), "{err:?}");
    // Rows come in through audit_append() alone, which chains them; the setting that lets
    // its own insert past the trigger gives the server role nothing without INSERT.
    let mut tx = store.begin(&Context::org(alpha)).await.unwrap();
    let err = tx
        .raw_execute_for_test(&format!(
            "SELECT set_config('kurobe.audit_chained', 'on', true); \
             INSERT INTO audit_log (id, org_id, action, outcome, chain_position, prev_hash, hash) \
             VALUES (gen_random_uuid(), '{alpha}', 'forged', 'success', 99, '\\x00', '\\x00')"
        ))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("permission denied"), "{err:?}");
}

#[tokio::test]
async fn a_user_sees_their_memberships_across_organisations_but_not_other_members() {
    let db = TestDatabase::create().await;
    let (alpha, beta) = two_tenants(&db).await;
    let store = db.store();
    let user = db_user(&db, "alpha@example.com").await;
    // Make the alpha user a viewer in beta too.
    let mut tx = store.begin(&Context::org(beta)).await.unwrap();
    tx.add_member(user, Role::Viewer).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&Context::user(user)).await.unwrap();
    let memberships = tx.memberships_of(user).await.unwrap();
    let orgs: Vec<Uuid> = memberships.iter().map(|m| m.organisation.id).collect();
    assert_eq!(orgs, vec![alpha, beta]);
    assert_eq!(memberships[1].role, Role::Viewer);
    // Seeing beta's name does not reveal beta's other members or keys.
    assert!(tx.user_by_email("beta@example.com").await.unwrap().is_none());
    assert!(tx.api_keys().await.unwrap().is_empty());
}

async fn db_user(db: &TestDatabase, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(&db.owner).await.unwrap()
}
