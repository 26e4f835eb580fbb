-- Flow "production to inventory", ERP side: the posting date of a production record. The MES keeps
-- naive plant-local times; the ERP keeps naive UTC. erp.production_local_to_utc converts one with
-- the plant's zone and answers NULL where it cannot tell (the apply function then rejects the
-- record, naming the column): in the autumn DST overlap the time is read as the earliest instant
-- not before its neighbouring value (the record's timerangefrom), which must itself be
-- unambiguous; a time in the spring gap is read as if the clock had not been moved yet (shifted
-- forward by the gap's length, as erpmes.local_to_utc on_gap => 'shift_forward').

CREATE OR REPLACE FUNCTION erp.production_local_to_utc(ts timestamp, neighbour timestamp, tz text)
RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    here timestamp[];
    near timestamp[];
    anchor timestamp;
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    here := erpmes.local_to_utc_candidates(ts, tz);
    IF cardinality(here) = 1 THEN
        RETURN here[1];
    ELSIF cardinality(here) = 0 THEN
        RETURN erpmes.local_to_utc(ts, tz, 'shift_forward', 'reject');
    END IF;
    near := erpmes.local_to_utc_candidates(neighbour, tz);
    IF cardinality(near) = 1 THEN
        anchor := near[1];
    ELSIF cardinality(near) = 0 AND neighbour IS NOT NULL THEN
        anchor := erpmes.local_to_utc(neighbour, tz, 'shift_forward', 'reject');
    ELSE
        RETURN NULL;
    END IF;
    RETURN (SELECT min(c) FROM unnest(here) AS c WHERE c >= anchor);
END $$;
REVOKE ALL ON FUNCTION erp.production_local_to_utc(timestamp, timestamp, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.production_local_to_utc(timestamp, timestamp, text) TO erpmes_run;
COMMENT ON FUNCTION erp.production_local_to_utc(timestamp, timestamp, text) IS
    'A plant-local naive time as naive UTC: a DST gap shifted forward, an overlap resolved as the earliest instant not before the (unambiguous) neighbouring time; NULL when that cannot tell.';
