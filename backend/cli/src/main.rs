//! The `kurobe` command. Parsing and printing only: everything it does lives in
//! `kurobe-server`, which the HTTP API uses too.

// Standard output is this program's interface: ids, keys and documents for scripts.
#![allow(clippy::print_stdout)]

mod ask;

use std::{path::PathBuf, str::FromStr};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kurobe_core::{Permission, Role};
use kurobe_server::{Settings, admin, settings::Loaded};
use kurobe_store::{AuditChain, Store};
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use uuid::Uuid;

// glibc's malloc was a fifth of a cached request's CPU (malloc, free and their consolidation
// under perf at 64 connections); mimalloc's thread-local free lists make that a fraction.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "kurobe", version, about = "Ask questions of your data in plain language.")]
struct Cli {
    /// Configuration file (default: $KUROBE_CONFIG, then config/kurobe.yaml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending database migrations (as database.migration_url).
    Migrate,
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Ask a question: of a DuckDB file with no server and no services, or of a server.
    Ask(ask::AskArgs),
    /// Score a text-to-SQL engine on questions with gold SQL, by execution on DuckDB.
    Eval {
        /// JSON lines: {"question", "gold_sql" (null: should be declined), "db", "category"}.
        questions: PathBuf,
        /// Where `<db>.duckdb` (or a `<db>.sql` script) and optionally `<db>.yaml` are.
        #[arg(long)]
        db_dir: PathBuf,
        /// The semantic model of a database, as `DB=FILE`; may repeat.
        #[arg(long = "model", value_parser = parse_model)]
        models: Vec<(String, PathBuf)>,
        /// A text-to-SQL engine of the registry (default: its default).
        #[arg(long)]
        engine: Option<String>,
        /// The day relative dates count from, YYYY-MM-DD (default: today).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Also write every question's outcome here, as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// The semantic layer.
    #[command(subcommand)]
    Semantic(SemanticCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage users and their memberships.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// The demo organisation and the retail demo dataset.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The master keys that encrypt data-source credentials.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The tamper-evident audit log (as the owner role: database.migration_url).
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk each organisation's hash chain (and the system chain) and report the first broken
    /// link; exits with 1 if any chain is broken.
    Verify {
        /// Only this organisation's chain (an id, or `system`).
        #[arg(long)]
        org: Option<AuditChain>,
    },
    /// Delete rows older than N days, keeping a checkpoint per chain so what remains verifies.
    Purge {
        #[arg(long)]
        older_than_days: u32,
    },
    /// Write rows as JSON lines (every field, the previous hash and the hash) to stdout.
    Export {
        /// Only this organisation's chain (an id, or `system`).
        #[arg(long)]
        org: Option<AuditChain>,
        /// Only rows created at or after this time (RFC 3339, or YYYY-MM-DD).
        #[arg(long, value_parser = kurobe_server::audit_chain::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Debug, Subcommand)]
enum SemanticCommand {
    /// Draft a semantic model from a DuckDB file's schema (keys, joins, measures, time
    /// dimensions, sampled values, names split into words) for a person to refine; save
    /// it as config/semantic/<data source name>.yaml.
    Init {
        #[arg(long)]
        duckdb: PathBuf,
        /// Write the model here instead of printing it.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn parse_model(text: &str) -> Result<(String, PathBuf), String> {
    let (db, file) = text.split_once('=').ok_or_else(|| format!("`{text}` is not DB=FILE"))?;
    Ok((db.to_owned(), file.into()))
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Re-encrypt every data source's credentials under the newest key in
    /// security.master_keys; afterwards older keys can be removed.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation and print its id.
    Create { name: String },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a member to an organisation, creating the account if it does not exist.
    Create {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "analyst")]
        role: Role,
        /// The initial password of a new account; one is generated and printed if absent.
        #[arg(long, env = "KUROBE_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ApikeyCommand {
    /// Create an API key for a member and print it (shown only this once).
    Create {
        #[arg(long)]
        org: Uuid,
        /// The member the key acts as.
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. `queries:run,datasources:read`; default: the member's role.
        #[arg(long, value_delimiter = ',', value_parser = Permission::from_str)]
        scopes: Option<Vec<Permission>>,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Create the demo organisation, an owner and an API key, unless they exist.
    Init {
        /// Also register this DuckDB file (from `demo load`) as the organisation's data source.
        #[arg(long)]
        duckdb: Option<PathBuf>,
    },
    /// Generate the retail dataset (deterministic) into a DuckDB file or a Postgres schema.
    Load {
        /// Write a DuckDB file here (replaced when complete).
        #[arg(long, conflicts_with = "postgres")]
        duckdb: Option<PathBuf>,
        /// Load into this Postgres database (the schema is replaced).
        #[arg(long, env = "KUROBE_DEMO_POSTGRES_URL", hide_env_values = true)]
        postgres: Option<String>,
        #[arg(long, default_value = kurobe_server::demo::DEMO_SCHEMA)]
        schema: String,
        /// 1 = one million orders and three million order lines.
        #[arg(long, default_value_t = 0.1)]
        scale: f64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let Loaded { settings, unknown_keys } = Settings::load(cli.config.as_deref())?;
    let telemetry = kurobe_server::telemetry::init(&settings)?;
    for key in &unknown_keys {
        tracing::warn!(
            key,
            "unknown configuration key ignored (check its spelling in the file or the KUROBE_ variable)"
        );
    }
    let result = run(cli.command, settings).await;
    // The last spans and errors (of a graceful shutdown too) leave before the process does.
    telemetry.shutdown().await;
    result
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let url = settings
                .database
                .migration_url
                .as_ref()
                .context("database.migration_url (KUROBE_DATABASE__MIGRATION_URL) must name the owner role")?;
            kurobe_server::migrate(url.expose_secret()).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Ask(args) => {
            let code = ask::run(&settings, args).await?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Eval { questions, db_dir, models, engine, today, json } => {
            let engines = kurobe_engines::Engines::load(settings.engines.file.as_deref())?;
            let options = kurobe_server::evaluation::EvalOptions {
                questions,
                db_dir,
                models: models.into_iter().collect(),
                engine,
                today: today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
            };
            let report = kurobe_server::evaluation::run(&engines, &options).await?;
            println!("{report}");
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_vec_pretty(&report.results)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
        Command::Semantic(SemanticCommand::Init { duckdb, output }) => {
            let yaml = kurobe_server::ask::embedded::draft_model(&duckdb).await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "wrote {}: refine the descriptions and synonyms, then keep it in config/semantic/",
                        path.display()
                    );
                }
                None => print!("{yaml}"),
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{}", kurobe_server::openapi().to_pretty_json()?);
            Ok(())
        }
        Command::Org(OrgCommand::Create { name }) => {
            let org = admin::create_organisation(&store(&settings)?, &name).await?;
            println!("{}", org.id);
            Ok(())
        }
        Command::User(UserCommand::Create { org, email, role, password }) => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(admin::generate_password);
            let (user, created) = admin::add_user(&store(&settings)?, org, &email, &password, role).await?;
            println!("{}", user.id);
            if created && generated {
                eprintln!("password for {}: {password}  (shown once)", user.email);
            }
            Ok(())
        }
        Command::Apikey(ApikeyCommand::Create { org, email, name, scopes }) => {
            let key = admin::create_api_key(&store(&settings)?, org, &email, &name, scopes).await?;
            println!("{}", key.full);
            Ok(())
        }
        Command::Demo(DemoCommand::Init { duckdb }) => demo_init(&settings, duckdb.as_deref()).await,
        Command::Demo(DemoCommand::Load { duckdb, postgres, schema, scale }) => {
            let scale = kurobe_demo::ScaleFactor::new(scale)?;
            let started = std::time::Instant::now();
            let rows = match (duckdb, postgres) {
                (Some(path), None) => kurobe_server::demo::load_duckdb(&path, scale).await?,
                (None, Some(url)) => {
                    let config: tokio_postgres::Config = url.parse().context("--postgres is not a Postgres URL")?;
                    kurobe_server::demo::load_postgres(&config, &schema, scale).await?
                }
                _ => anyhow::bail!("give --duckdb PATH or --postgres URL"),
            };
            eprintln!("loaded {rows} rows in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Audit(command) => audit(&settings, command).await,
        Command::Keys(KeysCommand::Rotate) => {
            let keys = master_keys(&settings)?;
            let rotation = admin::rotate_keys(&store(&settings)?, &keys).await?;
            println!(
                "re-encrypted {} data source(s) under key version {}; {} already current, {} without credentials",
                rotation.resealed,
                keys.active_version(),
                rotation.current,
                rotation.without_credentials
            );
            Ok(())
        }
    }
}

async fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    use kurobe_server::audit_chain;
    let maintenance = audit_chain::maintenance(settings)?;
    match command {
        AuditCommand::Verify { org } => {
            let reports = maintenance.verify(org).await?;
            for report in &reports {
                println!("{}", audit_chain::describe(report));
            }
            let rows: u64 = reports.iter().map(|r| r.verified_rows).sum();
            let broken = reports.iter().filter(|r| !r.holds()).count();
            if broken > 0 {
                println!("{broken} of {} chain(s) broken ({rows} row(s) verified)", reports.len());
                std::process::exit(1);
            }
            println!("every chain holds: {} chain(s), {rows} row(s) verified", reports.len());
            Ok(())
        }
        AuditCommand::Purge { older_than_days } => {
            let report = audit_chain::purge(&maintenance, older_than_days, "kurobe-cli").await?;
            for chain in &report.chains {
                let name = chain.org_id.map_or_else(|| "system".to_owned(), |id| format!("org {id}"));
                println!(
                    "{name}: purged {} row(s), checkpoint at position {} hash {}",
                    chain.rows, chain.checkpoint_position, chain.checkpoint_hash
                );
            }
            println!("purged {} row(s) created before {}", report.rows(), report.cutoff.to_rfc3339());
            Ok(())
        }
        AuditCommand::Export { org, since } => {
            use std::io::Write as _;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = maintenance
                .export(org, since, |row| -> anyhow::Result<()> {
                    serde_json::to_writer(&mut out, &row)?;
                    out.write_all(b"\n")?;
                    Ok(())
                })
                .await?;
            out.flush()?;
            eprintln!("exported {rows} row(s)");
            Ok(())
        }
    }
}

fn store(settings: &Settings) -> anyhow::Result<Store> {
    let url =
        settings.database.url.as_ref().context("database.url (KUROBE_DATABASE__URL or DATABASE_URL) is not set")?;
    let options =
        PgConnectOptions::from_str(url.expose_secret()).context("database.url is not a valid Postgres URL")?;
    Ok(Store::connect_lazy(options, 2))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.server.bind;
    let started = std::time::Instant::now();
    let state = kurobe_server::build_state(settings).await?;
    let listener = TcpListener::bind(bind).await.with_context(|| format!("could not listen on {bind}"))?;
    tracing::info!(%bind, startup_ms = started.elapsed().as_millis() as u64, "Kurobe is serving");
    kurobe_server::serve(state, listener, kurobe_server::shutdown_signal()).await
}

fn master_keys(settings: &Settings) -> anyhow::Result<kurobe_server::crypto::MasterKeys> {
    let spec = settings
        .security
        .master_keys
        .as_ref()
        .context("security.master_keys (KUROBE_SECURITY__MASTER_KEYS) is not set")?;
    Ok(kurobe_server::crypto::MasterKeys::parse(spec.expose_secret())?)
}

async fn demo_init(settings: &Settings, duckdb: Option<&std::path::Path>) -> anyhow::Result<()> {
    let store = store(settings)?;
    let organisation = match admin::init_demo(&store).await? {
        admin::DemoSetup::Created { organisation, email, password, api_key } => {
            println!("Demo organisation created ({}).", organisation.id);
            println!("  sign in:  {email} / {password}");
            println!("  API key:  {api_key}");
            println!("These secrets are shown once; Kurobe keeps only their digests.");
            organisation
        }
        admin::DemoSetup::Existing { organisation } => {
            println!(
                "Demo organisation exists ({}); its credentials were printed when it was created.",
                organisation.id
            );
            organisation
        }
    };
    if let Some(path) = duckdb {
        let path = path.canonicalize().with_context(|| format!("no demo database at {}", path.display()))?;
        let keys = master_keys(settings)?;
        if admin::register_demo_source(&store, &organisation, &path, &keys, &settings.connectors).await? {
            println!("  data source: {} ({})", admin::DEMO_DATASOURCE, path.display());
        }
    }
    Ok(())
}
