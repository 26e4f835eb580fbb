import LibPQ
import Testing

/// The plant reporting views (`Sql/erp/report_*.sql`, `Sql/mes/report_*.sql`, issue 9) on a small
/// hand-built plant: rows are written straight into both reference databases (no replicator), and
/// every figure a view returns is checked against the arithmetic spelled out beside it.
@Suite struct ReportViewTests {
    /// The ERP plant (naive UTC). Products FIN (Units, lot-tracked), COMP (kg), PAL (Units); locations
    /// of the seed: 4 Vendors, 5 Customers, 8 Production, 9 Scrap, 11 WH/Stock; units 1 Units,
    /// 2 Dozens (12 Units), 3 kg, 4 g, 10 cm. Moves and lines are posted the way flow 2 posts MES
    /// production records: produced Production -> Stock, waste Production -> Scrap, corrections as
    /// reversing moves.
    ///
    /// - WH/MO/00001: 100 Units of FIN, done, due 16:00. Produced 60 + 2.5 Dozens (30) - 5 (a
    ///   correction reverses 5) = 85; waste 6 - 1 (a correction returns 1) = 5. Two work orders:
    ///   Pressing (no moves, qty_produced 90) and Turning (the moves above).
    /// - WH/MO/00002: 50 Units, in progress, no deadline, planned finish 2024-03-05 14:00 (long past):
    ///   10 kg of C-001 issued and 2000 g returned, nothing produced.
    /// - WH/MO/00003: 10 Dozens (= 120 Units), done 1 hour after its planned finish, 130 Units made.
    /// - WH/MO/00004: cancelled. WH/MO/00005: 1 PAL (lot P-001) from 10 Units of F-001, on time.
    static let erpPlant = """
        INSERT INTO erp.product_template (id, name, type, categ_id, uom_id, uom_po_id, tracking) VALUES
            (101, '{"en_US": "Flange"}', 'product', 1, 1, 1, 'lot'),
            (102, '{"en_US": "Steel"}', 'product', 1, 3, 3, 'lot'),
            (103, '{"en_US": "Pallet"}', 'product', 1, 1, 1, 'lot');
        INSERT INTO erp.product_product (id, product_tmpl_id, default_code) VALUES
            (101, 101, 'FIN'), (102, 102, 'COMP'), (103, 103, 'PAL');
        INSERT INTO erp.stock_lot (id, name, product_id, company_id, expiration_date, use_date) VALUES
            (201, 'F-001', 101, 1, '2026-03-04', '2025-09-04'),
            (202, 'F-002', 101, 1, NULL, NULL),
            (203, 'C-001', 102, 1, NULL, NULL),
            (204, 'P-001', 103, 1, NULL, NULL);
        INSERT INTO erp.mrp_workcenter (id, name, code) VALUES (301, 'Press', 'WS-1'), (302, 'Lathe', 'WS-2');
        INSERT INTO erp.mrp_production
            (id, name, product_id, product_qty, product_uom_id, location_src_id, location_dest_id, date_start, date_finished,
             date_deadline, state, company_id)
        VALUES
            (401, 'WH/MO/00001', 101, 100, 1, 11, 11, '2024-03-04 06:00', '2024-03-04 14:00', '2024-03-04 16:00', 'done', 1),
            (402, 'WH/MO/00002', 101, 50, 1, 11, 11, '2024-03-05 06:00', '2024-03-05 14:00', NULL, 'progress', 1),
            (403, 'WH/MO/00003', 101, 10, 2, 11, 11, '2024-03-06 06:00', '2024-03-06 14:00', NULL, 'done', 1),
            (404, 'WH/MO/00004', 101, 10, 1, 11, 11, '2024-03-06 06:00', '2024-03-06 14:00', NULL, 'cancel', 1),
            (405, 'WH/MO/00005', 103, 1, 1, 11, 11, '2024-03-07 08:00', '2024-03-07 12:00', NULL, 'done', 1);
        INSERT INTO erp.mrp_workorder
            (id, name, sequence, production_id, workcenter_id, product_uom_id, qty_produced, state, date_start, date_finished,
             duration_expected, duration)
        VALUES
            (501, 'Pressing', 10, 401, 301, 1, 90, 'done', '2024-03-04 06:00', '2024-03-04 10:00', 240, 250),
            (502, 'Turning', 20, 401, 302, 1, 85, 'done', '2024-03-04 10:00', '2024-03-04 14:00', 240, NULL);
        INSERT INTO erp.mrp_workcenter_productivity (workcenter_id, company_id, workorder_id, loss_id, date_start, date_end, duration) VALUES
            (301, 1, 501, 7, '2024-03-04 06:10', '2024-03-04 10:20', 250),
            (302, 1, 502, 7, '2024-03-04 10:30', '2024-03-04 12:00', 90),
            (302, 1, 502, 7, '2024-03-04 12:30', '2024-03-04 14:30', NULL);
        INSERT INTO erp.stock_scrap
            (id, name, product_id, product_uom_id, lot_id, scrap_qty, location_id, scrap_location_id, production_id, workorder_id,
             state, company_id)
        VALUES
            (1, 'SP/001', 101, 1, 201, 6, 8, 9, 401, 502, 'done', 1),
            (2, 'SP/002', 101, 1, 201, 7, 11, 9, 401, 502, 'draft', 1);
        -- moves: (id, product, qty, uom, from, to, date, production_id, raw_material_production_id)
        INSERT INTO erp.stock_move
            (id, name, company_id, product_id, product_uom_qty, quantity, product_uom, location_id, location_dest_id, state,
             date, production_id, raw_material_production_id, workorder_id, scrap_id)
        VALUES
            (601, 'receipt', 1, 102, 50, 50, 3, 4, 11, 'done', '2024-03-01 08:00', NULL, NULL, NULL, NULL),
            (602, 'MO1 steel', 1, 102, 20, 20, 3, 11, 8, 'done', '2024-03-04 05:50', NULL, 401, 501, NULL),
            (603, 'MO1 flange', 1, 101, 60, 60, 1, 8, 11, 'done', '2024-03-04 10:00', 401, NULL, 502, NULL),
            (604, 'MO1 flange', 1, 101, 2.5, 2.5, 2, 8, 11, 'done', '2024-03-04 13:00', 401, NULL, 502, NULL),
            (605, 'MO1 correction', 1, 101, 5, 5, 1, 11, 8, 'done', '2024-03-04 13:30', 401, NULL, 502, NULL),
            (606, 'MO1 waste', 1, 101, 6, 6, 1, 8, 9, 'done', '2024-03-04 13:00', 401, NULL, 502, 1),
            (614, 'MO1 waste correction', 1, 101, 1, 1, 1, 9, 8, 'done', '2024-03-04 13:30', 401, NULL, 502, NULL),
            (607, 'MO2 steel', 1, 102, 10, 10, 3, 11, 8, 'done', '2024-03-05 06:30', NULL, 402, NULL, NULL),
            (608, 'MO2 steel return', 1, 102, 2000, 2000, 4, 8, 11, 'done', '2024-03-05 07:00', NULL, 402, NULL, NULL),
            (609, 'MO3 flange', 1, 101, 130, 130, 1, 8, 11, 'done', '2024-03-06 15:00', 403, NULL, NULL, NULL),
            (610, 'delivery', 1, 101, 30, 30, 1, 11, 5, 'done', '2024-03-06 17:00', NULL, NULL, NULL, NULL),
            (611, 'MO5 flange', 1, 101, 10, 10, 1, 11, 8, 'done', '2024-03-07 09:00', NULL, 405, NULL, NULL),
            (612, 'MO5 pallet', 1, 103, 1, 1, 1, 8, 11, 'done', '2024-03-07 10:00', 405, NULL, NULL, NULL),
            (613, 'MO2 flange planned', 1, 101, 50, 0, 1, 8, 11, 'confirmed', '2024-03-05 14:00', 402, NULL, NULL, NULL);
        INSERT INTO erp.stock_move_line
            (id, move_id, company_id, product_id, product_uom_id, quantity, lot_id, date, location_id, location_dest_id, state)
        VALUES
            (701, 601, 1, 102, 3, 50, 203, '2024-03-01 08:00', 4, 11, 'done'),
            (702, 602, 1, 102, 3, 20, 203, '2024-03-04 05:50', 11, 8, 'done'),
            (703, 603, 1, 101, 1, 60, 201, '2024-03-04 10:00', 8, 11, 'done'),
            (704, 604, 1, 101, 2, 2.5, 201, '2024-03-04 13:00', 8, 11, 'done'),
            (705, 605, 1, 101, 1, 5, 201, '2024-03-04 13:30', 11, 8, 'done'),
            (706, 606, 1, 101, 1, 6, 201, '2024-03-04 13:00', 8, 9, 'done'),
            (713, 614, 1, 101, 1, 1, 201, '2024-03-04 13:30', 9, 8, 'done'),
            (707, 607, 1, 102, 3, 10, 203, '2024-03-05 06:30', 11, 8, 'done'),
            (708, 608, 1, 102, 4, 2000, 203, '2024-03-05 07:00', 8, 11, 'done'),
            (709, 609, 1, 101, 1, 130, 202, '2024-03-06 15:00', 8, 11, 'done'),
            (710, 610, 1, 101, 1, 30, 202, '2024-03-06 17:00', 11, 5, 'done'),
            (711, 611, 1, 101, 1, 10, 201, '2024-03-07 09:00', 11, 8, 'done'),
            (712, 612, 1, 103, 1, 1, 204, '2024-03-07 10:00', 8, 11, 'done');
        -- genealogy: both finished lines of F-001 consumed the one steel line 702 (shared); P-001 consumed F-001
        INSERT INTO erp.stock_move_line_consume_rel (consume_line_id, produce_line_id) VALUES
            (703, 702), (704, 702), (712, 711);
        -- quality
        INSERT INTO erp.qc_test (id, name) VALUES (801, '{"en_US": "Flange release"}'), (802, '{"en_US": "Steel incoming"}');
        INSERT INTO erp.qc_test_question (id, sequence, test, name, type, min_value, max_value, uom_id) VALUES
            (811, 10, 801, '{"en_US": "Diameter"}', 'quantitative', 9.9, 10.1, 10),
            (812, 20, 801, '{"en_US": "Visual"}', 'qualitative', NULL, NULL, NULL),
            (813, 10, 802, '{"en_US": "Moisture"}', 'quantitative', 0, 5, NULL);
        INSERT INTO erp.qc_test_question_value (id, test_line, name, ok) VALUES
            (821, 812, '{"en_US": "OK"}', true), (822, 812, '{"en_US": "Scratched"}', false);
        INSERT INTO erp.qc_inspection (id, name, date, object_id, product_id, lot_id, qty, test, state, success, "user") VALUES
            (901, 'QC/001', '2024-03-04 15:00', 'stock.lot,201', 101, NULL, 85, 801, 'failed', false, 7),
            (902, 'QC/002', '2024-03-05 09:00', 'stock.lot,201', 101, 201, 85, 801, 'success', true, 7),
            (903, 'QC/003', '2024-03-06 16:00', NULL, 101, 202, 130, 801, 'success', true, 8),
            (904, 'QC/004', '2024-03-07 11:00', 'stock.lot,204', 103, 204, 1, 801, 'waiting', NULL, 8),
            (905, 'QC/005', '2024-03-07 11:30', 'stock.lot,204', 103, 204, 1, 801, 'canceled', NULL, 8),
            (906, 'QC/006', '2024-03-01 09:00', 'stock.lot,203', 102, 203, 50, 802, 'failed', false, 9);
        INSERT INTO erp.qc_inspection_line
            (inspection_id, name, test_line, quantitative_value, qualitative_value, min_value, max_value, test_uom_id, uom_id,
             question_type, success)
        VALUES
            (901, 'Diameter', 811, 10.2, NULL, 9.9, 10.1, 10, 10, 'quantitative', false),
            (901, 'Visual', 812, NULL, 821, NULL, NULL, NULL, NULL, 'qualitative', true),
            (902, 'Diameter', 811, 10.05, NULL, 9.9, 10.1, 10, 10, 'quantitative', true),
            (902, 'Visual', 812, NULL, 821, NULL, NULL, NULL, NULL, 'qualitative', true),
            (903, 'Diameter', 811, 10.0, NULL, 9.9, 10.1, 10, 10, 'quantitative', true),
            (903, 'Visual', 812, NULL, 821, NULL, NULL, NULL, NULL, 'qualitative', true),
            (906, 'Moisture', 813, 6.5, NULL, 0, 5, NULL, NULL, 'quantitative', false);
        -- maintenance
        INSERT INTO erp.maintenance_equipment (id, name, serial_no, workcenter_id, expected_mtbf, maintenance_team_id) VALUES
            (1001, '{"en_US": "Press 1"}', 'WS-1', 301, 30, 1),
            (1002, '{"en_US": "Lathe 1"}', 'WS-2', 302, NULL, 1),
            (1003, '{"en_US": "Robot 1"}', 'WS-3', NULL, NULL, 1);
        INSERT INTO erp.maintenance_request
            (name, company_id, equipment_id, request_date, close_date, maintenance_type, stage_id, duration, maintenance_team_id)
        VALUES
            ('r1', 1, 1001, '2024-01-01', '2024-01-02', 'corrective', 3, 4, 1),
            ('r2', 1, 1001, '2024-01-11', '2024-01-13', 'corrective', 3, NULL, 1),
            ('r3', 1, 1001, '2024-01-31', NULL, 'corrective', 2, NULL, 1),
            ('p1', 1, 1001, '2024-01-20', '2024-01-20', 'preventive', 3, 2, 1),
            ('r4', 1, 1002, '2024-02-01', '2024-02-02', 'corrective', 4, 1.5, 1),
            ('r5', 1, 1002, '2024-02-05', '2024-02-05', 'corrective', NULL, NULL, 1);
        INSERT INTO erp.maintenance_request
            (name, company_id, equipment_id, request_date, maintenance_type, stage_id, archive, maintenance_team_id)
        VALUES ('r6 revoked', 1, 1001, '2024-01-21', 'corrective', 1, true, 1);
        """

    /// The MES plant (naive plant-local, Europe/Berlin). Workstations WS-1 and WS-2 on line L1, WS-3
    /// alone; planned run time per unit (PRU = tj / productioninonecycle): operation 1 (WS-1) 60 s /
    /// 2 = 30 s, operation 2 (WS-2) 45 s, operation 3 (WS-3) 30 s. Seeded stoppage reasons: 1 Machine
    /// failure, 2 Tool change (unplanned), 4 Planned maintenance (planned); shifts 1 Early 06-14,
    /// 2 Late 14-22, 3 Night 22-06.
    static let mesPlant = """
        INSERT INTO mes.productionline (id, number) VALUES (1, 'L1');
        INSERT INTO mes.workstation (id, number, productionline_id, serialnumber) VALUES
            (1, 'WS-1', 1, 'WS-1'), (2, 'WS-2', 1, 'WS-2'), (3, 'WS-3', NULL, 'WS-3');
        INSERT INTO mes.product (id, number, name, unit) VALUES (1, 'FIN', 'Flange', 'pc'), (2, 'FIN-PRE', 'Flange blank', 'pc');
        INSERT INTO mes.technology (id, number, product_id, state, master) VALUES (1, 'T-FIN', 1, '02accepted', true);
        -- planned run time per unit: OP1 60 s per cycle of 2 = 30 s; OP2 45 s; OP3 30 s
        INSERT INTO mes.technology_operation (id, technology_id, nodenumber, workstation_id, tj, productioninonecycle) VALUES
            (1, 1, '1.', 1, 60, 2), (2, 1, '2.', 2, 45, 1), (3, 1, '3.', 3, 30, 1);
        INSERT INTO mes.orders_order
            (id, number, externalnumber, product_id, technology_id, plannedquantity, datefrom, dateto, deadline,
             effectivedatefrom, effectivedateto, state)
        VALUES
            (1, 'ORD-1', 'WH/MO/00001', 1, 1, 700, '2024-03-04 06:00', '2024-03-04 14:00', '2024-03-04 16:00', NULL,
             '2024-03-04 13:55', '04completed'),
            (2, 'ORD-2', NULL, 1, 1, 10, '2024-03-05 06:00', '2024-03-05 14:00', NULL, NULL, NULL, '03inProgress'),
            (3, 'ORD-3', NULL, 1, 1, 500, '2024-03-30 22:00', '2024-03-31 06:00', NULL, NULL, NULL, '04completed');
        -- calendar: WS-1 Early with a 30 min break, Late, and a next-day Early that is all planned downtime;
        -- the line's Early row applies to WS-2 only (WS-1 has its own); WS-3 Night over the spring DST change
        INSERT INTO mes.workingcalendar (workstation_id, productionline_id, date, shift_id, plannedbusyfrom, plannedbusyto, planneddowntime) VALUES
            (1, NULL, '2024-03-04', 1, '2024-03-04 06:00', '2024-03-04 14:00', 1800),
            (1, NULL, '2024-03-04', 2, '2024-03-04 14:00', '2024-03-04 22:00', 0),
            (1, NULL, '2024-03-05', 1, '2024-03-05 06:00', '2024-03-05 14:00', 28800),
            (NULL, 1, '2024-03-04', 1, '2024-03-04 06:00', '2024-03-04 14:00', 3600),
            (3, NULL, '2024-03-30', 3, '2024-03-30 22:00', '2024-03-31 06:00', 0);
        INSERT INTO mes.stoppage (workstation_id, order_id, reason_id, datefrom, dateto, duration) VALUES
            (1, 1, 1, '2024-03-04 07:00', '2024-03-04 07:30', 1800),
            (1, 1, 2, '2024-03-04 09:00', NULL, 600),
            (1, 1, 4, '2024-03-04 12:00', '2024-03-04 12:30', 1800),
            (1, 1, 1, '2024-03-04 13:50', '2024-03-04 14:20', 1800),
            (3, 3, 1, '2024-03-31 03:30', '2024-03-31 04:00', 1800);
        INSERT INTO mes.equipment_state_history (workstation_id, order_id, reason_id, statecode, startdatetime, enddatetime) VALUES
            (3, 3, NULL, 'RUN', '2024-03-30 22:00', '2024-03-31 03:30'),
            (3, 3, 1, 'DOWN', '2024-03-31 03:30', '2024-03-31 04:00'),
            (3, 3, NULL, 'PLANNED_STOP', '2024-03-31 04:00', '2024-03-31 04:30'),
            (3, 3, NULL, 'IDLE', '2024-03-31 04:30', '2024-03-31 05:00'),
            (3, 3, NULL, 'RUN', '2024-03-31 05:00', '2024-03-31 06:00');
        INSERT INTO mes.productiontracking
            (id, number, order_id, technology_operation_id, workstation_id, shift_id, state, timerangefrom, timerangeto,
             machinetime, iscorrection, correction_id)
        VALUES
            (1, 'PT-1', 1, 1, 1, 1, '02accepted', '2024-03-04 06:00', '2024-03-04 09:00', 10800, false, NULL),
            (3, 'PT-3', 1, 1, 1, 1, '02accepted', '2024-03-04 09:00', '2024-03-04 12:00', 10800, true, NULL),
            (2, 'PT-2', 1, 1, 1, 1, '04corrected', '2024-03-04 09:00', '2024-03-04 12:00', 10800, false, 3),
            (4, 'PT-4', 1, 1, 1, 1, '01draft', '2024-03-04 12:00', '2024-03-04 13:00', 3600, false, NULL),
            (5, 'PT-5', 1, 1, 1, 1, '02accepted', '2024-03-04 12:30', '2024-03-04 13:50', 4800, false, NULL),
            (6, 'PT-6', 2, 1, 1, 1, '02accepted', '2024-03-05 08:00', '2024-03-05 09:00', 3600, false, NULL),
            (7, 'PT-7', 1, 2, 2, 1, '02accepted', '2024-03-04 07:00', '2024-03-04 13:00', 21600, false, NULL),
            (8, 'PT-8', 3, 3, 3, 3, '02accepted', '2024-03-30 23:00', '2024-03-31 05:00', 18000, false, NULL);
        INSERT INTO mes.tracking_product_out (productiontracking_id, product_id, usedquantity, wastesquantity) VALUES
            (1, 1, 200, 10), (3, 1, 280, 15), (2, 1, 300, 0), (4, 1, 50, 0), (5, 1, 150, 5), (6, 1, 10, 0),
            (7, 2, 400, 0), (8, 1, 500, 20);
        """

    /// Every column of the rows `sql` returns, as text.
    static func rows(_ connection: PQConnection, _ sql: String) async throws -> [[String?]] {
        let result = try await connection.query(sql)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    static func erpFixture() async throws -> ReplicationFixture {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpPlant)
        return fixture
    }

    static func mesFixture() async throws -> ReplicationFixture {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.mesAdmin.simpleQuery(Self.mesPlant)
        // The windows are plant-local; the DST night of WS-3 is 7 hours long only in the plant's zone.
        try await fixture.mesAdmin.query("SET erpmes.plant_tz = 'Europe/Berlin'")
        return fixture
    }

    @Test("plan vs actual per order nets corrections and reversed waste; yield, adherence and the tolerance setting")
    func productionOrders() async throws {
        let fixture = try await Self.erpFixture()
        let sql = """
            SELECT production, state, uom, planned_qty::text, produced_qty::text, scrap_qty::text, qty_variance::text,
                   yield_pct::text, theoretical_yield_pct::text, corrections::text, actual_start::text,
                   actual_finish::text, start_delay_hours::text, finish_delay_hours::text, on_time::text
            FROM report.production_order_plan_actual ORDER BY production
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, sql) == [
                // produced 60 + 2.5 * 12 - 5 = 85; scrap 6 - 1 = 5; variance 85 - 100 = -15;
                // yield 85 / (85 + 5) = 94.44 %; theoretical 85 / 100 = 85 %; 2 reversing moves.
                // Start: the first done move (steel issued 05:50) is before the first logged time
                // (06:10): -10 min = -0.17 h. Finish: the last logged time ends 14:30 (later than the
                // last produced move, 13:00): +0.5 h against 14:00, on time against the 16:00 deadline.
                [
                    "WH/MO/00001", "done", "Units", "100", "85", "5", "-15", "94.44", "85.00", "2",
                    "2024-03-04 05:50:00", "2024-03-04 14:30:00", "-0.17", "0.50", "true",
                ],
                // Nothing produced: yield has no base (NULL), 0 % of theoretical; started with the
                // steel issue at 06:30 (+0.5 h); open and past its planned finish: late.
                [
                    "WH/MO/00002", "progress", "Units", "50", "0", "0", "-50", nil, "0.00", "0",
                    "2024-03-05 06:30:00", nil, "0.50", nil, "false",
                ],
                // In Dozens: 130 Units = 130 / 12 = 10.83333 Dozens, 108.33 % of the 10 planned; the
                // finished move at 15:00 is its start (+9 h) and its finish (+1 h, late).
                [
                    "WH/MO/00003", "done", "Dozens", "10", "10.83333", "0", "0.83333", "100.00", "108.33", "0",
                    "2024-03-06 15:00:00", "2024-03-06 15:00:00", "9.00", "1.00", "false",
                ],
                // Cancelled: no adherence verdict.
                ["WH/MO/00004", "cancel", "Units", "10", "0", "0", "-10", nil, "0.00", "0", nil, nil, nil, nil, nil],
                // 1 of 1; from 09:00 (+1 h) to 10:00 (-2 h against 12:00): on time.
                [
                    "WH/MO/00005", "done", "Units", "1", "1", "0", "0", "100.00", "100.00", "0",
                    "2024-03-07 09:00:00", "2024-03-07 10:00:00", "1.00", "-2.00", "true",
                ],
            ]
        )

        let operations = """
            SELECT workorder, planned_qty::text, produced_qty::text, scrap_qty::text, qty_variance::text,
                   yield_pct::text, planned_duration_min::text, actual_duration_min::text,
                   duration_variance_min::text, actual_start::text, actual_finish::text,
                   start_delay_hours::text, finish_delay_hours::text, on_time::text, produced_from_moves::text
            FROM report.workorder_plan_actual ORDER BY sequence
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, operations) == [
                // No moves posted against it: qty_produced 90; logged 06:10-10:20 = 250 min (240
                // planned: +10); finished 10:20 against 10:00: +0.33 h, late.
                [
                    "Pressing", "100", "90", "0", "-10", "100.00", "240", "250", "10", "2024-03-04 06:10:00",
                    "2024-03-04 10:20:00", "0.17", "0.33", "false", "false",
                ],
                // Its moves: 60 + 30 - 5 = 85 good, 6 - 1 = 5 scrap, 85 / 90 = 94.44 %; logged
                // 10:30-12:00 (90 min, stored) + 12:30-14:30 (120 min, from the dates) = 210 min.
                [
                    "Turning", "100", "85", "5", "-15", "94.44", "240", "210", "-30", "2024-03-04 10:30:00",
                    "2024-03-04 14:30:00", "0.50", "0.50", "false", "true",
                ],
            ]
        )

        let adherence = """
            SELECT due_date::text, product_code, uom, orders_scheduled::text, orders_completed::text,
                   orders_on_time::text, orders_late::text, schedule_adherence_pct::text, planned_qty::text,
                   produced_qty::text, volume_adherence_pct::text
            FROM report.schedule_adherence ORDER BY due_date, product_code
            """
        // Volume adherence in the product's unit: MO 3's 10 Dozens are 120 Units, 130 / 120 = 108.33 %.
        // The cancelled order is not scheduled.
        #expect(
            try await Self.rows(fixture.erpAdmin, adherence) == [
                ["2024-03-04", "FIN", "Units", "1", "1", "1", "0", "100.00", "100", "85", "85.00"],
                ["2024-03-05", "FIN", "Units", "1", "0", "0", "1", "0.00", "50", "0", "0.00"],
                ["2024-03-06", "FIN", "Units", "1", "1", "0", "1", "0.00", "120", "130", "108.33"],
                ["2024-03-07", "PAL", "Units", "1", "1", "1", "0", "100.00", "1", "1", "100.00"],
            ]
        )

        // With two hours of tolerance MO 3 (1 h late) and both work orders (20 and 30 min) are on time.
        try await fixture.erpAdmin.query("SET erpmes.report_on_time_tolerance = '2 hours'")
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT production, on_time::text FROM report.production_order_plan_actual ORDER BY production"
            ) == [
                ["WH/MO/00001", "true"], ["WH/MO/00002", "false"], ["WH/MO/00003", "true"],
                ["WH/MO/00004", nil], ["WH/MO/00005", "true"],
            ]
        )
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT workorder, on_time::text FROM report.workorder_plan_actual ORDER BY sequence"
            ) == [["Pressing", "true"], ["Turning", "true"]]
        )
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT schedule_adherence_pct::text FROM report.schedule_adherence WHERE due_date = '2024-03-06'"
            ) == [["100.00"]]
        )
        try await fixture.tearDown()
    }

    @Test("inventory per product, lot and location, WIP of open orders and lot genealogy from the ledger")
    func inventoryAndGenealogy() async throws {
        let fixture = try await Self.erpFixture()
        let stock = """
            SELECT product_code, lot_name, location, quantity::text, uom, last_move_date::text
            FROM report.stock_on_hand ORDER BY product_code, lot_name
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, stock) == [
                // received 50 kg - 20 (MO 1) - 10 (MO 2) + 2000 g returned = 22 kg
                ["COMP", "C-001", "WH/Stock", "22", "kg", "2024-03-05 07:00:00"],
                // 60 + 2.5 Dozens (30) - 5 reversed - 10 into MO 5 = 75; the waste went Production -> Scrap
                ["FIN", "F-001", "WH/Stock", "75", "Units", "2024-03-07 09:00:00"],
                // 130 - 30 delivered = 100
                ["FIN", "F-002", "WH/Stock", "100", "Units", "2024-03-06 17:00:00"],
                ["PAL", "P-001", "WH/Stock", "1", "Units", "2024-03-07 10:00:00"],
            ]
        )
        // Only MO 2 is open: 10 kg issued - 2000 g (2 kg) returned = 8 kg in process. MO 1's 20 kg
        // left WIP when it was done.
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT production, production_product_code, product_code, lot_name, location, quantity::text, uom FROM report.wip"
            ) == [["WH/MO/00002", "FIN", "COMP", "C-001", "Virtual Locations/Production", "8", "kg"]]
        )
        // Both finished lines of F-001 consumed the one 20 kg steel line: it counts once, not 40.
        let genealogy = """
            SELECT lot_name, product_code, component_lot_name, component_product_code, component_qty::text,
                   component_uom, production
            FROM report.lot_genealogy ORDER BY lot_name
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, genealogy) == [
                ["F-001", "FIN", "C-001", "COMP", "20", "kg", "WH/MO/00001"],
                ["P-001", "PAL", "F-001", "FIN", "10", "Units", "WH/MO/00005"],
            ]
        )
        // Two levels, backward from the pallet lot (204) and forward from the steel lot (203).
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT depth::text, lot_name, linked_lot_id::text, qty::text, production FROM report.lot_trace(204)"
            ) == [["1", "F-001", "204", "10", "WH/MO/00005"], ["2", "C-001", "201", "20", "WH/MO/00001"]]
        )
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT depth::text, lot_name, linked_lot_id::text FROM report.lot_trace(203, 'forward')"
            ) == [["1", "F-001", "203"], ["2", "P-001", "201"]]
        )
        try await fixture.tearDown()
    }

    @Test("quality per lot, first pass yield and the certificate of analysis with disposition")
    func quality() async throws {
        let fixture = try await Self.erpFixture()
        // QC/001 names its lot only through the polymorphic object_id 'stock.lot,201'.
        let inspections = """
            SELECT lot_name, inspection, inspection_state, question, value::text, value_uom, answer,
                   min_value::text, max_value::text, limit_uom, success::text
            FROM report.lot_inspection ORDER BY lot_name, inspection, line_id
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, inspections) == [
                ["C-001", "QC/006", "failed", "Moisture", "6.5", nil, nil, "0", "5", nil, "false"],
                ["F-001", "QC/001", "failed", "Diameter", "10.2", "cm", nil, "9.9", "10.1", "cm", "false"],
                ["F-001", "QC/001", "failed", "Visual", nil, nil, "OK", nil, nil, nil, "true"],
                ["F-001", "QC/002", "success", "Diameter", "10.05", "cm", nil, "9.9", "10.1", "cm", "true"],
                ["F-001", "QC/002", "success", "Visual", nil, nil, "OK", nil, nil, nil, "true"],
                ["F-002", "QC/003", "success", "Diameter", "10", "cm", nil, "9.9", "10.1", "cm", "true"],
                ["F-002", "QC/003", "success", "Visual", nil, nil, "OK", nil, nil, nil, "true"],
                ["P-001", "QC/004", "waiting", nil, nil, nil, nil, nil, nil, nil, nil],
                ["P-001", "QC/005", "canceled", nil, nil, nil, nil, nil, nil, nil, nil],
            ]
        )
        // First completed inspection per lot: F-001 failed (QC/001; its re-test QC/002 does not
        // count), F-002 passed. FPY = GP / IP = 130 / (85 + 130) = 0.6047; by lots 1 / 2. C-001: 0 / 50.
        // P-001 has no completed inspection yet.
        let fpy = """
            SELECT product_code, month::text, inspected_lots::text, first_pass_lots::text, inspected_qty::text,
                   first_pass_qty::text, first_pass_yield::text, first_pass_yield_lots::text
            FROM report.first_pass_yield ORDER BY product_code
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, fpy) == [
                ["COMP", "2024-03-01", "1", "0", "50", "0", "0.0000", "0.0000"],
                ["FIN", "2024-03-01", "2", "1", "215", "130", "0.6047", "0.5000"],
            ]
        )
        // The certificate shows the latest completed inspection of each test: F-001 released by the
        // re-test QC/002 (date = release date), C-001 rejected, P-001 pending (an inspection waits).
        let certificate = """
            SELECT batch_number, product_code, manufacturing_date::text, production, release_date::text,
                   expiration_date::date::text, disposition, inspection, test, characteristic, min_value::text,
                   max_value::text, limit_uom, result, result_uom, conforms::text
            FROM report.certificate_of_analysis ORDER BY batch_number, sequence
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, certificate) == [
                [
                    "C-001", "COMP", nil, nil, nil, nil, "rejected", "QC/006", "Steel incoming", "Moisture", "0", "5",
                    nil, "6.5", nil, "false",
                ],
                [
                    "F-001", "FIN", "2024-03-04 10:00:00", "WH/MO/00001", "2024-03-05 09:00:00", "2026-03-04",
                    "released", "QC/002", "Flange release", "Diameter", "9.9", "10.1", "cm", "10.05", "cm", "true",
                ],
                [
                    "F-001", "FIN", "2024-03-04 10:00:00", "WH/MO/00001", "2024-03-05 09:00:00", "2026-03-04",
                    "released", "QC/002", "Flange release", "Visual", nil, nil, nil, "OK", nil, "true",
                ],
                [
                    "F-002", "FIN", "2024-03-06 15:00:00", "WH/MO/00003", "2024-03-06 16:00:00", nil, "released",
                    "QC/003", "Flange release", "Diameter", "9.9", "10.1", "cm", "10", "cm", "true",
                ],
                [
                    "F-002", "FIN", "2024-03-06 15:00:00", "WH/MO/00003", "2024-03-06 16:00:00", nil, "released",
                    "QC/003", "Flange release", "Visual", nil, nil, nil, "OK", nil, "true",
                ],
                [
                    "P-001", "PAL", "2024-03-07 10:00:00", "WH/MO/00005", nil, nil, "pending", nil, nil, nil, nil, nil,
                    nil, nil, nil, nil,
                ],
            ]
        )
        try await fixture.tearDown()
    }

    @Test("MTTR and MTBF per equipment are computed from corrective requests")
    func maintenance() async throws {
        let fixture = try await Self.erpFixture()
        // TTR: r1 4 h (duration); r2 no duration, closed 2 days after = 48 h; r4 1.5 h; r5 closed the
        // same day = 0 h. TBF: gaps between failure dates, r2 - r1 = 10 days = 240 h, r3 - r2 = 20 days
        // = 480 h (the archived r6 of 2024-01-21 is no failure), r5 - r4 = 4 days = 96 h.
        let requests = """
            SELECT request, serial_no, closed::text, ttr_hours::text, tbf_hours::text
            FROM report.corrective_request ORDER BY request_id
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, requests) == [
                ["r1", "WS-1", "true", "4", nil], ["r2", "WS-1", "true", "48", "240"],
                ["r3", "WS-1", "false", nil, "480"], ["r4", "WS-2", "true", "1.5", nil],
                ["r5", "WS-2", "true", "0", "96"],
            ]
        )
        // Press 1: MTTR (4 + 48) / 2 = 26 h, MTBF (240 + 480) / 2 = 360 h, one open. Lathe 1: MTTR
        // (1.5 + 0) / 2 = 0.75 h, MTBF 96 h (r5 has no stage but a close date: closed). Robot 1: none.
        let equipment = """
            SELECT equipment, corrective_requests::text, open_requests::text, closed_requests::text,
                   repair_hours::text, mttr_hours::text, mtbf_hours::text, last_failure_date::text
            FROM report.equipment_reliability ORDER BY equipment_id
            """
        #expect(
            try await Self.rows(fixture.erpAdmin, equipment) == [
                ["Press 1", "3", "1", "2", "52", "26.00", "360.00", "2024-01-31"],
                ["Lathe 1", "2", "0", "2", "1.5", "0.75", "96.00", "2024-02-05"],
                ["Robot 1", "0", "0", "0", nil, nil, nil, nil],
            ]
        )
        try await fixture.tearDown()
    }

    @Test("OEE per workstation and shift, ISO 22400-2, with corrections, an idle shift, zero planned time and DST")
    func oee() async throws {
        let fixture = try await Self.mesFixture()
        let sql = """
            SELECT workstation, date::text, shift, time_source, planned_operation_time_s::text,
                   planned_downtime_s::text, planned_busy_time_s::text, downtime_s::text,
                   actual_production_time_s::text, planned_run_time_s::text, produced_qty::text, good_qty::text,
                   scrap_qty::text, tracking_records::text, corrections::text, availability::text,
                   effectiveness::text, quality_ratio::text, oee::text
            FROM report.oee_shift ORDER BY workstation, date, shift_id
            """
        #expect(
            try await Self.rows(fixture.mesAdmin, sql) == [
                // POT 8 h = 28800 s; planned downtime = 1800 (calendar break) + 1800 (planned
                // maintenance 12:00-12:30) = 3600, PBT = 25200. Downtime: failure 07:00-07:30 (1800) +
                // tool change 600 + the failure from 13:50 clipped at 14:00 (600) = 3000; APT = 25200
                // - 3000 = 22200. Accepted records: PT-1 200 + 10, PT-3 (the correction, 280 + 15; the
                // 04corrected PT-2 does not count, nor the draft PT-4), PT-5 150 + 5: PQ 660, GQ 630,
                // SQ 30; PRU 30 s -> 660 * 30 = 19800 s. A = 22200 / 25200 = 0.8810, E = 19800 / 22200
                // = 0.8919, Q = 630 / 660 = 0.9545, OEE = A * E * Q = 30 * 630 / 25200 = 0.7500.
                [
                    "WS-1", "2024-03-04", "Early", "stoppages", "28800", "3600", "25200", "3000", "22200", "19800",
                    "660", "630", "30", "3", "1", "0.8810", "0.8919", "0.9545", "0.7500",
                ],
                // A shift with no production: the failure's other 1200 s (14:00-14:20) are its only
                // downtime, A = 27600 / 28800 = 0.9583; E = 0 / 27600 = 0; Q has no base (NULL); OEE 0.
                [
                    "WS-1", "2024-03-04", "Late", "stoppages", "28800", "0", "28800", "1200", "27600", "0", "0", "0",
                    "0", "0", "0", "0.9583", "0.0000", nil, "0.0000",
                ],
                // Zero planned time (the whole shift is planned downtime): PBT 0 -> A = 1 (ThingWorx
                // convention), APT 0 -> E NULL (no division by zero), Q = 10 / 10 = 1, OEE NULL.
                [
                    "WS-1", "2024-03-05", "Early", "stoppages", "28800", "28800", "0", "0", "0", "300", "10", "10",
                    "0", "1", "0", "1.0000", nil, "1.0000", nil,
                ],
                // The line's calendar row (1 h planned downtime) applies to WS-2: PBT 25200, no
                // stoppage, APT 25200, A = 1; 400 * 45 s = 18000, E = 18000 / 25200 = 0.7143; Q = 1.
                [
                    "WS-2", "2024-03-04", "Early", "stoppages", "28800", "3600", "25200", "0", "25200", "18000", "400",
                    "400", "0", "1", "0", "1.0000", "0.7143", "1.0000", "0.7143",
                ],
                // The night the clocks go forward: 22:00-06:00 is 7 h = 25200 s. Equipment states
                // (the stoppage logged too is ignored): RUN 22:00-03:30 (4.5 h = 16200 s) and 05:00-06:00
                // (3600) = APT 19800; PLANNED_STOP 1800 -> PBT 23400; DOWN 1800 + IDLE 1800 = 3600.
                // PQ 520, GQ 500, PRU 30 s: 15600 s. A = 19800 / 23400 = 0.8462, E = 15600 / 19800 =
                // 0.7879, Q = 500 / 520 = 0.9615, OEE = 15600 * 500 / (23400 * 520) = 0.6410.
                [
                    "WS-3", "2024-03-30", "Night", "state_history", "25200", "1800", "23400", "3600", "19800", "15600",
                    "520", "500", "20", "1", "0", "0.8462", "0.7879", "0.9615", "0.6410",
                ],
            ]
        )

        // Downtime by reason: planned stops are listed, flagged, and kept out of the OEE base.
        let downtime = """
            SELECT workstation, shift, source, planned::text, reason, reason_type, events::text, seconds::text
            FROM report.downtime_by_reason ORDER BY workstation_id, date, shift_id, planned, reason
            """
        #expect(
            try await Self.rows(fixture.mesAdmin, downtime) == [
                // 1800 (07:00-07:30) + 600 (13:50-14:00 of the one across the shift change)
                ["WS-1", "Early", "stoppages", "false", "Machine failure", "01failure", "2", "2400"],
                ["WS-1", "Early", "stoppages", "false", "Tool change", "02other", "1", "600"],
                ["WS-1", "Early", "stoppages", "true", "Planned maintenance", "02other", "1", "1800"],
                ["WS-1", "Late", "stoppages", "false", "Machine failure", "01failure", "1", "1200"],
                ["WS-3", "Night", "state_history", "false", "IDLE", nil, "1", "1800"],
                ["WS-3", "Night", "state_history", "false", "Machine failure", "01failure", "1", "1800"],
                ["WS-3", "Night", "state_history", "true", "PLANNED_STOP", nil, "1", "1800"],
            ]
        )
        try await fixture.tearDown()
    }

    @Test("plan vs actual per MES order counts the correction, not the corrected record")
    func mesOrders() async throws {
        let fixture = try await Self.mesFixture()
        let sql = """
            SELECT order_number, production, planned_qty::text, produced_qty::text, scrap_qty::text,
                   qty_variance::text, yield_pct::text, theoretical_yield_pct::text, tracking_records::text,
                   corrections::text, machine_time_s::text, actual_start::text, actual_finish::text,
                   start_delay_hours::text, finish_delay_hours::text, on_time::text
            FROM report.order_plan_actual ORDER BY order_number
            """
        #expect(
            try await Self.rows(fixture.mesAdmin, sql) == [
                // Accepted records of the order's product FIN: 200 + 280 (PT-3 replaces PT-2's 300) +
                // 150 = 630 good, 10 + 15 + 5 = 30 scrap; PT-7 (WS-2) made the blank FIN-PRE, counted
                // as a record but not as FIN. 630 - 700 = -70; 630 / 660 = 95.45 %; 630 / 700 = 90 %.
                // Machine time 10800 + 10800 + 4800 + 21600 = 48000 s. Finished 13:55 (effective
                // end), 5 min before 14:00 = -0.08 h, before the 16:00 deadline.
                [
                    "ORD-1", "WH/MO/00001", "700", "630", "30", "-70", "95.45", "90.00", "4", "1", "48000",
                    "2024-03-04 06:00:00", "2024-03-04 13:55:00", "0.00", "-0.08", "true",
                ],
                // In progress and past its planned finish: late.
                [
                    "ORD-2", nil, "10", "10", "0", "0", "100.00", "100.00", "1", "0", "3600", "2024-03-05 08:00:00",
                    nil, "2.00", nil, "false",
                ],
                // Across the DST night: planned 22:00 -> started 23:00 (+1 h), last record ended 05:00,
                // 1 h before 06:00.
                [
                    "ORD-3", nil, "500", "500", "20", "0", "96.15", "100.00", "1", "0", "18000",
                    "2024-03-30 23:00:00", "2024-03-31 05:00:00", "1.00", "-1.00", "true",
                ],
            ]
        )
        try await fixture.tearDown()
    }

    @Test("every report view and column is documented and readable without grants on the base tables")
    func documentedAndReadable() async throws {
        let fixture = try await ReplicationFixture.reference()
        let undocumented = """
            SELECT c.relname || coalesce('.' || a.attname, '')
            FROM pg_class AS c
            LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NULL
            WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
              AND (a.attname IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NULL)
            ORDER BY 1
            """
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.rows(admin, undocumented) == [])
        }
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT count(*)::text FROM pg_class WHERE relnamespace = 'report'::regnamespace AND relkind = 'v'"
            ) == [["11"]]
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT count(*)::text FROM pg_class WHERE relnamespace = 'report'::regnamespace AND relkind = 'v'"
            ) == [["6"]]
        )
        // A role with no grant at all reads the views (PUBLIC: the test cluster has no erpmes_report)
        // but not the schema of the tables behind them. CREATE ROLE is transactional: the rollback removes it.
        let checks: [(PQConnection, String, String)] = [
            (fixture.erpAdmin, "report.certificate_of_analysis", "erp"),
            (fixture.mesAdmin, "report.oee_shift", "mes"),
        ]
        for (admin, view, schema) in checks {
            try await admin.query("BEGIN")
            try await admin.query("CREATE ROLE erpmes_report_view_test NOLOGIN")
            try await admin.query("SET LOCAL ROLE erpmes_report_view_test")
            let readable = try await Self.rows(
                admin,
                "SELECT has_table_privilege(current_user, '\(view)', 'SELECT')::text, "
                    + "has_schema_privilege(current_user, '\(schema)', 'USAGE')::text"
            )
            let read = try await admin.query("SELECT count(*) FROM \(view)")
            try await admin.query("ROLLBACK")
            #expect(readable == [["true", "false"]])
            #expect(read.count == 1)
        }
        try await fixture.tearDown()
    }
}
