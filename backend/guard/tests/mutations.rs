//! A deterministic fuzzer: corpus statements mutated with SQL fragments, tens of thousands
//! of times, through the guard of every dialect. Nothing may panic, and whatever the guard
//! accepts must pass the guard again unchanged (its output is a fixed point).
//! `fuzz/` holds the coverage-guided counterpart (`cargo fuzz`, scripts/fuzz.sh).

#![allow(clippy::unwrap_used)]

use kurobe_connector::{ColumnInfo, DataType, Dialect, Schema, Table, TableKind};
use kurobe_guard::check;

const FRAGMENTS: &[&str] = &[
    ";",
    "--",
    "/*",
    "*/",
    "'",
    "\"",
    "(",
    ")",
    ",",
    " ",
    "\n",
    "SELECT ",
    " FROM ",
    " WHERE ",
    " UNION ",
    "DELETE ",
    "WITH x AS (",
    ") SELECT * FROM x",
    "read_csv(",
    "pg_sleep(",
    "retail.orders",
    "orders",
    " LIMIT ",
    "999999",
    " FOR UPDATE",
    " INTO t",
    "$$",
    "\\",
    "ѕ",
    "\u{0}",
    "::text",
    "E'\\x27'",
    "`",
    "[",
    "]",
    "{",
    "}",
    " OR 1=1",
];

/// SplitMix64: a tiny deterministic generator, so a failure reproduces exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn schema() -> Schema {
    let column = |name: &str| ColumnInfo {
        name: name.into(),
        data_type: DataType::Integer { bits: 64 },
        native_type: "BIGINT".into(),
        nullable: false,
        comment: None,
        sample_values: None,
    };
    let table = |name: &str| Table {
        schema: "retail".into(),
        name: name.into(),
        kind: TableKind::Table,
        comment: None,
        row_estimate: None,
        columns: vec![column("order_id"), column("store_id")],
        primary_key: vec![],
        foreign_keys: vec![],
    };
    Schema { tables: vec![table("orders"), table("stores")] }
}

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if !chars.is_empty() => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at.min(chars.len())..end);
            }
            _ => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                for (i, c) in fragment.chars().enumerate() {
                    chars.insert((at + i).min(chars.len()), c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_sql_never_panics_the_guard_and_accepted_sql_is_a_fixed_point() {
    let seeds: Vec<String> = [include_str!("corpus/valid.txt"), include_str!("corpus/hostile.txt")]
        .iter()
        .flat_map(|text| text.split("\n---\n"))
        .map(|entry| {
            entry.lines().filter(|l| !l.starts_with('#') && !l.starts_with('@')).collect::<Vec<_>>().join("\n")
        })
        .collect();
    let schema = schema();
    let mut rng = Rng(0x4B55_524F_4245);
    let (mut accepted, mut total) = (0, 0);
    for _ in 0..20_000 {
        let seed = &seeds[rng.below(seeds.len())];
        let sql = mutate(&mut rng, seed);
        for dialect in [Dialect::Postgres, Dialect::DuckDb, Dialect::Trino] {
            total += 1;
            if let Ok(guarded) = check(&sql, dialect, &schema, 100) {
                accepted += 1;
                let again = check(&guarded.sql, dialect, &schema, 100).unwrap_or_else(|r| {
                    panic!("{dialect}: the guard's own output was refused ({r}):\n{sql}\n=> {}", guarded.sql)
                });
                assert_eq!(again.sql, guarded.sql, "{dialect}: not a fixed point for\n{sql}");
            }
        }
    }
    assert!(total == 60_000 && accepted > 0, "{accepted} of {total} accepted");
}
