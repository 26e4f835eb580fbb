-- erpmes.apply_entity: applies the rows of one entity that the replicator loaded with COPY into
-- the session's temporary table erpmes_batch (key jsonb, op "char", payload jsonb), then records
-- bases and dead letters. Runs with the caller's rights: the apply function writes business tables
-- with the replicator login's grants. Called by `erpmes run` inside the batch's transaction.
--
-- 1. Holds: a key with an open dead letter waits (its later changes are counted, not applied); a
--    row whose payload names in "$depends" a key that is in the dead letter waits for it.
-- 2. Three-way merge (when this database also publishes the entity, or the rule is not
--    source_wins): locks the stored rows, reads their current neutral values through this
--    database's payload function, and compares source, base and target per column. A conflict is
--    a column changed on both sides since the base; the entity's rule decides it, and every
--    decision writes one erpmes.conflict_log row. Only changed columns are written: an update's
--    payload carries just those columns (and "$" metadata), an insert's the whole row.
-- 3. The apply function runs on what is left; its 'rejected' keys go to the dead letter.
-- force (erpmes conflicts resolve): no holds, no merge; the payload is written as given.
-- erpmes:requires record_base.sql
-- erpmes:requires resolve_conflict.sql
-- erpmes:requires requeue.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.apply_entity(entity_name text, force boolean DEFAULT false)
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    sub erpmes.subscription;
    pub erpmes.publication;
    consumer_name text := coalesce(nullif(current_setting('erpmes.origin', true), ''), 'manual');
    source_side text := coalesce(nullif(current_setting('erpmes.source_side', true), ''), 'erp');
    three_way boolean;
    keep_base boolean;
    lock_sql text;
    fn regproc;
BEGIN
    SELECT * INTO sub FROM erpmes.subscription AS s WHERE s.entity = entity_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'entity % is not subscribed on this database', entity_name USING ERRCODE = '42704';
    END IF;
    SELECT * INTO pub FROM erpmes.publication AS p WHERE p.entity = entity_name;
    fn := sub.apply_function::regproc;
    CREATE TEMP TABLE IF NOT EXISTS erpmes_outcome (key jsonb, outcome text, reason text) ON COMMIT DROP;
    TRUNCATE erpmes_outcome;
    CREATE TEMP TABLE IF NOT EXISTS erpmes_merge (
        key jsonb PRIMARY KEY, op "char", source jsonb, base jsonb, has_base boolean, target jsonb,
        has_target boolean, changed text[], target_changed text[], conflicts text[], kind text,
        write jsonb, new_op "char", vals jsonb, outcome text, decided boolean
    ) ON COMMIT DROP;
    TRUNCATE erpmes_merge;

    -- Holds only while the dead letter holds anything: an empty one costs one probe, not a join.
    IF NOT force AND EXISTS (SELECT FROM erpmes.dead_letter AS d WHERE d.status IN ('open', 'retry', 'requeued')) THEN
        -- Later changes of a quarantined key wait for it.
        WITH held AS (
            UPDATE erpmes.dead_letter AS d SET held_changes = d.held_changes + 1
            FROM pg_temp.erpmes_batch AS b
            WHERE d.entity = entity_name AND d.key = b.key AND d.status = 'open'
            RETURNING d.key, d.id
        )
        INSERT INTO erpmes_outcome SELECT h.key, 'held', format('dead letter %s holds this key', h.id) FROM held AS h;
        -- Dependants (children, corrections) of a key in the dead letter wait for it, in it.
        WITH blocked AS (
            SELECT DISTINCT ON (b.key) b.key, dep, d.id
            FROM pg_temp.erpmes_batch AS b
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(b.payload->'$depends') = 'array'
                                                         THEN b.payload->'$depends' ELSE '[]' END) AS dep
            JOIN erpmes.dead_letter AS d ON d.entity = dep->>'entity' AND d.key = dep->'key'
                AND d.status IN ('open', 'retry', 'requeued')
            WHERE b.op = 'U' AND NOT EXISTS (SELECT FROM erpmes_outcome AS o WHERE o.key = b.key)
            ORDER BY b.key, d.id
        ), parked AS (
            INSERT INTO erpmes.dead_letter (consumer, entity, key, message, blocked_by)
            SELECT consumer_name, entity_name, k.key,
                   format('%s %s waits for %s %s, which is in the dead letter (#%s)',
                          entity_name, k.key, k.dep->>'entity', k.dep->'key', k.id),
                   k.dep
            FROM blocked AS k
            RETURNING dead_letter.key, dead_letter.message
        )
        INSERT INTO erpmes_outcome SELECT p.key, 'held', p.message FROM parked AS p;
        DELETE FROM pg_temp.erpmes_batch AS b USING erpmes_outcome AS o WHERE o.key = b.key;
    END IF;

    three_way := NOT force AND (pub.entity_id IS NOT NULL OR sub.conflict_rule <> 'source_wins');
    keep_base := pub.entity_id IS NOT NULL OR sub.conflict_rule <> 'source_wins';

    IF three_way THEN
        CREATE TEMP TABLE IF NOT EXISTS erpmes_current (key jsonb, payload jsonb) ON COMMIT DROP;
        TRUNCATE erpmes_current;
        IF pub.entity_id IS NOT NULL THEN
            -- The row lock first: the values read next are the committed ones, and no local
            -- writer changes them before this transaction ends.
            SELECT format('SELECT FROM %s AS t JOIN pg_temp.erpmes_batch AS b ON %s ORDER BY b.key FOR UPDATE OF t',
                          pub.source_table,
                          string_agg(format('t.%I = (b.key->>%L)::%s', c.col, c.name,
                                            format_type(a.atttypid, a.atttypmod)), ' AND '))
            INTO lock_sql
            FROM unnest(pub.key_columns, coalesce(pub.key_names, pub.key_columns)) AS c(col, name)
            JOIN pg_attribute AS a ON a.attrelid = pub.source_table AND a.attname = c.col;
            EXECUTE lock_sql;
            EXECUTE format('INSERT INTO erpmes_current SELECT p.key, p.payload FROM %s(ARRAY(SELECT b.key FROM pg_temp.erpmes_batch AS b WHERE b.op <> ''T'')) AS p',
                           pub.payload_function::regproc);
        END IF;
        -- Without a publication here the target's state is taken to be its base.
        INSERT INTO erpmes_merge (key, op, source, base, has_base, target, has_target)
        SELECT b.key, b.op, b.payload - '$base',
               CASE WHEN b.payload ? '$base' THEN nullif(b.payload->'$base', 'null') ELSE bs.vals END,
               CASE WHEN b.payload ? '$base' THEN nullif(b.payload->'$base', 'null') IS NOT NULL ELSE bs.vals IS NOT NULL END,
               CASE WHEN pub.entity_id IS NOT NULL THEN c.payload ELSE bs.vals END,
               CASE WHEN pub.entity_id IS NOT NULL THEN c.key IS NOT NULL ELSE bs.vals IS NOT NULL END
        FROM pg_temp.erpmes_batch AS b
        LEFT JOIN erpmes.base AS bs ON bs.entity = entity_name AND bs.key = b.key
        LEFT JOIN erpmes_current AS c ON c.key = b.key
        WHERE b.op IN ('U', 'D');
        PERFORM erpmes.resolve_conflicts(sub, source_side, consumer_name);
        -- The batch becomes what is to be written.
        DELETE FROM pg_temp.erpmes_batch AS b USING erpmes_merge AS m WHERE m.key = b.key;
        INSERT INTO pg_temp.erpmes_batch (key, op, payload)
        SELECT m.key, m.new_op, m.write FROM erpmes_merge AS m WHERE m.new_op IS NOT NULL ORDER BY m.key;
        INSERT INTO erpmes_outcome
        SELECT m.key, m.outcome, NULL FROM erpmes_merge AS m WHERE m.new_op IS NULL;
    END IF;

    IF EXISTS (SELECT FROM pg_temp.erpmes_batch) THEN
        EXECUTE format('INSERT INTO erpmes_outcome SELECT * FROM %s()', fn);
    END IF;

    -- Rejected rows go to the dead letter with the apply function's reason; nothing is dropped.
    INSERT INTO erpmes.dead_letter AS d (consumer, entity, key, sqlstate, message)
    SELECT consumer_name, entity_name, o.key, 'P0001',
           CASE WHEN position(o.key::text IN coalesce(o.reason, '')) > 0 THEN o.reason
                ELSE format('%s %s rejected: %s', entity_name, o.key, coalesce(o.reason, 'no reason given')) END
    FROM erpmes_outcome AS o WHERE o.outcome = 'rejected'
    ON CONFLICT (entity, key) WHERE status IN ('open', 'retry', 'requeued') DO UPDATE
        SET status = 'open', attempts = d.attempts + 1, message = EXCLUDED.message, sqlstate = EXCLUDED.sqlstate,
            last_failed_at = now();
    -- Keys that applied close their dead letters and release what waited for them.
    IF NOT force AND EXISTS (SELECT FROM erpmes.dead_letter AS d WHERE d.entity = entity_name
                             AND d.status IN ('retry', 'requeued')) THEN
        WITH closed AS (
            UPDATE erpmes.dead_letter AS d SET status = 'resolved', closed_at = now(), closed_by = 'applied'
            FROM erpmes_outcome AS o
            WHERE d.entity = entity_name AND d.key = o.key AND d.status IN ('retry', 'requeued')
              AND o.outcome NOT IN ('rejected', 'held')
            RETURNING d.key
        )
        UPDATE erpmes.dead_letter AS d SET status = 'retry'
        FROM closed AS c
        WHERE d.status = 'open' AND d.blocked_by = jsonb_build_object('entity', entity_name, 'key', c.key);
    END IF;

    IF keep_base THEN
        IF NOT three_way THEN
            INSERT INTO erpmes_merge (key, op, source, new_op, write, vals, outcome, decided, has_target)
            SELECT b.key, b.op, b.payload, b.op, b.payload, CASE WHEN b.op = 'U' THEN b.payload END, o.outcome, false, false
            FROM pg_temp.erpmes_batch AS b JOIN erpmes_outcome AS o ON o.key = b.key WHERE b.op IN ('U', 'D');
        END IF;
        CREATE TEMP TABLE IF NOT EXISTS erpmes_based (key jsonb, vals jsonb, hash uuid, decided boolean) ON COMMIT DROP;
        TRUNCATE erpmes_based;
        INSERT INTO erpmes_based
        SELECT m.key, m.vals,
               -- The echo hash, only when this side now holds exactly the source's version: if it
               -- kept changes of its own, its capture of the apply must flow back.
               CASE WHEN m.new_op IS NULL THEN NULL
                    WHEN m.new_op = 'D' AND m.op = 'D' THEN erpmes.payload_hash('null')
                    WHEN m.new_op = 'U' AND m.op = 'U'
                         AND (CASE WHEN m.has_target THEN m.target || m.write ELSE m.write END) - '$resolved'
                             = m.source - '$resolved'
                    THEN erpmes.payload_hash(m.source - '$resolved')
               END,
               m.decided
        FROM erpmes_merge AS m
        WHERE m.outcome IS DISTINCT FROM 'parked'
          AND NOT EXISTS (SELECT FROM erpmes_outcome AS o WHERE o.key = m.key AND o.outcome IN ('rejected', 'held'));
        PERFORM erpmes.record_base(entity_name,
            ARRAY(SELECT x.key FROM erpmes_based AS x ORDER BY x.key),
            ARRAY(SELECT x.vals FROM erpmes_based AS x ORDER BY x.key),
            ARRAY(SELECT x.hash FROM erpmes_based AS x ORDER BY x.key),
            ARRAY(SELECT x.decided FROM erpmes_based AS x ORDER BY x.key));
        -- Decided keys go out again with "$resolved" (see erpmes.resolve_conflicts).
        IF EXISTS (SELECT FROM erpmes_based AS x WHERE x.decided) AND pub.entity_id IS NOT NULL THEN
            PERFORM erpmes.requeue(entity_name, ARRAY(SELECT x.key FROM erpmes_based AS x WHERE x.decided ORDER BY x.key));
        END IF;
    END IF;
    -- Applied keys per entity and minute: the apply rate of erpmes.replication_health.
    INSERT INTO erpmes.apply_stat AS s (consumer, entity, minute, keys)
    SELECT consumer_name, entity_name, date_trunc('minute', now()), count(*)
    FROM erpmes_outcome AS o WHERE o.outcome = 'applied'
    HAVING count(*) > 0
    ON CONFLICT (consumer, entity, minute) DO UPDATE SET keys = s.keys + EXCLUDED.keys;
    RETURN QUERY SELECT o.key, o.outcome, o.reason FROM erpmes_outcome AS o;
END $$;
REVOKE ALL ON FUNCTION erpmes.apply_entity(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.apply_entity(text, boolean) TO erpmes_run;
COMMENT ON FUNCTION erpmes.apply_entity(text, boolean) IS
    'Applies the loaded erpmes_batch rows of one entity: holds, three-way merge under the conflict rule, apply function, bases, dead letters.';
RESET ROLE;
