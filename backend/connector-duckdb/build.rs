//! Fails early, with the fix, when the prebuilt DuckDB library is missing; otherwise the
//! build stops at link time with an opaque "cannot find -lduckdb".

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_BUNDLED").is_some() {
        return;
    }
    let dir = std::env::var("DUCKDB_LIB_DIR").unwrap_or_default();
    let lib = std::path::Path::new(&dir).join("libduckdb.so");
    println!("cargo:rerun-if-changed={}", lib.display());
    assert!(
        lib.exists(),
        "libduckdb.so is not in DUCKDB_LIB_DIR ({dir}): run scripts/duckdb-lib.sh (make test and ./start.sh do it)"
    );
}
