import LibPQ

/// Entities beyond `item`: additive movements, and orders with their lines (parent and child).
extension ReplicationFixture {
    /// `movement (id, item_id, qty)`, insert-only, ERP to MES. The MES apply function is additive on
    /// purpose, with no idempotency key: it adds each movement's quantity to `stock` and counts
    /// `applies` per movement, so an apply that commits twice shows in both.
    func declareMovement() async throws {
        try await self.erpAdmin.simpleQuery(
            """
            CREATE TABLE public.movement (id bigint PRIMARY KEY, item_id integer NOT NULL, qty numeric(14,5) NOT NULL);
            GRANT SELECT, INSERT ON public.movement TO app_writer, erpmes_run;
            CREATE FUNCTION public.movement_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
            LANGUAGE sql STABLE AS $$
                SELECT jsonb_build_object('id', m.id), jsonb_build_object('id', m.id, 'item_id', m.item_id, 'qty', m.qty)
                FROM public.movement AS m WHERE m.id IN (SELECT (k->>'id')::bigint FROM unnest(keys) AS k)
            $$;
            SELECT erpmes.publish('movement', 'public.movement', ARRAY['id'], 'public.movement_payload(jsonb[])');
            """
        )
        try await self.mesAdmin.simpleQuery(
            """
            CREATE TABLE public.movement (id bigint PRIMARY KEY, item_id integer NOT NULL, qty numeric(14,5) NOT NULL,
                                          applies integer NOT NULL DEFAULT 1);
            CREATE TABLE public.stock (item_id integer PRIMARY KEY, qty numeric(14,5) NOT NULL, moves integer NOT NULL);
            GRANT SELECT, INSERT, UPDATE, DELETE ON public.movement, public.stock TO app_writer, erpmes_run;
            CREATE FUNCTION public.movement_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
            LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO public.movement AS m (id, item_id, qty)
                SELECT (b.payload->>'id')::bigint, (b.payload->>'item_id')::integer, (b.payload->>'qty')::numeric
                FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
                ON CONFLICT (id) DO UPDATE SET applies = m.applies + 1;
                INSERT INTO public.stock AS s (item_id, qty, moves)
                SELECT (b.payload->>'item_id')::integer, sum((b.payload->>'qty')::numeric), count(*)
                FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' GROUP BY 1 ORDER BY 1
                ON CONFLICT (item_id) DO UPDATE SET qty = s.qty + EXCLUDED.qty, moves = s.moves + EXCLUDED.moves;
                RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
            END $$;
            SELECT erpmes.subscribe('movement', 'public.movement_apply()');
            """
        )
    }

    /// `orders (id, lines, note)` and `order_line (id, order_id, qty)`, ERP to MES; on both sides
    /// `order_line.order_id` references `orders`. MES applies orders first (apply_order 0) and
    /// lines second (1). `orders.lines` is the number of lines the order has.
    func declareOrders() async throws {
        let tables = """
            CREATE TABLE public.orders (id integer PRIMARY KEY, lines integer NOT NULL, note text NOT NULL);
            CREATE TABLE public.order_line (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES public.orders,
                                            qty integer NOT NULL);
            CREATE INDEX ON public.order_line (order_id);
            GRANT SELECT, INSERT, UPDATE, DELETE ON public.orders, public.order_line TO app_writer, erpmes_run;
            """
        try await self.erpAdmin.simpleQuery(
            tables + """
                CREATE FUNCTION public.orders_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
                LANGUAGE sql STABLE AS $$
                    SELECT jsonb_build_object('id', o.id), jsonb_build_object('id', o.id, 'lines', o.lines, 'note', o.note)
                    FROM public.orders AS o WHERE o.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
                $$;
                CREATE FUNCTION public.order_line_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
                LANGUAGE sql STABLE AS $$
                    SELECT jsonb_build_object('id', l.id), jsonb_build_object('id', l.id, 'order_id', l.order_id, 'qty', l.qty)
                    FROM public.order_line AS l WHERE l.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
                $$;
                SELECT erpmes.publish('orders', 'public.orders', ARRAY['id'], 'public.orders_payload(jsonb[])');
                SELECT erpmes.publish('order_line', 'public.order_line', ARRAY['id'], 'public.order_line_payload(jsonb[])');
                """
        )
        try await self.mesAdmin.simpleQuery(
            tables + """
                CREATE FUNCTION public.orders_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
                LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM public.orders AS o USING pg_temp.erpmes_batch AS b
                    WHERE b.op = 'D' AND o.id = (b.key->>'id')::integer;
                    INSERT INTO public.orders AS o (id, lines, note)
                    SELECT (b.payload->>'id')::integer, (b.payload->>'lines')::integer, b.payload->>'note'
                    FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
                    ON CONFLICT (id) DO UPDATE SET lines = EXCLUDED.lines, note = EXCLUDED.note;
                    RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
                END $$;
                CREATE FUNCTION public.order_line_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
                LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM public.order_line AS l USING pg_temp.erpmes_batch AS b
                    WHERE b.op = 'D' AND l.id = (b.key->>'id')::integer;
                    INSERT INTO public.order_line AS l (id, order_id, qty)
                    SELECT (b.payload->>'id')::integer, (b.payload->>'order_id')::integer, (b.payload->>'qty')::integer
                    FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
                    ON CONFLICT (id) DO UPDATE SET order_id = EXCLUDED.order_id, qty = EXCLUDED.qty;
                    RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
                END $$;
                SELECT erpmes.subscribe('orders', 'public.orders_apply()', 'source_wins', '{}', 0);
                SELECT erpmes.subscribe('order_line', 'public.order_line_apply()', 'source_wins', '{}', 1);
                """
        )
    }

    /// Every row of `table` on `connection` as text, ordered by `id`, for comparing both sides.
    static func rows(_ connection: PQConnection, _ table: String, _ columns: String) async throws -> [[String?]] {
        let result = try await connection.query("SELECT \(columns) FROM \(table) ORDER BY id")
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }
}
