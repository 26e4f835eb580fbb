-- Live simulation, MES side (the `erpmes demo` shop floor): demo.mes_tick does what operators and
-- inspectors do in the MES, a few actions per call, and returns one line per action:
--   accept    the earliest pending order (released in the ERP) is accepted (02accepted)
--   start     the earliest accepted order starts (03inProgress) on its first workstation
--   track     an order in progress posts a production record (02accepted) on its current
--             operation: consumption with the batches used, and on the last operation good and
--             waste output; an operation is done after three records, the order after its last
--             operation (04completed)
--   correct   the latest output record is corrected (original 04corrected, a correction record)
--   inspect   a quality control with values as text, passing or failing (NOK blocks the batch)
--   fail      a machine failure: an open stoppage, a maintenance event (the ERP gets a request),
--             the workstation DOWN
--   resume    an open stoppage ends, the workstation runs again
-- Writes mes.* only, at the plant-local clock (demo.plant_tz, else the seed's zone, else
-- demo.mes_plant_tz()). Deterministic for (seed, tick number).
-- erpmes:requires demo_schema.sql
-- erpmes:requires mes_seed.sql

DROP TABLE IF EXISTS demo.tick_op;
CREATE TABLE demo.tick_op (
    order_id bigint NOT NULL,
    pos integer NOT NULL,
    nops integer NOT NULL,
    technology_operation_id bigint,
    task_id bigint,
    workstation_id bigint NOT NULL,
    records integer NOT NULL DEFAULT 0,
    done boolean NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, pos)
);
COMMENT ON TABLE demo.tick_op IS 'Live simulation (MES): operations of the orders the ticks work on, with their progress.';

CREATE OR REPLACE FUNCTION demo.mes_now()
RETURNS timestamp
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN date_trunc('second', now() AT TIME ZONE coalesce(
        nullif(current_setting('demo.plant_tz', true), ''),
        (SELECT s.plant_tz FROM demo.seed_state AS s WHERE s.side = 'mes'),
        demo.mes_plant_tz()));
END $$;
COMMENT ON FUNCTION demo.mes_now() IS 'The plant-local clock of the live simulation, as a naive timestamp.';

-- The operations of an order, once: its tasks, else its technology's operations; seeded
-- activity (demo.mes_op) tells which are done.
CREATE OR REPLACE FUNCTION demo.mes_tick_ops(order_id bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM demo.tick_op AS t WHERE t.order_id = mes_tick_ops.order_id) THEN
        RETURN;
    END IF;
    INSERT INTO demo.tick_op (order_id, pos, nops, technology_operation_id, task_id, workstation_id, records, done)
    SELECT x.order_id, x.pos, x.nops, x.technology_operation_id, x.task_id, x.ws,
           CASE WHEN m.e IS NULL THEN 0 WHEN m.e <= demo.mes_anchor(st) THEN 3 ELSE 1 END,
           coalesce(m.e <= demo.mes_anchor(st), false)
    FROM (
        SELECT y.*, (row_number() OVER (ORDER BY y.startdate NULLS LAST,
                         nullif(substring(y.node FROM '^[0-9]+'), '')::integer NULLS LAST, y.node, y.task_id) - 1)::integer AS pos,
               (count(*) OVER ())::integer AS nops
        FROM (
            SELECT t.order_id, t.id AS task_id, t.technology_operation_id,
                   coalesce(t.workstation_id, tox.workstation_id) AS ws, t.startdate, coalesce(tox.nodenumber, t.number) AS node
            FROM mes.operationaltask AS t LEFT JOIN mes.technology_operation AS tox ON tox.id = t.technology_operation_id
            WHERE t.order_id = mes_tick_ops.order_id AND t.state <> '04rejected'
            UNION ALL
            SELECT o.id, NULL, tox.id, tox.workstation_id, NULL, tox.nodenumber
            FROM mes.orders_order AS o JOIN mes.technology_operation AS tox ON tox.technology_id = o.technology_id
            WHERE o.id = mes_tick_ops.order_id
              AND NOT EXISTS (SELECT FROM mes.operationaltask AS t WHERE t.order_id = o.id)
        ) AS y
        WHERE y.ws IS NOT NULL
    ) AS x
    LEFT JOIN demo.mes_op AS m ON m.order_id = x.order_id AND m.pos = x.pos
    LEFT JOIN demo.seed_state AS st ON st.side = 'mes';
END $$;
COMMENT ON FUNCTION demo.mes_tick_ops(bigint) IS 'Live simulation (MES): records an order''s operations in demo.tick_op.';

-- Moves a workstation to a new state at `at`: the open interval ends, a new one opens.
CREATE OR REPLACE FUNCTION demo.mes_set_state(ws bigint, code text, order_id bigint, reason_id bigint, at timestamp)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cur record;
BEGIN
    SELECT h.* INTO cur FROM mes.equipment_state_history AS h WHERE h.workstation_id = ws AND h.enddatetime IS NULL FOR UPDATE;
    IF FOUND AND cur.statecode = code AND cur.order_id IS NOT DISTINCT FROM mes_set_state.order_id THEN
        RETURN;
    END IF;
    IF FOUND THEN
        UPDATE mes.equipment_state_history SET enddatetime = greatest(at, cur.startdatetime) WHERE id = cur.id;
    END IF;
    INSERT INTO mes.equipment_state_history (workstation_id, order_id, reason_id, statecode, startdatetime)
    VALUES (ws, order_id, reason_id, code, greatest(at, coalesce(cur.startdatetime, at)));
    UPDATE mes.workstation SET state = CASE WHEN code IN ('RUN', 'SETUP') THEN '02launched' ELSE '01stopped' END
    WHERE id = ws AND state IS DISTINCT FROM CASE WHEN code IN ('RUN', 'SETUP') THEN '02launched' ELSE '01stopped' END;
    -- running outside the planned calendar: the shift is staffed now
    IF code IN ('RUN', 'SETUP') THEN
        INSERT INTO mes.workingcalendar (workstation_id, date, shift_id, plannedbusyfrom, plannedbusyto, planneddowntime)
        SELECT ws, d::date, sh.id, d + sh.starttime,
               d + sh.endtime + CASE WHEN sh.endtime <= sh.starttime THEN interval '1 day' ELSE interval '0' END, 1800
        FROM mes.shift AS sh
        CROSS JOIN LATERAL (SELECT date_trunc('day', at) - CASE WHEN sh.endtime <= sh.starttime AND at::time < sh.endtime
                                                               THEN interval '1 day' ELSE interval '0' END AS d) AS x
        WHERE CASE WHEN sh.starttime < sh.endtime THEN at::time >= sh.starttime AND at::time < sh.endtime
                   ELSE at::time >= sh.starttime OR at::time < sh.endtime END
        ON CONFLICT DO NOTHING;
    END IF;
END $$;
COMMENT ON FUNCTION demo.mes_set_state(bigint, text, bigint, bigint, timestamp) IS
    'Live simulation (MES): ends a workstation''s open equipment state and opens code at `at` (and its shift in the calendar).';

-- One production record of an order in progress on its current operation; returns its line.
CREATE OR REPLACE FUNCTION demo.mes_track(seed integer, k bigint, oid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    now_l timestamp := demo.mes_now();
    o record;
    op record;
    tid bigint;
    fromts timestamp;
    share numeric;
    good numeric;
    waste numeric;
    final boolean;
    batch bigint;
    staff bigint := (SELECT x.id FROM mes.staff AS x WHERE x.active ORDER BY x.id
                     OFFSET floor(demo.u(seed, 120, k) * greatest(1, (SELECT count(*) FROM mes.staff WHERE active)))::integer
                     LIMIT 1);
    ws_number text;
BEGIN
    SELECT oo.*, p.number AS product_number, p.unit, p.batchevidence INTO o
    FROM mes.orders_order AS oo JOIN mes.product AS p ON p.id = oo.product_id WHERE oo.id = oid FOR UPDATE OF oo;
    PERFORM demo.mes_tick_ops(oid);
    SELECT t.* INTO op FROM demo.tick_op AS t WHERE t.order_id = oid AND NOT t.done ORDER BY t.pos LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    final := op.pos = op.nops - 1;
    fromts := least(now_l, coalesce((SELECT max(p.timerangeto) FROM mes.productiontracking AS p
                                     WHERE p.order_id = oid AND p.workstation_id = op.workstation_id),
                                    o.effectivedatefrom, now_l - interval '20 minutes'));
    IF fromts >= now_l THEN
        fromts := now_l - interval '1 minute';
    END IF;
    -- a third of the order per record, the last one taking what is left of the plan
    share := CASE WHEN op.records >= 2 THEN 1 - op.records / 3.0 ELSE 1 / 3.0 END;
    good := round(o.plannedquantity * share * (0.95 + 0.06 * demo.u(seed, 121, k))::numeric,
                  CASE WHEN o.unit IN ('pc', 'box') THEN 0 ELSE 2 END);
    waste := round(o.plannedquantity * share * (0.04 * demo.u(seed, 122, k))::numeric,
                   CASE WHEN o.unit IN ('pc', 'box') THEN 0 ELSE 2 END);
    IF o.batchevidence AND final THEN
        INSERT INTO mes.batch (number, product_id)
        VALUES (coalesce(o.batchnumber, 'LOT' || to_char(coalesce(o.datefrom, now_l), 'YYMMDD') || '-'
                || right(lpad(regexp_replace(coalesce(o.externalnumber, o.number), '[^0-9]', '', 'g'), 5, '0'), 5)), o.product_id)
        ON CONFLICT (product_id, number) DO UPDATE SET number = EXCLUDED.number
        RETURNING id INTO batch;
    END IF;

    INSERT INTO mes.productiontracking (order_id, technology_operation_id, workstation_id, staff_id, shift_id, state,
                                        timerangefrom, timerangeto, machinetime, labortime, lasttracking, batch_id, createdate)
    VALUES (oid, op.technology_operation_id, op.workstation_id, staff,
            (SELECT sh.id FROM mes.shift AS sh
             WHERE CASE WHEN sh.starttime < sh.endtime THEN now_l::time >= sh.starttime AND now_l::time < sh.endtime
                        ELSE now_l::time >= sh.starttime OR now_l::time < sh.endtime END ORDER BY sh.id LIMIT 1),
            '02accepted', fromts, now_l,
            round(extract(epoch FROM now_l - fromts) * (0.8 + 0.2 * demo.u(seed, 123, k)))::integer,
            round(extract(epoch FROM now_l - fromts))::integer, final AND op.records = 2, batch, now_l)
    RETURNING id INTO tid;
    IF final THEN
        INSERT INTO mes.tracking_product_out (productiontracking_id, product_id, usedquantity, wastesquantity, causeofwastes,
                                              givenunit, givenquantity, batch_id)
        VALUES (tid, o.product_id, good, waste, CASE WHEN waste > 0 THEN 'Surface defect' END, o.unit, good, batch);
    END IF;
    WITH ins AS (
        INSERT INTO mes.tracking_product_in (productiontracking_id, product_id, usedquantity, givenunit, givenquantity)
        SELECT tid, i.product_id, x.q, i.unit, round(x.q / x.f, 5)
        FROM mes.technology_input_product AS i
        JOIN mes.technology_operation AS tox ON tox.id = i.technology_operation_id
        JOIN mes.product AS c ON c.id = i.product_id
        CROSS JOIN LATERAL (SELECT demo.mes_unit_factor(i.unit, c.unit, c.id) AS f) AS f
        CROSS JOIN LATERAL (SELECT round(i.quantity / coalesce(nullif(tox.productioninonecycle, 0), 1) * (good + waste) * f.f,
                                         CASE WHEN c.unit IN ('pc', 'box') THEN 0 ELSE 3 END) AS q, f.f) AS x
        WHERE i.technology_operation_id = op.technology_operation_id AND x.q > 0
        ORDER BY i.id
        RETURNING id, product_id, usedquantity
    )
    INSERT INTO mes.used_batch (tracking_product_in_id, batch_id, quantity)
    SELECT ins.id, b.id, ins.usedquantity
    FROM ins
    JOIN mes.product AS c ON c.id = ins.product_id AND c.batchevidence
    CROSS JOIN LATERAL (SELECT x.id FROM mes.batch AS x WHERE x.product_id = ins.product_id AND x.state = '01tracked'
                        ORDER BY x.number DESC LIMIT 1) AS b;

    UPDATE demo.tick_op SET records = records + 1, done = records + 1 >= 3 WHERE order_id = oid AND pos = op.pos;
    SELECT w.number INTO ws_number FROM mes.workstation AS w WHERE w.id = op.workstation_id;
    IF op.records + 1 >= 3 THEN
        UPDATE mes.operationaltask SET state = '03finished' WHERE id = op.task_id AND state <> '03finished';
        IF final THEN
            PERFORM demo.mes_set_state(op.workstation_id, 'IDLE', NULL, NULL, now_l);
        ELSE
            PERFORM demo.mes_set_state(op.workstation_id, 'IDLE', NULL, NULL, now_l);
            PERFORM demo.mes_set_state(n.workstation_id, 'RUN', oid, NULL, now_l)
            FROM demo.tick_op AS n WHERE n.order_id = oid AND n.pos = op.pos + 1;
            UPDATE mes.operationaltask AS x SET state = '02started'
            FROM demo.tick_op AS n WHERE n.order_id = oid AND n.pos = op.pos + 1 AND x.id = n.task_id AND x.state = '01pending';
        END IF;
    END IF;
    IF final THEN
        UPDATE mes.orders_order SET donequantity = donequantity + good, wastesquantity = wastesquantity + waste,
                                    entityversion = entityversion + 1
        WHERE id = oid;
    END IF;
    IF final AND op.records + 1 >= 3 THEN
        UPDATE mes.orders_order SET state = '04completed', effectivedateto = now_l WHERE id = oid;
        RETURN format('MES %s: %s %s good, %s scrap; completed', o.number, demo.qty(good), o.unit, demo.qty(waste));
    ELSIF final THEN
        RETURN format('MES %s %s: %s %s good, %s scrap (%s)',
                      (SELECT p.number FROM mes.productiontracking AS p WHERE p.id = tid), o.number, demo.qty(good), o.unit,
                      demo.qty(waste), ws_number);
    END IF;
    RETURN format('MES %s %s: %s %s through %s%s', (SELECT p.number FROM mes.productiontracking AS p WHERE p.id = tid),
                  o.number, demo.qty(good + waste), o.unit, ws_number, CASE WHEN op.records + 1 >= 3 THEN ', step done' ELSE '' END);
END $$;
COMMENT ON FUNCTION demo.mes_track(integer, bigint, bigint) IS
    'Live simulation (MES): posts one production record of an order on its current operation; returns its line.';

CREATE OR REPLACE FUNCTION demo.mes_tick(seed integer, n integer DEFAULT 3)
RETURNS TABLE (event text)
LANGUAGE plpgsql AS $$
DECLARE
    tk bigint;
    i integer;
    k bigint;
    kind text;
    line text;
    now_l timestamp := demo.mes_now();
    r record;
    id2 bigint;
    fail boolean;
BEGIN
    INSERT INTO demo.tick_state AS s (side, ticks, last_at) VALUES ('mes', 1, now())
    ON CONFLICT ON CONSTRAINT tick_state_pkey DO UPDATE SET ticks = s.ticks + 1, last_at = now()
    RETURNING s.ticks INTO tk;
    PERFORM set_config('mes.worker', 'demo', true);
    FOR i IN 1..greatest(coalesce(n, 1), 1) LOOP
        k := tk * 100 + i;
        kind := (ARRAY['accept', 'start', 'track', 'track', 'track', 'track', 'track', 'track', 'correct', 'inspect', 'inspect',
                       'fail', 'resume', 'resume'])[1 + floor(demo.u(seed, 130, k) * 14)::integer];
        line := NULL;
        IF kind = 'correct' THEN
            SELECT p.id, p.number, p.order_id, o.number AS order_number, x.id AS out_id, x.usedquantity, x.wastesquantity,
                   pr.unit INTO r
            FROM mes.productiontracking AS p
            JOIN mes.tracking_product_out AS x ON x.productiontracking_id = p.id
            JOIN mes.orders_order AS o ON o.id = p.order_id
            JOIN mes.product AS pr ON pr.id = x.product_id
            WHERE p.state = '02accepted' AND NOT p.iscorrection AND x.usedquantity >= 2
            ORDER BY p.timerangeto DESC, p.id DESC LIMIT 1 FOR UPDATE OF p SKIP LOCKED;
            IF FOUND THEN
                INSERT INTO mes.productiontracking (order_id, technology_operation_id, workstation_id, staff_id, shift_id, state,
                                                    timerangefrom, timerangeto, machinetime, labortime, iscorrection,
                                                    lasttracking, batch_id, createdate)
                SELECT p.order_id, p.technology_operation_id, p.workstation_id, p.staff_id, p.shift_id, '02accepted',
                       p.timerangefrom, p.timerangeto, p.machinetime, p.labortime, true, p.lasttracking, p.batch_id, now_l
                FROM mes.productiontracking AS p WHERE p.id = r.id
                RETURNING id INTO id2;
                INSERT INTO mes.tracking_product_out (productiontracking_id, product_id, usedquantity, wastesquantity,
                                                      causeofwastes, givenunit, givenquantity, batch_id)
                SELECT id2, x.product_id, x.usedquantity - 1, x.wastesquantity + 1, 'Counted as good, found defective',
                       x.givenunit, x.usedquantity - 1, x.batch_id
                FROM mes.tracking_product_out AS x WHERE x.id = r.out_id;
                WITH ins AS (
                    INSERT INTO mes.tracking_product_in (productiontracking_id, product_id, usedquantity, givenunit, givenquantity)
                    SELECT id2, x.product_id, x.usedquantity, x.givenunit, x.givenquantity
                    FROM mes.tracking_product_in AS x WHERE x.productiontracking_id = r.id ORDER BY x.id
                    RETURNING id, product_id
                )
                INSERT INTO mes.used_batch (tracking_product_in_id, batch_id, quantity)
                SELECT ins.id, u.batch_id, u.quantity
                FROM ins
                JOIN mes.tracking_product_in AS x ON x.productiontracking_id = r.id AND x.product_id = ins.product_id
                JOIN mes.used_batch AS u ON u.tracking_product_in_id = x.id;
                UPDATE mes.productiontracking SET state = '04corrected', correction_id = id2 WHERE id = r.id;
                UPDATE mes.orders_order SET donequantity = greatest(0, donequantity - 1), wastesquantity = wastesquantity + 1
                WHERE id = r.order_id;
                line := format('MES corrected %s → %s: %s %s good, %s scrap', r.number,
                               (SELECT p.number FROM mes.productiontracking AS p WHERE p.id = id2),
                               demo.qty(r.usedquantity - 1), r.unit, demo.qty(r.wastesquantity + 1));
            END IF;
        ELSIF kind = 'inspect' THEN
            -- a completed order without its final control, else an order in progress
            SELECT o.id, o.number, o.product_id, p.number AS product_number, p.unit, o.state,
                   (SELECT b.id FROM mes.batch AS b
                    WHERE b.product_id = o.product_id
                      AND b.id IN (SELECT x.batch_id FROM mes.tracking_product_out AS x
                                   JOIN mes.productiontracking AS pt ON pt.id = x.productiontracking_id
                                   WHERE pt.order_id = o.id)
                    LIMIT 1) AS batch_id INTO r
            FROM mes.orders_order AS o JOIN mes.product AS p ON p.id = o.product_id
            WHERE (o.state = '04completed' AND NOT EXISTS (SELECT FROM mes.quality_control AS q
                                                           WHERE q.order_id = o.id AND q.controltype = '01final'))
               OR o.state = '03inProgress'
            ORDER BY o.state = '04completed' DESC, o.effectivedateto DESC NULLS LAST, o.id DESC LIMIT 1;
            IF FOUND THEN
                fail := demo.u(seed, 131, k) < 0.15;
                INSERT INTO mes.quality_control (product_id, batch_id, order_id, controltype, date, staff_id, qualityrating, state,
                                                 description)
                VALUES (r.product_id, r.batch_id, r.id, CASE WHEN r.state = '04completed' THEN '01final' ELSE '02inProcess' END,
                        now_l, (SELECT x.id FROM mes.staff AS x WHERE x.active ORDER BY x.id DESC LIMIT 1),
                        CASE WHEN fail THEN 'NOK' ELSE 'OK' END, '03closed',
                        CASE WHEN r.state = '04completed' THEN 'Final inspection' ELSE 'In-process check' END)
                RETURNING id INTO id2;
                INSERT INTO mes.quality_control_value (quality_control_id, attribute_id, value, lowerlimit, upperlimit)
                SELECT id2, at.id,
                       CASE WHEN q.nominal IS NULL THEN CASE WHEN fail AND q.n = 1 THEN 'Scratched' ELSE 'Good' END
                            ELSE round((q.nominal + q.tolerance * CASE WHEN fail AND q.n = 1 THEN 1.3
                                        ELSE 0.8 * (demo.u(seed, 132, k * 10 + q.n) - 0.5) END)::numeric,
                                       coalesce(at.precision, 2))::text END,
                       q.nominal - q.tolerance, q.nominal + q.tolerance
                FROM (SELECT y.*, row_number() OVER () AS n FROM demo.quality_spec(r.product_number, r.unit) AS y) AS q
                JOIN mes.attribute AS at ON at.number = q.attribute;
                IF fail AND r.state = '04completed' AND r.batch_id IS NOT NULL THEN
                    UPDATE mes.batch SET state = '02blocked' WHERE id = r.batch_id;
                END IF;
                line := format('MES %s %s %s: %s', (SELECT q.number FROM mes.quality_control AS q WHERE q.id = id2),
                               r.number, CASE WHEN r.state = '04completed' THEN 'final' ELSE 'in-process' END,
                               (SELECT CASE WHEN fail THEN 'NOK, ' || lower(a.name) || ' ' || v.value || coalesce(' ' || a.unit, '')
                                            ELSE 'OK' END
                                FROM mes.quality_control_value AS v JOIN mes.attribute AS a ON a.id = v.attribute_id
                                WHERE v.quality_control_id = id2 ORDER BY v.id LIMIT 1))
                        || CASE WHEN fail AND r.state = '04completed' AND r.batch_id IS NOT NULL THEN ', batch blocked' ELSE '' END;
            END IF;
        ELSIF kind = 'fail' THEN
            SELECT o.id, o.number, t.workstation_id, w.number AS ws INTO r
            FROM mes.orders_order AS o
            JOIN demo.tick_op AS t ON t.order_id = o.id AND NOT t.done
            JOIN mes.workstation AS w ON w.id = t.workstation_id
            WHERE o.state = '03inProgress'
              AND NOT EXISTS (SELECT FROM mes.stoppage AS s WHERE s.workstation_id = t.workstation_id AND s.dateto IS NULL)
            ORDER BY t.pos, o.id LIMIT 1;
            IF FOUND THEN
                INSERT INTO mes.stoppage (order_id, workstation_id, reason_id, datefrom, description)
                SELECT r.id, r.workstation_id, x.id, now_l, 'Machine failure during ' || r.number
                FROM mes.stoppage_reason AS x WHERE x.type = '01failure' AND x.active ORDER BY x.id LIMIT 1;
                INSERT INTO mes.maintenance_event (type, state, workstation_id, faulttype, description, createdate)
                VALUES ('01failure', '01new', r.workstation_id,
                        (ARRAY['Spindle overheating', 'Hydraulic leak', 'Sensor fault', 'Drive belt broken', 'Servo drive error',
                               'Feeder jammed'])[1 + floor(demo.u(seed, 133, k) * 6)::integer],
                        'Failure during ' || r.number, now_l)
                RETURNING id INTO id2;
                PERFORM demo.mes_set_state(r.workstation_id, 'DOWN', r.id,
                    (SELECT x.id FROM mes.stoppage_reason AS x WHERE x.type = '01failure' AND x.active ORDER BY x.id LIMIT 1), now_l);
                line := (SELECT format('MES failure on %s: %s → %s', r.ws, e.faulttype, e.number)
                         FROM mes.maintenance_event AS e WHERE e.id = id2);
            END IF;
        ELSIF kind = 'resume' THEN
            SELECT s.id, s.workstation_id, s.order_id, s.datefrom, w.number AS ws INTO r
            FROM mes.stoppage AS s JOIN mes.workstation AS w ON w.id = s.workstation_id
            WHERE s.dateto IS NULL ORDER BY s.datefrom, s.id LIMIT 1 FOR UPDATE OF s SKIP LOCKED;
            IF FOUND THEN
                UPDATE mes.stoppage SET dateto = greatest(now_l, r.datefrom),
                                        duration = round(extract(epoch FROM greatest(now_l, r.datefrom) - r.datefrom))::integer
                WHERE id = r.id;
                PERFORM demo.mes_set_state(r.workstation_id,
                    CASE WHEN EXISTS (SELECT FROM mes.orders_order AS o WHERE o.id = r.order_id AND o.state = '03inProgress')
                         THEN 'RUN' ELSE 'IDLE' END,
                    CASE WHEN EXISTS (SELECT FROM mes.orders_order AS o WHERE o.id = r.order_id AND o.state = '03inProgress')
                         THEN r.order_id END, NULL, now_l);
                line := format('MES %s running again after %s min', r.ws,
                               round(extract(epoch FROM greatest(now_l, r.datefrom) - r.datefrom) / 60));
            END IF;
        ELSIF kind = 'start' THEN
            SELECT o.id, o.number INTO r FROM mes.orders_order AS o
            WHERE o.state = '02accepted' ORDER BY o.datefrom NULLS LAST, o.id LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                PERFORM demo.mes_tick_ops(r.id);
                UPDATE mes.orders_order SET state = '03inProgress', effectivedatefrom = now_l WHERE id = r.id;
                UPDATE mes.operationaltask AS x SET state = '02started'
                FROM demo.tick_op AS t WHERE t.order_id = r.id AND t.pos = 0 AND x.id = t.task_id AND x.state = '01pending';
                PERFORM demo.mes_set_state(t.workstation_id, 'SETUP', r.id, NULL, now_l)
                FROM demo.tick_op AS t WHERE t.order_id = r.id AND t.pos = 0;
                line := (SELECT format('MES started %s on %s', r.number, w.number)
                         FROM demo.tick_op AS t JOIN mes.workstation AS w ON w.id = t.workstation_id
                         WHERE t.order_id = r.id AND t.pos = 0);
                line := coalesce(line, format('MES started %s', r.number));
            END IF;
        ELSIF kind = 'track' THEN
            -- the order in progress that reported least recently, not held by an open stoppage
            SELECT o.id INTO r FROM mes.orders_order AS o
            WHERE o.state = '03inProgress'
              AND NOT EXISTS (SELECT FROM mes.stoppage AS s WHERE s.order_id = o.id AND s.dateto IS NULL)
            ORDER BY (SELECT max(p.createdate) FROM mes.productiontracking AS p WHERE p.order_id = o.id) NULLS FIRST, o.id
            LIMIT 1;
            IF FOUND THEN
                -- a record switches the workstation to RUN first (after setup or idle)
                PERFORM demo.mes_tick_ops(r.id);
                PERFORM demo.mes_set_state(t.workstation_id, 'RUN', r.id, NULL, now_l)
                FROM demo.tick_op AS t
                WHERE t.order_id = r.id AND t.pos = (SELECT min(x.pos) FROM demo.tick_op AS x WHERE x.order_id = r.id AND NOT x.done);
                line := demo.mes_track(seed, k, r.id);
            END IF;
        END IF;
        IF line IS NULL AND kind <> 'accept' THEN
            SELECT o.id INTO r FROM mes.orders_order AS o
            WHERE o.state = '03inProgress'
              AND NOT EXISTS (SELECT FROM mes.stoppage AS s WHERE s.order_id = o.id AND s.dateto IS NULL)
            ORDER BY (SELECT max(p.createdate) FROM mes.productiontracking AS p WHERE p.order_id = o.id) NULLS FIRST, o.id
            LIMIT 1;
            IF FOUND THEN
                line := demo.mes_track(seed, k, r.id);
            END IF;
        END IF;
        IF line IS NULL THEN
            -- accept, and what a chosen action falls back to when it finds nothing to do
            SELECT o.id, o.number, o.externalnumber, o.plannedquantity, p.unit INTO r
            FROM mes.orders_order AS o JOIN mes.product AS p ON p.id = o.product_id
            WHERE o.state = '01pending' ORDER BY o.datefrom NULLS LAST, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED;
            IF FOUND THEN
                UPDATE mes.orders_order SET state = '02accepted' WHERE id = r.id;
                line := format('MES accepted %s (%s): %s %s', r.number, coalesce(r.externalnumber, 'MES only'),
                               demo.qty(r.plannedquantity), r.unit);
            END IF;
        END IF;
        IF line IS NOT NULL THEN
            event := demo.fit(line);
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION demo.mes_tick(integer, integer) IS
    'Live simulation (MES): n actions (accept, start, track with scrap, correct, inspect, fail, resume); one line per action done.';
