-- erpmes.replication_health: what this database knows about the links that read from it (role
-- 'source': pending changes and lag per entity) and the links that apply into it (role 'target':
-- apply rate, last batch, dead letters, conflicts, pauses per entity), with an OK/WARN/CRIT status
-- against erpmes.health_threshold. `erpmes status` reads it on both databases of each link.
-- erpmes:requires replication_health_status.sql
-- erpmes:requires link_error_text.sql
SET LOCAL ROLE erpmes_owner;
-- Dropped first: a repeatable view that gains a column cannot be replaced in place.
DROP VIEW IF EXISTS erpmes.replication_health;
CREATE VIEW erpmes.replication_health AS
WITH heartbeat AS (
    -- A replicator holding its link's advisory lock (class LINK) is alive: heartbeat 0. Otherwise
    -- the time since it was last seen: its last tick on a source, its last batch on a target.
    SELECT seen.consumer,
           CASE WHEN EXISTS (
                    SELECT FROM pg_locks AS l
                    WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND l.classid = 1279872587::oid
                      AND l.objid = ((hashtext(split_part(seen.consumer, ':', 1))::bigint + 4294967296) % 4294967296)::oid)
                THEN 0
                ELSE extract(epoch FROM now() - seen.at)
           END AS seconds
    FROM (SELECT c.consumer, coalesce(c.last_tick_at, c.registered_at) AS at FROM erpmes.consumer AS c
          UNION ALL
          SELECT a.consumer, coalesce(a.applied_at, now()) FROM erpmes.apply_position AS a) AS seen
), oldest AS (
    SELECT coalesce(extract(epoch FROM max(now() - s.xact_start)), 0) AS seconds
    FROM pg_stat_activity AS s
    WHERE s.datname = current_database() AND s.backend_xid IS NOT NULL
), source AS (
    SELECT split_part(c.consumer, ':', 1) AS link, split_part(c.consumer, ':', 2) AS direction, p.entity,
           'source'::text AS role,
           count(DISTINCT q.key) AS pending,
           coalesce(extract(epoch FROM now() - min(q.queued_at)), 0)::numeric(12,1) AS lag_seconds,
           NULL::numeric AS apply_rate, NULL::numeric AS applied_last_hour, NULL::timestamptz AS last_batch_at,
           0::bigint AS dead_letters, 0::bigint AS open_conflicts, NULL::text AS paused,
           c.needs_resync, c.consumer
    FROM erpmes.consumer AS c
    CROSS JOIN erpmes.publication AS p
    LEFT JOIN erpmes.queue AS q ON q.entity_id = p.entity_id
        AND c.confirmed_snapshot IS NOT NULL
        AND q.xid >= pg_snapshot_xmin(c.confirmed_snapshot)
        AND pg_visible_in_snapshot(q.xid, pg_current_snapshot())
        AND NOT pg_visible_in_snapshot(q.xid, c.confirmed_snapshot)
    GROUP BY c.consumer, p.entity, c.needs_resync
), target AS (
    SELECT split_part(a.consumer, ':', 1) AS link, split_part(a.consumer, ':', 2) AS direction, s.entity,
           'target'::text AS role,
           NULL::bigint AS pending, NULL::numeric AS lag_seconds,
           (SELECT coalesce(sum(st.keys), 0) / 60.0 FROM erpmes.apply_stat AS st
            WHERE st.consumer = a.consumer AND st.entity = s.entity
              AND st.minute >= date_trunc('minute', now()) - interval '1 minute')::numeric(12,1)
               AS apply_rate,
           (SELECT coalesce(sum(st.keys), 0) FROM erpmes.apply_stat AS st
            WHERE st.consumer = a.consumer AND st.entity = s.entity) AS applied_last_hour,
           a.applied_at AS last_batch_at,
           (SELECT count(*) FROM erpmes.dead_letter AS d WHERE d.entity = s.entity AND d.status IN ('open', 'retry', 'requeued'))
               AS dead_letters,
           (SELECT count(*) FROM erpmes.conflict AS k WHERE k.entity = s.entity AND k.status = 'open') AS open_conflicts,
           (SELECT e.reason FROM erpmes.entity_pause AS e WHERE e.entity = s.entity) AS paused,
           false AS needs_resync, a.consumer
    FROM erpmes.apply_position AS a
    CROSS JOIN erpmes.subscription AS s
), rows AS (
    SELECT * FROM source UNION ALL SELECT * FROM target
)
SELECT r.link, r.direction, r.entity, r.role, r.pending, r.lag_seconds,
       o.seconds::numeric(12,1) AS oldest_xact_seconds,
       r.apply_rate, r.applied_last_hour, r.last_batch_at, r.dead_letters, r.open_conflicts, r.paused,
       b.seconds::numeric(12,1) AS heartbeat_seconds,
       pg_notification_queue_usage()::numeric(6,4) AS notification_queue,
       r.needs_resync, f.error, h.status, h.reason
FROM rows AS r
-- The error that stops a link direction, as its replicator stored it here (erpmes.report_error).
CROSS JOIN LATERAL (SELECT erpmes.link_error_text(r.consumer) AS error) AS f
CROSS JOIN oldest AS o
CROSS JOIN LATERAL (SELECT max(x.seconds) AS seconds FROM heartbeat AS x WHERE x.consumer = r.consumer) AS b
CROSS JOIN LATERAL erpmes.health_status(
    r.lag_seconds, b.seconds, r.dead_letters, r.open_conflicts, o.seconds, pg_notification_queue_usage(),
    r.paused, r.needs_resync, f.error) AS h;
COMMENT ON VIEW erpmes.replication_health IS
    'Per link, direction and entity, as this database sees it (role source or target): pending changes, lag, apply rate, dead letters, conflicts, pauses, heartbeat and an OK/WARN/CRIT status.';
COMMENT ON COLUMN erpmes.replication_health.link IS 'The link (a [links.NAME] of the configuration).';
COMMENT ON COLUMN erpmes.replication_health.direction IS 'erp>mes or mes>erp.';
COMMENT ON COLUMN erpmes.replication_health.entity IS 'The entity.';
COMMENT ON COLUMN erpmes.replication_health.role IS 'source: this database publishes the entity to the link; target: it applies it.';
COMMENT ON COLUMN erpmes.replication_health.pending IS 'Source: keys committed here and not yet applied by the link.';
COMMENT ON COLUMN erpmes.replication_health.lag_seconds IS 'Source: age of the oldest committed change not yet applied; 0 when idle.';
COMMENT ON COLUMN erpmes.replication_health.oldest_xact_seconds IS 'Age of the oldest open transaction holding an xid in this database (it holds queue rotation back).';
COMMENT ON COLUMN erpmes.replication_health.apply_rate IS 'Target: keys applied per second over the last minute.';
COMMENT ON COLUMN erpmes.replication_health.applied_last_hour IS 'Target: keys of the entity applied in the last hour.';
COMMENT ON COLUMN erpmes.replication_health.last_batch_at IS 'Target: when the link last applied a batch in this direction.';
COMMENT ON COLUMN erpmes.replication_health.dead_letters IS 'Target: keys of the entity waiting in erpmes.dead_letter.';
COMMENT ON COLUMN erpmes.replication_health.open_conflicts IS 'Target: conflicts of the entity parked for a person (manual rule).';
COMMENT ON COLUMN erpmes.replication_health.paused IS 'Target: why the entity is paused (schema drift or a schema error), NULL when it runs.';
COMMENT ON COLUMN erpmes.replication_health.heartbeat_seconds IS '0 while a replicator holds the link; else seconds since it was last seen.';
COMMENT ON COLUMN erpmes.replication_health.notification_queue IS 'pg_notification_queue_usage() of this server.';
COMMENT ON COLUMN erpmes.replication_health.needs_resync IS 'Source: the link was down longer than the retention; its queued changes may be gone.';
COMMENT ON COLUMN erpmes.replication_health.error IS 'The error that keeps the link direction from making progress (SQLSTATE, stage, since when), NULL while it progresses.';
COMMENT ON COLUMN erpmes.replication_health.status IS 'OK, WARN or CRIT against erpmes.health_threshold; a pause, a needed resync or a stored error is CRIT.';
COMMENT ON COLUMN erpmes.replication_health.reason IS 'What made the status WARN or CRIT.';
GRANT SELECT ON erpmes.replication_health TO erpmes_run;
RESET ROLE;
