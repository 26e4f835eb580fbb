import ErpmesCore
import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import ServiceLifecycle

/// Two fresh databases (an ERP side and an MES side, both with the control schema), an `item`
/// entity declared on them, and a replicator running in this process.
///
/// By default both live in the run's shared cluster (the ERP one is the test's `.freshDatabase`);
/// tests that restart or crash a server pass ``DedicatedCluster``s instead.
final class ReplicationFixture: Sendable {
    /// `host=... port=... dbname=...`, without a user: each role connects with its own.
    let erpConninfo: String
    let mesConninfo: String
    let erpAdmin: PQConnection
    let mesAdmin: PQConnection
    /// The MES database to drop at tear-down (nil: it goes with its dedicated cluster).
    private let sharedMESName: String?
    /// The ERP database to drop at tear-down, when it is not the test's `.freshDatabase`.
    private let sharedERPName: String?

    /// The ERP side is the test's `.freshDatabase`; the MES side is a second new database.
    convenience init() async throws {
        let endpoint = try await TestCluster.shared.current()
        let base = "host=\(endpoint.socketDirectory) port=\(endpoint.port) dbname="
        let mesName = try await TestCluster.shared.createDatabase()
        try await self.init(erp: base + TestDatabase.require().name, mes: base + mesName, sharedMESName: mesName)
    }

    /// Two new databases with the control schema in the run's shared cluster, both dropped by
    /// ``tearDown()``: for a test that needs several pairs.
    static func pair() async throws -> ReplicationFixture {
        let endpoint = try await TestCluster.shared.current()
        let base = "host=\(endpoint.socketDirectory) port=\(endpoint.port) dbname="
        let erpName = try await TestCluster.shared.createDatabase()
        let mesName = try await TestCluster.shared.createDatabase()
        return try await ReplicationFixture(
            erp: base + erpName,
            mes: base + mesName,
            sharedMESName: mesName,
            sharedERPName: erpName
        )
    }

    /// Two new databases of the reference plant in the run's shared cluster: the ERP one with
    /// `Migrations/erp` and `Sql/erp` (schema, mapping pack, views), the MES one with `mes`. No
    /// `.freshDatabase` trait needed; call ``tearDown()`` to drop both.
    static func reference() async throws -> ReplicationFixture {
        let endpoint = try await TestCluster.shared.current()
        let base = "host=\(endpoint.socketDirectory) port=\(endpoint.port) dbname="
        let erpName = try await TestCluster.shared.createReferenceDatabase("erp")
        let mesName = try await TestCluster.shared.createReferenceDatabase("mes")
        return try await ReplicationFixture(
            erp: base + erpName,
            mes: base + mesName,
            sharedMESName: mesName,
            sharedERPName: erpName
        )
    }

    /// Databases `erp` and `mes`, created and migrated in the given clusters (may be the same one).
    convenience init(erp: DedicatedCluster, mes: DedicatedCluster) async throws {
        try await erp.createMigratedDatabase("erp")
        try await mes.createMigratedDatabase("mes")
        try await self.init(
            erp: "host=\(erp.directory) port=\(erp.port) dbname=erp",
            mes: "host=\(mes.directory) port=\(mes.port) dbname=mes",
            sharedMESName: nil
        )
    }

    private init(erp: String, mes: String, sharedMESName: String?, sharedERPName: String? = nil) async throws {
        self.erpConninfo = erp
        self.mesConninfo = mes
        self.sharedMESName = sharedMESName
        self.sharedERPName = sharedERPName
        self.erpAdmin = try await Self.connect(erp + " user=postgres")
        self.mesAdmin = try await Self.connect(mes + " user=postgres")
    }

    /// The same two databases with new admin connections, for after a server restart cut the old ones.
    func reconnected() async throws -> ReplicationFixture {
        try await ReplicationFixture(
            erp: self.erpConninfo,
            mes: self.mesConninfo,
            sharedMESName: self.sharedMESName,
            sharedERPName: self.sharedERPName
        )
    }

    static func connect(_ conninfo: String) async throws -> PQConnection {
        try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(conninfo), applicationName: "erpmes-tests"),
            logger: Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    func erp(user: String = "app_writer") async throws -> PQConnection {
        try await Self.connect(self.erpConninfo + " user=\(user)")
    }
    func mes(user: String = "app_writer") async throws -> PQConnection {
        try await Self.connect(self.mesConninfo + " user=\(user)")
    }

    /// Closes the admin connections and drops the MES database of the shared cluster; the ERP one
    /// goes with the test's trait.
    func tearDown() async throws {
        await self.erpAdmin.close()
        await self.mesAdmin.close()
        if let name = self.sharedMESName { try await TestCluster.shared.dropDatabase(name) }
        if let name = self.sharedERPName { try await TestCluster.shared.dropDatabase(name) }
    }

    /// `item (id, name, qty)` on both sides, published and subscribed in the given directions,
    /// identity-mapped. The apply function counts applies per row in `applies` (MES side too), so
    /// a doubled apply shows.
    func declareItem(erpToMES: Bool = true, mesToERP: Bool = false) async throws {
        for (admin, publish, subscribe) in [(self.erpAdmin, erpToMES, mesToERP), (self.mesAdmin, mesToERP, erpToMES)] {
            try await admin.simpleQuery(Self.itemSQL)
            if publish {
                try await admin.query(
                    "SELECT erpmes.publish('item', 'public.item', ARRAY['id'], 'public.item_payload(jsonb[])')"
                )
            }
            if subscribe {
                try await admin.query("SELECT erpmes.subscribe('item', 'public.item_apply()')")
            }
        }
    }

    static let itemSQL = """
        CREATE TABLE public.item (id integer PRIMARY KEY, name text NOT NULL, qty numeric(14,5) NOT NULL DEFAULT 0,
                                  applies integer NOT NULL DEFAULT 0);
        GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.item TO app_writer, erpmes_run;
        CREATE FUNCTION public.item_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
        LANGUAGE sql STABLE AS $$
            SELECT jsonb_build_object('id', i.id), jsonb_build_object('id', i.id, 'name', i.name, 'qty', i.qty)
            FROM public.item AS i WHERE i.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
        $$;
        CREATE FUNCTION public.item_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT FROM pg_temp.erpmes_batch WHERE op = 'T') THEN
                DELETE FROM public.item AS i WHERE NOT EXISTS (
                    SELECT FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' AND (b.key->>'id')::integer = i.id);
            END IF;
            DELETE FROM public.item AS i USING pg_temp.erpmes_batch AS b
            WHERE b.op = 'D' AND i.id = (b.key->>'id')::integer;
            -- An update's payload carries only the columns to write: the others keep their values.
            UPDATE public.item AS i SET (name, qty, applies) = (
                SELECT r.name, r.qty, i.applies + 1 FROM jsonb_populate_record(i, b.payload) AS r)
            FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' AND i.id = (b.key->>'id')::integer;
            INSERT INTO public.item AS i (id, name, qty, applies)
            SELECT (b.key->>'id')::integer, b.payload->>'name', (b.payload->>'qty')::numeric, 1
            FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U'
              AND NOT EXISTS (SELECT FROM public.item AS x WHERE x.id = (b.key->>'id')::integer)
            ORDER BY 1;
            RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
        END $$;
        """

    /// The link's configuration, connecting as the unprivileged `erpmes_run` role.
    func configuration(poll: Duration = .milliseconds(200)) async throws -> RunConfiguration {
        var configuration = RunConfiguration(links: [
            RunConfiguration.Link(
                name: "plant1",
                erp: Secret(self.erpConninfo + " user=erpmes_run"),
                mes: Secret(self.mesConninfo + " user=erpmes_run"),
                timezone: "Europe/Berlin"
            )
        ])
        configuration.poll = poll
        configuration.reconnectMax = .seconds(1)
        return configuration
    }

    /// Quiet unless ERPMES_TEST_LOG names a level (debug, info, ...), then on stderr.
    static var logger: Logger {
        guard let level = ProcessInfo.processInfo.environment["ERPMES_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
        else {
            return Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "erpmes.tests") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }

    /// Starts the replicator for the link in a task and returns once both directions own the link
    /// (a new link starts replicating from that moment); cancel the task to stop it.
    func startReplicator(
        poll: Duration = .milliseconds(200),
        rotateRows: Int? = nil,
        retention: Duration? = nil,
        batchKeys: Int? = nil,
        lockTimeout: Duration? = nil,
        waitForOwnership: Bool = true
    ) async throws -> Task<Void, any Error> {
        var configuration = try await self.configuration(poll: poll)
        configuration.lockTimeout = lockTimeout ?? configuration.lockTimeout
        configuration.rotateRows = rotateRows ?? configuration.rotateRows
        configuration.batchKeys = batchKeys ?? configuration.batchKeys
        configuration.retention = retention ?? configuration.retention
        let service = LinkService(
            link: configuration.links[0],
            configuration: configuration,
            logger: Self.logger
        )
        let epochs = try await self.epochs()
        let task = Task { try await service.run() }
        if waitForOwnership {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let now = try await self.epochs()
                if now.0 > epochs.0 && now.1 > epochs.1 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return task
    }

    /// Makes every row written so far count as data that existed before the entities were declared:
    /// a link that has not run yet starts after it (as after `erpmes.publish` on databases that
    /// already hold data), instead of sending it on its first run. For tests that seed both sides
    /// with the same master data before the replicator starts.
    func treatAsExisting() async throws {
        for admin in [self.erpAdmin, self.mesAdmin] {
            try await admin.query("UPDATE erpmes.publication SET published_snapshot = pg_current_snapshot()")
        }
    }

    /// The owner epochs of the two directions (0 before the link first ran).
    func epochs() async throws -> (Int, Int) {
        let query = "SELECT coalesce(max(owner_epoch), 0) FROM erpmes.apply_position"
        return (
            try await self.mesAdmin.query(query).first?.decode(0, as: Int.self) ?? 0,
            try await self.erpAdmin.query(query).first?.decode(0, as: Int.self) ?? 0
        )
    }

    /// Polls `query` on `connection` until it returns `expected` (as text) or `timeout` passes.
    func eventually(
        _ connection: PQConnection,
        _ query: String,
        equals expected: String?,
        timeout: Duration = .seconds(20)
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await connection.query(query).first?[0] == expected { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The whole table as text, for comparing both sides.
    static func snapshot(_ connection: PQConnection, _ table: String = "public.item") async throws -> [[String?]] {
        try await connection.query("SELECT id, name, qty FROM \(table) ORDER BY id").map { [$0[0], $0[1], $0[2]] }
    }
}
