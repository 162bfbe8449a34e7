//! The model may only choose among the declarative chart kinds; anything else it answers is
//! refused. Against a replaying server: this proves our validation, not any model.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Replay, Reply, policy};
use kurobe_api::chart::ChartKind;
use kurobe_connector::{Column, DataType};
use kurobe_engines::{
    llm::OpenAiClient,
    visualization::{ChartError, choose_with_model},
};

fn columns() -> Vec<Column> {
    vec![
        Column { name: "region".into(), data_type: DataType::Text, native_type: "VARCHAR".into() },
        Column { name: "orders".into(), data_type: DataType::Integer { bits: 64 }, native_type: "BIGINT".into() },
    ]
}

#[tokio::test]
async fn only_valid_declarative_charts_are_accepted() {
    let (replay, url) = Replay::start(vec![
        Reply::openai_answer(
            r#"Here you go: {"kind": "bar", "x": "region", "y": ["orders"], "series": null, "format": "integer"}"#,
        ),
        Reply::openai_answer(r#"{"kind": "sankey", "x": "region", "y": ["orders"]}"#),
        Reply::openai_answer(r#"{"kind": "bar", "x": "country", "y": ["orders"]}"#),
        Reply::openai_answer(
            r#"{"kind": "bar", "x": "region", "y": ["orders"], "render": "function() { fetch('//evil') }"}"#,
        ),
        Reply::openai_answer("A bar chart would be best."),
    ])
    .await;
    let model = OpenAiClient::new(&format!("{url}/v1"), None, "m", Duration::from_secs(5), policy(0));
    let sample = vec![vec!["EMEA".to_owned(), "12".to_owned()]];
    let columns = columns();
    let ask = || choose_with_model(&model, "orders per region", &columns, &sample, 8);

    let spec = ask().await.unwrap();
    assert_eq!((spec.kind, spec.x.as_deref()), (ChartKind::Bar, Some("region")));
    assert!(matches!(ask().await.unwrap_err(), ChartError::Malformed(m) if m.contains("sankey")));
    assert_eq!(ask().await.unwrap_err(), ChartError::UnknownColumn("country".into()));
    assert!(matches!(ask().await.unwrap_err(), ChartError::Malformed(m) if m.contains("render")));
    assert!(matches!(ask().await.unwrap_err(), ChartError::Malformed(_)));

    let system = replay.requests()[0].2["messages"][0]["content"].as_str().unwrap().to_owned();
    for kind in ["\"kpi\"", "\"stacked_bar\"", "\"scatter\"", "\"table\""] {
        assert!(system.contains(kind), "{kind} missing from: {system}");
    }
}
