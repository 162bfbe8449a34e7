use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Scoped, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SavedQuestionRecord {
    pub id: Uuid,
    pub name: String,
    pub datasource_id: Uuid,
    pub question: Option<String>,
    pub sql: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Who pinned it: the cache-warming job re-runs it as this member.
    pub pinned_by: Option<Uuid>,
    pub pinned_at: Option<DateTime<Utc>>,
}

const SAVED_COLUMNS: &str = "id, name, datasource_id, question, sql, created_by, created_at, pinned_by, pinned_at";

impl Scoped {
    pub async fn save_question(
        &mut self,
        id: Uuid,
        created_by: Uuid,
        name: &str,
        datasource_id: Uuid,
        question: Option<&str>,
        sql: &str,
    ) -> Result<SavedQuestionRecord, StoreError> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO saved_questions (id, org_id, created_by, name, datasource_id, question, sql) \
             VALUES ($1, current_org_id(), $2, $3, $4, $5, $6) RETURNING {SAVED_COLUMNS}"
        ))
        .bind(id)
        .bind(created_by)
        .bind(name)
        .bind(datasource_id)
        .bind(question)
        .bind(sql)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn saved_questions(&mut self) -> Result<Vec<SavedQuestionRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SAVED_COLUMNS} FROM saved_questions WHERE org_id = current_org_id() ORDER BY name"
        ))
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Pins the question for `by`, or unpins it with `None`; `None` when there is no such
    /// question.
    pub async fn pin_saved_question(
        &mut self,
        id: Uuid,
        by: Option<Uuid>,
    ) -> Result<Option<SavedQuestionRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "UPDATE saved_questions SET pinned_by = $2, pinned_at = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() END \
             WHERE id = $1 AND org_id = current_org_id() RETURNING {SAVED_COLUMNS}"
        ))
        .bind(id)
        .bind(by)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The organisation's pinned questions, oldest pin first.
    pub async fn pinned_questions(&mut self) -> Result<Vec<SavedQuestionRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SAVED_COLUMNS} FROM saved_questions WHERE org_id = current_org_id() AND pinned_at IS NOT NULL \
             ORDER BY pinned_at, id"
        ))
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn delete_saved_question(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM saved_questions WHERE id = $1 AND org_id = current_org_id()")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records (or replaces) a user's rating of a query.
    pub async fn rate_query(
        &mut self,
        query_id: Uuid,
        user_id: Uuid,
        rating: i16,
        comment: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO query_feedback (query_id, user_id, org_id, rating, comment) VALUES ($1, $2, current_org_id(), $3, $4) \
             ON CONFLICT (query_id, user_id) DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment",
        )
        .bind(query_id)
        .bind(user_id)
        .bind(rating)
        .bind(comment)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// A question and the SQL that answered it, upvoted more than downvoted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VerifiedExample {
    pub question: String,
    pub sql: String,
}

impl Scoped {
    /// The data source's verified examples, most recently asked first. A question asked
    /// several times counts once, with the SQL of its latest upvoted answer.
    pub async fn verified_examples(
        &mut self,
        datasource_id: Uuid,
        limit: i64,
    ) -> Result<Vec<VerifiedExample>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT question, sql FROM ( \
               SELECT DISTINCT ON (lower(h.question)) h.question, h.sql, h.created_at \
               FROM query_history h \
               JOIN (SELECT query_id FROM query_feedback GROUP BY query_id HAVING sum(rating) > 0) f ON f.query_id = h.id \
               WHERE h.datasource_id = $1 AND h.question IS NOT NULL AND h.status = 'succeeded' \
               ORDER BY lower(h.question), h.created_at DESC \
             ) latest ORDER BY created_at DESC LIMIT $2",
        )
        .bind(datasource_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}
