//! The `kurobe` command. Parsing and printing only: everything it does lives in
//! `kurobe-server`, which the HTTP API uses too.

// Standard output is this program's interface: ids, keys and documents for scripts.
#![allow(clippy::print_stdout)]

use std::{path::PathBuf, str::FromStr};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kurobe_core::{Permission, Role};
use kurobe_server::{Settings, admin, settings::Loaded};
use kurobe_store::Store;
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use uuid::Uuid;

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
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage users and their memberships.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// The demo organisation.
    #[command(subcommand)]
    Demo(DemoCommand),
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
    Init,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let Loaded { settings, unknown_keys } = Settings::load(cli.config.as_deref())?;
    kurobe_server::telemetry::init(&settings.log);
    for key in &unknown_keys {
        tracing::warn!(
            key,
            "unknown configuration key ignored (check its spelling in the file or the KUROBE_ variable)"
        );
    }
    match cli.command {
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
        Command::Demo(DemoCommand::Init) => demo_init(&settings).await,
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

async fn demo_init(settings: &Settings) -> anyhow::Result<()> {
    match admin::init_demo(&store(settings)?).await? {
        admin::DemoSetup::Created { organisation, email, password, api_key } => {
            println!("Demo organisation created ({}).", organisation.id);
            println!("  sign in:  {email} / {password}");
            println!("  API key:  {api_key}");
            println!("These secrets are shown once; Kurobe keeps only their digests.");
        }
        admin::DemoSetup::Existing { organisation } => {
            println!(
                "Demo organisation exists ({}); its credentials were printed when it was created.",
                organisation.id
            );
        }
    }
    Ok(())
}
