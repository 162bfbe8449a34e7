-- Tamper-evident audit log: each organisation's rows form a SHA-256 hash chain, and rows of
-- no organisation (org_id NULL) form the system chain.
--
--   hash = sha256(prev_hash || field('kurobe.audit.v1') || field(id) || field(seq)
--                 || field(chain_position) || field(created_at as epoch microseconds)
--                 || field(org_id) || field(actor_user_id) || field(actor_api_key_id)
--                 || field(action) || field(target) || field(outcome) || field(error_code)
--                 || field(ip::text) || field(user_agent) || field(request_id) || field(details::text))
--   field(NULL) = 0x00, field(text) = 0x01 || 4-byte big-endian length || UTF-8 bytes
--
-- prev_hash is the hash of the chain's previous row, or 32 zero bytes (the genesis) for its
-- first one. Every value is hashed in Postgres's own text form, so the Rust verifier
-- (kurobe_store::ChainedAuditRow::compute_hash) reads the same text back and needs no
-- knowledge of how jsonb orders keys or inet prints addresses. The chain is built by a
-- trigger, so no insert path (the server, the CLI, a future job) can skip it, and the server
-- role still holds only INSERT and SELECT on audit_log.

ALTER TABLE audit_log
  ADD COLUMN chain_position bigint,
  ADD COLUMN prev_hash bytea,
  ADD COLUMN hash bytea;

-- One row per chain: its last position and hash. Appends lock this row (see the trigger), and
-- verification compares the end of the chain with it, so deleting the newest rows shows.
CREATE TABLE audit_chain_heads (
  chain      uuid GENERATED ALWAYS AS (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED PRIMARY KEY,
  org_id     uuid REFERENCES organisations (id) ON DELETE CASCADE,
  position   bigint NOT NULL DEFAULT 0,
  hash       bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
  last_seq   bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Where a chain starts after retention purged its oldest rows: the position and hash of the
-- last purged row. Kept apart from the head so that a purge never holds the lock appends take.
CREATE TABLE audit_chain_checkpoints (
  chain           uuid GENERATED ALWAYS AS (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED PRIMARY KEY,
  org_id          uuid REFERENCES organisations (id) ON DELETE CASCADE,
  position        bigint NOT NULL,
  hash            bytea NOT NULL,
  last_seq        bigint NOT NULL,
  last_created_at timestamptz NOT NULL,
  purged_rows     bigint NOT NULL,
  purged_at       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_chain_field(value text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE WHEN value IS NULL THEN '\x00'::bytea
                ELSE '\x01'::bytea || int4send(octet_length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8')
           END
  $$;

CREATE FUNCTION audit_row_hash(prev bytea, r audit_log) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT sha256(prev
      || audit_chain_field('kurobe.audit.v1')
      || audit_chain_field(r.id::text)
      || audit_chain_field(r.seq::text)
      || audit_chain_field(r.chain_position::text)
      || audit_chain_field(((extract(epoch FROM r.created_at) * 1000000)::bigint)::text)
      || audit_chain_field(r.org_id::text)
      || audit_chain_field(r.actor_user_id::text)
      || audit_chain_field(r.actor_api_key_id::text)
      || audit_chain_field(r.action)
      || audit_chain_field(r.target)
      || audit_chain_field(r.outcome)
      || audit_chain_field(r.error_code)
      || audit_chain_field(r.ip::text)
      || audit_chain_field(r.user_agent)
      || audit_chain_field(r.request_id)
      || audit_chain_field(r.details::text))
  $$;

-- Links a new row to its chain. Appends of one organisation are serialised by the row lock on
-- its head, taken with SELECT ... FOR UPDATE and held until the appending transaction ends.
-- Why a row lock rather than pg_advisory_xact_lock plus "read the newest row": under READ
-- COMMITTED a blocked SELECT ... FOR UPDATE, once the holder commits, returns the row's newest
-- committed version (Postgres re-reads the updated row), so the head we extend is always the
-- one the previous append wrote, whatever snapshot the statement started with. An advisory lock
-- only orders the waiters; the read after it is correct only if it takes a fresh snapshot, which
-- silently stops being true under REPEATABLE READ (the chain would fork), whereas the row lock
-- there fails with a serialisation error instead. The head row also records the chain's end, so
-- deleting the newest rows is detected.
--
-- seq is drawn again under the lock: the identity value was taken before the lock, so two
-- concurrent appends could otherwise commit in the opposite order of their seq. Redrawn here,
-- seq grows along each chain and matches commit order within an organisation.
--
-- SECURITY DEFINER: the head belongs to the owner and the server role may not write it. The
-- head's policies (below) still bind the owner to the inserting transaction's organisation, so
-- an insert naming another organisation cannot move that organisation's head.
CREATE FUNCTION audit_log_chain() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  key uuid := coalesce(NEW.org_id, '00000000-0000-0000-0000-000000000000'::uuid);
  head_position bigint;
  head_hash bytea;
BEGIN
  SELECT position, hash INTO head_position, head_hash FROM audit_chain_heads WHERE chain = key FOR UPDATE;
  IF NOT FOUND THEN
    -- A concurrent first append waits here for the other's insert, then finds its row.
    INSERT INTO audit_chain_heads (org_id) VALUES (NEW.org_id) ON CONFLICT DO NOTHING;
    SELECT position, hash INTO head_position, head_hash FROM audit_chain_heads WHERE chain = key FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no audit chain head for organisation %', NEW.org_id USING ERRCODE = '42501';
    END IF;
  END IF;
  NEW.seq := nextval('audit_log_seq_seq'::regclass);
  NEW.chain_position := head_position + 1;
  NEW.prev_hash := head_hash;
  NEW.hash := audit_row_hash(head_hash, NEW);
  UPDATE audit_chain_heads
     SET position = NEW.chain_position, hash = NEW.hash, last_seq = NEW.seq, updated_at = now()
   WHERE chain = key;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION audit_log_chain() FROM PUBLIC;

-- Row-level security. Tenants may read their own head and checkpoint. The owner (the role
-- running this migration: the trigger above runs as it, and `kurobe audit verify|purge|export`
-- connect as it) writes heads within the inserting transaction's organisation, and reaches
-- every chain only when the transaction sets kurobe.audit_maintenance: the setting keeps a
-- server misconfigured to log in as the owner from reading across tenants by accident, and
-- the policies name the owner alone, so the server role gains nothing by setting it.
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_checkpoints FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_chain_heads_select ON audit_chain_heads FOR SELECT USING (org_id = current_org_id());
CREATE POLICY audit_chain_heads_owner ON audit_chain_heads FOR ALL TO CURRENT_USER
  USING (org_id IS NOT DISTINCT FROM current_org_id() OR current_setting('kurobe.audit_maintenance', true) = 'on')
  WITH CHECK (org_id IS NOT DISTINCT FROM current_org_id() OR current_setting('kurobe.audit_maintenance', true) = 'on');
CREATE POLICY audit_chain_checkpoints_select ON audit_chain_checkpoints FOR SELECT USING (org_id = current_org_id());
CREATE POLICY audit_chain_checkpoints_owner ON audit_chain_checkpoints FOR ALL TO CURRENT_USER
  USING (current_setting('kurobe.audit_maintenance', true) = 'on')
  WITH CHECK (current_setting('kurobe.audit_maintenance', true) = 'on');
-- Verification, export and retention read every chain and delete old rows; nobody may update.
CREATE POLICY audit_log_maintenance_select ON audit_log FOR SELECT TO CURRENT_USER
  USING (current_setting('kurobe.audit_maintenance', true) = 'on');
CREATE POLICY audit_log_maintenance_delete ON audit_log FOR DELETE TO CURRENT_USER
  USING (current_setting('kurobe.audit_maintenance', true) = 'on');

REVOKE ALL ON audit_chain_heads, audit_chain_checkpoints FROM PUBLIC;
GRANT SELECT ON audit_chain_heads, audit_chain_checkpoints TO kurobe_app;

-- Chain the rows written before this migration, in seq order, exactly as the trigger would
-- (without redrawing seq). Runs inside the migration's transaction; the owner updates the
-- rows with FORCE lifted for that moment, as no policy lets anyone update them.
ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
SELECT set_config('kurobe.audit_maintenance', 'on', true);
DO $$
DECLARE
  r audit_log;
  key uuid;
  head_position bigint;
  head_hash bytea;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY seq LOOP
    key := coalesce(r.org_id, '00000000-0000-0000-0000-000000000000'::uuid);
    INSERT INTO audit_chain_heads (org_id) VALUES (r.org_id) ON CONFLICT DO NOTHING;
    SELECT position, hash INTO head_position, head_hash FROM audit_chain_heads WHERE chain = key;
    r.chain_position := head_position + 1;
    r.prev_hash := head_hash;
    r.hash := audit_row_hash(head_hash, r);
    UPDATE audit_log SET chain_position = r.chain_position, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
    UPDATE audit_chain_heads SET position = r.chain_position, hash = r.hash, last_seq = r.seq WHERE chain = key;
  END LOOP;
END
$$;
SELECT set_config('kurobe.audit_maintenance', '', true);
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

-- From now on every row is chained: an insert that somehow skipped the trigger fails.
ALTER TABLE audit_log
  ALTER COLUMN chain_position SET NOT NULL,
  ALTER COLUMN prev_hash SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL;
-- One row per position per chain: even a bug in the locking could not fork a chain silently.
CREATE UNIQUE INDEX audit_log_chain_idx ON audit_log (org_id, chain_position) NULLS NOT DISTINCT;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
