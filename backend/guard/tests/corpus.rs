//! The guard against a corpus of hostile statements (all refused) and of analytical SQL
//! (all accepted, and meaning the same: run before and after the guard on DuckDB with the
//! demo data, the results are identical).

#![allow(clippy::unwrap_used)]

use kurobe_connector::{Connector, Dialect, ExecRequest, IntrospectOptions, Limits, Schema};
use kurobe_demo::{ScaleFactor, Table, write_csv};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use std::collections::BTreeMap;

use kurobe_guard::{Refusal, RowPolicy, check, check_with_policies};

/// Entries of a corpus file, each with the dialects it applies to.
fn corpus(text: &str) -> Vec<(Vec<Dialect>, String)> {
    text.split("\n---\n")
        .map(|entry| {
            let lines: Vec<&str> = entry.lines().filter(|l| !l.starts_with('#')).collect();
            let (dialects, body) = match lines.first().and_then(|l| l.strip_prefix('@')) {
                Some("postgres") => (vec![Dialect::Postgres], &lines[1..]),
                Some("duckdb") => (vec![Dialect::DuckDb], &lines[1..]),
                Some("trino") => (vec![Dialect::Trino], &lines[1..]),
                _ => (vec![Dialect::Postgres, Dialect::DuckDb, Dialect::Trino], &lines[..]),
            };
            (dialects, body.join("\n"))
        })
        .collect()
}

/// The demo, small, in a DuckDB database, and its introspected schema.
async fn demo() -> (DuckDbConnector, Schema) {
    let dir = tempfile::tempdir().unwrap();
    let scale = ScaleFactor::new(0.001).unwrap();
    let connector = DuckDbConnector::open_with_setup(DuckDbSource::Memory, |conn| {
        conn.execute_batch(&kurobe_demo::ddl(kurobe_demo::Dialect::DuckDb, "retail"))?;
        for table in Table::ALL {
            let path = dir.path().join(format!("{}.csv", table.name()));
            write_csv(table, scale, &mut std::fs::File::create(&path).unwrap()).unwrap();
            conn.execute_batch(&format!("COPY retail.{} FROM '{}' (HEADER)", table.name(), path.display()))?;
        }
        Ok(())
    })
    .unwrap();
    let schema = connector
        .introspect(&IntrospectOptions { max_sample_values: 0, ..IntrospectOptions::default() })
        .await
        .unwrap();
    (connector, schema)
}

#[tokio::test]
async fn every_hostile_statement_is_refused_in_every_dialect_it_targets() {
    let (_, schema) = demo().await;
    let entries = corpus(include_str!("corpus/hostile.txt"));
    let mut tried = 0;
    for (dialects, sql) in &entries {
        for dialect in dialects {
            tried += 1;
            if let Ok(guarded) = check(sql, *dialect, &schema, 1000) {
                panic!("{dialect} accepted hostile SQL:\n{sql}\nas:\n{}", guarded.sql);
            }
        }
    }
    assert!(tried >= 100, "only {tried} hostile cases");
}

#[tokio::test]
async fn analytical_sql_is_accepted_and_means_the_same() {
    let (connector, schema) = demo().await;
    let entries = corpus(include_str!("corpus/valid.txt"));
    assert!(entries.len() >= 30);
    let request = ExecRequest { limits: Limits { max_rows: 100_000, ..Limits::default() }, ..ExecRequest::default() };
    for (_, sql) in entries {
        let guarded = check(&sql, Dialect::DuckDb, &schema, 100_000).unwrap_or_else(|r| panic!("refused: {r}\n{sql}"));
        let before = connector.execute(&sql, &request).await.unwrap_or_else(|e| panic!("{e}\n{sql}"));
        let after = connector.execute(&guarded.sql, &request).await.unwrap_or_else(|e| panic!("{e}\n{}", guarded.sql));
        assert_eq!(before.rows, after.rows, "{sql}\nbecame\n{}", guarded.sql);
        // The guard's output passes the guard again unchanged.
        assert_eq!(check(&guarded.sql, Dialect::DuckDb, &schema, 100_000).unwrap().sql, guarded.sql);
    }
}

#[tokio::test]
async fn the_row_cap_is_enforced_with_limit() {
    let (_, schema) = demo().await;
    let cases = [
        ("SELECT * FROM retail.orders", "SELECT * FROM retail.orders LIMIT 11"),
        ("SELECT * FROM retail.orders LIMIT 5", "SELECT * FROM retail.orders LIMIT 5"),
        ("SELECT * FROM retail.orders LIMIT 500", "SELECT * FROM retail.orders LIMIT 11"),
        ("SELECT * FROM retail.orders OFFSET 3", "SELECT * FROM retail.orders LIMIT 11 OFFSET 3"),
    ];
    for (sql, expected) in cases {
        assert_eq!(check(sql, Dialect::Postgres, &schema, 10).unwrap().sql, expected);
    }
    assert_eq!(
        check("SELECT * FROM retail.orders LIMIT ALL", Dialect::Postgres, &schema, 10).unwrap().sql,
        "SELECT * FROM retail.orders LIMIT 11"
    );
}

#[tokio::test]
async fn refusals_name_what_was_refused() {
    let (_, schema) = demo().await;
    let refusal = |sql: &str, dialect| check(sql, dialect, &schema, 10).unwrap_err();
    assert_eq!(refusal("SELECT pg_sleep(1)", Dialect::Postgres), Refusal::Function("pg_sleep".into()));
    assert_eq!(refusal("SELECT * FROM hidden", Dialect::Postgres), Refusal::UnknownRelation("hidden".into()));
    assert_eq!(refusal("SELECT * FROM read_csv('/x')", Dialect::DuckDb), Refusal::TableFunction("read_csv".into()));
    assert_eq!(refusal("SELECT 1; SELECT 2", Dialect::Trino), Refusal::StatementCount(2));
    assert_eq!(refusal("DELETE FROM retail.orders", Dialect::Postgres), Refusal::NotAQuery("DELETE".into()));
    assert_eq!(
        refusal("SELECT * FROM retail.orders FOR UPDATE", Dialect::Postgres),
        Refusal::Forbidden("a locking clause (FOR UPDATE / FOR SHARE)")
    );
    assert!(matches!(refusal("SELEC 1", Dialect::DuckDb), Refusal::Unparsable(_)));
}

fn count(rows: &[Vec<kurobe_connector::Value>]) -> i64 {
    match rows.first().and_then(|r| r.first()) {
        Some(kurobe_connector::Value::Int(n)) => *n,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn row_policies_hold_through_every_shape_of_query() {
    let (connector, schema) = demo().await;
    let policies = [RowPolicy {
        schema: "retail".into(),
        table: "stores".into(),
        predicate: "store_type = {{user.attributes.store_type}}".into(),
    }];
    let values = BTreeMap::from([("user.attributes.store_type".to_owned(), "online".to_owned())]);
    let request = ExecRequest::default();
    let direct = |sql: &str| {
        let connector = connector.clone();
        let sql = sql.to_owned();
        async move { count(&connector.execute(&sql, &ExecRequest::default()).await.unwrap().rows) }
    };
    let stores = direct("SELECT count(*) FROM retail.stores WHERE store_type = 'online'").await;
    let orders = direct("SELECT count(*) FROM retail.orders o JOIN retail.stores s ON s.store_id = o.store_id WHERE s.store_type = 'online'").await;
    assert!(stores > 0 && stores < 200 && orders > 0);

    let cases = [
        ("SELECT count(*) FROM retail.stores", stores),
        ("SELECT count(*) FROM \"retail\".\"stores\"", stores),
        ("SELECT count(*) FROM retail.stores AS s WHERE s.store_id > 0", stores),
        ("SELECT count(*) FROM retail.stores s JOIN retail.regions r ON r.region_id = s.region_id", stores),
        (
            "SELECT count(*) FROM retail.regions r LEFT JOIN retail.stores s ON s.region_id = r.region_id WHERE s.store_id IS NOT NULL",
            stores,
        ),
        ("WITH x AS (SELECT * FROM retail.stores) SELECT count(*) FROM x", stores),
        ("WITH stores AS (SELECT * FROM retail.stores) SELECT count(*) FROM stores", stores),
        ("SELECT count(*) FROM (SELECT * FROM retail.stores) t", stores),
        (
            "SELECT count(*) FROM (SELECT store_id FROM retail.stores UNION ALL SELECT store_id FROM retail.stores) u",
            2 * stores,
        ),
        ("SELECT count(*) FROM retail.stores a, retail.stores b WHERE a.store_id = b.store_id", stores),
        ("SELECT count(*) FROM retail.orders WHERE store_id IN (SELECT store_id FROM retail.stores)", orders),
        (
            "SELECT count(*) FROM retail.orders o WHERE EXISTS (SELECT 1 FROM retail.stores s WHERE s.store_id = o.store_id)",
            orders,
        ),
        ("SELECT count(*) FROM retail.orders o JOIN retail.stores s ON s.store_id = o.store_id", orders),
        ("SELECT (SELECT count(*) FROM retail.stores)", stores),
    ];
    for (sql, expected) in cases {
        let guarded = check_with_policies(sql, Dialect::DuckDb, &schema, 1000, &policies, &values).unwrap();
        let result = connector.execute(&guarded.sql, &request).await.unwrap_or_else(|e| panic!("{e}\n{}", guarded.sql));
        assert_eq!(count(&result.rows), expected, "{sql}\nran as\n{}", guarded.sql);
    }

    // A value is a literal, whatever it contains.
    let hostile = BTreeMap::from([("user.attributes.store_type".to_owned(), "online' OR '1'='1".to_owned())]);
    let guarded =
        check_with_policies("SELECT count(*) FROM retail.stores", Dialect::DuckDb, &schema, 10, &policies, &hostile)
            .unwrap();
    assert_eq!(count(&connector.execute(&guarded.sql, &request).await.unwrap().rows), 0, "{}", guarded.sql);
    // A policy without its value refuses the query rather than letting it through unfiltered.
    let refused = check_with_policies(
        "SELECT count(*) FROM retail.stores",
        Dialect::DuckDb,
        &schema,
        10,
        &policies,
        &BTreeMap::new(),
    );
    assert!(matches!(refused, Err(Refusal::Policy(_))), "{refused:?}");
}
