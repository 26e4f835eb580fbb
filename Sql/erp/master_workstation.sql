-- Master data, ERP side: entity `workstation`, published from mrp_workcenter, key
-- {"code": mrp_workcenter.code}, the number both sides share (the MES workstation.number).
-- Published here and by the MES under the same key and payload; subscribed here with the owner
-- rule, so an MES edit is a request the ERP rejects and logs.
--
-- Neutral payload of an active work center:
--   code       mrp_workcenter.code
--   name       mrp_workcenter.name
--   serial_no  maintenance_equipment.serial_no of the active equipment linked to the work center
--              (mrp_maintenance's workcenter_id), the first by id when several are; NULL if none
--   erp_id     mrp_workcenter.id, as text (the MES keeps it in workstation.externalnumber)
-- An archived work center is absent (a delete: the MES deactivates its workstation). code is
-- nullable and not unique: a NULL or shared code's payload carries "erp_ids" instead of
-- "erp_id", and the MES rejects it. Equipment changes re-publish the work centers they touch.
-- erpmes:requires master_common.sql

CREATE OR REPLACE FUNCTION erp.master_workstation_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH wanted AS (
        SELECT DISTINCT k->>'code' AS code FROM unnest(keys) AS k
    ), center AS (
        SELECT w.code, c.id,
               jsonb_build_object(
                   'code', c.code,
                   'name', c.name,
                   'serial_no', (SELECT e.serial_no FROM erp.maintenance_equipment AS e
                                 WHERE e.workcenter_id = c.id AND e.active AND e.serial_no IS NOT NULL
                                 ORDER BY e.id LIMIT 1),
                   'erp_id', c.id::text) AS payload
        FROM wanted AS w
        JOIN erp.mrp_workcenter AS c ON c.code = w.code OR (w.code IS NULL AND c.code IS NULL)
        WHERE c.active
    )
    SELECT jsonb_build_object('code', x.code),
           CASE WHEN count(*) = 1 THEN (array_agg(x.payload))[1]
                ELSE (array_agg(x.payload ORDER BY x.id))[1] - 'erp_id'
                     || jsonb_build_object('erp_ids', jsonb_agg(x.id::text ORDER BY x.id)) END
    FROM center AS x
    GROUP BY x.code
$$;
REVOKE ALL ON FUNCTION erp.master_workstation_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.master_workstation_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.master_workstation_payload(jsonb[]) IS
    'Neutral payload of entity workstation (mrp_workcenter + its equipment''s serial_no): code, name, serial_no, erp_id; erp_ids when a code (or NULL) names several work centers.';

GRANT SELECT ON erp.mrp_workcenter, erp.maintenance_equipment TO erpmes_owner;

SELECT erpmes.publish('workstation', 'erp.mrp_workcenter', ARRAY['code'], 'erp.master_workstation_payload(jsonb[])',
    $json$[{"table": "erp.maintenance_equipment",
            "keys": "SELECT jsonb_build_object('code', w.code) FROM erp.mrp_workcenter AS w JOIN changed AS c ON c.workcenter_id = w.id"}]$json$::jsonb);

-- What the MES publishes back: its edits are requests, refused (owner: the ERP, every column).
-- The apply function writes no table (tables: none). The three-way merge locks the rows it
-- compares (SELECT ... FOR UPDATE), which takes UPDATE on one column; erpmes never writes them.
GRANT UPDATE (write_date) ON erp.mrp_workcenter TO erpmes_run;
SELECT erpmes.subscribe('workstation', 'erp.master_reject_request()', 'owner', '{"*": "erp"}'::jsonb, -30, '{}'::jsonb,
    '{}'::regclass[]);
