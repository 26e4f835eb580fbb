import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct EntityGroupTests {
    static let schema = """
        CREATE TABLE public.orders (id integer PRIMARY KEY);
        CREATE TABLE public.order_line (id integer PRIMARY KEY, order_id integer REFERENCES public.orders);
        CREATE TABLE public.line_note (id integer PRIMARY KEY, line_id integer REFERENCES public.order_line);
        CREATE TABLE public.unrelated (id integer PRIMARY KEY);
        CREATE FUNCTION public.noop_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
        LANGUAGE sql AS $$ SELECT NULL::jsonb, NULL::text, NULL::text WHERE false $$;
        SELECT erpmes.subscribe('line_note', 'public.noop_apply()');
        SELECT erpmes.subscribe('order_line', 'public.noop_apply()');
        SELECT erpmes.subscribe('orders', 'public.noop_apply()');
        SELECT erpmes.subscribe('unrelated', 'public.noop_apply()');
        """

    @Test("an entity group orders its entities parents first from the foreign keys", .freshDatabase)
    func ordersFromForeignKeys() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.simpleQuery(Self.schema)
        try await connection.query(
            "SELECT erpmes.entity_group('order', ARRAY['line_note', 'order_line', 'orders'], ARRAY['public.line_note', 'public.order_line', 'public.orders']::regclass[])"
        )
        let order = try await connection.query(
            "SELECT entity FROM erpmes.subscription WHERE entity <> 'unrelated' ORDER BY apply_order, entity"
        )
        #expect(order.map { $0["entity"] } == ["orders", "order_line", "line_note"])
        #expect(
            try await connection.query("SELECT entities FROM erpmes.entity_group").first?.decode(
                "entities",
                as: [String].self
            ) == ["line_note", "order_line", "orders"]
        )
    }

    @Test("a group with a table no foreign key links, or an entity not subscribed, is refused", .freshDatabase)
    func refusesBadGroups() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.simpleQuery(Self.schema)
        let unrelated = try await #require(throws: PQError.self) {
            try await connection.query(
                "SELECT erpmes.entity_group('g', ARRAY['orders', 'unrelated'], ARRAY['public.orders', 'public.unrelated']::regclass[])"
            )
        }
        #expect(unrelated.sqlState?.rawValue == "42830")
        #expect(
            unrelated.message
                == "entity group g: table public.orders has no foreign key to or from another table of the group"
        )
        let unknown = try await #require(throws: PQError.self) {
            try await connection.query(
                "SELECT erpmes.entity_group('g', ARRAY['orders', 'ghost'], ARRAY['public.orders', 'public.order_line']::regclass[])"
            )
        }
        #expect(unknown.sqlState == .undefinedObject)
        #expect(unknown.message == "entity group g: entity ghost is not subscribed on this database")
    }
}
