-- Quality to compliance (MES -> ERP), MES side: entity quality_control publishes every CLOSED
-- quality control with its measured values, keyed by the MES number ({"number": "QC-000001"}).
-- Results are MES-owned records: the ERP subscribes append_only, so a control is posted once, when
-- it closes, and a later change (a value edited, the control reopened or deleted) is refused and
-- logged there, never applied over the record. A control that is not closed has no payload: before
-- it closes the ERP sees nothing (a key without payload that the ERP never had is a no-op).
--
-- Neutral payload (one object per control):
--   number        MES number, the key (becomes qc_inspection.name)
--   product       product.number (= ERP product_product.default_code)
--   lot           batch.number (= ERP stock_lot.name of that product) or null
--   order         orders_order.externalnumber (= ERP mrp_production.name) or null
--   control_type  'final' | 'in_process' (controltype 01final | 02inProcess)
--   date_local    the control's date, PLANT-LOCAL naive ISO timestamp: the MES keeps plant time and
--                 this side does not know the plant's zone (the replicator gives erpmes.plant_tz to
--                 the receiving side only), so the ERP converts it to UTC
--   verdict       'pass' | 'fail' (qualityrating OK | NOK, the inspector's rating)
--   inspector     staff name and surname, or null
--   description   free text, or null
--   values        [{attribute, name, kind ('numeric' | 'text'), value (the text exactly as
--                 recorded: the receiving side parses it, so a malformed value is rejected there
--                 with its key and column), unit (attribute.unit, free text), lower, upper (the
--                 limits on the value row, in that unit, or null)}], ordered by attribute number
-- Watches quality_control_value, so values written in another statement than the control re-read it.

-- Payload functions run as erpmes_owner (erpmes.batch is its SECURITY DEFINER function).
GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.quality_control, mes.quality_control_value, mes.attribute, mes.product, mes.batch,
    mes.orders_order, mes.staff TO erpmes_owner;

CREATE OR REPLACE FUNCTION mes.quality_control_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('number', q.number),
           jsonb_build_object(
               'number', q.number,
               'product', p.number,
               'lot', b.number,
               'order', o.externalnumber,
               'control_type', CASE q.controltype WHEN '01final' THEN 'final' WHEN '02inProcess' THEN 'in_process' END,
               'date_local', q.date,
               'verdict', CASE q.qualityrating WHEN 'OK' THEN 'pass' WHEN 'NOK' THEN 'fail' END,
               'inspector', nullif(concat_ws(' ', s.name, s.surname), ''),
               'description', q.description,
               'values', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'attribute', a.number,
                              'name', a.name,
                              'kind', CASE a.valuetype WHEN '01numeric' THEN 'numeric' ELSE 'text' END,
                              'value', v.value,
                              'unit', a.unit,
                              'lower', trim_scale(v.lowerlimit),
                              'upper', trim_scale(v.upperlimit))
                          ORDER BY a.number)
                   FROM mes.quality_control_value AS v
                   JOIN mes.attribute AS a ON a.id = v.attribute_id
                   WHERE v.quality_control_id = q.id), '[]'::jsonb))
    FROM mes.quality_control AS q
    JOIN mes.product AS p ON p.id = q.product_id
    LEFT JOIN mes.batch AS b ON b.id = q.batch_id
    LEFT JOIN mes.orders_order AS o ON o.id = q.order_id
    LEFT JOIN mes.staff AS s ON s.id = q.staff_id
    WHERE q.number IN (SELECT k->>'number' FROM unnest(keys) AS k)
      AND q.state = '03closed'
$$;
REVOKE ALL ON FUNCTION mes.quality_control_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.quality_control_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.quality_control_payload(jsonb[]) IS
    'erpmes payload of entity quality_control: a closed quality control with its values (text as recorded, unit, limits); open controls have none.';

SELECT erpmes.publish(
    'quality_control',
    'mes.quality_control',
    ARRAY['number'],
    'mes.quality_control_payload(jsonb[])',
    jsonb_build_array(jsonb_build_object(
        'table', 'mes.quality_control_value',
        'keys', 'SELECT jsonb_build_object(''number'', q.number) FROM mes.quality_control AS q '
             || 'JOIN changed AS c ON c.quality_control_id = q.id')));
