-- The tables of the generic mapping helpers a DBA reuses in payload and apply functions: value
-- maps with a declared default-or-reject, key maps, unit conversions. The functions over them
-- (and the table-free time-zone helpers) are repeatables: Sql/erpmes/value_map.sql, key_map.sql,
-- convert_quantity.sql, plant_time.sql. Mappings are data a migration or repeatable file declares
-- (erpmes.declare_value_map, erpmes.declare_unit_conversion), reviewed like any schema change.

SET LOCAL ROLE erpmes_owner;

-- Every value map says what a value it does not list becomes: a default, or a rejection of the
-- key (a data error, so the replicator quarantines that key and nothing else).
CREATE TABLE erpmes.value_map_default (
    map text PRIMARY KEY CHECK (map <> ''),
    on_unknown text NOT NULL CHECK (on_unknown IN ('default', 'reject')),
    -- What an unlisted value becomes under 'default' (NULL is a deliberate default too).
    default_value text,
    CHECK (on_unknown = 'default' OR default_value IS NULL)
);
COMMENT ON TABLE erpmes.value_map_default IS
    'One row per value map: what an unlisted value becomes (on_unknown = default: default_value; reject: an error).';

-- The pairs of a value map; a map must be declared (value_map_default) before it has pairs.
CREATE TABLE erpmes.value_map (
    map text NOT NULL REFERENCES erpmes.value_map_default ON DELETE CASCADE,
    from_value text NOT NULL,
    to_value text NOT NULL,
    PRIMARY KEY (map, from_value)
);
COMMENT ON TABLE erpmes.value_map IS
    'Value map pairs (map, from_value -> to_value), e.g. mo_state: confirmed -> 01pending; see erpmes.map_value.';

-- Keys of one side remembered against the keys the other side gave the same thing (the MES
-- order id created for an ERP manufacturing order), one to one within a map.
CREATE TABLE erpmes.key_map (
    map text NOT NULL,
    foreign_key jsonb NOT NULL,
    local_key jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (map, foreign_key),
    CONSTRAINT key_map_local_key UNIQUE (map, local_key)
);
COMMENT ON TABLE erpmes.key_map IS
    'Per map, the other side''s key (foreign_key) and this side''s key (local_key), one to one; see erpmes.key_remember.';

-- 1 from_unit = factor to_unit, for every product or (product set) for one product only: the
-- MES's pairwise rows (1 kg = 1000 g; 1 box = 12 pc for one item). Read in both directions.
CREATE TABLE erpmes.unit_conversion (
    from_unit text NOT NULL CHECK (from_unit <> ''),
    to_unit text NOT NULL CHECK (to_unit <> ''),
    factor numeric NOT NULL CHECK (factor > 0),
    -- A product code (the business key both sides share); NULL: every product.
    product text,
    CHECK (from_unit <> to_unit),
    CONSTRAINT unit_conversion_key UNIQUE NULLS NOT DISTINCT (from_unit, to_unit, product)
);
CREATE INDEX unit_conversion_to_unit ON erpmes.unit_conversion (to_unit, from_unit);
COMMENT ON TABLE erpmes.unit_conversion IS
    '1 from_unit = factor to_unit, global (product NULL) or for one product; see erpmes.convert_quantity.';

-- Apply functions run as the replicator's login and read the maps directly too (set-based joins);
-- they write key_map only through erpmes.key_remember and erpmes.key_forget.
GRANT SELECT ON erpmes.value_map_default, erpmes.value_map, erpmes.key_map, erpmes.unit_conversion TO erpmes_run;

RESET ROLE;
