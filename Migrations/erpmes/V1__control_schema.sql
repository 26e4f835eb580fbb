-- The erpmes control schema: change queue, consumers, apply positions, echo bases and the
-- entity registry. Installed on both databases of a link by `erpmes migrate --target erpmes`.
-- Everything is owned by the NOLOGIN role erpmes_owner; application writers get no privileges.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'erpmes_owner')
        OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'erpmes_run') THEN
        RAISE EXCEPTION 'roles erpmes_owner and erpmes_run must exist before the control schema is installed'
            USING HINT = 'as a role with CREATEROLE, once per cluster: CREATE ROLE erpmes_owner NOLOGIN; '
                || 'CREATE ROLE erpmes_run NOLOGIN; GRANT erpmes_run TO <the login erpmes run uses>;';
    END IF;
END $$;

CREATE SCHEMA erpmes AUTHORIZATION erpmes_owner;
COMMENT ON SCHEMA erpmes IS 'erpmes control schema: change queue, positions, bases, entity registry.';
REVOKE ALL ON SCHEMA erpmes FROM PUBLIC;
GRANT USAGE ON SCHEMA erpmes TO erpmes_run;

SET LOCAL ROLE erpmes_owner;

-- The queue table writers append to (0, 1 or 2). A sequence, not a row: its value is read without
-- a snapshot, so even a REPEATABLE READ writer whose snapshot predates a switch writes to the new
-- table, and the old one can be truncated once every writer that may have read the old value ended.
CREATE SEQUENCE erpmes.queue_current MINVALUE 0 MAXVALUE 2 START 0 CYCLE;
SELECT setval('erpmes.queue_current', 0, true);  -- last_value 0 counts as current (erpmes.rotate sets it)
COMMENT ON SEQUENCE erpmes.queue_current IS 'Which queue table capture writes to; moved by erpmes.rotate.';

-- Rotation in progress (PgQ's two-step switch) and the NOTIFY switch.
CREATE TABLE erpmes.queue_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    switched_at timestamptz NOT NULL DEFAULT now(),
    -- An xid taken after the last switch: the drained table is truncated once no transaction older
    -- than it runs and every consumer's confirmed snapshot is past it.
    switch_xid xid8,
    draining_table smallint CHECK (draining_table BETWEEN 0 AND 2),
    rotations bigint NOT NULL DEFAULT 0,
    -- Writers send NOTIFY erpmes_wake only when this is on (and only while the replicator is idle).
    notify boolean NOT NULL DEFAULT true
);
INSERT INTO erpmes.queue_state DEFAULT VALUES;
COMMENT ON TABLE erpmes.queue_state IS 'One row: rotation in progress, rotation count, NOTIFY switch.';

-- One narrow row per changed key, written by capture triggers in the writer's transaction.
CREATE TABLE erpmes.queue_0 (
    xid xid8 NOT NULL,
    entity_id integer NOT NULL,
    key jsonb NOT NULL,
    origin text,
    queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_0_xid ON erpmes.queue_0 (xid);
CREATE TABLE erpmes.queue_1 (LIKE erpmes.queue_0 INCLUDING ALL);
CREATE TABLE erpmes.queue_2 (LIKE erpmes.queue_0 INCLUDING ALL);
COMMENT ON TABLE erpmes.queue_0 IS 'Change queue, rotating with queue_1 and queue_2: (xid, entity, key) per change.';
COMMENT ON TABLE erpmes.queue_1 IS 'Change queue, rotating with queue_0 and queue_2.';
COMMENT ON TABLE erpmes.queue_2 IS 'Change queue, rotating with queue_0 and queue_1.';

CREATE VIEW erpmes.queue AS
    SELECT 0::smallint AS part, q.* FROM erpmes.queue_0 AS q
    UNION ALL SELECT 1::smallint, q.* FROM erpmes.queue_1 AS q
    UNION ALL SELECT 2::smallint, q.* FROM erpmes.queue_2 AS q;
COMMENT ON VIEW erpmes.queue IS 'All three queue tables; part names the table a row is in.';

-- Entities this database publishes: the table watched, its key, and the payload function.
CREATE TABLE erpmes.publication (
    entity_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity text NOT NULL UNIQUE,
    source_table regclass NOT NULL,
    key_columns text[] NOT NULL,
    payload_function regprocedure NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erpmes.publication IS 'Entities published from this database (erpmes.publish).';

-- Further tables whose changes re-publish keys of an entity (a product_template change re-publishes
-- its products): key_query selects jsonb keys from a relation called "changed".
CREATE TABLE erpmes.publication_watch (
    entity_id integer NOT NULL REFERENCES erpmes.publication ON DELETE CASCADE,
    watched_table regclass NOT NULL,
    key_query text NOT NULL,
    PRIMARY KEY (entity_id, watched_table)
);
COMMENT ON TABLE erpmes.publication_watch IS 'Extra tables watched for an entity, with the query mapping their rows to entity keys.';

-- Entities this database receives: the apply function and the conflict rule.
CREATE TABLE erpmes.subscription (
    entity text PRIMARY KEY,
    apply_function regprocedure NOT NULL,
    conflict_rule text NOT NULL DEFAULT 'source_wins',
    ownership jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Lower applies first on insert and update (parents before children).
    apply_order integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erpmes.subscription IS 'Entities applied into this database (erpmes.subscribe).';

CREATE TABLE erpmes.entity_group (
    name text PRIMARY KEY,
    entities text[] NOT NULL
);
COMMENT ON TABLE erpmes.entity_group IS 'Entities whose target rows reference each other, applied in one transaction.';

-- On a source: one row per link reading this database's queue.
CREATE TABLE erpmes.consumer (
    consumer text PRIMARY KEY,
    -- The snapshot the link has applied and committed on its target, reported with each tick.
    confirmed_snapshot pg_snapshot,
    confirmed_at timestamptz,
    last_tick_snapshot pg_snapshot,
    -- Heartbeat: the link's last tick or rotation step; retention counts from here.
    last_tick_at timestamptz,
    needs_resync boolean NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erpmes.consumer IS 'Links reading this database''s queue, with the position each has committed.';

-- On a target: how far each link has applied, fenced by the owner epoch.
CREATE TABLE erpmes.apply_position (
    consumer text PRIMARY KEY,
    source_system_identifier bigint NOT NULL,
    source_timeline integer NOT NULL,
    snapshot pg_snapshot NOT NULL,
    tick_id bigint NOT NULL DEFAULT 0,
    owner_epoch bigint NOT NULL DEFAULT 0,
    applied_at timestamptz,
    applied_keys bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE erpmes.apply_position IS 'Per link: the source snapshot applied last, the source identity, the owner epoch.';

-- Per entity and key, a hash of the neutral payload last synchronised through this database (NULL
-- hash: the row is absent). A captured row still equal to its base is an echo and is not sent back.
CREATE TABLE erpmes.base (
    entity text NOT NULL,
    key jsonb NOT NULL,
    hash uuid,
    synced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, key)
);
COMMENT ON TABLE erpmes.base IS 'Hash of the values last synchronised per entity and key: decides echoes.';

-- The replicator login reads the registry and positions; it never reads or writes the queue
-- directly (only through erpmes.tick and erpmes.batch).
GRANT SELECT ON erpmes.publication, erpmes.publication_watch, erpmes.subscription, erpmes.entity_group,
    erpmes.consumer, erpmes.apply_position TO erpmes_run;

RESET ROLE;
