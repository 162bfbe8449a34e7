-- Data sources, part two: query limits, a version that changes with the connection
-- settings (it keys the server's pool of live connectors), health, introspected schemas,
-- and an index of ids for background work.

ALTER TABLE data_sources
  ADD COLUMN limits jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN config_version bigint NOT NULL DEFAULT 1;

-- Health changes every minute, so it lives apart from the data source row: writing it must
-- not look like a change of the data source itself.
CREATE TABLE data_source_health (
  datasource_id uuid PRIMARY KEY REFERENCES data_sources (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  status        text NOT NULL CONSTRAINT data_source_health_status_known CHECK (status IN ('ok', 'failing')),
  error         text,
  latency_ms    double precision,
  checked_at    timestamptz NOT NULL DEFAULT now()
);

-- The last introspection. `generation` grows with every refresh and is part of every
-- result-cache key, so a refresh invalidates what was cached under the old schema.
CREATE TABLE data_source_schemas (
  datasource_id uuid PRIMARY KEY REFERENCES data_sources (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  generation    bigint NOT NULL,
  snapshot      jsonb NOT NULL,
  refreshed_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE data_source_health ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_source_health FORCE ROW LEVEL SECURITY;
ALTER TABLE data_source_schemas ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_source_schemas FORCE ROW LEVEL SECURITY;
CREATE POLICY data_source_health_tenant ON data_source_health FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());
CREATE POLICY data_source_schemas_tenant ON data_source_schemas FOR ALL
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON data_source_health, data_source_schemas TO kurobe_app;

-- Background work (health checks, key rotation) must find every data source, and no
-- tenant context can list across tenants. This index holds only (id, org_id) pairs,
-- nothing else about the source; every read of the source itself still passes RLS in its
-- organisation's context. A trigger keeps it in step; the server may only read it.
CREATE TABLE data_source_index (
  id     uuid PRIMARY KEY,
  org_id uuid NOT NULL
);

CREATE FUNCTION data_source_index_sync() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO data_source_index (id, org_id) VALUES (NEW.id, NEW.org_id);
  ELSE
    DELETE FROM data_source_index WHERE id = OLD.id;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION data_source_index_sync() FROM PUBLIC;
CREATE TRIGGER data_sources_index AFTER INSERT OR DELETE ON data_sources
  FOR EACH ROW EXECUTE FUNCTION data_source_index_sync();

REVOKE ALL ON data_source_index FROM PUBLIC;
GRANT SELECT ON data_source_index TO kurobe_app;
