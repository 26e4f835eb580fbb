-- Orders flows (ERP -> MES orders to production, MES -> ERP order progress), ERP side: what the
-- entities production_order (orders_production_order.sql) and work_order (orders_work_order.sql)
-- share: the vocabulary of their neutral payloads and the helpers that write it.
--
-- Neutral vocabulary (both databases produce and read exactly these forms):
--   states       ISA-95 request/response states, the pivot between Odoo's words and the MES's
--                numbered codes: Released, Ready, Running, Held, Completed, Closed, Cancelled,
--                Aborted (orders); Waiting, Ready, Running, Completed, Cancelled (work orders)
--   timestamps   UTC, ISO 8601 text with a Z: '2026-03-29T01:30:00Z' (erp.orders_utc_text);
--                microseconds only when there are some
--   quantities   JSON numbers without trailing zeros, in the unit named beside them: an MES unit
--                code (pc, kg, g, l, ...), the unit of the product's stock unit
--   priority     an integer, lower is more urgent (the MES's own scale): Odoo '1' (urgent) is 10,
--                '0' (normal) is 100
--
-- Value maps declared here (erpmes.value_map on the ERP database; declaring again replaces them):
--   orders_uom_to_mes    ERP unit name (uom_uom.name->>'en_US') -> MES unit code; same pairs as the
--                        master-data pack's master_uom_to_mes for the units both know, declared
--                        here too so the orders flows do not depend on that pack
--   orders_erp_state_to_isa  mrp_production.state -> ISA-95 (draft is never published)
--   orders_isa_to_erp_state  ISA-95 -> mrp_production.state (several ISA-95 states share one Odoo
--                        state: Released and Ready are confirmed, Running and Held progress, ...)
--   orders_priority      mrp_production.priority -> neutral priority
--   orders_workorder_state  mrp_workorder.state -> ISA-95
-- Every map rejects what it does not list: a payload carries an unmapped value as it is, and the
-- receiving apply function rejects the key with a reason naming the value and the column. The
-- maps are named per side: ERP and MES may share one database and one erpmes schema.
--
-- erp.orders_mes_progress keeps, per manufacturing order, what the MES last reported of what it
-- owns (state, effective dates, done and waste quantities, as neutral values): the actual dates
-- live here, beside the planned ones of mrp_production, which the MES never overwrites. The
-- production_order payload publishes the MES-owned fields from here: the ERP
-- says back exactly what the MES said, so no converted value (25 pc as 2.09 Dozens) comes back
-- changed, and a state the ERP cannot hold (Ready, Held, Aborted) is not lost. Only the apply
-- function writes it; a row goes with its order.

-- The payload functions run as erpmes_owner (through erpmes.batch) and as erpmes_run (the
-- three-way merge of erpmes.apply_entity): both read the tables they join.
GRANT USAGE ON SCHEMA erp TO erpmes_owner;
GRANT SELECT ON erp.mrp_production, erp.mrp_workorder, erp.mrp_workcenter, erp.mrp_bom, erp.product_product,
    erp.product_template, erp.uom_uom, erp.stock_lot TO erpmes_owner;
-- The order progress apply function locks (FOR UPDATE) and writes the orders it mirrors (only the
-- columns that mirror what the MES owns, but the replicator's LOCK TABLE ... IN ROW EXCLUSIVE MODE
-- of the tables an entity writes needs the privilege on the table).
GRANT SELECT, UPDATE ON erp.mrp_production TO erpmes_run;

CREATE TABLE IF NOT EXISTS erp.orders_mes_progress (
    production_id integer PRIMARY KEY REFERENCES erp.mrp_production ON DELETE CASCADE,
    vals jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erp.orders_mes_progress IS
    'Per manufacturing order, the MES-owned fields of production_order as the MES last reported them (neutral values): state, effective (actual) start and end, done and waste quantities.';
GRANT SELECT ON erp.orders_mes_progress TO erpmes_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON erp.orders_mes_progress TO erpmes_run;

SELECT erpmes.declare_value_map('orders_uom_to_mes', 'reject', NULL, $json${
    "Units": "pc", "Dozens": "dozen",
    "kg": "kg", "g": "g", "t": "t", "lb": "lb", "oz": "oz",
    "Days": "day", "Hours": "h",
    "m": "m", "km": "km", "cm": "cm", "mm": "mm", "in": "in", "ft": "ft", "mi": "mi",
    "L": "l", "ml": "ml", "m³": "m3", "fl oz (US)": "fl_oz_us", "qt (US)": "qt_us", "gal (US)": "gal_us",
    "in³": "in3", "ft³": "ft3"
}$json$::jsonb);

SELECT erpmes.declare_value_map('orders_erp_state_to_isa', 'reject', NULL, $json${
    "confirmed": "Released", "progress": "Running", "to_close": "Completed", "done": "Closed", "cancel": "Cancelled"
}$json$::jsonb);

SELECT erpmes.declare_value_map('orders_isa_to_erp_state', 'reject', NULL, $json${
    "Released": "confirmed", "Ready": "confirmed",
    "Running": "progress", "Held": "progress",
    "Completed": "to_close", "Closed": "done",
    "Cancelled": "cancel", "Aborted": "cancel"
}$json$::jsonb);

SELECT erpmes.declare_value_map('orders_priority', 'reject', NULL, '{"0": "100", "1": "10"}'::jsonb);

SELECT erpmes.declare_value_map('orders_workorder_state', 'reject', NULL, $json${
    "pending": "Waiting", "waiting": "Waiting", "ready": "Ready", "progress": "Running", "done": "Completed",
    "cancel": "Cancelled"
}$json$::jsonb);

-- A naive UTC timestamp (the ERP's Datetime) as neutral text.
CREATE OR REPLACE FUNCTION erp.orders_utc_text(ts timestamp)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_trunc('second', ts) <> ts THEN rtrim(to_char(ts, '.US'), '0') ELSE '' END || 'Z';
COMMENT ON FUNCTION erp.orders_utc_text(timestamp) IS
    'Neutral timestamp text of a naive UTC timestamp: ISO 8601 with Z, microseconds only when not zero (NULL for NULL).';

-- Neutral timestamp text back to a naive UTC timestamp; NULL when it is not one (the apply
-- functions validate with this before they write).
CREATE OR REPLACE FUNCTION erp.orders_utc_parse(value text)
RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN value !~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$'
                 OR value LIKE '0000%' THEN NULL
            -- Nested CASE: the day is checked against its month only once the text has the shape.
            ELSE CASE WHEN substr(value, 9, 2)::integer <= extract(day FROM make_date(substr(value, 1, 4)::integer,
                                                            substr(value, 6, 2)::integer, 1) + interval '1 month - 1 day')
                      THEN replace(rtrim(value, 'Z'), 'T', ' ')::timestamp END
       END;
COMMENT ON FUNCTION erp.orders_utc_parse(text) IS
    'Naive UTC timestamp of a neutral timestamp text (YYYY-MM-DDTHH:MI:SS[.ffffff]Z); NULL when the text is not one.';
