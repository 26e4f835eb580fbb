import LibPQ
import Testing

/// Equipment to maintenance (MES → ERP, ERP replies), end to end on the reference schemas with the
/// mapping pack: MES failure events become corrective maintenance requests and the ERP's done stage
/// closes them in the MES (`Sql/*/maintenance_event.sql`); stoppages and equipment states become
/// work-center productivity rows (`Sql/*/maintenance_downtime.sql`). Master data is written by hand.
@Suite struct MaintenanceFlowTests {
    /// Work center WS-01 (id 100) and its equipment, serial SN-100, category Lathes (ids 100).
    static let erpMasterData = """
        INSERT INTO erp.mrp_workcenter (id, name, code) VALUES (100, 'Lathe 1', 'WS-01');
        INSERT INTO erp.maintenance_equipment_category (id, name) VALUES (100, '{"en_US": "Lathes"}');
        INSERT INTO erp.maintenance_equipment (id, name, serial_no, category_id, workcenter_id, maintenance_team_id, company_id)
        VALUES (100, '{"en_US": "Lathe 1"}', 'SN-100', 100, 100, 1, 1);
        """

    /// WS-01 with the ERP equipment's serial, WS-02 with a serial the ERP does not know, WS-09
    /// that no ERP work center has.
    static let mesMasterData = """
        INSERT INTO mes.workstation (id, number, name, serialnumber) VALUES
            (100, 'WS-01', 'Lathe 1', 'SN-100'),
            (101, 'WS-02', 'Lathe 2', 'SN-404'),
            (109, 'WS-09', 'Test bench', 'SN-900');
        """

    /// Every column of the rows `sql` returns, as text.
    static func rows(_ connection: PQConnection, _ sql: String) async throws -> [[String?]] {
        let result = try await connection.query(sql)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    @Test("a failure event becomes a corrective request by serial number; the ERP's done stage closes the event")
    func failureToRequest() async throws {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpMasterData)
        try await fixture.mesAdmin.simpleQuery(Self.mesMasterData)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        let mes = try await fixture.mes()
        let erp = try await fixture.erp()
        // 00:30 in Berlin on 5 March is 23:30 UTC on the 4th: the request is dated the plant's day.
        try await mes.query(
            """
            INSERT INTO mes.maintenance_event (number, type, workstation_id, description, createdate) VALUES
                ('ME-000101', '01failure', 100, 'Spindle jam', '2024-03-05 00:30'),
                ('ME-000102', '01failure', 101, 'Belt torn', '2024-03-05 10:00'),
                ('ME-000103', '03proposal', 100, 'Oil the spindle', '2024-03-05 11:00')
            """
        )
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erpmes.dead_letter", equals: "1")
        )
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erp.maintenance_request", equals: "1")
        )
        let request = try #require(
            try await ReplicationFixture.value(fixture.erpAdmin, "SELECT id FROM erp.maintenance_request")
        )
        let requestID = try #require(Int(request))
        let requests = try await Self.rows(
            fixture.erpAdmin,
            """
            SELECT name, company_id::text, description, request_date::text, category_id::text, equipment_id::text,
                   stage_id::text, priority, close_date::text, kanban_state, archive::text, maintenance_type,
                   schedule_date::text, maintenance_team_id::text, duration::text
            FROM erp.maintenance_request
            """
        )
        #expect(
            requests == [
                [
                    "ME-000101: Spindle jam", "1", "Spindle jam", "2024-03-05", "100", "100", "1", "2", nil, "normal",
                    "false", "corrective", nil, "1", nil,
                ]
            ]
        )
        let dead = try await Self.rows(
            fixture.erpAdmin,
            "SELECT entity, key::text, status, message FROM erpmes.dead_letter"
        )
        #expect(
            dead == [
                [
                    "maintenance_event", #"{"number": "ME-000102"}"#, "open",
                    #"maintenance_event {"number": "ME-000102"} rejected: no ERP equipment has serial_no 'SN-404' (column workstation.serialnumber, value 'SN-404')"#,
                ]
            ]
        )
        // The ERP request id comes back to the MES event.
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || externalnumber FROM mes.maintenance_event WHERE number = 'ME-000101'",
                equals: "01new \(request)"
            )
        )

        // The maintenance team repairs it: the ERP request reaches a done stage, the MES event closes.
        try await erp.query(
            "UPDATE erp.maintenance_request SET stage_id = 3, close_date = '2024-03-06' WHERE id = $1",
            [requestID]
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || closedate FROM mes.maintenance_event WHERE number = 'ME-000101'",
                equals: "04closed 2024-03-06 00:00:00"
            )
        )
        let logged = "SELECT count(*) FROM erpmes.conflict_log"
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, logged) == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, logged) == "0")

        // The description is the MES's: an ERP edit is a request the MES refuses, and its value comes back.
        try await erp.query(
            "UPDATE erp.maintenance_request SET description = 'Changed in the ERP' WHERE id = $1",
            [requestID]
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT kind || ' ' || columns::text || ' ' || rule || ' ' || source_side || ' ' || outcome FROM erpmes.conflict_log",
                equals: "request {description} owner erp rejected"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT name || ' / ' || description FROM erp.maintenance_request",
                equals: "ME-000101: Spindle jam / Spindle jam"
            )
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT state || ' ' || description FROM mes.maintenance_event WHERE number = 'ME-000101'"
            ) == "04closed Spindle jam"
        )

        // An event the MES revokes (no failure after all) archives its request; nothing is deleted.
        try await mes.query(
            """
            INSERT INTO mes.maintenance_event (number, type, workstation_id, description, createdate)
            VALUES ('ME-000104', '02issue', 100, 'Odd noise', '2024-03-07 09:00')
            """
        )
        let issue = "SELECT archive::text FROM erp.maintenance_request WHERE name = 'ME-000104: Odd noise'"
        #expect(try await fixture.eventually(fixture.erpAdmin, issue, equals: "false"))
        // Revoked once the request id is back in the MES: while both directions carry one key at once,
        // erpmes's two batch transactions can wait on each other's base row until a lock timeout.
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT externalnumber IS NOT NULL FROM mes.maintenance_event WHERE number = 'ME-000104'",
                equals: "t"
            )
        )
        try await mes.query("UPDATE mes.maintenance_event SET state = '05revoked' WHERE number = 'ME-000104'")
        #expect(try await fixture.eventually(fixture.erpAdmin, issue, equals: "true"))
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, logged) == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, logged) == "1")
        await mes.close()
        await erp.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("stoppages and equipment states become work-center productivity: seconds to minutes, loss by reason, UTC")
    func downtimeToProductivity() async throws {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpMasterData)
        try await fixture.mesAdmin.simpleQuery(Self.mesMasterData)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        let mes = try await fixture.mes()
        // Seeded reasons: 1 Machine failure (01failure), 4 Planned maintenance (planned). Berlin is UTC+2 in July.
        try await mes.simpleQuery(
            """
            INSERT INTO mes.stoppage (id, workstation_id, reason_id, datefrom, dateto, duration, description) VALUES
                (1, 100, 1, '2024-07-01 08:00', NULL, NULL, 'Spindle jam'),
                (2, 100, 4, '2024-07-01 12:00', '2024-07-01 12:30', 1800, NULL),
                (3, 109, 1, '2024-07-01 08:00', '2024-07-01 08:10', 600, NULL);
            INSERT INTO mes.equipment_state_history (id, workstation_id, statecode, startdatetime, enddatetime) VALUES
                (1, 100, 'RUN', '2024-07-01 06:00', '2024-07-01 08:00'),
                (2, 100, 'DOWN', '2024-07-01 08:00', NULL);
            """
        )
        // The stoppage is over: it is posted now, with the DOWN interval it ends.
        try await mes.simpleQuery(
            """
            BEGIN;
            UPDATE mes.stoppage SET dateto = '2024-07-01 09:30', duration = 5400 WHERE id = 1;
            UPDATE mes.equipment_state_history SET enddatetime = '2024-07-01 09:30' WHERE id = 2;
            INSERT INTO mes.equipment_state_history (id, workstation_id, statecode, startdatetime, enddatetime)
            VALUES (3, 100, 'RUN', '2024-07-01 09:30', NULL);
            COMMIT;
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT count(*) FROM erp.mrp_workcenter_productivity",
                equals: "2"
            )
        )
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erpmes.dead_letter", equals: "1")
        )
        let productivity = try await Self.rows(
            fixture.erpAdmin,
            """
            SELECT workcenter_id::text, company_id::text, workorder_id::text, user_id::text, loss_id::text, loss_type,
                   description, date_start::text, date_end::text, duration::text
            FROM erp.mrp_workcenter_productivity ORDER BY date_start
            """
        )
        #expect(
            productivity == [
                [
                    "100", "1", nil, nil, "7", "productive", "RUN", "2024-07-01 04:00:00", "2024-07-01 06:00:00",
                    "120.00",
                ],
                [
                    "100", "1", nil, nil, "2", "availability", "Machine failure: Spindle jam", "2024-07-01 06:00:00",
                    "2024-07-01 07:30:00", "90.00",
                ],
            ]
        )
        let dead = try await Self.rows(fixture.erpAdmin, "SELECT entity, key::text, message FROM erpmes.dead_letter")
        #expect(
            dead == [
                [
                    "maintenance_downtime", #"{"id": 3}"#,
                    #"maintenance_downtime {"id": 3} rejected: no ERP work center has code 'WS-09' (column workstation.number, value 'WS-09')"#,
                ]
            ]
        )
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
