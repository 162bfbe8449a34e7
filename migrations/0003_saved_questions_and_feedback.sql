-- Saved questions (a question or SQL an analyst keeps, to re-run and pin to dashboards) and
-- feedback on answers (an upvoted question/SQL pair becomes a verified example engines use).

CREATE TABLE saved_questions (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  datasource_id uuid NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
  name          text NOT NULL CONSTRAINT saved_questions_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  question      text,
  sql           text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT saved_questions_org_name_key UNIQUE (org_id, name)
);
CREATE INDEX saved_questions_org_idx ON saved_questions (org_id, created_at DESC);

-- One rating per query and user; changing one's mind replaces it.
CREATE TABLE query_feedback (
  query_id   uuid NOT NULL REFERENCES query_history (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id     uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  rating     smallint NOT NULL CONSTRAINT query_feedback_rating_known CHECK (rating IN (-1, 1)),
  comment    text CONSTRAINT query_feedback_comment_length CHECK (char_length(comment) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (query_id, user_id)
);

CREATE TRIGGER saved_questions_updated_at BEFORE UPDATE ON saved_questions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER query_feedback_updated_at BEFORE UPDATE ON query_feedback FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE saved_questions ENABLE ROW LEVEL SECURITY;
ALTER TABLE saved_questions FORCE ROW LEVEL SECURITY;
ALTER TABLE query_feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE query_feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY saved_questions_tenant ON saved_questions FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());
CREATE POLICY query_feedback_tenant ON query_feedback FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());

REVOKE ALL ON saved_questions, query_feedback FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON saved_questions, query_feedback TO kurobe_app;
