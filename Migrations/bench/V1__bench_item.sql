-- The table `erpmes bench` replicates: identity-mapped, with the payload and apply functions a DBA
-- would write for it. Installed on both databases of the benchmark by `erpmes bench`.
CREATE TABLE public.bench_item (
    id integer PRIMARY KEY,
    code text NOT NULL,
    qty numeric(14,5) NOT NULL,
    updated_at timestamp NOT NULL
);
COMMENT ON TABLE public.bench_item IS 'erpmes bench: an identity-mapped table replicated ERP -> MES.';

-- The baseline: the same rows upserted straight into a table of the same shape, no erpmes involved.
CREATE TABLE public.bench_plain (LIKE public.bench_item INCLUDING ALL);
COMMENT ON TABLE public.bench_plain IS 'erpmes bench: target of the plain batched upsert baseline.';

CREATE FUNCTION public.bench_item_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', i.id),
           jsonb_build_object('id', i.id, 'code', i.code, 'qty', i.qty, 'updated_at', i.updated_at)
    FROM public.bench_item AS i
    WHERE i.id = ANY (ARRAY(SELECT (k->>'id')::integer FROM unnest(keys) AS k))
$$;
COMMENT ON FUNCTION public.bench_item_payload(jsonb[]) IS 'erpmes bench: publication of bench_item.';

CREATE FUNCTION public.bench_item_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM public.bench_item AS i USING pg_temp.erpmes_batch AS b
    WHERE b.op = 'D' AND i.id = (b.key->>'id')::integer;
    INSERT INTO public.bench_item AS i (id, code, qty, updated_at)
    SELECT (b.payload->>'id')::integer, b.payload->>'code', (b.payload->>'qty')::numeric,
           (b.payload->>'updated_at')::timestamp
    FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
    ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, qty = EXCLUDED.qty, updated_at = EXCLUDED.updated_at;
    RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
END $$;
COMMENT ON FUNCTION public.bench_item_apply() IS 'erpmes bench: subscription of bench_item.';
