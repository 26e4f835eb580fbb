-- Orders flows (ERP -> MES orders to production, MES -> ERP order progress), MES side: what the
-- entities production_order (orders_production_order.sql) and work_order (orders_work_order.sql)
-- share. The neutral vocabulary is described in the ERP side's Sql/erp/orders_common.sql: ISA-95
-- states, UTC ISO timestamps with a Z, quantities in the MES unit code named beside them, priority
-- as the MES's integer (lower is more urgent).
--
-- Value maps declared here (erpmes.value_map on the MES database; named per side, since ERP and
-- MES may share one database and one erpmes schema):
--   orders_mes_state_to_isa   orders_order.state -> ISA-95
--   orders_isa_to_mes_state   ISA-95 -> orders_order.state (Completed and Closed are both
--                             04completed: the MES has no closed state)
-- The request graph (mes.orders_request_graph) says which states the ERP may move an MES order
-- to: a cancel before the order runs, a close once it completed. Anything else the ERP sends as
-- a state is a request the MES refuses (rule forward_only on production_order).
--
-- mes.orders_erp_plan keeps, per MES order the ERP released, what the ERP last sent of what it
-- owns (product, quantity and unit, planned dates, priority, lot, BoM) and the state it asked for,
-- as neutral values. The production_order payload publishes the ERP-owned fields from here where
-- the order still holds them (a quantity converted to another unit, a time in the autumn DST
-- overlap, a BoM the MES keeps no column for, the ERP's Closed), so the MES says back exactly what
-- the ERP said; an order without a row is the MES's own and is not published. Only the apply
-- function writes it; a row goes with its order.
--
-- Plant time: the MES keeps naive plant-local timestamps. The link's zone reaches the apply
-- functions as erpmes.plant_tz; the MES's payload function also runs where the replicator does
-- not set it (reading a batch on this side), so the zone the link last applied with is kept in
-- mes.orders_plant_zone, and mes.orders_zone() takes the setting first, then that.

GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.orders_order, mes.product, mes.unit_conversion, mes.technology TO erpmes_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON mes.orders_order, mes.operationaltask TO erpmes_run;
GRANT USAGE ON SEQUENCE mes.order_number_seq, mes.operationaltask_number_seq TO erpmes_run;

SELECT erpmes.declare_value_map('orders_mes_state_to_isa', 'reject', NULL, $json${
    "01pending": "Released", "02accepted": "Ready", "03inProgress": "Running", "04completed": "Completed",
    "05declined": "Cancelled", "06interrupted": "Held", "07abandoned": "Aborted"
}$json$::jsonb);

SELECT erpmes.declare_value_map('orders_isa_to_mes_state', 'reject', NULL, $json${
    "Released": "01pending", "Ready": "02accepted", "Running": "03inProgress", "Held": "06interrupted",
    "Completed": "04completed", "Closed": "04completed", "Cancelled": "05declined", "Aborted": "07abandoned"
}$json$::jsonb);

CREATE TABLE IF NOT EXISTS mes.orders_erp_plan (
    order_id bigint PRIMARY KEY REFERENCES mes.orders_order ON DELETE CASCADE,
    vals jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mes.orders_erp_plan IS
    'Per MES order the ERP released, the ERP-owned fields of production_order and the requested state as the ERP last sent them (neutral values).';
GRANT SELECT ON mes.orders_erp_plan TO erpmes_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON mes.orders_erp_plan TO erpmes_run;

-- The zone the link last applied with (one row).
CREATE TABLE IF NOT EXISTS mes.orders_plant_zone (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    zone text NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mes.orders_plant_zone IS
    'The plant time zone (erpmes.plant_tz) the link last applied orders with, for the payload function where the setting is absent.';
GRANT SELECT ON mes.orders_plant_zone TO erpmes_owner;
GRANT SELECT, INSERT, UPDATE ON mes.orders_plant_zone TO erpmes_run;

CREATE OR REPLACE FUNCTION mes.orders_zone()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), (SELECT z.zone FROM mes.orders_plant_zone AS z));
COMMENT ON FUNCTION mes.orders_zone() IS
    'The plant time zone: erpmes.plant_tz where the replicator set it, else the one the link last applied with (NULL: never).';

-- Neutral timestamp text of a naive UTC timestamp (the same text as erp.orders_utc_text).
CREATE OR REPLACE FUNCTION mes.orders_utc_text(ts timestamp)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_trunc('second', ts) <> ts THEN rtrim(to_char(ts, '.US'), '0') ELSE '' END || 'Z';
COMMENT ON FUNCTION mes.orders_utc_text(timestamp) IS
    'Neutral timestamp text of a naive UTC timestamp: ISO 8601 with Z, microseconds only when not zero (NULL for NULL).';

CREATE OR REPLACE FUNCTION mes.orders_utc_parse(value text)
RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN value !~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$'
                 OR value LIKE '0000%' THEN NULL
            -- Nested CASE: the day is checked against its month only once the text has the shape.
            ELSE CASE WHEN substr(value, 9, 2)::integer <= extract(day FROM make_date(substr(value, 1, 4)::integer,
                                                            substr(value, 6, 2)::integer, 1) + interval '1 month - 1 day')
                      THEN replace(rtrim(value, 'Z'), 'T', ' ')::timestamp END
       END;
COMMENT ON FUNCTION mes.orders_utc_parse(text) IS
    'Naive UTC timestamp of a neutral timestamp text (YYYY-MM-DDTHH:MI:SS[.ffffff]Z); NULL when the text is not one.';

-- A plant-local timestamp as neutral UTC text. Where the value the ERP sent (agreed) still shows
-- as this local time, it is kept: a time in the autumn overlap then keeps the instant the
-- other side meant. Otherwise the local time is read in the zone; a time the clocks skip (spring
-- gap) moves forward by the gap, an ambiguous one takes the earlier instant.
CREATE OR REPLACE FUNCTION mes.orders_local_to_utc_text(local timestamp, agreed text, zone text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    agreed_utc timestamp;
BEGIN
    IF local IS NULL THEN
        RETURN NULL;
    END IF;
    agreed_utc := mes.orders_utc_parse(agreed);
    IF agreed_utc IS NOT NULL AND erpmes.utc_to_local(agreed_utc, zone) = local THEN
        RETURN agreed;
    END IF;
    RETURN mes.orders_utc_text(erpmes.local_to_utc(local, zone, 'shift_forward', 'earlier'));
END $$;
COMMENT ON FUNCTION mes.orders_local_to_utc_text(timestamp, text, text) IS
    'Plant-local time as neutral UTC text: the agreed value when it still shows as this local time, else gap shifted forward, overlap earlier.';

-- quantity in unit from_unit expressed in to_unit for a product, through mes.unit_conversion (a
-- row for the product before a global one, a row before its inverse); NULL when no row converts.
CREATE OR REPLACE FUNCTION mes.orders_convert(quantity numeric, from_unit text, to_unit text, product_id bigint)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN quantity IS NULL OR from_unit IS NULL OR to_unit IS NULL THEN NULL
            WHEN from_unit = to_unit THEN quantity
            ELSE (SELECT trim_scale(quantity * c.m / c.d)
                  FROM (SELECT u.quantityto AS m, u.quantityfrom AS d, u.product_id IS NOT NULL AS own, 1 AS forward
                        FROM mes.unit_conversion AS u
                        WHERE u.unitfrom = from_unit AND u.unitto = to_unit
                          AND (u.product_id IS NULL OR u.product_id = orders_convert.product_id)
                        UNION ALL
                        SELECT u.quantityfrom, u.quantityto, u.product_id IS NOT NULL, 0
                        FROM mes.unit_conversion AS u
                        WHERE u.unitfrom = to_unit AND u.unitto = from_unit
                          AND (u.product_id IS NULL OR u.product_id = orders_convert.product_id)) AS c
                  ORDER BY c.own DESC, c.forward DESC LIMIT 1) END;
COMMENT ON FUNCTION mes.orders_convert(numeric, text, text, bigint) IS
    'A quantity converted between MES units by mes.unit_conversion (product row first, then global; direct, then inverse); NULL when none converts.';

-- The ISA-95 state an MES state stands for: the state the ERP asked for when it maps to this MES
-- state (Closed stays Closed on an 04completed order), else the state's own.
CREATE OR REPLACE FUNCTION mes.orders_state_neutral(state text, agreed text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN erpmes.try_map_value('orders_isa_to_mes_state', agreed) = state THEN agreed
            ELSE coalesce(erpmes.try_map_value('orders_mes_state_to_isa', state), state) END;
COMMENT ON FUNCTION mes.orders_state_neutral(text, text) IS
    'ISA-95 state of an MES order state, keeping the agreed one when it maps to the same MES state.';

-- The states the ERP may move an MES order to, from each state (the ERP's requests the MES accepts).
CREATE OR REPLACE FUNCTION mes.orders_request_graph()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"Released": ["Cancelled"], "Ready": ["Cancelled"], "Completed": ["Closed"]}'::jsonb;
COMMENT ON FUNCTION mes.orders_request_graph() IS
    'Transition graph of the ERP''s state requests the MES accepts: cancel before the order runs, close once completed.';
