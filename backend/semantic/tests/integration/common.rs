//! Databases for the tests, in DuckDB: the demo retail data, and a clinic in another
//! naming style.

use kurobe_connector::{Connector, IntrospectOptions, Schema};
use kurobe_demo::{ScaleFactor, Table, write_csv};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};

/// The demo retail data at `scale` in memory, and its introspected schema (with samples).
pub async fn demo(scale: f64) -> (DuckDbConnector, Schema) {
    let dir = tempfile::tempdir().unwrap();
    let scale = ScaleFactor::new(scale).unwrap();
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
    let schema = connector.introspect(&IntrospectOptions::default()).await.unwrap();
    (connector, schema)
}

/// The clinic database of `eval/clinic.sql`: another domain, CamelCase names.
pub async fn clinic() -> (DuckDbConnector, Schema) {
    let connector = DuckDbConnector::open_with_setup(DuckDbSource::Memory, |conn| {
        conn.execute_batch(include_str!("../../eval/clinic.sql"))
    })
    .unwrap();
    let schema = connector.introspect(&IntrospectOptions::default()).await.unwrap();
    (connector, schema)
}
