-- report.oee_shift (issue 19) counts a production tracking record in every planned window its time
-- range overlaps, pro rata. Looked up like the events of V3: the workstation as a one-point
-- int8range (@>), the record's range as a tsrange (&&), accepted records only; greatest() keeps a
-- range whose naive end a DST overlap put before its start valid. The view repeats the expressions.
-- erpmes:transaction none

CREATE INDEX CONCURRENTLY IF NOT EXISTS productiontracking_workstation_period_idx
    ON mes.productiontracking USING gist (
        int8range(workstation_id, workstation_id, '[]'),
        tsrange(timerangefrom, greatest(timerangefrom, coalesce(timerangeto, timerangefrom)), '[]')
    )
    WHERE state = '02accepted';
