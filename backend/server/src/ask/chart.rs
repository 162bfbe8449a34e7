//! The chart of an answer: by the rules, or by the registry's visualization model when one
//! is configured — which may only pick among the declarative kinds, is validated against
//! the result, and falls back to the rules on any failure.

use kurobe_api::chart::ChartSpec;
use kurobe_engines::{ChartChooser, Kind, Provider, visualization};

use super::{Source, cache::CachedResult};

/// Rows a model is shown to choose a chart.
const SAMPLE_ROWS: usize = 5;

pub(crate) async fn choose(source: &Source<'_>, question: &str, rows: &CachedResult) -> ChartSpec {
    let rules = || visualization::choose(&rows.columns, rows.rows.len());
    let loaded = source.state.engines.current();
    // Without a model in the registry there is nothing to choose, and no need to ask the
    // store for the organisation's choice.
    if loaded.registry.visualization.engines.values().all(|spec| spec.provider == Provider::RuleBased) {
        return rules();
    }
    let chosen = source.chosen_engine(Kind::Visualization).await.ok().flatten();
    let ChartChooser::Model { name, model } = loaded.chart_chooser(chosen.as_deref()) else { return rules() };
    let sample: Vec<Vec<String>> = rows
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|row| row.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect())
        .collect();
    match visualization::choose_with_model(model.as_ref(), question, &rows.columns, &sample, rows.rows.len()).await {
        Ok(chart) => chart,
        Err(error) => {
            tracing::warn!(engine = name, %error, "the visualization model failed; the rules chose the chart");
            rules()
        }
    }
}
