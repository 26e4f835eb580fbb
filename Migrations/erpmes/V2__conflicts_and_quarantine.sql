-- Conflict rules, per-key quarantine and schema-drift pauses (DESIGN 2.4-2.7).
-- Bases keep the agreed values per key (three-way conflict detection) beside the echo hash;
-- subscriptions carry their rule's options and the tables they write; dead letters, parked
-- conflicts, the conflict log, paused entities and the keys folded while paused get tables.

SET LOCAL ROLE erpmes_owner;

-- The declaration functions change signature; their new versions are in Sql/erpmes.
DROP FUNCTION IF EXISTS erpmes.subscribe(text, regprocedure, text, jsonb, integer);
DROP FUNCTION IF EXISTS erpmes.publish(text, regclass, text[], regprocedure, jsonb);
DROP FUNCTION IF EXISTS erpmes.batch(pg_snapshot, pg_snapshot, text[]);
DROP FUNCTION IF EXISTS erpmes.record_base(text, jsonb[], jsonb[]);

-- The names the key's columns take in the jsonb key, when they differ from the columns
-- (orders_order.externalnumber published as {"name": ...} to match mrp_production.name).
ALTER TABLE erpmes.publication ADD COLUMN key_names text[];
-- What the publication reads, as declared: tables' columns with types, keys, capture triggers,
-- the payload function's source hash (erpmes.publication_shape).
ALTER TABLE erpmes.publication ADD COLUMN shape jsonb;

-- Rule options: newest_wins {"column"}, forward_only {"column", "graph"}, custom {"function"}.
ALTER TABLE erpmes.subscription ADD COLUMN options jsonb NOT NULL DEFAULT '{}'::jsonb;
-- The tables the apply function writes, for the drift check.
ALTER TABLE erpmes.subscription ADD COLUMN tables regclass[] NOT NULL DEFAULT '{}';
ALTER TABLE erpmes.subscription ADD COLUMN shape jsonb;
ALTER TABLE erpmes.subscription ADD CONSTRAINT subscription_rule CHECK (conflict_rule IN (
    'source_wins', 'target_wins', 'owner', 'newest_wins', 'forward_only', 'append_only', 'manual', 'custom'));

-- hash: set when a row is applied here, cleared when the key is sent on; a captured row still
-- equal to it is the apply's echo. vals: the neutral values both sides last agreed on (NULL: the
-- row is absent on both), the base of three-way conflict detection.
ALTER TABLE erpmes.base ADD COLUMN vals jsonb;
-- Set when this side decided a conflict for its own version: the key's next send carries
-- "$resolved", so the other side takes it instead of deciding the same conflict again.
ALTER TABLE erpmes.base ADD COLUMN decided boolean NOT NULL DEFAULT false;
COMMENT ON TABLE erpmes.base IS
    'Per entity and key: the values last synchronised (three-way base) and the hash of the last apply (echo).';

-- A key that could not be applied: its later changes and its dependants wait until it is
-- retried (re-read from the source) or skipped. One active row per entity and key.
CREATE TABLE erpmes.dead_letter (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    entity text NOT NULL,
    key jsonb NOT NULL,
    -- open: held; retry: asked to re-read; requeued: re-read requested on the source;
    -- resolved: applied since; skipped: given up, later changes flow again.
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retry', 'requeued', 'resolved', 'skipped')),
    sqlstate text,
    message text NOT NULL,
    detail text,
    -- The parent (or corrected record) this key waits for: {"entity": ..., "key": ...}.
    blocked_by jsonb,
    attempts integer NOT NULL DEFAULT 1,
    -- Batches with later changes of this key that were held while it was quarantined.
    held_changes integer NOT NULL DEFAULT 0,
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    closed_by text
);
CREATE UNIQUE INDEX dead_letter_active ON erpmes.dead_letter (entity, key)
    WHERE status IN ('open', 'retry', 'requeued');
CREATE INDEX dead_letter_blocked_by ON erpmes.dead_letter USING gin (blocked_by) WHERE status = 'open';
COMMENT ON TABLE erpmes.dead_letter IS
    'Keys that could not be applied (entity, key, SQLSTATE, message, attempts); their later changes and dependants wait.';

-- Both versions of a key under the manual rule, until a person resolves it.
CREATE TABLE erpmes.conflict (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    entity text NOT NULL,
    key jsonb NOT NULL,
    source_side text NOT NULL CHECK (source_side IN ('erp', 'mes')),
    columns text[] NOT NULL,
    base jsonb,
    source jsonb,
    target jsonb,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolution jsonb
);
CREATE UNIQUE INDEX conflict_open ON erpmes.conflict (entity, key) WHERE status = 'open';
COMMENT ON TABLE erpmes.conflict IS 'Conflicts parked by the manual rule: base and both versions, until resolved.';

-- One row every time a rule decides a conflict (or rejects a request or a transition).
CREATE TABLE erpmes.conflict_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    entity text NOT NULL,
    key jsonb NOT NULL,
    -- update_update, update_delete, delete_update, insert_insert, request, transition, posted
    kind text NOT NULL,
    columns text[] NOT NULL,
    rule text NOT NULL,
    source_side text NOT NULL,
    base jsonb,
    source jsonb,
    target jsonb,
    -- source, target, merged, parked, rejected, deleted, kept
    outcome text NOT NULL,
    logged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conflict_log_logged_at ON erpmes.conflict_log (logged_at);
COMMENT ON TABLE erpmes.conflict_log IS 'Every conflict a rule decided: entity, key, columns, rule, base, both versions, outcome.';

-- An entity whose schema drifted or whose apply raised a schema error: it alone stops applying.
CREATE TABLE erpmes.entity_pause (
    entity text PRIMARY KEY,
    consumer text NOT NULL,
    sqlstate text,
    reason text NOT NULL,
    -- The shapes when it paused: it is tried again once they change.
    shapes jsonb,
    paused_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erpmes.entity_pause IS 'Entities paused by schema drift or a schema error, with the reason.';

-- Keys of paused entities, folded (deduplicated) so the queue still rotates; re-read on resume.
CREATE TABLE erpmes.pending_key (
    consumer text NOT NULL,
    entity text NOT NULL,
    key jsonb NOT NULL,
    since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, entity, key)
);
COMMENT ON TABLE erpmes.pending_key IS 'Changed keys of paused entities, re-read from the source when the entity resumes.';

-- The replicator keeps these books inside its apply transactions (erpmes.apply_entity runs with
-- its rights, so the apply function writes business tables as that login); application writers
-- still get nothing in the erpmes schema.
GRANT SELECT, INSERT, UPDATE ON erpmes.dead_letter, erpmes.conflict, erpmes.conflict_log TO erpmes_run;
GRANT SELECT, INSERT, UPDATE, DELETE ON erpmes.entity_pause, erpmes.pending_key TO erpmes_run;
GRANT SELECT ON erpmes.base TO erpmes_run;

RESET ROLE;
