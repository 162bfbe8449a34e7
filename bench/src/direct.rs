//! The engines on their own: the same SQL Kurobe ran, sent straight to DuckDB (the duckdb
//! crate, the file opened read-only as Kurobe opens it), Postgres (tokio-postgres) or Trino
//! (its REST protocol, `/v1/statement` and the `nextUri` pages), with every row fetched.
//! And the loader that copies the Postgres benchmark data into DuckDB.

use std::{
    io::Write as _,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use futures_util::{StreamExt as _, pin_mut};
use hyper::{
    Method, Uri,
    header::{HeaderName, HeaderValue},
};
use kurobe_duckdb::duckdb::{self, AccessMode, Config};

use crate::http::{Call, Client};

#[derive(Debug, Clone)]
pub enum Target {
    DuckDb(std::path::PathBuf),
    Postgres(String),
    Trino(TrinoTarget),
}

/// A Trino catalog as the benchmark's Trino data source names it.
#[derive(Debug, Clone)]
pub struct TrinoTarget {
    /// `http://host:port`.
    pub url: String,
    pub user: String,
    pub catalog: String,
    pub schema: String,
}

pub enum Engine {
    DuckDb(duckdb::Connection),
    Postgres(tokio_postgres::Client),
    /// One keep-alive connection to the coordinator, with the session in its headers.
    Trino(Client),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::DuckDb(_) => "Engine::DuckDb",
            Engine::Postgres(_) => "Engine::Postgres",
            Engine::Trino(_) => "Engine::Trino",
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
            Target::Trino(trino) => Engine::Trino(trino_client(trino).await?),
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
            Engine::Trino(client) => trino_rows(client, sql).await?,
        };
        Ok((started.elapsed(), rows))
    }
}

/// A client of Trino's REST API on plain HTTP (the benchmark's Trino is on loopback), with
/// the user, catalog and schema of the data source.
async fn trino_client(target: &TrinoTarget) -> anyhow::Result<Client> {
    let uri: Uri = target.url.parse().with_context(|| format!("the Trino URL {}", target.url))?;
    if uri.scheme_str() != Some("http") {
        bail!("the benchmark reaches Trino over plain http://, not {}", target.url);
    }
    let host = uri.host().context("the Trino URL needs a host")?;
    let addr = tokio::net::lookup_host((host, uri.port_u16().unwrap_or(80)))
        .await?
        .next()
        .with_context(|| format!("{host} does not resolve"))?;
    let headers = [
        ("x-trino-user", target.user.as_str()),
        ("x-trino-catalog", &target.catalog),
        ("x-trino-schema", &target.schema),
        ("x-trino-source", "kurobe-bench"),
    ]
    .into_iter()
    .map(|(name, value)| Ok((HeaderName::from_static(name), HeaderValue::from_str(value)?)))
    .collect::<anyhow::Result<_>>()?;
    Ok(Client::with_headers(addr, headers))
}

/// Trino's client protocol: the statement is posted, then each `nextUri` is fetched until
/// there is none; the rows of every page are counted. A failed query's message is the error.
async fn trino_rows(client: &mut Client, sql: &str) -> anyhow::Result<usize> {
    let statement = Call { method: Method::POST, path: "/v1/statement".into(), body: Bytes::from(sql.to_owned()) };
    let mut page = client.json(&statement).await?;
    let mut rows = 0;
    loop {
        if let Some(error) = page.get("error") {
            bail!("Trino: {}", error["message"].as_str().unwrap_or("the query failed"));
        }
        rows += page["data"].as_array().map_or(0, Vec::len);
        let Some(next) = page["nextUri"].as_str() else { return Ok(rows) };
        let next: Uri = next.parse().with_context(|| format!("Trino's nextUri {next}"))?;
        let path = next.path_and_query().context("a nextUri without a path")?.as_str();
        page = client.json(&Call::get(path)).await?;
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
