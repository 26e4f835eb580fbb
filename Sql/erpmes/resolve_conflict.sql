-- erpmes.resolve_conflicts: the three-way merge of erpmes.apply_entity, on its temporary table
-- erpmes_merge (key, op, source, base, target per key). Fills, per key, the columns to write
-- (write), the operation (new_op; NULL writes nothing), the values to keep as the next base (vals)
-- and the outcome, deciding every conflict with the subscription's rule and logging each decision
-- once in erpmes.conflict_log. Columns whose names start with "$" are metadata, never compared.
--
-- Per column c: the source changed c when source.c differs from base.c, the target when
-- target.c does; a conflict is a column both changed to different values. Without a base (never
-- synchronised) and with a target row, every differing column is a conflict (insert/insert).
-- Row level: an update of a row the target deleted is update_delete, a delete of a row the target
-- changed is delete_update.
-- erpmes:requires reachable_state.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.resolve_conflicts(sub erpmes.subscription, source_side text, consumer_name text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    r record;
    rule text := sub.conflict_rule;
    opt jsonb := sub.options;
    target_side text := CASE source_side WHEN 'erp' THEN 'mes' ELSE 'erp' END;
    take_source text[];    -- conflicting columns the source wins
    rejected text[];       -- source changes refused (requests, transitions, posted records)
    log_kind text;
    log_outcome text;
    v_write jsonb;
    v_new_op "char";
    v_outcome text;
    resolved jsonb;
    source_newer boolean;
    row_owner text := coalesce(sub.ownership->>'$row', sub.ownership->>'*', 'erp');
BEGIN
    -- Which columns each side changed, set-based.
    UPDATE erpmes_merge AS m
    SET changed = coalesce(d.changed, '{}'), target_changed = coalesce(d.target_changed, '{}'),
        conflicts = coalesce(d.conflicts, '{}')
    FROM (
        SELECT x.key,
               array_agg(x.c ORDER BY x.c) FILTER (WHERE x.s_changed) AS changed,
               array_agg(x.c ORDER BY x.c) FILTER (WHERE x.t_changed) AS target_changed,
               array_agg(x.c ORDER BY x.c) FILTER (WHERE x.s_changed AND x.t_changed AND x.s IS DISTINCT FROM x.t) AS conflicts
        FROM (
            SELECT mm.key, c.c, mm.source->c.c AS s, mm.target->c.c AS t,
                   CASE WHEN mm.has_base AND NOT mm.source ? '$resolved' THEN mm.source->c.c IS DISTINCT FROM mm.base->c.c
                        ELSE mm.source->c.c IS DISTINCT FROM mm.target->c.c END AS s_changed,
                   CASE WHEN mm.source ? '$resolved' THEN false
                        WHEN mm.has_base THEN mm.target->c.c IS DISTINCT FROM mm.base->c.c
                        ELSE mm.source->c.c IS DISTINCT FROM mm.target->c.c END AS t_changed
            FROM erpmes_merge AS mm
            CROSS JOIN LATERAL (
                SELECT jsonb_object_keys(coalesce(mm.source, '{}') || coalesce(mm.base, '{}') || coalesce(mm.target, '{}')) AS c
            ) AS c
            WHERE mm.op = 'U' AND mm.has_target AND c.c !~ '^\$'
        ) AS x
        GROUP BY x.key
    ) AS d
    WHERE d.key = m.key;
    UPDATE erpmes_merge AS m SET
        changed = coalesce(m.changed, '{}'), target_changed = coalesce(m.target_changed, '{}'),
        conflicts = coalesce(m.conflicts, '{}'),
        vals = CASE WHEN m.op = 'U' THEN m.source - '$resolved' - '$depends' END,
        decided = false,
        kind = CASE
            WHEN m.op = 'U' AND NOT m.has_target AND (NOT m.has_base OR m.source ? '$resolved') THEN 'insert'
            WHEN m.op = 'U' AND NOT m.has_target THEN 'update_delete'
            WHEN m.op = 'U' AND cardinality(m.conflicts) > 0 AND m.has_base THEN 'update_update'
            WHEN m.op = 'U' AND cardinality(m.conflicts) > 0 THEN 'insert_insert'
            WHEN m.op = 'U' THEN 'update'
            WHEN m.op = 'D' AND NOT m.has_target THEN 'gone'
            WHEN m.op = 'D' AND m.has_base AND m.target IS NOT DISTINCT FROM m.base THEN 'delete'
            ELSE 'delete_update'
        END;

    -- The plain cases, set-based: no conflict, and nothing the rule must look at.
    UPDATE erpmes_merge AS m SET
        new_op = CASE WHEN m.kind = 'gone' THEN NULL
                      WHEN m.kind = 'update' AND NOT EXISTS (
                          SELECT FROM unnest(m.changed) AS c WHERE (m.source->c) IS DISTINCT FROM (m.target->c)) THEN NULL
                      WHEN m.kind = 'delete' THEN 'D' ELSE 'U' END,
        write = CASE WHEN m.kind = 'insert' THEN m.source
                     WHEN m.kind = 'update' THEN (
                         SELECT coalesce(jsonb_object_agg(c, m.source->c), '{}')
                         FROM unnest(m.changed) AS c WHERE (m.source->c) IS DISTINCT FROM (m.target->c))
                         || coalesce((SELECT jsonb_object_agg(e.k, e.v) FROM jsonb_each(m.source) AS e(k, v) WHERE e.k ~ '^\$'), '{}')
                END,
        outcome = CASE WHEN m.kind = 'gone' THEN 'skipped' ELSE 'applied' END
    WHERE m.kind IN ('insert', 'update', 'delete', 'gone') AND (m.source ? '$resolved' OR (
          -- append_only: a posted row whose payload did not change is no attempt to update it.
          NOT (rule = 'append_only' AND (m.has_target OR m.has_base) AND m.kind <> 'gone'
               AND (m.kind <> 'update' OR EXISTS (SELECT FROM unnest(m.changed) AS c
                                                   WHERE (m.source->c) IS DISTINCT FROM (m.target->c))))
      AND NOT (rule = 'owner' AND (
              (m.kind IN ('insert', 'delete') AND row_owner <> source_side)
              OR EXISTS (SELECT FROM unnest(m.changed) AS c
                         WHERE coalesce(sub.ownership->>c, sub.ownership->>'*', row_owner) <> source_side
                           AND (m.source->c) IS DISTINCT FROM (m.target->c))))
      AND NOT (rule = 'forward_only' AND m.kind = 'update' AND (opt->>'column') = ANY (m.changed)
               AND (m.source->(opt->>'column')) IS DISTINCT FROM (m.target->(opt->>'column')))
      AND NOT (rule = 'manual' AND EXISTS (SELECT FROM erpmes.conflict AS k
                                           WHERE k.entity = sub.entity AND k.key = m.key AND k.status = 'open'))));
    UPDATE erpmes_merge SET outcome = 'skipped' WHERE outcome = 'applied' AND new_op IS NULL;

    -- The rest, key by key: conflicts, requests, transitions, posted records. Few by nature.
    FOR r IN SELECT * FROM erpmes_merge WHERE outcome IS NULL ORDER BY key LOOP
        take_source := '{}';
        rejected := '{}';
        log_kind := CASE WHEN r.kind IN ('update_update', 'update_delete', 'delete_update', 'insert_insert')
                         THEN r.kind END;
        v_new_op := NULL;
        v_write := NULL;
        v_outcome := NULL;
        log_outcome := NULL;
        CASE rule
        WHEN 'source_wins' THEN
            take_source := r.conflicts;
            log_outcome := 'source';
        WHEN 'target_wins' THEN
            log_outcome := 'target';
        WHEN 'owner' THEN
            SELECT coalesce(array_agg(c ORDER BY c), '{}') INTO take_source FROM unnest(r.conflicts) AS c
            WHERE coalesce(sub.ownership->>c, sub.ownership->>'*', row_owner) = source_side;
            SELECT coalesce(array_agg(c ORDER BY c), '{}') INTO rejected FROM unnest(r.changed) AS c
            WHERE coalesce(sub.ownership->>c, sub.ownership->>'*', row_owner) <> source_side
              AND (r.source->c) IS DISTINCT FROM (r.target->c);
            IF r.kind IN ('insert', 'delete') AND row_owner <> source_side THEN
                log_kind := 'request';
                log_outcome := 'rejected';
                v_outcome := 'rejected_request';
            ELSIF log_kind IS NULL THEN
                log_kind := 'request';
                log_outcome := 'rejected';
            ELSE
                log_outcome := CASE WHEN r.kind IN ('update_delete', 'delete_update')
                                    THEN CASE WHEN row_owner = source_side THEN 'source' ELSE 'target' END
                                    WHEN cardinality(take_source) = cardinality(r.conflicts) THEN 'source'
                                    WHEN cardinality(take_source) = 0 THEN 'target' ELSE 'merged' END;
            END IF;
        WHEN 'newest_wins' THEN
            source_newer := CASE
                WHEN r.kind = 'update_delete' THEN true
                WHEN r.kind = 'delete_update' THEN false
                WHEN (r.source->>(opt->>'column'))::timestamptz > (r.target->>(opt->>'column'))::timestamptz THEN true
                WHEN (r.source->>(opt->>'column'))::timestamptz < (r.target->>(opt->>'column'))::timestamptz THEN false
                ELSE r.source::text > r.target::text  -- equal times: the same version wins on both sides
            END;
            IF source_newer THEN take_source := r.conflicts; END IF;
            log_outcome := CASE WHEN source_newer THEN 'source' ELSE 'target' END;
        WHEN 'forward_only' THEN
            take_source := r.conflicts;
            log_outcome := 'source';
            IF r.op = 'U' AND r.has_target AND (opt->>'column') = ANY (r.changed)
               AND (r.source->(opt->>'column')) IS DISTINCT FROM (r.target->(opt->>'column'))
               AND NOT erpmes.reachable_state(opt->'graph', r.target->>(opt->>'column'), r.source->>(opt->>'column')) THEN
                rejected := ARRAY[opt->>'column'];
                take_source := array_remove(take_source, opt->>'column');
                log_kind := coalesce(log_kind, 'transition');
                log_outcome := CASE WHEN log_kind = 'transition' THEN 'rejected' ELSE 'merged' END;
            END IF;
        WHEN 'append_only' THEN
            log_kind := coalesce(log_kind, 'posted');
            log_outcome := 'rejected';
            v_outcome := 'rejected_update';
        WHEN 'manual' THEN
            INSERT INTO erpmes.conflict AS k (consumer, entity, key, source_side, columns, base, source, target)
            VALUES (consumer_name, sub.entity, r.key, source_side,
                    CASE WHEN cardinality(r.conflicts) > 0 THEN r.conflicts ELSE r.changed END,
                    r.base, r.source, CASE WHEN r.has_target THEN r.target END)
            ON CONFLICT (entity, key) WHERE status = 'open' DO UPDATE SET source = EXCLUDED.source, target = EXCLUDED.target;
            IF log_kind IS NULL THEN
                -- A later change of a key already parked: the parked version is brought up to date.
                UPDATE erpmes_merge SET outcome = 'parked' WHERE key = r.key;
                CONTINUE;
            END IF;
            log_outcome := 'parked';
            v_outcome := 'parked';
        WHEN 'custom' THEN
            EXECUTE format('SELECT %s($1, $2, $3, $4, $5)', (opt->>'function')::regproc)
            INTO resolved USING sub.entity, r.key, r.base, r.source, CASE WHEN r.has_target THEN r.target END;
            log_outcome := 'merged';
            IF resolved IS NULL THEN
                v_new_op := CASE WHEN r.has_target THEN 'D' END;
                v_outcome := CASE WHEN r.has_target THEN 'applied' ELSE 'skipped' END;
            ELSIF NOT r.has_target THEN
                v_new_op := 'U';
                v_write := resolved;
                v_outcome := 'applied';
            ELSE
                SELECT jsonb_object_agg(e.k, e.v) INTO v_write FROM jsonb_each(resolved) AS e(k, v)
                WHERE e.v IS DISTINCT FROM r.target->e.k;
                v_new_op := CASE WHEN v_write IS NOT NULL THEN 'U' END;
                v_outcome := CASE WHEN v_write IS NOT NULL THEN 'applied' ELSE 'skipped' END;
            END IF;
        END CASE;

        IF v_outcome IS NULL THEN
            -- Row level first, then columns: the source's non-conflicting changes it may make, and
            -- the conflicting columns it won.
            IF r.kind = 'update_delete' THEN
                IF log_outcome = 'source' THEN v_new_op := 'U'; v_write := r.source; END IF;
            ELSIF r.kind = 'delete_update' THEN
                IF log_outcome = 'source' THEN v_new_op := 'D'; END IF;
            ELSIF r.kind = 'delete' THEN
                v_new_op := 'D';
            ELSIF r.kind = 'insert' THEN
                v_new_op := 'U';
                v_write := r.source;
            ELSE
                SELECT jsonb_object_agg(c, r.source->c) INTO v_write FROM unnest(r.changed) AS c
                WHERE (NOT c = ANY (r.conflicts) OR c = ANY (take_source)) AND NOT c = ANY (rejected)
                  AND (r.source->c) IS DISTINCT FROM (r.target->c);
                IF v_write IS NOT NULL THEN
                    v_new_op := 'U';
                    v_write := v_write || coalesce((SELECT jsonb_object_agg(e.k, e.v) FROM jsonb_each(r.source) AS e(k, v)
                                                WHERE e.k ~ '^\$'), '{}');
                END IF;
            END IF;
            v_outcome := CASE WHEN v_new_op IS NOT NULL THEN 'applied' ELSE 'skipped' END;
        END IF;

        -- Where this side kept its own values, its version is sent back marked "$resolved", so the
        -- other side takes it without deciding (and logging) the same conflict again.
        UPDATE erpmes_merge SET new_op = v_new_op, write = v_write,
                                outcome = v_outcome,
                                decided = log_kind IS NOT NULL AND log_outcome IN ('target', 'merged', 'rejected')
        WHERE key = r.key;
        IF log_kind IS NOT NULL THEN
            INSERT INTO erpmes.conflict_log (consumer, entity, key, kind, columns, rule, source_side, base, source,
                                             target, outcome)
            VALUES (consumer_name, sub.entity, r.key, log_kind,
                    CASE WHEN cardinality(r.conflicts) > 0 THEN r.conflicts || rejected
                         WHEN cardinality(rejected) > 0 THEN rejected ELSE r.changed END,
                    rule, source_side, r.base, r.source, CASE WHEN r.has_target THEN r.target END, log_outcome);
        END IF;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.resolve_conflicts(erpmes.subscription, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.resolve_conflicts(erpmes.subscription, text, text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.resolve_conflicts(erpmes.subscription, text, text) IS
    'Three-way merge of erpmes.apply_entity: decides each conflict with the entity''s rule and logs it.';
RESET ROLE;
