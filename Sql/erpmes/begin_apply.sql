-- erpmes.begin_apply: opens the apply of one batch inside the target transaction. Locks the
-- link's position (FOR UPDATE) and checks, against the committed row, that it still equals the
-- batch's start, that the owner epoch is the caller's and that the source is the same cluster;
-- otherwise it raises and the caller rolls back. So two applies of one batch can never both commit.
-- The start is the whole position: the last tick applied whole and, while a window is applied in
-- chunks, that window and how many of its keys are applied (see erpmes.finish_apply).
-- Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
DROP FUNCTION IF EXISTS erpmes.begin_apply(text, pg_snapshot, bigint, bigint, integer);
CREATE OR REPLACE FUNCTION erpmes.begin_apply(
    consumer_name text,
    expected pg_snapshot,
    epoch bigint,
    system_identifier bigint,
    timeline integer,
    expected_window pg_snapshot,
    expected_done bigint
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    position erpmes.apply_position;
BEGIN
    SELECT * INTO position FROM erpmes.apply_position WHERE consumer = consumer_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'link % has no apply position on this database', consumer_name USING ERRCODE = '42704';
    END IF;
    IF position.source_system_identifier <> system_identifier OR position.source_timeline <> timeline THEN
        RAISE EXCEPTION 'link %: the source is not the cluster this link was started on', consumer_name
            USING ERRCODE = 'EM003',
                  DETAIL = format('applied from system_identifier %s timeline %s; the source now reports %s timeline %s',
                                  position.source_system_identifier, position.source_timeline, system_identifier, timeline),
                  HINT = 'after a restore or failover the queue may repeat xids; resynchronise the link (verify/repair)';
    END IF;
    IF position.owner_epoch <> epoch THEN
        RAISE EXCEPTION 'link %: another replicator took the link over (epoch % is not %)',
            consumer_name, position.owner_epoch, epoch USING ERRCODE = 'EM001';
    END IF;
    IF position.snapshot::text <> expected::text
        OR position.window_snapshot::text IS DISTINCT FROM expected_window::text
        OR position.window_done IS DISTINCT FROM expected_done THEN
        RAISE EXCEPTION 'link %: the apply position moved; this batch was already applied', consumer_name
            USING ERRCODE = 'EM002';
    END IF;
    PERFORM set_config('erpmes.origin', consumer_name, true);
END $$;
REVOKE ALL ON FUNCTION erpmes.begin_apply(text, pg_snapshot, bigint, bigint, integer, pg_snapshot, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.begin_apply(text, pg_snapshot, bigint, bigint, integer, pg_snapshot, bigint) TO erpmes_run;
COMMENT ON FUNCTION erpmes.begin_apply(text, pg_snapshot, bigint, bigint, integer, pg_snapshot, bigint) IS
    'Locks and checks a link''s apply position (start, owner epoch, source identity) before a batch applies.';
RESET ROLE;
