-- The backlog scenario of `erpmes bench`: bench_native, of bench_item's shape, replicated by
-- PostgreSQL's native logical replication in the same run as erpmes drains bench_item.
CREATE TABLE public.bench_native (LIKE public.bench_item INCLUDING ALL);
COMMENT ON TABLE public.bench_native IS 'erpmes bench: the backlog drained by native logical replication.';

-- The apply function deletes only when the batch has deletes: a DELETE planned while the batch
-- table was empty would otherwise keep its plan for every later batch of a backlog.
CREATE OR REPLACE FUNCTION public.bench_item_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_temp.erpmes_batch AS b WHERE b.op = 'D') THEN
        DELETE FROM public.bench_item AS i USING pg_temp.erpmes_batch AS b
        WHERE b.op = 'D' AND i.id = (b.key->>'id')::integer;
    END IF;
    INSERT INTO public.bench_item AS i (id, code, qty, updated_at)
    SELECT (b.payload->>'id')::integer, b.payload->>'code', (b.payload->>'qty')::numeric,
           (b.payload->>'updated_at')::timestamp
    FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
    ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, qty = EXCLUDED.qty, updated_at = EXCLUDED.updated_at;
    RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
END $$;
