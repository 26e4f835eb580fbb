-- erpmes.health_status: OK, WARN or CRIT for one row of erpmes.replication_health, against the
-- thresholds in erpmes.health_threshold, with the reason in words.
-- error: the stored error that keeps the link direction from making progress (CRIT).
SET LOCAL ROLE erpmes_owner;
-- The form without the error argument goes, with the view that called it (replication_health.sql,
-- which requires this file, creates it again).
DROP FUNCTION IF EXISTS erpmes.health_status(numeric, numeric, bigint, bigint, numeric, double precision, text, boolean) CASCADE;
CREATE OR REPLACE FUNCTION erpmes.health_status(
    lag_seconds numeric, heartbeat_seconds numeric, dead_letters bigint, open_conflicts bigint,
    oldest_xact_seconds numeric, notification_queue double precision, paused text, needs_resync boolean,
    error text,
    OUT status text, OUT reason text
)
LANGUAGE sql STABLE SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    WITH metric (name, value) AS (
        VALUES ('lag_seconds', lag_seconds), ('heartbeat_seconds', heartbeat_seconds),
               ('dead_letters', dead_letters::numeric), ('open_conflicts', open_conflicts::numeric),
               ('oldest_xact_seconds', oldest_xact_seconds), ('notification_queue', notification_queue::numeric)
    ), level AS (
        SELECT m.name, m.value,
               CASE WHEN t.crit IS NOT NULL AND m.value >= t.crit THEN 2
                    WHEN t.warn IS NOT NULL AND m.value >= t.warn THEN 1 ELSE 0 END AS level
        FROM metric AS m JOIN erpmes.health_threshold AS t ON t.metric = m.name
        WHERE m.value IS NOT NULL
        UNION ALL SELECT 'paused: ' || paused, NULL, 2 WHERE paused IS NOT NULL
        UNION ALL SELECT 'needs resync', NULL, 2 WHERE needs_resync
        UNION ALL SELECT error, NULL, 2 WHERE error IS NOT NULL
    )
    SELECT CASE coalesce(max(l.level), 0) WHEN 2 THEN 'CRIT' WHEN 1 THEN 'WARN' ELSE 'OK' END,
           string_agg(CASE WHEN l.value IS NULL THEN l.name ELSE l.name || ' ' || trim_scale(round(l.value, 1)) END,
                      '; ' ORDER BY l.level DESC, l.name) FILTER (WHERE l.level > 0)
    FROM level AS l;
END;
COMMENT ON FUNCTION erpmes.health_status(numeric, numeric, bigint, bigint, numeric, double precision, text, boolean, text) IS
    'OK/WARN/CRIT of one replication_health row against erpmes.health_threshold, with the reason.';
RESET ROLE;
