-- Row policies: per data source, predicates the guard injects wherever a table appears in
-- a query of the roles they name (e.g. `region = {{user.attributes.region}}`); and the
-- member attributes those predicates read. Both are plain JSON validated by the server.

ALTER TABLE data_sources ADD COLUMN row_policies jsonb NOT NULL DEFAULT '[]'::jsonb
  CONSTRAINT data_sources_row_policies_array CHECK (jsonb_typeof(row_policies) = 'array');

ALTER TABLE memberships ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb
  CONSTRAINT memberships_attributes_object CHECK (jsonb_typeof(attributes) = 'object');
