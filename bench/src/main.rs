//! `kurobe-bench`: the measurements of `make bench` (issue 10). `scripts/bench.sh` prepares
//! the services and data and calls the subcommands; `report` joins their JSON into
//! `bench/results/<date>-<commit>.json` and `.md`. Figures are measured and reported,
//! never asserted: a missed target is a line in the report, not a failure.

// A benchmark's output is its report.
#![allow(clippy::print_stdout)]

mod direct;
mod http;
mod offline;
mod report;
mod scenarios;
mod server;

use std::{net::SocketAddr, path::PathBuf, time::Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Kurobe's benchmarks (make bench)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start; the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// The offline engine and the prompt builder on synthetic schemas of growing size.
    Offline {
        #[arg(long, value_delimiter = ',', default_value = "10,100,1000,10000")]
        tables: Vec<usize>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Copies the `retail` schema of a Postgres database into a new DuckDB file.
    LoadDuckdb {
        /// libpq-style connection string.
        #[arg(long, env = "KUROBE_BENCH_PG_DSN", hide_env_values = true)]
        postgres: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Starts `kurobe serve` and runs every scenario against it.
    Http {
        #[arg(long)]
        kurobe: PathBuf,
        #[arg(long, default_value = "127.0.0.1:18900")]
        addr: SocketAddr,
        #[arg(long, env = "KUROBE_BENCH_API_KEY", hide_env_values = true)]
        api_key: String,
        /// The server's log.
        #[arg(long)]
        log: PathBuf,
        /// The benchmark data in DuckDB.
        #[arg(long)]
        duckdb: PathBuf,
        #[arg(long)]
        pg_host: Option<String>,
        #[arg(long, default_value_t = 5432)]
        pg_port: u16,
        #[arg(long, default_value = "retail_bench")]
        pg_database: String,
        #[arg(long, default_value = "postgres")]
        pg_user: String,
        #[arg(long, env = "KUROBE_BENCH_PG_PASSWORD", hide_env_values = true, default_value = "")]
        pg_password: String,
        /// Trino's `http://host:port`: adds a Trino data source on `--trino-catalog`.
        #[arg(long)]
        trino_url: Option<String>,
        #[arg(long, default_value = "kurobe")]
        trino_user: String,
        /// A catalog over the benchmark data (`scripts/bench.sh`: Postgres's `retail_bench`).
        #[arg(long, default_value = "postgresql")]
        trino_catalog: String,
        #[arg(long, default_value = "retail")]
        trino_schema: String,
        /// `LABEL=FILE`: demo data at a scale factor, in DuckDB.
        #[arg(long)]
        demo: Vec<String>,
        /// The duration of each load run.
        #[arg(long, default_value_t = 4.0)]
        load_seconds: f64,
        #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16,32,64,128,256")]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 15)]
        iterations_duckdb: usize,
        #[arg(long, default_value_t = 5)]
        iterations_postgres: usize,
        /// Fewer than the others: Trino takes tens to hundreds of milliseconds per query.
        #[arg(long, default_value_t = 10)]
        iterations_trino: usize,
        #[arg(long, default_value_t = 4)]
        startups: usize,
        /// An empty platform database (the app role's URL), for start-up with every migration
        /// and idle memory before anything is set up.
        #[arg(long, env = "KUROBE_BENCH_EMPTY_DATABASE_URL", hide_env_values = true, requires = "empty_migration_url")]
        empty_database_url: Option<String>,
        /// The owner role's URL of the same database, to migrate it.
        #[arg(long, env = "KUROBE_BENCH_EMPTY_MIGRATION_URL", hide_env_values = true)]
        empty_migration_url: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// One fixed-duration load run of a single request against a running server, for
    /// profiling between full runs: `load --path /v1/query --body '{...}'`.
    Load {
        #[arg(long, default_value = "127.0.0.1:18900")]
        addr: SocketAddr,
        #[arg(long, env = "KUROBE_BENCH_API_KEY", hide_env_values = true)]
        api_key: String,
        #[arg(long)]
        path: String,
        /// A JSON body makes it a POST; without one it is a GET.
        #[arg(long)]
        body: Option<String>,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Joins the JSON of the other subcommands into the results' JSON and Markdown.
    Report {
        #[arg(long)]
        commit: String,
        /// `NAME=FILE` sections, in order.
        #[arg(long)]
        section: Vec<String>,
        /// Written as PREFIX.json and PREFIX.md.
        #[arg(long)]
        out_prefix: PathBuf,
    },
}

fn split_pair(pair: &str) -> anyhow::Result<(String, PathBuf)> {
    let (name, path) = pair.split_once('=').with_context(|| format!("{pair}: expected NAME=FILE"))?;
    Ok((name.to_owned(), PathBuf::from(path)))
}

fn write_json(path: &std::path::Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value)?).with_context(|| format!("writing {}", path.display()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Offline { tables, out } => {
            let growth = tokio::task::spawn_blocking(move || offline::growth(&tables)).await?;
            write_json(&out, &serde_json::to_value(growth)?)
        }
        Command::LoadDuckdb { postgres, out } => {
            let started = Instant::now();
            let rows = direct::load_duckdb_from_postgres(&postgres, &out).await?;
            println!("{rows} rows in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Http {
            kurobe,
            addr,
            api_key,
            log,
            duckdb,
            pg_host,
            pg_port,
            pg_database,
            pg_user,
            pg_password,
            trino_url,
            trino_user,
            trino_catalog,
            trino_schema,
            demo,
            load_seconds,
            concurrency,
            iterations_duckdb,
            iterations_postgres,
            iterations_trino,
            startups,
            empty_database_url,
            empty_migration_url,
            out,
        } => {
            let options = scenarios::Options {
                kurobe,
                addr,
                api_key,
                log,
                duckdb,
                postgres: pg_host.map(|host| scenarios::PostgresSource {
                    host,
                    port: pg_port,
                    database: pg_database,
                    user: pg_user,
                    password: pg_password,
                }),
                trino: trino_url.map(|url| direct::TrinoTarget {
                    url,
                    user: trino_user,
                    catalog: trino_catalog,
                    schema: trino_schema,
                }),
                demo: demo.iter().map(|d| split_pair(d)).collect::<anyhow::Result<_>>()?,
                load_seconds,
                concurrency,
                iterations_duckdb,
                iterations_postgres,
                iterations_trino,
                startups,
                empty_database: empty_database_url
                    .zip(empty_migration_url)
                    .map(|(url, migration_url)| scenarios::EmptyDatabase { url, migration_url }),
            };
            let report = scenarios::run(options).await?;
            write_json(&out, &report)
        }
        Command::Load { addr, api_key, path, body, connections, seconds } => {
            let call = match body {
                Some(body) => http::Call::post(&path, &serde_json::from_str(&body).context("--body is not JSON")?),
                None => http::Call::get(&path),
            };
            let duration = std::time::Duration::from_secs_f64(seconds);
            let result = http::load(addr, &api_key, std::sync::Arc::new(vec![call]), connections, duration).await;
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(())
        }
        Command::Report { commit, section, out_prefix } => {
            let mut sections = serde_json::Map::new();
            for pair in &section {
                let (name, path) = split_pair(pair)?;
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                sections.insert(name, serde_json::from_str(&text)?);
            }
            let report = report::assemble(&commit, sections)?;
            write_json(&out_prefix.with_extension("json"), &report)?;
            let markdown = report::markdown(&report);
            std::fs::write(out_prefix.with_extension("md"), &markdown)?;
            println!("{markdown}");
            Ok(())
        }
    }
}
