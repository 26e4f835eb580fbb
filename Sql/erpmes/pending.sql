-- erpmes.pending: per entity, the changes committed on this database that a link has not applied
-- yet (visible now, not in the link's applied snapshot), and the age of the oldest one: the lag.
-- A link that is idle has none, so its lag is 0, not "time since the last batch".
-- Called by `erpmes status` with the position read from the link's target; NULL for a link that
-- never ran: then from where it will start (erpmes.declared_snapshot).
-- erpmes:requires declared_snapshot.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.pending(applied pg_snapshot)
RETURNS TABLE (entity text, pending bigint, oldest timestamptz, lag interval)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    WITH since AS (
        SELECT coalesce(applied, erpmes.declared_snapshot()) AS applied
    )
    SELECT p.entity, count(DISTINCT q.key), min(q.queued_at), coalesce(now() - min(q.queued_at), '0'::interval)
    FROM erpmes.publication AS p
    CROSS JOIN since AS s
    LEFT JOIN erpmes.queue AS q ON q.entity_id = p.entity_id
        AND q.xid >= pg_snapshot_xmin(s.applied)
        AND pg_visible_in_snapshot(q.xid, pg_current_snapshot())
        AND NOT pg_visible_in_snapshot(q.xid, s.applied)
    GROUP BY p.entity
    ORDER BY p.entity;
END;
REVOKE ALL ON FUNCTION erpmes.pending(pg_snapshot) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.pending(pg_snapshot) TO erpmes_run;
COMMENT ON FUNCTION erpmes.pending(pg_snapshot) IS
    'Changes committed here and not yet applied by a link (given its applied snapshot), per entity, with the oldest one''s age.';
RESET ROLE;
