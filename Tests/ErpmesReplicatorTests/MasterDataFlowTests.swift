import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Data flow 1, master data ERP -> MES, end to end on the reference schemas with the mapping pack
/// (`Sql/erp/master_*.sql`, `Sql/mes/master_*.sql`): units, products, workstations and
/// technologies, checked field by field against hand-computed values.
@Suite(.serialized) struct MasterDataFlowTests {
    /// ERP master data as an Odoo user would enter it, in one transaction: three items (Units,
    /// Dozens, kg; lot, serial and no tracking; a translated name), two work centers (one with an
    /// equipment and a 5-minute setup), a BoM for 2 Widgets with two operations (1.5 and 0.25
    /// minutes per cycle) and two lines (0.75 g of steel at the first operation, 1 Dozen of bolts
    /// at none).
    static let seed = """
        INSERT INTO erp.product_template (id, name, categ_id, uom_id, uom_po_id, tracking) VALUES
            (101, '{"en_US": "Widget", "de_DE": "Dings"}', 1, 1, 1, 'lot'),
            (102, '{"en_US": "Steel"}', 1, 3, 3, 'none'),
            (103, '{"en_US": "Bolt"}', 1, 2, 1, 'serial');
        INSERT INTO erp.product_product (id, product_tmpl_id, default_code) VALUES
            (201, 101, 'P-100'), (202, 102, 'RM-1'), (203, 103, 'B-12');
        INSERT INTO erp.mrp_workcenter (id, name, code, time_start) VALUES
            (301, 'Assembly', 'WC-ASM', 5), (302, 'Paint', 'WC-PNT', NULL);
        INSERT INTO erp.maintenance_equipment (id, name, serial_no, workcenter_id, maintenance_team_id) VALUES
            (401, '{"en_US": "Robot"}', 'SN-777', 301, 1);
        INSERT INTO erp.mrp_bom (id, code, product_tmpl_id, product_qty, product_uom_id) VALUES
            (501, 'BOM-W', 101, 2, 1);
        INSERT INTO erp.mrp_routing_workcenter (id, name, workcenter_id, sequence, bom_id, time_cycle_manual) VALUES
            (601, 'Assemble', 301, 10, 501, 1.5), (602, 'Paint', 302, 20, 501, 0.25);
        INSERT INTO erp.mrp_bom_line (id, product_id, product_qty, product_uom_id, bom_id, operation_id, sequence) VALUES
            (701, 202, 0.75, 4, 501, 601, 1), (702, 203, 1, 2, 501, NULL, 2);
        """

    /// The ERP master tables the flow reads, hashed row by row: equal before and after means the
    /// replication left every ERP row byte-identical.
    static let erpFingerprint = """
        SELECT string_agg(t.name || ':' || t.hash, ' ' ORDER BY t.name) FROM (
            SELECT 'uom_category' AS name, md5(string_agg(x::text, '|' ORDER BY x.id)) AS hash FROM erp.uom_category AS x
            UNION ALL SELECT 'uom_uom', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.uom_uom AS x
            UNION ALL SELECT 'product_template', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.product_template AS x
            UNION ALL SELECT 'product_product', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.product_product AS x
            UNION ALL SELECT 'mrp_workcenter', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.mrp_workcenter AS x
            UNION ALL SELECT 'maintenance_equipment', md5(string_agg(x::text, '|' ORDER BY x.id))
                FROM erp.maintenance_equipment AS x
            UNION ALL SELECT 'mrp_bom', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.mrp_bom AS x
            UNION ALL SELECT 'mrp_bom_line', md5(string_agg(x::text, '|' ORDER BY x.id)) FROM erp.mrp_bom_line AS x
            UNION ALL SELECT 'mrp_routing_workcenter', md5(string_agg(x::text, '|' ORDER BY x.id))
                FROM erp.mrp_routing_workcenter AS x
        ) AS t
        """

    /// Every row of a query as text.
    private static func rows(
        _ connection: PQConnection,
        _ sql: String,
        _ parameters: [(any PQEncodable)?] = []
    ) async throws -> [[String?]] {
        let result = try await connection.query(sql, parameters)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    /// Waits until neither direction has changes left to apply, twice in a row (a decided
    /// conflict queues the key again on the side that decided it).
    private static func settle(_ fixture: ReplicationFixture) async throws -> Bool {
        var quiet = 0
        return try await fixture.eventually {
            let pending = try await fixture.pending(.erpToMES) + fixture.pending(.mesToERP)
            quiet = pending == 0 ? quiet + 1 : 0
            return quiet >= 3
        }
    }

    @Test("items, units, work centers and BoMs reach the MES converted, and nothing echoes back to the ERP")
    func masterDataArrives() async throws {
        let fixture = try await ReplicationFixture.reference()
        // The MES has Dozens the wrong way round (1 pc = 0.08333 dozen) and no 1 m = 1000 mm: the
        // ERP's units put their own rows in place.
        try await fixture.mesAdmin.simpleQuery(
            """
            DELETE FROM mes.unit_conversion WHERE product_id IS NULL AND 'dozen' IN (unitfrom, unitto);
            INSERT INTO mes.unit_conversion (quantityfrom, unitfrom, quantityto, unitto) VALUES (1, 'pc', 0.08333, 'dozen');
            DELETE FROM mes.unit_conversion WHERE product_id IS NULL AND unitfrom = 'm' AND unitto = 'mm';
            """
        )
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.simpleQuery(
            Self.seed + """
                UPDATE erp.uom_uom SET rounding = 1 WHERE name->>'en_US' = 'Dozens';
                INSERT INTO erp.uom_uom (id, name, category_id, factor, rounding, uom_type) VALUES
                    (40, '{"en_US": "mm"}', 4, 1000, 1, 'smaller');
                """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM mes.technology_input_product",
                equals: "2"
            )
        )
        #expect(try await Self.settle(fixture))

        // Products: number = default_code, name from the jsonb (en_US), unit through the map,
        // batch evidence from tracking, the ERP id kept as externalnumber.
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT number, name, unit, batchevidence::text, externalnumber, active::text FROM mes.product ORDER BY number"
            ) == [
                ["B-12", "Bolt", "dozen", "true", "203", "true"],
                ["P-100", "Widget", "pc", "true", "201", "true"],
                ["RM-1", "Steel", "kg", "false", "202", "true"],
            ]
        )
        // Workstations: number = code, serial number of the linked equipment.
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT number, name, serialnumber, externalnumber, state FROM mes.workstation ORDER BY number"
            ) == [
                ["WC-ASM", "Assembly", "SN-777", "301", "01stopped"],
                ["WC-PNT", "Paint", nil, "302", "01stopped"],
            ]
        )
        // The technology of BoM 501, its operations (minutes x 60 = seconds, setup from the work
        // center, one cycle = the BoM's 2 Units) and its input products in their own units.
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT t.number, t.name, p.number, t.state, t.master::text, t.externalnumber, t.active::text
                FROM mes.technology AS t JOIN mes.product AS p ON p.id = t.product_id
                """
            ) == [["TECH-000501", "BOM-W", "P-100", "02accepted", "true", "501", "true"]]
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT o.nodenumber, o.name, w.number, o.tpz::text, o.tj::text, o.productioninonecycle::text,
                       o.productioninonecycleunit, o.externalnumber
                FROM mes.technology_operation AS o LEFT JOIN mes.workstation AS w ON w.id = o.workstation_id
                ORDER BY o.nodenumber
                """
            ) == [
                ["1.", "Assemble", "WC-ASM", "300", "90", "2.00000", "pc", "601"],
                ["2.", "Paint", "WC-PNT", "0", "15", "2.00000", "pc", "602"],
            ]
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT o.nodenumber, p.number, i.quantity::text, i.unit, i.externalnumber
                FROM mes.technology_input_product AS i
                JOIN mes.technology_operation AS o ON o.id = i.technology_operation_id
                JOIN mes.product AS p ON p.id = i.product_id
                ORDER BY i.externalnumber
                """
            ) == [
                ["1.", "RM-1", "0.75000", "g", "701"],
                ["1.", "B-12", "1.00000", "dozen", "702"],
            ]
        )
        // Units: Odoo's factor 1/12 of Dozens becomes 1 dozen = 12 pc (the reverse row goes), mm's
        // factor 1000 becomes 1 m = 1000 mm; the description is the ERP's name.
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT quantityfrom::text, unitfrom, quantityto::text, unitto FROM mes.unit_conversion
                WHERE product_id IS NULL AND ('dozen' IN (unitfrom, unitto) OR 'mm' IN (unitfrom, unitto))
                ORDER BY unitfrom
                """
            ) == [["1.00000", "dozen", "12.00000", "pc"], ["1.00000", "m", "1000.00000", "mm"]]
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT string_agg(code || '=' || description, ',' ORDER BY code) FROM mes.unit WHERE code IN ('dozen', 'mm')"
            ) == "dozen=Dozens,mm=mm"
        )
        // Nothing was refused, nothing conflicted, and the MES's applies did not echo back.
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        }
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT coalesce(sum(applied_keys), 0) FROM erpmes.apply_position"
            ) == "0"
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a NULL default_code, a work center without code and an unknown unit go to the MES dead letter, named")
    func unmappableRowsAreRejected() async throws {
        let fixture = try await ReplicationFixture.reference()
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.simpleQuery(
            """
            INSERT INTO erp.product_template (id, name, categ_id, uom_id, uom_po_id) VALUES
                (110, '{"en_US": "Nameless"}', 1, 1, 1), (111, '{"en_US": "Good"}', 1, 1, 1);
            INSERT INTO erp.product_product (id, product_tmpl_id, default_code) VALUES (210, 110, NULL), (211, 111, 'G-1');
            INSERT INTO erp.mrp_workcenter (id, name, code) VALUES (310, 'Nocode', NULL);
            INSERT INTO erp.uom_uom (id, name, category_id, factor, rounding, uom_type) VALUES
                (41, '{"en_US": "Pack of 6"}', 1, 0.16666666666666666, 1, 'bigger');
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM erpmes.dead_letter",
                equals: "3"
            )
        )
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM mes.product", equals: "1"))
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT entity, key::text, message FROM erpmes.dead_letter WHERE status = 'open' ORDER BY entity"
            ) == [
                [
                    "product", #"{"default_code": null}"#,
                    #"product {"default_code": null} rejected: default_code is NULL (column product_product.default_code, value NULL) for product_product.id 210 (name 'Nameless')"#,
                ],
                [
                    "unit", #"{"id": 41}"#,
                    #"unit {"id": 41} rejected: ERP unit 'Pack of 6' has no MES unit code (column uom_uom.name, value map master_uom_to_mes)"#,
                ],
                [
                    "workstation", #"{"code": null}"#,
                    #"workstation {"code": null} rejected: code is NULL (column mrp_workcenter.code, value NULL) for mrp_workcenter.id 310 (name 'Nocode')"#,
                ],
            ]
        )
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT number FROM mes.product") == "G-1")
        // A BoM that needs the product without a code waits for it in the dead letter.
        try await erp.simpleQuery(
            """
            INSERT INTO erp.mrp_bom (id, product_tmpl_id, product_qty, product_uom_id) VALUES (510, 111, 1, 1);
            INSERT INTO erp.mrp_bom_line (id, product_id, product_qty, product_uom_id, bom_id) VALUES (710, 210, 3, 1, 510);
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT blocked_by::text FROM erpmes.dead_letter WHERE entity = 'technology'",
                equals: #"{"key": {"default_code": null}, "entity": "product"}"#
            )
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT count(*) FROM erpmes.dead_letter WHERE entity = 'product'"
            ) == "1"
        )
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM mes.technology") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("an MES edit of ERP-owned master data is a request: rejected, logged on the ERP, the ERP value restored")
    func mesEditsAreRejected() async throws {
        let fixture = try await ReplicationFixture.reference()
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.simpleQuery(Self.seed)
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM mes.technology_operation", equals: "2")
        )
        #expect(try await Self.settle(fixture))
        let before = try await ReplicationFixture.value(fixture.erpAdmin, Self.erpFingerprint)

        // The MES renames an item, deactivates another and changes a workstation's serial number
        // along with its own state column.
        let mes = try await fixture.mes()
        try await mes.simpleQuery(
            """
            UPDATE mes.product SET name = 'Widget (MES edit)' WHERE number = 'P-100';
            UPDATE mes.product SET active = false WHERE number = 'RM-1';
            UPDATE mes.workstation SET serialnumber = 'SN-MES', state = '02launched' WHERE number = 'WC-ASM';
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM mes.product WHERE number = 'P-100'",
                equals: "Widget"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT active::text FROM mes.product WHERE number = 'RM-1'",
                equals: "true"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT serialnumber || ' ' || state FROM mes.workstation WHERE number = 'WC-ASM'",
                equals: "SN-777 02launched"
            )
        )
        #expect(try await Self.settle(fixture))
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT entity, key::text, kind, columns::text, rule, source_side, outcome FROM erpmes.conflict_log ORDER BY entity, key"
            ) == [
                ["product", #"{"default_code": "P-100"}"#, "request", "{name}", "owner", "mes", "rejected"],
                ["product", #"{"default_code": "RM-1"}"#, "request", "{}", "owner", "mes", "rejected"],
                ["workstation", #"{"code": "WC-ASM"}"#, "request", "{serial_no}", "owner", "mes", "rejected"],
            ]
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT source->>'name' FROM erpmes.conflict_log WHERE key = '{\"default_code\": \"P-100\"}'"
            ) == "Widget (MES edit)"
        )
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, Self.erpFingerprint) == before)
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        }
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("ERP changes: a renamed code keeps the MES row, archiving deactivates, BoM edits rebuild the technology")
    func erpChangesFollow() async throws {
        let fixture = try await ReplicationFixture.reference()
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.simpleQuery(Self.seed)
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM mes.technology_input_product",
                equals: "2"
            )
        )
        let widget = try await ReplicationFixture.value(
            fixture.mesAdmin,
            "SELECT id FROM mes.product WHERE number = 'P-100'"
        )
        let assemble = try await ReplicationFixture.value(
            fixture.mesAdmin,
            "SELECT id FROM mes.technology_operation WHERE externalnumber = '601'"
        )

        try await erp.simpleQuery(
            """
            UPDATE erp.product_product SET default_code = 'P-100A' WHERE id = 201;
            UPDATE erp.product_template SET name = '{"en_US": "Steel bar"}', tracking = 'lot' WHERE id = 102;
            UPDATE erp.mrp_routing_workcenter SET time_cycle_manual = 2 WHERE id = 602;
            INSERT INTO erp.mrp_routing_workcenter (id, name, workcenter_id, sequence, bom_id, time_cycle_manual) VALUES
                (603, 'Inspect', 302, 5, 501, 0.1);
            UPDATE erp.mrp_bom_line SET product_qty = 1.25, operation_id = 602 WHERE id = 701;
            DELETE FROM erp.mrp_bom_line WHERE id = 702;
            UPDATE erp.product_product SET active = false WHERE id = 203;
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM mes.technology_input_product",
                equals: "1"
            )
        )
        #expect(try await Self.settle(fixture))
        // The same MES product, renamed: what refers to it (the technology) follows.
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT id FROM mes.product WHERE number = 'P-100A'")
                == widget
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT number, name, unit, batchevidence::text, active::text FROM mes.product ORDER BY number"
            ) == [
                ["B-12", "Bolt", "dozen", "true", "false"],
                ["P-100A", "Widget", "pc", "true", "true"],
                ["RM-1", "Steel bar", "kg", "true", "true"],
            ]
        )
        // Operations renumbered by sequence, the existing ones kept (same id), the new cycle time.
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT o.nodenumber, o.name, o.tj::text, o.externalnumber, (o.id::text = $1)::text
                FROM mes.technology_operation AS o ORDER BY o.nodenumber
                """,
                [assemble]
            ) == [
                ["1.", "Inspect", "6", "603", "false"],
                ["2.", "Assemble", "90", "601", "true"],
                ["3.", "Paint", "120", "602", "false"],
            ]
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT o.nodenumber, p.number, i.quantity::text, i.unit
                FROM mes.technology_input_product AS i
                JOIN mes.technology_operation AS o ON o.id = i.technology_operation_id
                JOIN mes.product AS p ON p.id = i.product_id
                """
            ) == [["3.", "RM-1", "1.25000", "g"]]
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT p.number FROM mes.technology AS t JOIN mes.product AS p ON p.id = t.product_id"
            ) == "P-100A"
        )

        // An archived BoM outdates its technology; restored, it is accepted again.
        try await erp.query("UPDATE erp.mrp_bom SET active = false WHERE id = 501")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || active::text FROM mes.technology",
                equals: "04outdated false"
            )
        )
        try await erp.query("UPDATE erp.mrp_bom SET active = true WHERE id = 501")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || active::text FROM mes.technology",
                equals: "02accepted true"
            )
        )
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        }
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
