-- Background jobs: pinned saved questions (whose results a job keeps warm in the cache), the
-- record of every job run under RLS, and the schema of the job queue (the `underway` crate).

-- A pinned question is re-run by the cache-warming job as the member who pinned it, with
-- that member's current role and row policies: the pin names who the warming acts as.
ALTER TABLE saved_questions
  ADD COLUMN pinned_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN pinned_at timestamptz;
CREATE INDEX saved_questions_pinned_idx ON saved_questions (org_id) WHERE pinned_at IS NOT NULL;

-- One row per run of a job, for the admin API: what ran, how often it was tried, how it
-- ended. An organisation's runs carry its id; the server's own runs (audit retention) have
-- none and, like system audit rows, are visible only where no organisation is set, so no
-- tenant ever reads them. The queue itself is `underway.task`; this is the tenant's view.
CREATE TABLE job_runs (
  id           uuid PRIMARY KEY,
  org_id       uuid REFERENCES organisations (id) ON DELETE CASCADE,
  job          text NOT NULL
               CONSTRAINT job_runs_job_known CHECK (job IN ('schema_refresh', 'cache_warm', 'audit_retention')),
  trigger      text NOT NULL CONSTRAINT job_runs_trigger_known CHECK (trigger IN ('schedule', 'manual', 'retry')),
  requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
  retry_of     uuid REFERENCES job_runs (id) ON DELETE SET NULL,
  state        text NOT NULL DEFAULT 'queued'
               CONSTRAINT job_runs_state_known CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  last_error   text,
  result       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz
);
CREATE INDEX job_runs_org_idx ON job_runs (org_id, created_at DESC);

ALTER TABLE job_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY job_runs_tenant ON job_runs FOR ALL
  USING (org_id IS NOT DISTINCT FROM current_org_id()) WITH CHECK (org_id IS NOT DISTINCT FROM current_org_id());
REVOKE ALL ON job_runs FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs TO kurobe_app;

-- The queue's tables are created right after these migrations by the crate's own migrator
-- (`kurobe_store::migrate`), as this same owner role. The server works the queue as
-- kurobe_app: it may use the schema and read and write the rows, never create or alter.
-- The tables hold job names, run ids and organisation ids, and no tenant data.
CREATE SCHEMA IF NOT EXISTS underway;
REVOKE ALL ON SCHEMA underway FROM PUBLIC;
GRANT USAGE ON SCHEMA underway TO kurobe_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA underway GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kurobe_app;
