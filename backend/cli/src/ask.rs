//! `kurobe ask`: a question answered embedded (a DuckDB file, no server, no services) or
//! by a server (`--url`, with an API key), printed as SQL and a table, or as the API's
//! JSON with `--json`.

use std::path::PathBuf;

use anyhow::Context as _;
use kurobe_api::{ErrorBody, datasources::DataSource, queries::QueryResponse};
use kurobe_server::{Settings, admin::DEMO_DATASOURCE, datasources::semantic::slug};

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question, in plain language.
    question: String,
    /// A DuckDB file to ask (default: the demo database, created when missing).
    #[arg(long, conflicts_with = "url")]
    duckdb: Option<PathBuf>,
    /// The semantic model of the DuckDB file (default: drafted from its schema; the demo's
    /// model for the demo database).
    #[arg(long, conflicts_with = "url")]
    semantic: Option<PathBuf>,
    /// Ask a Kurobe server instead, e.g. http://127.0.0.1:8000.
    #[arg(long, env = "KUROBE_BASE_URL")]
    url: Option<String>,
    /// The API key for `--url`.
    #[arg(long, env = "KUROBE_API_KEY", hide_env_values = true, requires = "url")]
    api_key: Option<String>,
    /// The server's data source, by id or name (default: its only one).
    #[arg(long, requires = "url")]
    datasource: Option<String>,
    /// A text-to-SQL engine of the server's registry.
    #[arg(long, requires = "url")]
    engine: Option<String>,
    /// Print the whole answer (or the error) as JSON.
    #[arg(long)]
    json: bool,
}

/// Where `start.sh` keeps the demo database.
const DEMO_DATABASE: &str = ".kurobe/dev/data/demo.duckdb";

/// Runs the command; the exit code is 0 for an answer, 2 when the question was declined
/// or the SQL refused, 1 for any other failure.
pub async fn run(settings: &Settings, args: AskArgs) -> anyhow::Result<i32> {
    let outcome = match &args.url {
        Some(url) => remote(url, &args).await?,
        None => embedded(settings, &args).await?,
    };
    let code = match &outcome {
        Ok(_) => 0,
        Err(body) if body.error.code.status() == 422 => 2,
        Err(_) => 1,
    };
    match outcome {
        Ok(answer) if args.json => println!("{}", serde_json::to_string_pretty(&answer)?),
        Ok(answer) => print_answer(&answer),
        Err(error) if args.json => println!("{}", serde_json::to_string_pretty(&error)?),
        Err(error) => print_error(&error),
    }
    Ok(code)
}

type Outcome = Result<QueryResponse, ErrorBody>;

async fn embedded(settings: &Settings, args: &AskArgs) -> anyhow::Result<Outcome> {
    let (database, semantic) = match &args.duckdb {
        Some(path) => (path.clone(), args.semantic.clone()),
        None => {
            let database = PathBuf::from(DEMO_DATABASE);
            if !database.is_file() {
                eprintln!("creating the demo database at {DEMO_DATABASE} (scale 0.1)…");
                kurobe_server::demo::load_duckdb(&database, kurobe_demo::ScaleFactor::new(0.1)?).await?;
            }
            let demo_model = settings.engines.semantic_dir.join(format!("{}.yaml", slug(DEMO_DATASOURCE)));
            (database, args.semantic.clone().or_else(|| demo_model.is_file().then_some(demo_model)))
        }
    };
    Ok(kurobe_server::ask::embedded::ask(&database, semantic.as_deref(), &args.question)
        .await
        .map_err(|error| ErrorBody { error: error.detail() }))
}

async fn remote(url: &str, args: &AskArgs) -> anyhow::Result<Outcome> {
    let url = url.trim_end_matches('/');
    let key = args.api_key.as_deref().context("--api-key (or KUROBE_API_KEY) is needed with --url")?;
    let client = reqwest::Client::new();
    let datasource_id = match args.datasource.as_deref().map(uuid::Uuid::parse_str) {
        Some(Ok(id)) => id,
        named => {
            let response = client.get(format!("{url}/v1/datasources")).bearer_auth(key).send().await?;
            if !response.status().is_success() {
                return Ok(Err(response.json().await.context("the server answered without an error body")?));
            }
            let sources: Vec<DataSource> = response.json().await?;
            let wanted = named.is_some().then_some(args.datasource.as_deref()).flatten();
            let chosen: Vec<&DataSource> =
                sources.iter().filter(|s| wanted.is_none_or(|name| s.name == name)).collect();
            match chosen.as_slice() {
                [one] => one.id,
                [] => anyhow::bail!("no data source {}", wanted.unwrap_or("at all")),
                _ => anyhow::bail!(
                    "several data sources; choose one with --datasource: {}",
                    sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    };
    let body = serde_json::json!({ "datasource_id": datasource_id, "question": args.question, "engine": args.engine });
    let response = client.post(format!("{url}/v1/query")).bearer_auth(key).json(&body).send().await?;
    Ok(if response.status().is_success() {
        Ok(response.json().await.context("the answer is not the API's JSON")?)
    } else {
        Err(response.json().await.context("the server answered without an error body")?)
    })
}

fn print_answer(answer: &QueryResponse) {
    if let Some(generation) = &answer.generation {
        let confidence = generation.confidence.map(|c| format!(", confidence {c:.2}")).unwrap_or_default();
        let interpretation = generation.interpretation.as_deref().or(answer.explanation.as_deref()).unwrap_or("");
        println!("-- {interpretation} ({}{confidence})", generation.engine);
    }
    println!("{}\n", answer.sql);
    let headers: Vec<String> = answer.columns.iter().map(|c| c.name.clone()).collect();
    let rows: Vec<Vec<String>> = answer.rows.iter().take(MAX_SHOWN).map(|row| row.iter().map(cell).collect()).collect();
    print!("{}", table(&headers, &rows));
    let more = answer.row_count.saturating_sub(MAX_SHOWN);
    let truncated = if answer.truncated { ", cut at the row cap" } else { "" };
    let shown = if more > 0 { format!(" ({more} not shown)") } else { String::new() };
    println!("{} row(s){shown}{truncated} in {:.1} ms", answer.row_count, answer.timings.total_ms);
}

fn print_error(error: &ErrorBody) {
    eprintln!("{}: {}", error.error.code, error.error.message);
    if !error.error.suggestions.is_empty() {
        eprintln!("Questions it can answer:");
        for suggestion in &error.error.suggestions {
            eprintln!("  - {suggestion}");
        }
    }
}

/// Rows printed; `--json` has them all.
const MAX_SHOWN: usize = 50;
/// Characters a cell may take before it is cut.
const MAX_WIDTH: usize = 40;

fn cell(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::Null => "NULL".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_WIDTH {
        format!("{}…", text.chars().take(MAX_WIDTH - 1).collect::<String>())
    } else {
        text
    }
}

/// A plain text table with a header rule, columns as wide as their widest cell.
fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| rows.iter().map(|r| r[i].chars().count()).chain([h.chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join(" | ").trim_end())
    };
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(headers);
    out.push_str(&format!("{}\n", rule.join("-+-")));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up_and_long_cells_are_cut() {
        let headers = vec!["region".to_owned(), "orders".to_owned()];
        let rows = vec![vec!["EMEA".to_owned(), "12".to_owned()], vec!["Asia Pacific".to_owned(), "7".to_owned()]];
        assert_eq!(
            table(&headers, &rows),
            "region       | orders\n-------------+-------\nEMEA         | 12\nAsia Pacific | 7\n"
        );
        assert_eq!(cell(&serde_json::json!("x".repeat(50))).chars().count(), MAX_WIDTH);
        assert_eq!(cell(&serde_json::Value::Null), "NULL");
    }
}
