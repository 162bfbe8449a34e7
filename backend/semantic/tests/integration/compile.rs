//! Compiled SQL is accepted by the guard in every dialect, and on DuckDB means what a
//! hand-written query means.

use kurobe_connector::{Connector, Dialect, ExecRequest, Schema, Value};
use kurobe_semantic::{CompileError, SemanticModel, SemanticQuery, compile};

use crate::common;

fn demo_model(schema: &Schema) -> SemanticModel {
    let mut model = SemanticModel::from_yaml_str(
        include_str!("../../../../config/semantic/retail-demo-duckdb.yaml"),
        "retail-demo-duckdb.yaml",
    )
    .unwrap();
    model.validate(schema).unwrap();
    model.merge_samples(schema);
    model
}

fn query(json: &str) -> SemanticQuery {
    serde_json::from_str(json).unwrap()
}

/// Semantic queries and hand-written DuckDB SQL that must return the same rows.
const CASES: &[(&str, &str)] = &[
    (
        r#"{"measures":["orders.count"]}"#,
        "SELECT count(*) FROM retail.orders",
    ),
    (
        r#"{"measures":["orders.count"],"dimensions":["regions.name"],"order":[{"member":"orders.count","direction":"desc"}],"limit":3}"#,
        "SELECT r.name, count(*) AS n FROM retail.orders o JOIN retail.stores s ON o.store_id = s.store_id
         JOIN retail.regions r ON s.region_id = r.region_id GROUP BY r.name ORDER BY n DESC, r.name LIMIT 3",
    ),
    (
        r#"{"measures":["orders.count"],"time_dimension":{"dimension":"orders.order_date","granularity":"quarter","date_range":["2024-01-01","2024-12-31"]}}"#,
        "SELECT CAST(date_trunc('quarter', order_date) AS DATE) AS q, count(*) FROM retail.orders
         WHERE order_date >= DATE '2024-01-01' AND order_date < DATE '2025-01-01' GROUP BY q ORDER BY q",
    ),
    (
        r#"{"measures":["order_items.total_quantity"],"dimensions":["products.category"],"filters":[{"member":"orders.status","operator":"not_in","values":["cancelled","returned"]}]}"#,
        "SELECT p.category, sum(i.quantity) FROM retail.order_items i JOIN retail.orders o ON i.order_id = o.order_id
         JOIN retail.products p ON i.product_id = p.product_id WHERE o.status NOT IN ('cancelled', 'returned') GROUP BY p.category",
    ),
    (
        r#"{"measures":["units_per_order"],"dimensions":["stores.store_type"]}"#,
        "SELECT s.store_type, sum(i.quantity) / count(DISTINCT o.order_id) FROM retail.order_items i
         JOIN retail.orders o ON i.order_id = o.order_id JOIN retail.stores s ON o.store_id = s.store_id GROUP BY s.store_type",
    ),
    (
        r#"{"measures":["completion_rate","orders.completed_order_count"],"dimensions":["customers.segment"]}"#,
        "SELECT c.segment, count(*) FILTER (WHERE o.status = 'completed') / count(*), count(*) FILTER (WHERE o.status = 'completed')
         FROM retail.orders o JOIN retail.customers c ON o.customer_id = c.customer_id GROUP BY c.segment",
    ),
    (
        r#"{"measures":["order_items.revenue","average_order_value"],"dimensions":["regions.name"]}"#,
        "SELECT r.name, sum(i.quantity * i.unit_price), sum(i.quantity * i.unit_price) / count(DISTINCT o.order_id)
         FROM retail.order_items i JOIN retail.orders o ON i.order_id = o.order_id JOIN retail.stores s ON o.store_id = s.store_id
         JOIN retail.regions r ON s.region_id = r.region_id GROUP BY r.name",
    ),
    (
        r#"{"measures":["order_items.average_line_revenue"],"dimensions":["products.category"]}"#,
        "SELECT p.category, avg(i.quantity * i.unit_price) FROM retail.order_items i
         JOIN retail.products p ON i.product_id = p.product_id GROUP BY p.category",
    ),
    (
        r#"{"measures":["customers.count"],"dimensions":["products.category"]}"#,
        "SELECT p.category, count(DISTINCT c.customer_id) FROM retail.customers c JOIN retail.orders o ON o.customer_id = c.customer_id
         JOIN retail.order_items i ON i.order_id = o.order_id JOIN retail.products p ON p.product_id = i.product_id GROUP BY p.category",
    ),
    (
        r#"{"dimensions":["products.name","products.list_price"],"filters":[{"member":"products.list_price","operator":"between","values":[10,20]},{"member":"products.name","operator":"contains","values":["PRO"]}],"ungrouped":true,"order":[{"member":"products.list_price","direction":"desc"}]}"#,
        "SELECT name, list_price FROM retail.products WHERE list_price BETWEEN 10 AND 20 AND lower(name) LIKE '%pro%' ORDER BY list_price DESC, name",
    ),
    (
        r#"{"measures":["orders.count"],"dimensions":["customers.full_name"],"filters":[{"member":"orders.count","operator":"gte","values":["12"]}]}"#,
        "SELECT c.full_name, count(*) FROM retail.orders o JOIN retail.customers c ON o.customer_id = c.customer_id
         GROUP BY c.full_name HAVING count(*) >= 12",
    ),
    (
        r#"{"dimensions":["stores.name"],"filters":[{"member":"stores.opened_on","operator":"before","values":["2015-01-01"]},{"member":"regions.name","operator":"not_equals","values":["Western Europe"]}],"ungrouped":true}"#,
        "SELECT s.name FROM retail.stores s JOIN retail.regions r ON s.region_id = r.region_id
         WHERE s.opened_on < DATE '2015-01-01' AND r.name <> 'Western Europe'",
    ),
];

fn sorted_text(rows: &[Vec<Value>]) -> Vec<String> {
    let mut rows: Vec<String> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    // Decimal and float results of the same average differ in the last digits.
                    Value::Float(f) => format!("{f:.6}"),
                    Value::Decimal(d) => format!("{:.6}", d.parse::<f64>().unwrap()),
                    Value::Int(i) => format!("{:.6}", *i as f64),
                    Value::BigInt(i) => format!("{:.6}", *i as f64),
                    other => other.to_text(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn compiled_queries_pass_the_guard_in_every_dialect_and_match_hand_written_sql_on_duckdb() {
    let (connector, schema) = common::demo(0.01).await;
    let model = demo_model(&schema);
    let request = ExecRequest::default();
    for (json, expected) in CASES {
        let semantic = query(json);
        for dialect in [Dialect::Postgres, Dialect::DuckDb, Dialect::Trino] {
            let compiled = compile(&model, &semantic, dialect).unwrap_or_else(|e| panic!("{json}: {e}"));
            let guarded = kurobe_guard::check(&compiled.sql, dialect, &schema, 10_000)
                .unwrap_or_else(|r| panic!("{dialect} refused {}: {r}", compiled.sql));
            if dialect == Dialect::DuckDb {
                let ours =
                    connector.execute(&guarded.sql, &request).await.unwrap_or_else(|e| panic!("{e}\n{}", compiled.sql));
                let theirs = connector.execute(expected, &request).await.unwrap();
                assert!(!theirs.rows.is_empty(), "{expected} returns nothing; the case tests little");
                assert_eq!(sorted_text(&ours.rows), sorted_text(&theirs.rows), "{json}\n{}", compiled.sql);
            }
        }
    }
}

#[tokio::test]
async fn sql_reads_as_expected_per_dialect() {
    let (_, schema) = common::demo(0.001).await;
    let model = demo_model(&schema);
    let semantic = query(
        r#"{"measures":["units_per_order"],"time_dimension":{"dimension":"orders.order_date","granularity":"month","date_range":["2024-01-01","2024-03-31"]},"limit":5}"#,
    );
    let duckdb = compile(&model, &semantic, Dialect::DuckDb).unwrap();
    assert_eq!(
        duckdb.sql,
        "SELECT CAST(date_trunc('month', orders.order_date) AS DATE) AS order_date_month, \
         (CAST(sum(order_items.quantity) AS DOUBLE) / nullif(count(DISTINCT orders.order_id), 0)) AS units_per_order \
         FROM retail.order_items JOIN retail.orders ON order_items.order_id = orders.order_id \
         WHERE orders.order_date >= DATE '2024-01-01' AND orders.order_date < DATE '2024-04-01' \
         GROUP BY CAST(date_trunc('month', orders.order_date) AS DATE) ORDER BY order_date_month ASC LIMIT 5"
    );
    let postgres = compile(&model, &semantic, Dialect::Postgres).unwrap();
    assert!(postgres.sql.contains("CAST(sum(order_items.quantity) AS DOUBLE PRECISION)"), "{}", postgres.sql);
    let names: Vec<&str> = duckdb.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["order_date_month", "units_per_order"]);
}

#[tokio::test]
async fn values_cannot_escape_their_literals_and_sums_refuse_to_fan_out() {
    let (_, schema) = common::demo(0.001).await;
    let model = demo_model(&schema);
    let hostile = query(
        r#"{"measures":["orders.count"],"filters":[{"member":"orders.status","operator":"equals","values":["x' OR 1=1; DROP TABLE retail.orders; --"]}]}"#,
    );
    let sql = compile(&model, &hostile, Dialect::Postgres).unwrap().sql;
    assert!(sql.ends_with("WHERE orders.status = 'x'' OR 1=1; DROP TABLE retail.orders; --'"), "{sql}");
    kurobe_guard::check(&sql, Dialect::Postgres, &schema, 100).unwrap();

    let number = query(
        r#"{"measures":["orders.count"],"filters":[{"member":"order_items.quantity","operator":"gt","values":["1 OR 1=1"]}]}"#,
    );
    assert!(matches!(compile(&model, &number, Dialect::DuckDb), Err(CompileError::Filter { .. })));

    // Summing list prices over order lines would count each product once per line sold.
    let fan_out = query(r#"{"measures":["products.total_list_price"],"dimensions":["orders.status"]}"#);
    assert_eq!(
        compile(&model, &fan_out, Dialect::DuckDb),
        Err(CompileError::FanOut("products.total_list_price".to_owned()))
    );
    // A product of columns is a product in the tree, in every dialect.
    let revenue = query(r#"{"measures":["order_items.revenue"]}"#);
    for dialect in [Dialect::Postgres, Dialect::DuckDb, Dialect::Trino] {
        let sql = compile(&model, &revenue, dialect).unwrap().sql;
        assert_eq!(sql, "SELECT sum(order_items.quantity * order_items.unit_price) AS revenue FROM retail.order_items");
    }
    let unknown = query(r#"{"measures":["orders.revenue"]}"#);
    assert_eq!(
        compile(&model, &unknown, Dialect::DuckDb),
        Err(CompileError::UnknownMember("orders.revenue".to_owned()))
    );
}
