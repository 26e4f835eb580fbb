import LibPQ
import Testing

/// Quality to compliance (MES → ERP), end to end on the reference schemas with the mapping pack:
/// closed MES quality controls become OCA inspections and lines (`Sql/erp/quality_control.sql`),
/// a batch blocked in the MES puts the ERP lot in quarantine (`Sql/erp/quality_lot_block.sql`).
/// Master data is written by hand on both sides, so no other flow is involved.
@Suite struct QualityFlowTests {
    /// A lot-tracked product SHAFT-10 (ids 100) with its related OCA test: Diameter in cm (1.2 to
    /// 1.3), Weight in g (10 to 20), and the qualitative Visual inspection (Good ok, Scratched not).
    static let erpMasterData = """
        INSERT INTO erp.product_template (id, name, categ_id, uom_id, uom_po_id, tracking, default_code)
        VALUES (100, '{"en_US": "Shaft 10"}', 1, 1, 1, 'lot', 'SHAFT-10');
        INSERT INTO erp.product_product (id, product_tmpl_id, default_code) VALUES (100, 100, 'SHAFT-10');
        INSERT INTO erp.qc_test (id, name, object_id, type, category)
        VALUES (100, '{"en_US": "Shaft test"}', 'product.product,100', 'related', 1);
        INSERT INTO erp.qc_test_question (id, sequence, test, name, type, min_value, max_value, uom_id) VALUES
            (100, 1, 100, '{"en_US": "Diameter"}', 'quantitative', 1.2, 1.3, 10),
            (101, 2, 100, '{"en_US": "Weight"}', 'quantitative', 10, 20, 4),
            (102, 3, 100, '{"en_US": "Visual inspection"}', 'qualitative', NULL, NULL, NULL);
        INSERT INTO erp.qc_test_question_value (id, test_line, name, ok) VALUES
            (100, 102, '{"en_US": "Good"}', true),
            (101, 102, '{"en_US": "Scratched"}', false);
        """

    /// The same product in the MES (seeded attributes: 1 DIAMETER mm, 2 WEIGHT g, 4 VISUAL text),
    /// its batch B-001 and an inspector.
    static let mesMasterData = """
        INSERT INTO mes.product (id, number, name, unit, batchevidence) VALUES (100, 'SHAFT-10', 'Shaft 10', 'pc', true);
        INSERT INTO mes.batch (id, number, product_id) VALUES (100, 'B-001', 100);
        INSERT INTO mes.staff (id, name, surname) VALUES (100, 'Jane', 'Doe');
        """

    /// Every column of the rows `sql` returns, as text.
    static func rows(_ connection: PQConnection, _ sql: String) async throws -> [[String?]] {
        let result = try await connection.query(sql)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    @Test("closed quality controls become inspections with converted lines; a malformed value is dead-lettered")
    func inspections() async throws {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpMasterData)
        try await fixture.mesAdmin.simpleQuery(Self.mesMasterData)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        let mes = try await fixture.mes()
        // 101: '13,7' is no number; 102: all within limits, rated OK; 103: out of limits, rated NOK;
        // 104: still in progress. Dates are plant-local (Europe/Berlin, UTC+2 in July).
        try await mes.simpleQuery(
            """
            BEGIN;
            INSERT INTO mes.quality_control (number, product_id, batch_id, controltype, date, staff_id, qualityrating, state)
            VALUES ('QC-000101', 100, 100, '01final', '2024-07-01 09:00', 100, 'OK', '03closed'),
                   ('QC-000102', 100, 100, '01final', '2024-07-01 10:00', 100, 'OK', '03closed'),
                   ('QC-000103', 100, 100, '02inProcess', '2024-07-01 11:00', 100, 'NOK', '03closed'),
                   ('QC-000104', 100, 100, '01final', '2024-07-01 12:00', 100, NULL, '02inProgress');
            INSERT INTO mes.quality_control_value (quality_control_id, attribute_id, value, lowerlimit, upperlimit)
            SELECT q.id, v.attribute, v.value, v.lower, v.upper
            FROM mes.quality_control AS q
            JOIN (VALUES ('QC-000101', 1, '12.50', 12.0, 13.0), ('QC-000101', 2, '13,7', 10, 20),
                         ('QC-000102', 1, '12.50', 12.0, 13.0), ('QC-000102', 2, '15', NULL, NULL),
                         ('QC-000102', 4, 'good', NULL, NULL),
                         ('QC-000103', 1, '13.20', 12.0, 13.0), ('QC-000103', 4, 'Scratched', NULL, NULL),
                         ('QC-000104', 1, '12.80', 12.0, 13.0))
                AS v (number, attribute, value, lower, upper) ON v.number = q.number;
            COMMIT;
            """
        )
        #expect(try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erp.qc_inspection", equals: "2"))
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erpmes.dead_letter", equals: "1")
        )

        // The malformed value: the whole control waits in the dead letter, named precisely.
        let dead = try await Self.rows(
            fixture.erpAdmin,
            "SELECT entity, key::text, status, message FROM erpmes.dead_letter"
        )
        #expect(
            dead == [
                [
                    "quality_control", #"{"number": "QC-000101"}"#, "open",
                    #"quality_control {"number": "QC-000101"} rejected: attribute WEIGHT: value '13,7' is not a number (column quality_control_value.value, value '13,7')"#,
                ]
            ]
        )

        // The lot the batch names was created for the product; both inspections refer to it.
        let lot = try #require(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT id FROM erp.stock_lot WHERE product_id = 100 AND name = 'B-001' AND company_id = 1"
            )
        )
        let inspections = try await Self.rows(
            fixture.erpAdmin,
            """
            SELECT name, date::text, object_id, product_id::text, lot_id::text, qty::text, test::text, state,
                   success::text, auto_generated::text, company_id::text, "user"::text, internal_notes
            FROM erp.qc_inspection ORDER BY name
            """
        )
        #expect(
            inspections == [
                [
                    "QC-000102", "2024-07-01 08:00:00", "stock.lot,\(lot)", "100", lot, "1.0", "100", "success", "true",
                    "true", "1", nil,
                    "MES quality control QC-000102 (final control)\nInspector: Jane Doe\nVerdict: pass",
                ],
                [
                    "QC-000103", "2024-07-01 09:00:00", "stock.lot,\(lot)", "100", lot, "1.0", "100", "failed", "false",
                    "true", "1", nil,
                    "MES quality control QC-000103 (in-process control)\nInspector: Jane Doe\nVerdict: fail",
                ],
            ]
        )

        // Lines: 12.50 mm is 1.25 cm against the MES limits 12-13 mm (1.2-1.3 cm); the weight has no
        // limits in the MES and takes the question's; the visual answer is matched by name.
        let lines = try await Self.rows(
            fixture.erpAdmin,
            """
            SELECT i.name, l.name, l.product_id::text, l.test_line::text, l.quantitative_value::text,
                   l.qualitative_value::text, l.notes, l.min_value::text, l.max_value::text, l.test_uom_id::text,
                   l.test_uom_category::text, l.uom_id::text, l.question_type, l.valid_values, l.success::text
            FROM erp.qc_inspection_line AS l JOIN erp.qc_inspection AS i ON i.id = l.inspection_id
            ORDER BY i.name, l.id
            """
        )
        #expect(
            lines == [
                [
                    "QC-000102", "Diameter", "100", "100", "1.25000", nil, "MES value: 12.50 mm", "1.20000", "1.30000",
                    "10", "4", "10", "quantitative", "1.2-1.3 cm", "true",
                ],
                [
                    "QC-000102", "Visual inspection", "100", "102", nil, "100", "MES value: good", nil, nil, nil, nil,
                    nil,
                    "qualitative", "Good", "true",
                ],
                [
                    "QC-000102", "Weight", "100", "101", "15.00000", nil, "MES value: 15 g", "10.00000", "20.00000",
                    "4",
                    "2", "4", "quantitative", "10-20 g", "true",
                ],
                [
                    "QC-000103", "Diameter", "100", "100", "1.32000", nil, "MES value: 13.20 mm", "1.20000", "1.30000",
                    "10", "4", "10", "quantitative", "1.2-1.3 cm", "false",
                ],
                [
                    "QC-000103", "Visual inspection", "100", "102", nil, "101", "MES value: Scratched", nil, nil, nil,
                    nil,
                    nil, "qualitative", "Good", "false",
                ],
            ]
        )

        // An open control is posted when it closes; a posted one is never updated again (append_only).
        try await mes.simpleQuery(
            """
            UPDATE mes.quality_control SET state = '03closed', qualityrating = 'OK' WHERE number = 'QC-000104';
            UPDATE mes.quality_control_value SET value = '12.90'
            WHERE quality_control_id = (SELECT id FROM mes.quality_control WHERE number = 'QC-000102') AND attribute_id = 1;
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                """
                SELECT i.state || ' ' || l.quantitative_value FROM erp.qc_inspection AS i
                JOIN erp.qc_inspection_line AS l ON l.inspection_id = i.id WHERE i.name = 'QC-000104'
                """,
                equals: "success 1.28000"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT string_agg(kind || ' ' || rule || ' ' || outcome, ',') FROM erpmes.conflict_log WHERE key = '{\"number\": \"QC-000102\"}'",
                equals: "posted append_only rejected"
            )
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                """
                SELECT l.quantitative_value FROM erp.qc_inspection_line AS l JOIN erp.qc_inspection AS i ON i.id = l.inspection_id
                WHERE i.name = 'QC-000102' AND l.name = 'Diameter'
                """
            ) == "1.25000"
        )
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a batch blocked in the MES puts the ERP lot in quarantine, keeping its note; unblocking lifts it")
    func lotQuarantine() async throws {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(
            Self.erpMasterData
                + "INSERT INTO erp.stock_lot (name, product_id, company_id, note) VALUES ('B-001', 100, 1, 'Supplier cert 42');"
        )
        try await fixture.mesAdmin.simpleQuery(Self.mesMasterData)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        let mes = try await fixture.mes()
        let note = "SELECT note FROM erp.stock_lot WHERE product_id = 100 AND name = 'B-001'"
        let quarantined =
            "SELECT erp.quality_lot_quarantined(note)::text FROM erp.stock_lot WHERE product_id = 100 AND name = "

        try await mes.query("UPDATE mes.batch SET state = '02blocked' WHERE id = 100")
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                note,
                equals: "[QUARANTINE] batch blocked in the MES\nSupplier cert 42"
            )
        )
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, quarantined + "'B-001'") == "true")

        // A batch the ERP has no lot for yet gets one, in quarantine; an unblocked new batch writes nothing.
        try await mes.query(
            "INSERT INTO mes.batch (number, product_id, state) VALUES ('B-002', 100, '02blocked'), ('B-003', 100, '01tracked')"
        )
        #expect(try await fixture.eventually(fixture.erpAdmin, quarantined + "'B-002'", equals: "true"))

        try await mes.query("UPDATE mes.batch SET state = '01tracked' WHERE id = 100")
        #expect(try await fixture.eventually(fixture.erpAdmin, note, equals: "Supplier cert 42"))
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, quarantined + "'B-001'") == "false")
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT count(*) FROM erp.stock_lot WHERE name = 'B-003'"
            )
                == "0"
        )
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
