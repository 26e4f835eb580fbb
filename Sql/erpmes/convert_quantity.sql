-- Quantities between units, in exact numeric arithmetic (never float):
--   erpmes.round_quantity     rounds to a multiple of a rounding step: up (away from zero, Odoo's
--                             default for unit conversion), half-up or down (toward zero)
--   erpmes.odoo_uom_factor    Odoo's own conversion from uom_uom factors (qty / from.factor *
--                             to.factor, rounded to the target's rounding, UP by default), with
--                             Odoo's tolerance for factors stored from floats (Dozens = 1/12)
--   erpmes.convert_quantity   through erpmes.unit_conversion rows: product-specific before global,
--                             a row before its inverse, else one hop through a common unit; then
--                             an optional rounding step and a target scale (5 for numeric(14,5))
--   erpmes.declare_unit_conversion   upserts a row of erpmes.unit_conversion
-- The per-row helpers have no SET search_path (it would cost every call and is not needed: they
-- run with the caller's rights and name every object with its schema).
SET LOCAL ROLE erpmes_owner;

CREATE OR REPLACE FUNCTION erpmes.round_quantity(value numeric, rounding numeric, method text DEFAULT 'half-up')
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    remainder numeric;
    away boolean;
BEGIN
    IF rounding IS NULL OR rounding <= 0 THEN
        RAISE EXCEPTION 'rounding step must be positive, not %', coalesce(rounding::text, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF method IS NULL OR lower(method) NOT IN ('up', 'half-up', 'down') THEN
        RAISE EXCEPTION 'rounding method must be up, half-up or down, not %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    -- numeric mod is exact and takes the dividend's sign: value - remainder is value truncated
    -- toward zero to a multiple of rounding.
    remainder := mod(value, rounding);
    away := CASE lower(method)
        WHEN 'up' THEN remainder <> 0
        WHEN 'half-up' THEN abs(remainder) * 2 >= rounding
        ELSE false
    END;
    RETURN round(value - remainder + CASE WHEN away THEN sign(value) * rounding ELSE 0 END, scale(rounding));
END $$;
REVOKE ALL ON FUNCTION erpmes.round_quantity(numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.round_quantity(numeric, numeric, text) TO PUBLIC;  -- pure: reads nothing
COMMENT ON FUNCTION erpmes.round_quantity(numeric, numeric, text) IS
    'Rounds value to a multiple of rounding, exactly: up (away from zero), half-up (ties away from zero) or down (toward zero).';

CREATE OR REPLACE FUNCTION erpmes.odoo_uom_factor(
    qty numeric,
    from_factor numeric,
    to_factor numeric,
    rounding numeric DEFAULT NULL,
    method text DEFAULT 'up'
) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    -- 2^-52: Odoo's float_round moves the value by this much of itself toward the tie before it
    -- rounds, so a factor stored from a float (1/12 as 0.08333333333333333) still gives 60 Units
    -- for 5 Dozens, not 61.
    epsilon CONSTANT numeric := 0.0000000000000002220446049250313080847263336181640625;
    amount numeric;
    normalized numeric;
    rounded numeric;
BEGIN
    IF from_factor IS NULL OR from_factor <= 0 OR to_factor IS NULL OR to_factor <= 0 THEN
        RAISE EXCEPTION 'unit factors must be positive, not % and %', coalesce(from_factor::text, 'NULL'),
            coalesce(to_factor::text, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF rounding <= 0 THEN
        RAISE EXCEPTION 'rounding step must be positive, not %', rounding USING ERRCODE = '22023';
    END IF;
    IF method IS NULL OR lower(method) NOT IN ('up', 'half-up', 'down') THEN
        RAISE EXCEPTION 'rounding method must be up, half-up or down, not %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF qty IS NULL OR qty = 0 THEN
        RETURN qty;
    END IF;
    amount := qty * to_factor / from_factor;
    IF rounding IS NULL THEN
        RETURN trim_scale(amount);  -- the quotient's trailing zeros go: 1500 g = 1.5 kg
    END IF;
    normalized := abs(amount / rounding);
    rounded := CASE lower(method)
        WHEN 'up' THEN ceil(normalized * (1 - epsilon))
        WHEN 'down' THEN floor(normalized * (1 + epsilon))
        ELSE round(normalized * (1 + epsilon))
    END;
    RETURN round(sign(amount) * rounded * rounding, scale(rounding));
END $$;
REVOKE ALL ON FUNCTION erpmes.odoo_uom_factor(numeric, numeric, numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.odoo_uom_factor(numeric, numeric, numeric, numeric, text) TO PUBLIC;  -- pure
COMMENT ON FUNCTION erpmes.odoo_uom_factor(numeric, numeric, numeric, numeric, text) IS
    'Odoo''s uom conversion: qty / from_factor * to_factor (factor = units of this unit per reference unit), rounded to rounding like Odoo''s float_round (UP by default).';

CREATE OR REPLACE FUNCTION erpmes.declare_unit_conversion(
    from_unit text,
    to_unit text,
    factor numeric,
    product text DEFAULT NULL
) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO erpmes.unit_conversion AS c (from_unit, to_unit, factor, product)
    VALUES (declare_unit_conversion.from_unit, declare_unit_conversion.to_unit, declare_unit_conversion.factor,
        declare_unit_conversion.product)
    ON CONFLICT ON CONSTRAINT unit_conversion_key DO UPDATE SET factor = EXCLUDED.factor;
END;
REVOKE ALL ON FUNCTION erpmes.declare_unit_conversion(text, text, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.declare_unit_conversion(text, text, numeric, text) IS
    'Declares 1 from_unit = factor to_unit, for every product (product NULL) or for one product code.';

CREATE OR REPLACE FUNCTION erpmes.convert_quantity(
    quantity numeric,
    from_unit text,
    to_unit text,
    product text DEFAULT NULL,
    rounding numeric DEFAULT NULL,
    method text DEFAULT 'up',
    scale integer DEFAULT NULL
) RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    -- The conversion as a fraction (multiply, divide), so an inverse row divides once at the end
    -- instead of multiplying by a rounded 1/factor.
    mult numeric;
    divi numeric;
    specific integer;
    rival_via text;
    via text;
    result numeric;
BEGIN
    IF method IS NULL OR lower(method) NOT IN ('up', 'half-up', 'down') THEN
        RAISE EXCEPTION 'rounding method must be up, half-up or down, not %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF quantity IS NULL THEN
        RETURN NULL;
    END IF;
    IF coalesce(from_unit, '') = '' OR coalesce(to_unit, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('cannot convert %s from unit %s to unit %s: a unit is missing',
            quantity, coalesce('"' || from_unit || '"', 'NULL'), coalesce('"' || to_unit || '"', 'NULL'));
    END IF;
    IF from_unit = to_unit THEN
        mult := 1;
        divi := 1;
    ELSE
        -- A row for the product before a global one; a row before its inverse.
        SELECT l.m, l.d INTO mult, divi
        FROM (
            SELECT c.factor AS m, 1::numeric AS d, c.product IS NOT NULL AS own, true AS forward
            FROM erpmes.unit_conversion AS c
            WHERE c.from_unit = convert_quantity.from_unit AND c.to_unit = convert_quantity.to_unit
                AND (c.product IS NULL OR c.product = convert_quantity.product)
            UNION ALL
            SELECT 1::numeric, c.factor, c.product IS NOT NULL, false
            FROM erpmes.unit_conversion AS c
            WHERE c.from_unit = convert_quantity.to_unit AND c.to_unit = convert_quantity.from_unit
                AND (c.product IS NULL OR c.product = convert_quantity.product)
        ) AS l
        ORDER BY l.own DESC, l.forward DESC
        LIMIT 1;
        IF NOT FOUND THEN
            -- One hop through a common unit (g -> kg -> t), each leg either way round. Paths with more
            -- product rows win; equally specific paths that disagree are dirty master data: refused.
            WITH leg AS (
                SELECT c.from_unit AS a, c.to_unit AS b, c.factor AS m, 1::numeric AS d,
                    (c.product IS NOT NULL)::integer AS own, 1 AS forward
                FROM erpmes.unit_conversion AS c
                WHERE (c.product IS NULL OR c.product = convert_quantity.product)
                    AND (c.from_unit = convert_quantity.from_unit OR c.to_unit = convert_quantity.to_unit)
                UNION ALL
                SELECT c.to_unit, c.from_unit, 1::numeric, c.factor, (c.product IS NOT NULL)::integer, 0
                FROM erpmes.unit_conversion AS c
                WHERE (c.product IS NULL OR c.product = convert_quantity.product)
                    AND (c.to_unit = convert_quantity.from_unit OR c.from_unit = convert_quantity.to_unit)
            ),
            path AS (
                SELECT l1.b AS via, l1.m * l2.m AS m, l1.d * l2.d AS d, l1.own + l2.own AS own,
                    l1.forward + l2.forward AS forward
                FROM leg AS l1 JOIN leg AS l2 ON l2.a = l1.b
                WHERE l1.a = convert_quantity.from_unit AND l2.b = convert_quantity.to_unit
            ),
            best AS (
                SELECT p.* FROM path AS p ORDER BY p.own DESC, p.forward DESC, p.via LIMIT 1
            )
            SELECT b.m, b.d, b.own, b.via,
                (SELECT min(p.via) FROM path AS p WHERE p.own = b.own AND p.m * b.d <> b.m * p.d)
            INTO mult, divi, specific, via, rival_via
            FROM best AS b;
            IF rival_via IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '22023',
                    MESSAGE = format('unit conversion from "%s" to "%s"%s is ambiguous: the paths through "%s" and "%s" disagree',
                        from_unit, to_unit, coalesce(' for product "' || product || '"', ''), via, rival_via),
                    HINT = 'fix the rows of erpmes.unit_conversion, or add a direct one';
            END IF;
        END IF;
        IF mult IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('no unit conversion from "%s" to "%s"%s', from_unit, to_unit,
                    coalesce(' for product "' || product || '"', '')),
                HINT = 'add a row to erpmes.unit_conversion (1 from_unit = factor to_unit), for every product or for this one';
        END IF;
    END IF;
    -- A quotient carries the division's 16 and more digits: trailing zeros go (1500 g = 1.5 kg).
    result := CASE WHEN divi = 1 THEN quantity * mult ELSE trim_scale(quantity * mult / divi) END;
    IF rounding IS NOT NULL THEN
        result := erpmes.round_quantity(result, rounding, method);
    END IF;
    IF scale IS NOT NULL THEN
        result := round(result, scale);
    END IF;
    RETURN result;
END $$;
REVOKE ALL ON FUNCTION erpmes.convert_quantity(numeric, text, text, text, numeric, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.convert_quantity(numeric, text, text, text, numeric, text, integer) TO erpmes_run;
COMMENT ON FUNCTION erpmes.convert_quantity(numeric, text, text, text, numeric, text, integer) IS
    'Converts quantity between units through erpmes.unit_conversion (product row, global row, inverse, one hop), then rounds to a multiple of rounding (method up | half-up | down) and to scale decimals (half-up); no conversion: 22023.';

RESET ROLE;
