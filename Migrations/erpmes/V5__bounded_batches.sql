-- Bounded batches (issue 13): a window of changes larger than one batch is applied as a sequence
-- of committed chunks under a sub-position; a link starts where its entities were declared; an
-- error that stops a direction is stored where `erpmes status` and the health view read it.

SET LOCAL ROLE erpmes_owner;

-- The sub-position of a window being applied in chunks. `snapshot` stays the last tick applied
-- whole; while window_snapshot is set, the changes visible in it and not in `snapshot` are being
-- applied in the order (position of the entity in window_entities, key), and every key up to and
-- including (window_after_entity, window_after_key) is applied and committed. NULL: no window open.
ALTER TABLE erpmes.apply_position
    ADD COLUMN window_snapshot pg_snapshot,
    ADD COLUMN window_entities text[],
    ADD COLUMN window_after_entity text,
    ADD COLUMN window_after_key jsonb,
    ADD COLUMN window_keys bigint,
    ADD COLUMN window_applied bigint;
COMMENT ON COLUMN erpmes.apply_position.window_snapshot IS
    'Tick of the window being applied in chunks (NULL: none open); snapshot is the last tick applied whole.';
COMMENT ON COLUMN erpmes.apply_position.window_entities IS 'Entities of the open window, in the order its keys are applied.';
COMMENT ON COLUMN erpmes.apply_position.window_after_entity IS 'The open window is applied up to this entity''s window_after_key.';
COMMENT ON COLUMN erpmes.apply_position.window_after_key IS 'The last key applied of window_after_entity (keys in jsonb order).';
COMMENT ON COLUMN erpmes.apply_position.window_keys IS 'Distinct keys in the open window, when it was opened.';
COMMENT ON COLUMN erpmes.apply_position.window_applied IS 'Keys of the open window applied so far (committed chunks).';

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
