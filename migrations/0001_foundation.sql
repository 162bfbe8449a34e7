-- Kurobe platform store: the tables every later feature builds on, with tenant isolation
-- enforced by Postgres row-level security rather than by application code.
--
-- Tenant context is carried in transaction-local settings that the store sets first in every
-- transaction with set_config(..., true):
--   kurobe.org_id       the organisation acted in; every tenant table is filtered by it
--   kurobe.user_id      the signed-in user; lets them see their own memberships everywhere
--   kurobe.login_email  an email being signed in or signed up; reveals that one user row
--   kurobe.api_key_id   an API key being verified; reveals that one key row
-- With none set, every policy below evaluates to false: no rows, and inserts fail.

-- The role the server logs in as (directly or through a member login role). Created here
-- without LOGIN so migrations never depend on operator setup; start.sh gives it a password.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kurobe_app') THEN
    CREATE ROLE kurobe_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

-- nullif: once a transaction-local setting has been used on a connection, later
-- transactions read it back as '' rather than NULL.
CREATE FUNCTION current_org_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('kurobe.org_id', true), '')::uuid $$;

CREATE FUNCTION current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('kurobe.user_id', true), '')::uuid $$;

CREATE FUNCTION current_login_email() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('kurobe.login_email', true), '') $$;

CREATE FUNCTION current_api_key_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('kurobe.api_key_id', true), '')::uuid $$;

CREATE FUNCTION set_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

-- ---------------------------------------------------------------- organisations
CREATE TABLE organisations (
  id         uuid PRIMARY KEY,
  name       text NOT NULL CONSTRAINT organisations_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  settings   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- users
-- Users are global (one person may belong to several organisations); what a tenant may see
-- of them is decided by the policy below, through memberships.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL CONSTRAINT users_email_lowercase CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 320),
  -- NULL means the account cannot sign in with a password.
  password_hash text,
  display_name  text CONSTRAINT users_display_name_length CHECK (char_length(display_name) <= 200),
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email)
);

-- ---------------------------------------------------------------- memberships
CREATE TABLE memberships (
  org_id     uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       text NOT NULL CONSTRAINT memberships_role_known CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- ---------------------------------------------------------------- API keys
-- A key is shown once as kb_<id>_<secret>; only SHA-256(secret) is kept. The secret is 256
-- random bits, so a fast digest is enough: there is nothing to brute-force.
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  created_by    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL CONSTRAINT api_keys_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  secret_digest bytea NOT NULL CONSTRAINT api_keys_digest_length CHECK (length(secret_digest) = 32),
  scopes        text[] NOT NULL,
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, created_at DESC);

-- ---------------------------------------------------------------- data sources
-- config holds non-secret connection settings; credentials are AES-256-GCM ciphertext
-- (nonce || ciphertext || tag) under the master key named by credentials_key_version.
CREATE TABLE data_sources (
  id                      uuid PRIMARY KEY,
  org_id                  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  name                    text NOT NULL CONSTRAINT data_sources_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  kind                    text NOT NULL CONSTRAINT data_sources_kind_known CHECK (kind IN ('postgres', 'duckdb', 'trino')),
  config                  jsonb NOT NULL DEFAULT '{}'::jsonb,
  credentials             bytea,
  credentials_key_version integer,
  created_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT data_sources_org_name_key UNIQUE (org_id, name),
  CONSTRAINT data_sources_credentials_versioned CHECK ((credentials IS NULL) = (credentials_key_version IS NULL))
);

-- ---------------------------------------------------------------- query history
CREATE TABLE query_history (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  api_key_id    uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  datasource_id uuid REFERENCES data_sources (id) ON DELETE SET NULL,
  question      text,
  sql           text,
  status        text NOT NULL CONSTRAINT query_history_status_known CHECK (status IN ('succeeded', 'failed', 'refused')),
  error_code    text,
  row_count     bigint,
  duration_ms   double precision,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX query_history_org_idx ON query_history (org_id, created_at DESC);

-- ---------------------------------------------------------------- audit log
-- Append-only: the server role gets INSERT and SELECT, nothing else. org_id is NULL only for
-- events that belong to no organisation (a failed sign-in with an unknown email); such rows
-- are visible to operators, never to a tenant.
CREATE TABLE audit_log (
  id               uuid PRIMARY KEY,
  seq              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT audit_log_seq_key UNIQUE,
  org_id           uuid REFERENCES organisations (id) ON DELETE CASCADE,
  actor_user_id    uuid,
  actor_api_key_id uuid,
  action           text NOT NULL,
  target           text,
  outcome          text NOT NULL CONSTRAINT audit_log_outcome_known CHECK (outcome IN ('success', 'denied', 'error')),
  error_code       text,
  ip               inet,
  user_agent       text,
  request_id       text,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, seq DESC);

-- ---------------------------------------------------------------- timestamps
CREATE TRIGGER organisations_updated_at BEFORE UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER memberships_updated_at BEFORE UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER api_keys_updated_at BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER data_sources_updated_at BEFORE UPDATE ON data_sources FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER query_history_updated_at BEFORE UPDATE ON query_history FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- row-level security
-- FORCE makes the policies bind the table owner too, so even a misconfigured server that
-- logs in as the owner cannot read across tenants.
ALTER TABLE organisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisations FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE data_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_sources FORCE ROW LEVEL SECURITY;
ALTER TABLE query_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE query_history FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

-- An organisation is visible in its own context and to its members (the org switcher).
CREATE POLICY organisations_select ON organisations FOR SELECT
  USING (id = current_org_id()
         OR EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = organisations.id AND m.user_id = current_user_id()));
CREATE POLICY organisations_insert ON organisations FOR INSERT WITH CHECK (id = current_org_id());
CREATE POLICY organisations_update ON organisations FOR UPDATE USING (id = current_org_id()) WITH CHECK (id = current_org_id());

-- A user row is visible to themselves, to the organisation they are a member of, and to a
-- sign-in that names their email.
CREATE POLICY users_select ON users FOR SELECT
  USING (id = current_user_id()
         OR email = current_login_email()
         OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.org_id = current_org_id()));
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (email = current_login_email());
CREATE POLICY users_update ON users FOR UPDATE USING (id = current_user_id()) WITH CHECK (id = current_user_id());

CREATE POLICY memberships_select ON memberships FOR SELECT
  USING (org_id = current_org_id() OR user_id = current_user_id());
CREATE POLICY memberships_insert ON memberships FOR INSERT WITH CHECK (org_id = current_org_id());
CREATE POLICY memberships_update ON memberships FOR UPDATE USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());
CREATE POLICY memberships_delete ON memberships FOR DELETE USING (org_id = current_org_id());

CREATE POLICY api_keys_select ON api_keys FOR SELECT
  USING (org_id = current_org_id() OR id = current_api_key_id());
CREATE POLICY api_keys_insert ON api_keys FOR INSERT WITH CHECK (org_id = current_org_id());
CREATE POLICY api_keys_update ON api_keys FOR UPDATE USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());

CREATE POLICY data_sources_tenant ON data_sources FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());

CREATE POLICY query_history_tenant ON query_history FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());

CREATE POLICY audit_log_select ON audit_log FOR SELECT USING (org_id = current_org_id());
CREATE POLICY audit_log_insert ON audit_log FOR INSERT WITH CHECK (org_id IS NOT DISTINCT FROM current_org_id());

-- ---------------------------------------------------------------- grants
REVOKE ALL ON organisations, users, memberships, api_keys, data_sources, query_history, audit_log FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO kurobe_app;
GRANT SELECT, INSERT, UPDATE ON organisations, users TO kurobe_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships, data_sources, query_history TO kurobe_app;
GRANT SELECT, INSERT, UPDATE ON api_keys TO kurobe_app;
GRANT SELECT, INSERT ON audit_log TO kurobe_app;
