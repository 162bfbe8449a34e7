//! Reuses the synthetic schemas and questions of `backend/semantic/examples/bench.rs`
//! (private items of an example, so not importable): the file is included as it is, less
//! its inner attributes and module docs, which `include!` does not accept.

use std::{env, fs, path::PathBuf};

fn main() {
    // Read at run time, not with env!(): a build script compiled for another checkout that
    // shares the target folder is reused by cargo and would read that checkout's file.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| panic!("CARGO_MANIFEST_DIR is set by cargo"));
    let source = PathBuf::from(manifest_dir).join("../backend/semantic/examples/bench.rs");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = fs::read_to_string(&source).unwrap_or_else(|e| panic!("reading {}: {e}", source.display()));
    let kept: String = text
        .lines()
        .filter(|line| !line.starts_with("//!") && !line.starts_with("#!["))
        .map(|line| format!("{line}\n"))
        .collect();
    let out =
        PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| panic!("OUT_DIR is set by cargo"))).join("synthetic.rs");
    fs::write(&out, kept).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
