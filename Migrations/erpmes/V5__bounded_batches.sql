-- Bounded batches (issue 13): a window of changes larger than one batch is applied as a sequence
-- of committed chunks under a sub-position; a link starts where its entities were declared; an
-- error that stops a direction is stored where `erpmes status` and the health view read it.

SET LOCAL ROLE erpmes_owner;

-- The sub-position of a window being applied in chunks. `snapshot` stays the last tick applied
-- whole; while window_snapshot is set, the changes visible in it and not in `snapshot` are being
-- applied in the window's order (erpmes.open_window: entity groups interleaved, parents first and
-- keys in order within a group), and its first window_done keys are applied and committed. The
-- order depends only on the window, its entities and their groups, so a restart lists it again
-- and goes on after row window_done. NULL: no window open.
ALTER TABLE erpmes.apply_position
    ADD COLUMN window_snapshot pg_snapshot,
    ADD COLUMN window_entities text[],
    ADD COLUMN window_groups integer[],
    ADD COLUMN window_done bigint,
    ADD COLUMN window_keys bigint;
COMMENT ON COLUMN erpmes.apply_position.window_snapshot IS
    'Tick of the window being applied in chunks (NULL: none open); snapshot is the last tick applied whole.';
COMMENT ON COLUMN erpmes.apply_position.window_entities IS 'Entities of the open window, in apply order.';
COMMENT ON COLUMN erpmes.apply_position.window_groups IS 'Per entity of window_entities, its entity group (entities of one group keep their order).';
COMMENT ON COLUMN erpmes.apply_position.window_done IS 'Keys of the open window applied and committed, in the window''s order.';
COMMENT ON COLUMN erpmes.apply_position.window_keys IS 'Distinct keys in the open window.';

-- The snapshot of the transaction that first published an entity: a link that starts later begins
-- at the oldest of these, so rows written between publish and the first `erpmes run` are sent.
ALTER TABLE erpmes.publication ADD COLUMN published_snapshot pg_snapshot;
COMMENT ON COLUMN erpmes.publication.published_snapshot IS
    'Snapshot of the first publish of the entity: a new link reads every change after it.';

-- The error that keeps a link direction from making progress, as the replicator last saw it;
-- removed by the next batch that commits. Read by erpmes.replication_health and `erpmes status`.
CREATE TABLE erpmes.link_error (
    consumer text PRIMARY KEY,
    stage text NOT NULL,
    sqlstate text,
    message text NOT NULL,
    since timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    attempts bigint NOT NULL DEFAULT 1
);
COMMENT ON TABLE erpmes.link_error IS
    'Per link direction: the error that stops it from making progress (stage, SQLSTATE, since when); cleared by the next committed batch.';

GRANT SELECT ON erpmes.link_error TO erpmes_run;

RESET ROLE;
