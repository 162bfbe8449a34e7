//! The offline, deterministic text-to-SQL engine (`rule_based`).

use crate::{
    prompt::PromptContext,
    text_to_sql::{EngineError, Generated, TextToSql},
};

#[derive(Debug, Clone)]
pub struct OfflineTextToSql {
    name: String,
}

impl OfflineTextToSql {
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned() }
    }
}

#[async_trait::async_trait]
impl TextToSql for OfflineTextToSql {
    fn name(&self) -> &str {
        &self.name
    }

    async fn generate(
        &self,
        _question: &str,
        _context: &PromptContext<'_>,
        _correction: Option<(&str, &str)>,
    ) -> Result<Generated, EngineError> {
        Err(EngineError::Unavailable("the offline engine is not wired in yet".into()))
    }
}
