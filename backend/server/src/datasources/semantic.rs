//! The semantic model of a data source and the offline engine built from it. The model is
//! `<semantic.dir>/<name>.yaml`, where `<name>` is the data source's name in lower case
//! with runs of other characters as `-` ("Retail demo (DuckDB)" → `retail-demo-duckdb`),
//! checked against the live schema; without a file, it is drafted from introspection.
//! Either way the columns' sampled values are merged in.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use kurobe_connector::Schema;
use kurobe_semantic::{RuleBased, SemanticError, SemanticModel};
use kurobe_store::DataSourceRecord;

/// The file name a data source's model is looked up under.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

pub fn model_file(dir: &Path, record: &DataSourceRecord) -> PathBuf {
    dir.join(format!("{}.yaml", slug(&record.name)))
}

/// What decides the model: the schema generation and the file's modification time, so an
/// edited file applies to the next question without a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelVersion {
    pub generation: i64,
    pub modified: Option<SystemTime>,
}

pub fn version(dir: &Path, record: &DataSourceRecord, generation: i64) -> ModelVersion {
    let modified = std::fs::metadata(model_file(dir, record)).and_then(|m| m.modified()).ok();
    ModelVersion { generation, modified }
}

/// A data source's semantic model and the offline engine built from it.
#[derive(Debug)]
pub struct SemanticLayer {
    pub model: SemanticModel,
    pub engine: RuleBased,
}

/// Reads (or drafts) the model and builds the offline engine for it.
pub fn build(dir: &Path, record: &DataSourceRecord, schema: &Schema) -> Result<Arc<SemanticLayer>, SemanticError> {
    let path = model_file(dir, record);
    let model = SemanticModel::for_schema(path.is_file().then_some(path.as_path()), schema)?;
    Ok(Arc::new(SemanticLayer { engine: RuleBased::new(&model), model }))
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn names_become_file_names() {
        assert_eq!(slug("Retail demo (DuckDB)"), "retail-demo-duckdb");
        assert_eq!(slug("  Sales -- EU  "), "sales-eu");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
    }
}
