//! `kurobe audit verify|purge|export`: the audit log's hash chains, maintained as the owner
//! role (`database.migration_url`), since the server role can neither read the system chain
//! nor delete. The chaining itself happens in the database on every insert
//! (`migrations/0005_audit_chain.sql`); verification recomputes it in `kurobe-store`.

use std::str::FromStr;

use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kurobe_store::{AuditMaintenance, BreakReason, ChainReport, PurgeReport, hex};
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;

use crate::Settings;

/// Connects with `database.migration_url`, like `kurobe migrate`.
pub fn maintenance(settings: &Settings) -> anyhow::Result<AuditMaintenance> {
    let url = settings.database.migration_url.as_ref().context(
        "database.migration_url (KUROBE_DATABASE__MIGRATION_URL) must name the owner role for audit maintenance",
    )?;
    let options =
        PgConnectOptions::from_str(url.expose_secret()).context("the migration URL is not a valid Postgres URL")?;
    Ok(AuditMaintenance::connect_lazy(options))
}

/// Purges rows created more than `days` days ago, keeping every chain verifiable; `agent`
/// (the CLI, the retention job) is named in the audit row of the purge.
pub async fn purge(maintenance: &AuditMaintenance, days: u32, agent: &str) -> anyhow::Result<PurgeReport> {
    let cutoff = Utc::now() - Duration::days(i64::from(days));
    Ok(maintenance.purge(cutoff, days, agent).await?)
}

/// `--since`: an RFC 3339 time, or a date (midnight UTC).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is neither an RFC 3339 time nor a YYYY-MM-DD date"))
}

/// One line per chain: what verified, or where and why it broke.
pub fn describe(report: &ChainReport) -> String {
    let from = match &report.checkpoint {
        Some(c) => format!(
            " after checkpoint at position {} (seq {}, {} row(s) purged)",
            c.position, c.last_seq, c.purged_rows
        ),
        None => String::new(),
    };
    match &report.broken {
        None => format!(
            "{}: ok, {} row(s) verified{from}, head position {} hash {}",
            report.chain,
            report.verified_rows,
            report.head_position,
            hex(&report.head_hash)
        ),
        Some(broken) => {
            let at = match (broken.seq, broken.id) {
                (Some(seq), Some(id)) => format!("seq {seq} (id {id}, position {})", broken.position),
                _ => format!("position {} (no row)", broken.position),
            };
            let after = broken.after_seq.map(|s| format!("; last intact row seq {s}")).unwrap_or_default();
            let hint = match broken.reason {
                BreakReason::Missing { .. } | BreakReason::MissingTail { .. } => " [missing row]",
                BreakReason::Altered | BreakReason::LinkMismatch => " [altered content]",
                BreakReason::OutOfOrder | BreakReason::HeadMismatch => " [altered chain]",
            };
            format!(
                "{}: BROKEN at {at}: {}{hint}{after}; {} row(s) verified before it{from}",
                report.chain, broken.reason, report.verified_rows
            )
        }
    }
}
