-- Reference data every MES installation starts with: units and global conversions, stoppage
-- reasons, three 8-hour shifts and quality attributes. Fixed ids; identity sequences moved past them.

-- 'cm2' is described as cubic on purpose: qcadoo's own seed does so (dirty unit master data).
INSERT INTO mes.unit (code, description) VALUES
    ('pc', 'piece'),
    ('box', 'box'),
    ('kg', 'kilogram'),
    ('g', 'gram'),
    ('l', 'litre'),
    ('ml', 'millilitre'),
    ('m', 'metre'),
    ('mm', 'millimetre'),
    ('cm2', 'cubic centimetre'),
    ('h', 'hour'),
    ('min', 'minute'),
    ('s', 'second');

-- Global (product_id NULL) pairs; product-specific packs (1 box = 12 pc) come with the products.
INSERT INTO mes.unit_conversion (id, quantityfrom, unitfrom, quantityto, unitto) VALUES
    (1, 1, 'kg', 1000, 'g'),
    (2, 1, 'l', 1000, 'ml'),
    (3, 1, 'm', 1000, 'mm'),
    (4, 1, 'h', 60, 'min'),
    (5, 1, 'min', 60, 's');

INSERT INTO mes.stoppage_reason (id, name, type, planned, description) VALUES
    (1, 'Machine failure', '01failure', false, 'Breakdown of the workstation'),
    (2, 'Tool change', '02other', false, 'Unplanned tool change'),
    (3, 'Material shortage', '02other', false, 'Waiting for material'),
    (4, 'Planned maintenance', '02other', true, 'Scheduled preventive maintenance'),
    (5, 'Break', '02other', true, 'Scheduled break');

-- Plant-local times of day; Night ends the next morning.
INSERT INTO mes.shift (id, name, starttime, endtime) VALUES
    (1, 'Early', '06:00', '14:00'),
    (2, 'Late', '14:00', '22:00'),
    (3, 'Night', '22:00', '06:00');

INSERT INTO mes.attribute (id, number, name, datatype, valuetype, unit, precision) VALUES
    (1, 'DIAMETER', 'Diameter', '02continuous', '01numeric', 'mm', 3),
    (2, 'WEIGHT', 'Weight', '02continuous', '01numeric', 'g', 2),
    (3, 'HARDNESS', 'Hardness', '02continuous', '01numeric', 'HRC', 1),
    (4, 'VISUAL', 'Visual inspection', '01calculated', '02text', NULL, NULL);

SELECT setval(pg_get_serial_sequence('mes.unit_conversion', 'id'), (SELECT max(id) FROM mes.unit_conversion));
SELECT setval(pg_get_serial_sequence('mes.stoppage_reason', 'id'), (SELECT max(id) FROM mes.stoppage_reason));
SELECT setval(pg_get_serial_sequence('mes.shift', 'id'), (SELECT max(id) FROM mes.shift));
SELECT setval(pg_get_serial_sequence('mes.attribute', 'id'), (SELECT max(id) FROM mes.attribute));
