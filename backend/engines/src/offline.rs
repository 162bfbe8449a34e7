//! The offline, deterministic text-to-SQL engine (`rule_based`): the data source's
//! semantic model read by rules, no model call, the same answer every time. It says how it
//! understood the question and how sure it is, and declines rather than guess.

use crate::{
    llm::Usage,
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

    fn deterministic(&self) -> bool {
        true
    }

    async fn generate(
        &self,
        question: &str,
        context: &PromptContext<'_>,
        correction: Option<(&str, &str)>,
    ) -> Result<Generated, EngineError> {
        // Deterministic: asked again, it would write the same SQL.
        if let Some((_, error)) = correction {
            return Err(EngineError::Unavailable(format!("the offline engine cannot correct its SQL ({error})")));
        }
        let engine = context
            .rule_based
            .ok_or_else(|| EngineError::Unavailable("the data source has no semantic model".into()))?;
        let answer = engine.answer(question, context.examples, context.dialect, context.today).map_err(|refusal| {
            EngineError::CannotAnswer { reason: refusal.reason, suggestions: refusal.suggestions }
        })?;
        let mut explanation = answer.interpretation.clone();
        if let Some(first) = explanation.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        explanation.push('.');
        Ok(Generated {
            sql: answer.sql,
            explanation,
            engine: self.name.clone(),
            model: None,
            usage: Usage::default(),
            cost_usd: None,
            interpretation: Some(answer.interpretation),
            confidence: Some(answer.confidence),
        })
    }
}
