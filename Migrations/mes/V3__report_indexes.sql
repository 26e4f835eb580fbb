-- Indexes the reporting views of Sql/mes/report_*.sql need (issue 9). CONCURRENTLY: on a plant's
-- live MES these tables are large and written all day; erpmes migrate runs this file one
-- statement at a time outside a transaction, and drops an invalid index a failed run left before
-- retrying.
-- erpmes:transaction none

-- report.workstation_shift_event looks up the stoppages and equipment states of one workstation
-- that overlap a planned window. Both conditions in one GiST index, with core operator classes
-- only: the workstation as a one-point int8range (queried with @>, i.e. equality), the period as a
-- tsrange (queried with &&). The end is NULL while the event is open (= unbounded); greatest()
-- keeps an end that a DST overlap put before its naive start a valid bound. The views repeat these
-- expressions exactly, so that the planner matches them.
CREATE INDEX CONCURRENTLY IF NOT EXISTS stoppage_workstation_period_idx ON mes.stoppage USING gist (
    int8range(workstation_id, workstation_id, '[]'),
    tsrange(datefrom, CASE WHEN dateto IS NOT NULL THEN greatest(datefrom, dateto) END, '[]')
);

CREATE INDEX CONCURRENTLY IF NOT EXISTS equipment_state_history_workstation_period_idx
    ON mes.equipment_state_history USING gist (
        int8range(workstation_id, workstation_id, '[]'),
        tsrange(startdatetime, CASE WHEN enddatetime IS NOT NULL THEN greatest(startdatetime, enddatetime) END, '[]')
    );
