//! The engines on their own: the same SQL Kurobe ran, sent straight to DuckDB (the duckdb
//! crate, the file opened read-only as Kurobe opens it) or Postgres (tokio-postgres), with
//! every row fetched. And the loader that copies the Postgres benchmark data into DuckDB.

use std::{
    io::Write as _,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use futures_util::{StreamExt as _, pin_mut};
use kurobe_duckdb::duckdb::{self, AccessMode, Config};

#[derive(Debug, Clone)]
pub enum Target {
    DuckDb(std::path::PathBuf),
    Postgres(String),
}

pub enum Engine {
    DuckDb(duckdb::Connection),
    Postgres(tokio_postgres::Client),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::DuckDb(_) => "Engine::DuckDb",
            Engine::Postgres(_) => "Engine::Postgres",
        })
    }
}

impl Engine {
    pub async fn open(target: &Target) -> anyhow::Result<Self> {
        Ok(match target {
            Target::DuckDb(path) => {
                let config = Config::default().access_mode(AccessMode::ReadOnly)?;
                Engine::DuckDb(duckdb::Connection::open_with_flags(path, config)?)
            }
            Target::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                Engine::Postgres(client)
            }
        })
    }

    /// Runs `sql` and fetches every row; returns the time and the row count.
    pub async fn run(&mut self, sql: &str) -> anyhow::Result<(Duration, usize)> {
        let started = Instant::now();
        let rows = match self {
            Engine::DuckDb(connection) => tokio::task::block_in_place(|| {
                let mut statement = connection.prepare(sql)?;
                let mut rows = statement.query([])?;
                let mut count = 0;
                while rows.next()?.is_some() {
                    count += 1;
                }
                anyhow::Ok(count)
            })?,
            Engine::Postgres(client) => client.query(sql, &[]).await?.len(),
        };
        Ok((started.elapsed(), rows))
    }
}

/// Copies the `retail` schema of a Postgres database into a new DuckDB file (through CSV,
/// with the demo's DuckDB DDL, which has the same tables and columns). Returns the rows.
pub async fn load_duckdb_from_postgres(url: &str, out: &Path) -> anyhow::Result<u64> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let dir = out.parent().context("the DuckDB file needs a folder")?;
    std::fs::create_dir_all(dir)?;
    let scratch = dir.join(".bench-load");
    std::fs::create_dir_all(&scratch)?;
    let partial = scratch.join("partial.duckdb");
    let _ = std::fs::remove_file(&partial);
    let duck = duckdb::Connection::open(&partial)?;
    duck.execute_batch(&kurobe_demo::ddl(kurobe_demo::Dialect::DuckDb, "retail"))?;
    let mut total = 0u64;
    for table in kurobe_demo::tables() {
        let csv = scratch.join(format!("{}.csv", table.name));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        // Parents are loaded first (`tables()` order) and rows in key order, as DuckDB
        // checks the declared keys while loading.
        let copy = format!(
            "COPY (SELECT {} FROM retail.{} ORDER BY {}) TO STDOUT (FORMAT csv, HEADER)",
            table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", "),
            table.name,
            table.primary_key
        );
        let stream = client.copy_out(&copy).await?;
        pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?)?;
        }
        file.flush()?;
        drop(file);
        let loaded =
            duck.execute(&format!("COPY retail.{} FROM '{}' (HEADER, DELIMITER ',')", table.name, csv.display()), [])?;
        total += loaded as u64;
        std::fs::remove_file(&csv)?;
    }
    duck.execute_batch("CHECKPOINT")?;
    drop(duck);
    std::fs::rename(&partial, out)?;
    std::fs::remove_dir_all(&scratch)?;
    Ok(total)
}
