//! Any text through the SQL guard of each dialect, without and with a row policy. Nothing
//! may panic, and whatever the guard accepts must pass it again unchanged: the SQL that
//! runs is exactly the SQL that was checked (the fixed point the mutation test holds the
//! guard to, here with coverage guiding the inputs).

#![no_main]

use std::{collections::BTreeMap, sync::LazyLock};

use kurobe_connector::{Dialect, Schema};
use kurobe_guard::{RowPolicy, check, check_with_policies};
use libfuzzer_sys::fuzz_target;

const MAX_ROWS: u64 = 100;

static SCHEMA: LazyLock<Schema> = LazyLock::new(kurobe_fuzz::demo_schema);

/// A policy on a table the corpus joins often, with a value that tries to break out of
/// its string literal.
static POLICIES: LazyLock<Vec<RowPolicy>> = LazyLock::new(|| {
    vec![RowPolicy {
        schema: "retail".into(),
        table: "stores".into(),
        predicate: "store_type = {{user.attributes.store_type}}".into(),
    }]
});
static VALUES: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| BTreeMap::from([("user.attributes.store_type".to_owned(), "online' OR '1'='1".to_owned())]));

fuzz_target!(|sql: &str| {
    for dialect in kurobe_fuzz::DIALECTS {
        if let Ok(guarded) = check(sql, dialect, &SCHEMA, MAX_ROWS) {
            passes_unchanged(sql, &guarded.sql, dialect);
        }
        // The policy's derived tables are over known tables, so the plain guard accepts
        // the filtered query as it is.
        if let Ok(guarded) = check_with_policies(sql, dialect, &SCHEMA, MAX_ROWS, &POLICIES, &VALUES) {
            passes_unchanged(sql, &guarded.sql, dialect);
        }
    }
});

fn passes_unchanged(input: &str, guarded: &str, dialect: Dialect) {
    match check(guarded, dialect, &SCHEMA, MAX_ROWS) {
        Ok(again) => {
            assert_eq!(again.sql, guarded, "{dialect}: the guard's output changed when checked again\n{input:?}")
        }
        Err(refusal) => panic!("{dialect}: the guard refused its own output ({refusal})\n{input:?}\n=> {guarded}"),
    }
}
