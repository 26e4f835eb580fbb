-- Replication health (DESIGN 6): per-minute apply counts for the apply rate, and the thresholds
-- the OK/WARN/CRIT status of erpmes.replication_health compares with (a DBA updates them).

SET LOCAL ROLE erpmes_owner;

CREATE TABLE erpmes.apply_stat (
    consumer text NOT NULL,
    entity text NOT NULL,
    minute timestamptz NOT NULL,
    keys bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer, entity, minute)
);
COMMENT ON TABLE erpmes.apply_stat IS 'Keys applied per link direction, entity and minute (the last hour), for the apply rate.';

CREATE TABLE erpmes.health_threshold (
    metric text PRIMARY KEY,
    warn numeric,
    crit numeric,
    description text NOT NULL
);
INSERT INTO erpmes.health_threshold (metric, warn, crit, description) VALUES
    ('lag_seconds', 60, 300, 'age of the oldest committed change not yet applied'),
    ('heartbeat_seconds', 30, 120, 'time since the replicator of the link was last seen (0 while it holds the link)'),
    ('dead_letters', 1, 100, 'keys of the entity in the dead letter (open)'),
    ('open_conflicts', 1, NULL, 'conflicts parked by the manual rule, waiting for a person'),
    ('oldest_xact_seconds', 600, 3600, 'age of the oldest open transaction holding an xid (holds back the queue)'),
    ('notification_queue', 0.5, 0.9, 'pg_notification_queue_usage(): fraction of the NOTIFY queue in use');
COMMENT ON TABLE erpmes.health_threshold IS
    'Thresholds of erpmes.replication_health: a metric at or above warn is WARN, at or above crit is CRIT (NULL: never).';

GRANT SELECT, INSERT, UPDATE, DELETE ON erpmes.apply_stat TO erpmes_run;
GRANT SELECT ON erpmes.health_threshold TO erpmes_run;

RESET ROLE;
