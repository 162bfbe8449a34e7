//! `kurobe eval`: any engine of the registry over a question set with gold SQL, scored by
//! execution on DuckDB databases. A case's `db` names `<db-dir>/<db>.duckdb`, or
//! `<db-dir>/<db>.sql`, a script loaded into a private in-memory database. Each database's
//! semantic model is the file given for it, else `<db-dir>/<db>.yaml`, else a draft from
//! its schema. Predictions pass the guard as they would in production; so does gold SQL,
//! which keeps question sets within what the guard allows.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use chrono::NaiveDate;
use kurobe_connector::{Connector, Dialect, ExecRequest, IntrospectOptions, Schema};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_engines::{Engines, linking::relevant_tables, prompt::PromptContext, text_to_sql::EngineError};
use kurobe_semantic::{
    RuleBased, SemanticModel,
    eval::{EvalCase, Prediction, Report, evaluate, read_cases},
};

/// What `kurobe eval` was asked to do.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub questions: PathBuf,
    pub db_dir: PathBuf,
    /// Semantic model files by database name.
    pub models: BTreeMap<String, PathBuf>,
    /// The registry's text-to-SQL engine to evaluate; its default when `None`.
    pub engine: Option<String>,
    /// The day relative dates ("last month") count from.
    pub today: NaiveDate,
}

struct Database {
    connector: DuckDbConnector,
    schema: Schema,
    offline: RuleBased,
}

fn open(db_dir: &Path, name: &str) -> anyhow::Result<DuckDbConnector> {
    let file = db_dir.join(format!("{name}.duckdb"));
    let script = db_dir.join(format!("{name}.sql"));
    if file.is_file() {
        return Ok(DuckDbConnector::open(DuckDbSource::File(file))?);
    }
    // A script from the person running the evaluation: trusted, like a migration.
    let sql = std::fs::read_to_string(&script)
        .with_context(|| format!("database `{name}`: neither {} nor {} exists", file.display(), script.display()))?;
    Ok(DuckDbConnector::open_with_setup(DuckDbSource::Memory, |connection| connection.execute_batch(&sql))?)
}

async fn load(options: &EvalOptions, name: &str) -> anyhow::Result<Database> {
    let dir = options.db_dir.clone();
    let owned = name.to_owned();
    let connector = tokio::task::spawn_blocking(move || open(&dir, &owned)).await??;
    let schema = connector.introspect(&IntrospectOptions::default()).await?;
    let model_file = options.models.get(name).cloned().or_else(|| {
        let beside = options.db_dir.join(format!("{name}.yaml"));
        beside.is_file().then_some(beside)
    });
    let model = SemanticModel::for_schema(model_file.as_deref(), &schema)?;
    Ok(Database { offline: RuleBased::new(&model), connector, schema })
}

/// Runs the evaluation and returns its report.
pub async fn run(engines: &Engines, options: &EvalOptions) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(&options.questions)
        .with_context(|| format!("reading {}", options.questions.display()))?;
    let cases = read_cases(&text)?;
    let mut databases = BTreeMap::new();
    for case in &cases {
        if !databases.contains_key(&case.db) {
            databases.insert(case.db.clone(), load(options, &case.db).await?);
        }
    }
    let loaded = engines.current();
    let engine = loaded
        .text_to_sql_chain(options.engine.as_deref())?
        .into_iter()
        .next()
        .context("the registry has no text-to-SQL engine")?
        .map_err(|(name, error)| anyhow::anyhow!("the engine `{name}` cannot run here: {error}"))?;
    let request = ExecRequest::default();
    let report = evaluate(
        &cases,
        async |case: &EvalCase| {
            let database = &databases[&case.db];
            let tables = relevant_tables(&database.schema, &case.question, 12);
            let context = PromptContext {
                dialect: Dialect::DuckDb,
                tables: &tables,
                semantic: None,
                examples: &[],
                rule_based: Some(&database.offline),
                today: options.today,
                trace_id: None,
            };
            match engine.generate(&case.question, &context, None).await {
                Ok(generated) => Prediction::Sql(generated.sql),
                Err(EngineError::CannotAnswer { reason, .. }) => Prediction::Refused(reason),
                Err(error) => Prediction::Refused(error.to_string()),
            }
        },
        async |db: &str, sql: &str| {
            let database = &databases[db];
            let guarded =
                kurobe_guard::check(sql, Dialect::DuckDb, &database.schema, 100_000).map_err(|r| r.to_string())?;
            database.connector.execute(&guarded.sql, &request).await.map(|r| r.rows).map_err(|e| e.to_string())
        },
    )
    .await;
    Ok(report)
}
