import LibPQ

/// A fingerprint of the live catalog of a target's schemas: one hash per object (tables and their
/// columns, views, sequences, constraints, indexes, triggers with their enabled state, functions,
/// types), stored after each `up` so `drift` can name what changed out of band.
public struct CatalogFingerprint: Sendable, Equatable {
    /// Object description (`table public.item`) to hash.
    public var objects: [String: String]

    /// What differs between a stored fingerprint and the live one.
    public struct Difference: Sendable, Equatable, Codable {
        public var added: [String]
        public var removed: [String]
        public var changed: [String]
        public var isEmpty: Bool { self.added.isEmpty && self.removed.isEmpty && self.changed.isEmpty }
    }

    func difference(from stored: CatalogFingerprint) -> Difference {
        Difference(
            added: self.objects.keys.filter { stored.objects[$0] == nil }.sorted(),
            removed: stored.objects.keys.filter { self.objects[$0] == nil }.sorted(),
            changed: self.objects.keys.filter { key in stored.objects[key].map { $0 != self.objects[key] } ?? false }
                .sorted()
        )
    }

    /// Reads the live fingerprint. Runs with `search_path = pg_catalog` so every name it prints is
    /// schema-qualified, whatever a migration file left the session's search path at.
    static func live(schemas: [String], on connection: PQConnection) async throws -> CatalogFingerprint {
        try await connection.withTransaction(readOnly: true) { tx in
            try await tx.query("SET LOCAL search_path = pg_catalog")
            let rows = try await tx.query(Self.query, [schemas])
            return try Self(json: rows.first?.decode("fingerprint", as: PQJSON.self) ?? PQJSON(text: "{}"))
        }
    }

    init(objects: [String: String]) { self.objects = objects }

    init(json: PQJSON) throws { self.objects = try json.decode([String: String].self) }

    var json: PQJSON { (try? PQJSON(encoding: self.objects)) ?? PQJSON(text: "{}") }

    /// Whether the schemas hold any table, view, sequence or function: a database that is not empty
    /// and has no history must be baselined first.
    static func hasObjects(schemas: [String], on connection: PQConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                           WHERE n.nspname = ANY ($1::text[])) AS present
            """,
            [schemas]
        )
        return try rows.first?.decode("present", as: Bool.self) ?? false
    }

    static let query = """
        SELECT coalesce(jsonb_object_agg(object, hash), '{}'::jsonb) AS fingerprint FROM (
            SELECT format('%s %I.%I', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                       WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'foreign table' END,
                       n.nspname, c.relname) AS object,
                   md5(coalesce((SELECT string_agg(format('%I %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                                                          a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ', '
                                                   ORDER BY a.attnum)
                                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
                       || coalesce(CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, '')) AS hash
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            UNION ALL
            SELECT format('constraint %s on %s', quote_ident(con.conname), con.conrelid::regclass),
                   md5(pg_get_constraintdef(con.oid))
            FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
            WHERE n.nspname = ANY ($1::text[]) AND con.conrelid <> 0
            UNION ALL
            SELECT format('index %I.%I', n.nspname, ic.relname), md5(pg_get_indexdef(i.indexrelid) || i.indisvalid::text)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
            WHERE n.nspname = ANY ($1::text[])
            UNION ALL
            SELECT format('trigger %s on %s', quote_ident(t.tgname), t.tgrelid::regclass),
                   md5(pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY ($1::text[]) AND NOT t.tgisinternal
            UNION ALL
            SELECT format('function %s', p.oid::regprocedure), md5(pg_get_functiondef(p.oid))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY ($1::text[]) AND p.prokind IN ('f', 'p')
            UNION ALL
            SELECT format('type %I.%I', n.nspname, t.typname),
                   md5(coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                                 WHERE e.enumtypid = t.oid), '') || t.typtype::text)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = ANY ($1::text[]) AND t.typtype IN ('e', 'd', 'r')
        ) AS objects
        """
}
