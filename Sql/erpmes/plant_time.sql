-- Plant-local time. Every erpmes connection runs in UTC and the ERP keeps naive UTC timestamps;
-- the MES keeps naive plant-local ones. The plant's IANA zone comes from the link: the replicator
-- sets erpmes.plant_tz (SET LOCAL) in every transaction, and these helpers default to it.
--   erpmes.plant_zone                 checks a zone: missing, or a POSIX offset like 'UTC+2', is refused
--   erpmes.utc_to_local               naive UTC -> naive local (always exactly one answer)
--   erpmes.local_to_utc_candidates    every UTC instant a local time names: 0 (DST gap), 1, or 2 (overlap)
--   erpmes.local_to_utc               naive local -> naive UTC; a gap or an overlap is rejected (22007)
--                                     or resolved the way the caller says
--   erpmes.local_to_utc_near          an overlap resolved by the instant nearest a neighbouring value
-- Gaps and overlaps are found from the zone's own offsets around the time, never from dates known
-- in advance. Pure functions of the time zone database (as PostgreSQL's own AT TIME ZONE is), so
-- IMMUTABLE; no SET search_path (it would cost every call; they read no table).
SET LOCAL ROLE erpmes_owner;

CREATE OR REPLACE FUNCTION erpmes.plant_zone(tz text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF tz IS NULL OR btrim(tz) = '' THEN
        RAISE EXCEPTION 'no plant time zone: set timezone on the link' USING ERRCODE = '22023',
            HINT = 'erpmes run sets erpmes.plant_tz from the link''s timezone; elsewhere pass tz or SET erpmes.plant_tz';
    END IF;
    -- PostgreSQL reads these as POSIX zones, whose sign is the opposite of ISO 8601's: 'UTC+2' is two
    -- hours behind UTC. A plant needs its IANA zone anyway, for its DST rules.
    IF tz ~ '^[+-]?[0-9]' OR tz ~* '^(UTC|GMT|Z)[+-]?0*[1-9]' THEN
        RAISE EXCEPTION 'plant time zone "%" is a fixed offset, not an IANA zone name', tz USING ERRCODE = '22023',
            HINT = 'use the plant''s IANA zone, e.g. Europe/Berlin';
    END IF;
    -- An unknown name fails here with PostgreSQL's own 22023: time zone "..." not recognized.
    PERFORM timestamptz '2000-01-01 00:00:00+00' AT TIME ZONE tz;
    RETURN tz;
END $$;
REVOKE ALL ON FUNCTION erpmes.plant_zone(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.plant_zone(text) TO PUBLIC;  -- pure: reads nothing
REVOKE ALL ON FUNCTION erpmes.plant_zone(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.plant_zone(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.plant_zone(text) IS
    'Returns tz when it is a usable plant time zone; NULL or empty, a POSIX offset or an unknown name: 22023.';

CREATE OR REPLACE FUNCTION erpmes.utc_to_local(ts timestamp, tz text DEFAULT current_setting('erpmes.plant_tz', true))
RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (ts AT TIME ZONE 'UTC') AT TIME ZONE erpmes.plant_zone(tz);
REVOKE ALL ON FUNCTION erpmes.utc_to_local(timestamp, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.utc_to_local(timestamp, text) TO PUBLIC;  -- pure
COMMENT ON FUNCTION erpmes.utc_to_local(timestamp, text) IS
    'A naive UTC timestamp as naive local time in tz (default: erpmes.plant_tz, the link''s zone).';

CREATE OR REPLACE FUNCTION erpmes.local_to_utc_candidates(
    ts timestamp,
    tz text DEFAULT current_setting('erpmes.plant_tz', true)
) RETURNS timestamp[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    zone text := erpmes.plant_zone(tz);
    -- The wall time read as if it were UTC: an instant showing ts is this minus its offset.
    naive timestamptz := ts AT TIME ZONE 'UTC';
    -- PostgreSQL's own reading (in a gap: the offset before it; in an overlap: the later one).
    guess timestamptz := ts AT TIME ZONE zone;
    step interval;
    probe timestamptz;
    candidate timestamptz;
    instants timestamp[] := '{}';
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    -- Every offset the zone has near the time (a DST change, or a whole day skipped or repeated as
    -- Samoa did in 2011) gives a candidate; those that show ts again are the answers.
    FOREACH step IN ARRAY ARRAY['0', '-3 hours', '3 hours', '-25 hours', '25 hours']::interval[] LOOP
        probe := guess + step;
        candidate := naive - ((probe AT TIME ZONE zone) - (probe AT TIME ZONE 'UTC'));
        IF (candidate AT TIME ZONE zone) = ts AND NOT (candidate AT TIME ZONE 'UTC') = ANY (instants) THEN
            instants := instants || (candidate AT TIME ZONE 'UTC');
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT f FROM unnest(instants) AS f ORDER BY f);
END $$;
REVOKE ALL ON FUNCTION erpmes.local_to_utc_candidates(timestamp, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.local_to_utc_candidates(timestamp, text) TO PUBLIC;  -- pure
COMMENT ON FUNCTION erpmes.local_to_utc_candidates(timestamp, text) IS
    'Every naive UTC instant whose local time in tz is ts, earliest first: none in a DST gap, two in an overlap.';

CREATE OR REPLACE FUNCTION erpmes.local_to_utc(
    ts timestamp,
    tz text DEFAULT current_setting('erpmes.plant_tz', true),
    on_gap text DEFAULT 'reject',
    on_overlap text DEFAULT 'reject'
) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    zone text := erpmes.plant_zone(tz);
    instants timestamp[];
    naive timestamptz;
    probe timestamptz;
    candidate timestamptz;
    step interval;
    shifted timestamptz;
BEGIN
    IF on_gap IS NULL OR on_gap NOT IN ('reject', 'shift_forward') THEN
        RAISE EXCEPTION 'on_gap must be reject or shift_forward, not %', coalesce(quote_literal(on_gap), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF on_overlap IS NULL OR on_overlap NOT IN ('reject', 'earlier', 'later') THEN
        RAISE EXCEPTION 'on_overlap must be reject, earlier or later, not %', coalesce(quote_literal(on_overlap), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    instants := erpmes.local_to_utc_candidates(ts, zone);
    IF cardinality(instants) = 1 THEN
        RETURN instants[1];
    ELSIF cardinality(instants) > 1 THEN
        IF on_overlap = 'earlier' THEN
            RETURN instants[1];
        ELSIF on_overlap = 'later' THEN
            RETURN instants[cardinality(instants)];
        END IF;
        RAISE EXCEPTION 'local time % is ambiguous in %: it occurs twice, at % and % UTC (DST overlap)', ts, zone,
            instants[1], instants[cardinality(instants)] USING ERRCODE = '22007',
            HINT = 'pass on_overlap => ''earlier'' or ''later'', or use erpmes.local_to_utc_near with a neighbouring value';
    ELSIF on_gap = 'reject' THEN
        RAISE EXCEPTION 'local time % does not exist in %: the clocks skip it (DST gap)', ts, zone USING ERRCODE = '22007',
            HINT = 'pass on_gap => ''shift_forward'' to move it forward by the gap''s length';
    END IF;
    -- shift_forward: read with the offset before the gap, the time lands after it, moved by the
    -- gap's length (02:30 in a one-hour gap at 02:00 is 03:30). Of the readings with the zone's
    -- offsets around it, that is the earliest whose local time is later than ts.
    naive := ts AT TIME ZONE 'UTC';
    FOREACH step IN ARRAY ARRAY['-3 hours', '3 hours', '-25 hours', '25 hours']::interval[] LOOP
        probe := (ts AT TIME ZONE zone) + step;
        candidate := naive - ((probe AT TIME ZONE zone) - (probe AT TIME ZONE 'UTC'));
        IF (candidate AT TIME ZONE zone) > ts AND (shifted IS NULL OR candidate < shifted) THEN
            shifted := candidate;
        END IF;
    END LOOP;
    RETURN shifted AT TIME ZONE 'UTC';
END $$;
REVOKE ALL ON FUNCTION erpmes.local_to_utc(timestamp, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.local_to_utc(timestamp, text, text, text) TO PUBLIC;  -- pure
COMMENT ON FUNCTION erpmes.local_to_utc(timestamp, text, text, text) IS
    'Naive local time in tz as naive UTC. DST gap: on_gap reject (22007) | shift_forward; DST overlap: on_overlap reject (22007) | earlier | later.';

CREATE OR REPLACE FUNCTION erpmes.local_to_utc_near(
    ts timestamp,
    neighbour_utc timestamp,
    tz text DEFAULT current_setting('erpmes.plant_tz', true),
    on_gap text DEFAULT 'reject'
) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    zone text := erpmes.plant_zone(tz);
    instants timestamp[];
    first_distance numeric;
    last_distance numeric;
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    instants := erpmes.local_to_utc_candidates(ts, zone);
    IF cardinality(instants) < 2 THEN
        RETURN erpmes.local_to_utc(ts, zone, on_gap, 'reject');
    END IF;
    IF neighbour_utc IS NOT NULL THEN
        first_distance := abs(extract(epoch FROM instants[1] - neighbour_utc));
        last_distance := abs(extract(epoch FROM instants[cardinality(instants)] - neighbour_utc));
        IF first_distance < last_distance THEN
            RETURN instants[1];
        ELSIF last_distance < first_distance THEN
            RETURN instants[cardinality(instants)];
        END IF;
    END IF;
    RAISE EXCEPTION 'local time % is ambiguous in %: it occurs twice, at % and % UTC (DST overlap), and the neighbouring value % UTC does not tell which',
        ts, zone, instants[1], instants[cardinality(instants)], coalesce(neighbour_utc::text, 'NULL') USING ERRCODE = '22007';
END $$;
REVOKE ALL ON FUNCTION erpmes.local_to_utc_near(timestamp, timestamp, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.local_to_utc_near(timestamp, timestamp, text, text) TO PUBLIC;  -- pure
COMMENT ON FUNCTION erpmes.local_to_utc_near(timestamp, timestamp, text, text) IS
    'Like erpmes.local_to_utc, but a DST overlap takes the instant nearest neighbour_utc (a known neighbouring value in UTC); no neighbour or a tie: 22007.';

RESET ROLE;
