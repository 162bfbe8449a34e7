//! The results: one JSON document with the machine and commit, and its Markdown tables.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, v)| v.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kib: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    json!({
        "nproc": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "ram_gib": (ram_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "cpu": cpu,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

pub fn assemble(commit: &str, sections: Map<String, Value>) -> anyhow::Result<Value> {
    let mut report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "commit": commit,
        "machine": machine(),
        "targets": {
            "cached_rps_at_64": 4000, "cached_p99_ms_at_64": 50,
            "uncached": "p50 <= engine p50 x 1.05 + 5 ms",
            "idle_rss_mib": 60, "ready_ms": 1000,
        },
    });
    for (name, value) in sections {
        report[name] = value;
    }
    Ok(report)
}

fn num(value: &Value) -> String {
    match value.as_f64() {
        Some(v) if v.is_nan() => "–".to_owned(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
        None => match value {
            Value::Bool(b) => if *b { "yes" } else { "**no**" }.to_owned(),
            Value::String(s) => s.clone(),
            Value::Null => "–".to_owned(),
            Value::Array(items) => items.iter().map(num).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        },
    }
}

/// Text made safe for one table cell: an engine's error can hold newlines and pipes.
fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn latency_rows(rows: &Value, key: &str) -> Vec<Vec<String>> {
    array(rows)
        .iter()
        .map(|r| {
            if let Some(error) = r.get("error") {
                return vec![
                    num(&r[key]),
                    format!("error: {}", cell(&num(error))),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ];
            }
            vec![
                num(&r[key]),
                num(&r["direct"]["p50_ms"]),
                format!("{} / {}", num(&r["uncached"]["p50_ms"]), num(&r["uncached"]["p99_ms"])),
                format!("{} / {}", num(&r["cached"]["p50_ms"]), num(&r["cached"]["p99_ms"])),
                num(&r["round_trip_minus_execute_ms_p50"]),
                format!("{}× ({})", num(&r["overhead_ratio_p50"]), num(&r["meets_target"])),
            ]
        })
        .collect()
}

pub fn markdown(report: &Value) -> String {
    let mut out = String::new();
    let m = &report["machine"];
    let _ = writeln!(
        out,
        "# Kurobe benchmarks — {} at {}\n\nMachine: {} cores, {} GiB RAM, {} (Linux {}). Every figure below is measured in one run of `make bench`; the load generator runs on the same cores as the server.\n",
        num(&report["date"]),
        num(&report["commit"]),
        num(&m["nproc"]),
        num(&m["ram_gib"]),
        num(&m["cpu"]),
        num(&m["kernel"]),
    );

    if let Some(setup) = report.get("setup") {
        out.push_str("## Data\n\n");
        table(
            &mut out,
            &["step", "seconds"],
            setup.as_object().into_iter().flatten().map(|(k, v)| vec![k.clone(), num(v)]),
        );
    }

    let http = &report["http"];
    if !http.is_null() {
        out.push_str("## Start-up and memory\n\n");
        let mem = &http["memory"];
        table(
            &mut out,
            &["figure", "value", "target"],
            [
                vec!["start to ready, median (ms)".into(), num(&http["startup"]["ready_ms_median"]), "≤ 1000".into()],
                vec!["start to ready, every start (ms)".into(), num(&http["startup"]["ready_ms"]), String::new()],
                vec![
                    "start to ready on an empty database, every migration applied (ms)".into(),
                    num(&mem["empty_database"]["ready_ms_with_migrations"]),
                    "≤ 1000".into(),
                ],
                vec![
                    "RSS idle on an empty database (MiB)".into(),
                    num(&mem["empty_database"]["idle"]["rss_mib"]),
                    "≤ 60".into(),
                ],
                vec![
                    "RSS idle on an empty database, MIMALLOC_ARENA_EAGER_COMMIT=0 (MiB)".into(),
                    num(&mem["empty_database"]["idle_lazy_commit"]["rss_mib"]),
                    "≤ 60".into(),
                ],
                vec![
                    "RSS idle after start, with the bench's data sources (MiB)".into(),
                    num(&mem["idle_after_start"]["rss_mib"]),
                    String::new(),
                ],
                vec![
                    "RSS idle after data-source setup (MiB)".into(),
                    num(&mem["idle_after_setup"]["rss_mib"]),
                    String::new(),
                ],
                vec!["RSS max under load (MiB)".into(), num(&mem["max_rss_under_load_mib"]), String::new()],
                vec![
                    "RSS at the end / peak (MiB)".into(),
                    format!("{} / {}", num(&mem["after_all"]["rss_mib"]), num(&mem["after_all"]["peak_rss_mib"])),
                    String::new(),
                ],
            ],
        );

        out.push_str("## Kurobe's own cost per stage (offline engine, cached asks on DuckDB; medians of 30, ms)\n\n");
        table(
            &mut out,
            &[
                "question",
                "context",
                "generate",
                "guard",
                "cache",
                "execute",
                "chart",
                "total (server)",
                "round trip p50",
            ],
            array(&http["stages"]).iter().map(|r| {
                let mut row = vec![num(&r["question"])];
                if let Some(error) = r.get("error") {
                    row.push(format!("error: {}", cell(&num(error))));
                    return row;
                }
                for stage in ["context_ms", "generate_ms", "guard_ms", "cache_ms", "execute_ms", "chart_ms", "total_ms"]
                {
                    row.push(num(&r[stage]));
                }
                row.push(num(&r["round_trip"]["p50_ms"]));
                row
            }),
        );

        let header = [
            "question",
            "engine alone p50",
            "uncached ask p50 / p99",
            "cached ask p50 / p99",
            "uncached round trip − engine execution p50",
            "uncached ÷ engine (target met)",
        ];
        for (engine, rows) in http["end_to_end"].as_object().into_iter().flatten() {
            let _ = writeln!(out, "## End-to-end asks over HTTP vs the same SQL on {engine} alone (ms)\n");
            table(&mut out, &header, latency_rows(rows, "name"));
        }
        for (engine, rows) in http["semantic"].as_object().into_iter().flatten() {
            let _ = writeln!(out, "## Semantic query API vs its compiled SQL on {engine} alone (ms)\n");
            let mut header = header;
            header[0] = "query";
            header[2] = "uncached query p50 / p99";
            header[3] = "cached query p50 / p99";
            table(&mut out, &header, latency_rows(rows, "name"));
        }
        for (scale, rows) in http["demo_scales"].as_object().into_iter().flatten() {
            let _ = writeln!(out, "## Asks at {scale} (DuckDB, ms)\n");
            table(&mut out, &header, latency_rows(rows, "name"));
        }

        out.push_str("## Throughput of cached asks (DuckDB source)\n\n");
        let load_row = |name: String, r: &Value| {
            vec![
                name,
                num(&r["requests_per_second"]),
                num(&r["latency"]["p50_ms"]),
                num(&r["latency"]["p99_ms"]),
                num(&r["errors"]),
                num(&r["server_cpu_ms_per_request"]),
                num(&r["server_max_rss_mib"]),
            ]
        };
        let header = ["connections", "req/s", "p50 ms", "p99 ms", "errors", "server CPU ms/req", "max RSS MiB"];
        table(
            &mut out,
            &header,
            array(&http["throughput"]["cached_ask"]).iter().map(|r| load_row(num(&r["connections"]), r)),
        );
        out.push_str(
            "At 64 connections, other routes (the last two are floors: authentication only, and no work):\n\n",
        );
        let mut header = header;
        header[0] = "route";
        table(
            &mut out,
            &header,
            http["throughput"]["at_64_connections"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, r)| load_row(name.clone(), r)),
        );
        let errors: Vec<String> = array(&http["throughput"]["cached_ask"])
            .iter()
            .chain(http["throughput"]["at_64_connections"].as_object().into_iter().flat_map(|m| m.values()))
            .filter_map(|r| r["first_error"].as_str().map(|e| format!("- {} connections: {e}", num(&r["connections"]))))
            .collect();
        if !errors.is_empty() {
            let _ = writeln!(out, "First errors:\n{}\n", errors.join("\n"));
        }
    }

    if let Some(growth) = report.get("offline") {
        out.push_str("## Growth: offline engine and prompt builder by schema size (ms)\n\n");
        table(
            &mut out,
            &[
                "tables",
                "questions",
                "answered",
                "draft model",
                "build engine",
                "answer p50",
                "answer max",
                "link + prompt p50",
                "link + prompt max",
                "prompt chars p50",
            ],
            array(growth).iter().map(|g| {
                [
                    "tables",
                    "questions",
                    "answered",
                    "draft_ms",
                    "build_ms",
                    "answer_p50_ms",
                    "answer_max_ms",
                    "prompt_p50_ms",
                    "prompt_max_ms",
                    "prompt_p50_chars",
                ]
                .iter()
                .map(|k| num(&g[*k]))
                .collect()
            }),
        );
    }
    out
}
