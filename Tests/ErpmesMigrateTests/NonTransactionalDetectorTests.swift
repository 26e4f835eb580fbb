import Testing

@testable import ErpmesMigrate

@Suite struct NonTransactionalDetectorTests {
    @Test(
        "statements PostgreSQL refuses in a transaction block are recognised, in any case, after comments",
        arguments: [
            ("CREATE INDEX CONCURRENTLY i ON t (a)", NonTransactionalKind.createIndexConcurrently),
            ("create unique index concurrently if not exists i on t (a)", .createIndexConcurrently),
            ("-- why\n/* nested /* */ */ CREATE INDEX CONCURRENTLY ON t (a)", .createIndexConcurrently),
            ("DROP INDEX CONCURRENTLY IF EXISTS i", .dropIndexConcurrently),
            ("REINDEX INDEX CONCURRENTLY i", .reindexConcurrently),
            ("REINDEX (VERBOSE) TABLE CONCURRENTLY t", .reindexConcurrently),
            ("REINDEX (CONCURRENTLY) TABLE t", .reindexConcurrently),
            ("REINDEX SCHEMA app", .reindexMany),
            ("REINDEX (VERBOSE) DATABASE erp", .reindexMany),
            ("VACUUM", .vacuum),
            ("vacuum (analyze) t", .vacuum),
            ("CREATE DATABASE x", .createDatabase),
            ("DROP DATABASE IF EXISTS x", .dropDatabase),
            ("ALTER DATABASE x SET TABLESPACE fast", .alterDatabaseSetTablespace),
            ("ALTER SYSTEM SET work_mem = '64MB'", .alterSystem),
            ("CREATE TABLESPACE fast LOCATION '/ssd'", .createTablespace),
            ("DROP TABLESPACE fast", .dropTablespace),
            ("ALTER TYPE app.mood ADD VALUE 'meh' AFTER 'ok'", .alterTypeAddValue),
            ("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'", .alterTypeAddValue),
            ("CLUSTER", .clusterAll),
            ("CLUSTER VERBOSE", .clusterAll),
            ("CLUSTER (VERBOSE)", .clusterAll),
            ("ALTER TABLE orders DETACH PARTITION orders_2020 CONCURRENTLY", .detachPartitionConcurrently),
            ("BEGIN", .transactionControl),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", .transactionControl),
            ("COMMIT", .transactionControl),
            ("END", .transactionControl),
            ("ROLLBACK", .transactionControl),
            ("ABORT", .transactionControl),
            ("PREPARE TRANSACTION 'x'", .transactionControl),
        ]
    )
    func recognised(sql: String, kind: NonTransactionalKind) {
        #expect(NonTransactionalDetector.kind(of: sql) == kind)
    }

    @Test(
        "statements that run in a transaction block are not flagged",
        arguments: [
            "CREATE INDEX i ON t (a)",
            "CREATE INDEX \"concurrently\" ON t (a)",
            "DROP INDEX i",
            "REINDEX TABLE t",
            "ANALYZE t",
            "CREATE TABLE database (a int)",
            "ALTER DATABASE x SET work_mem = '1MB'",
            "ALTER TYPE mood ADD ATTRIBUTE value text",
            "ALTER TYPE mood RENAME VALUE 'a' TO 'b'",
            "CLUSTER orders",
            "CLUSTER VERBOSE orders USING orders_pkey",
            "ALTER TABLE orders DETACH PARTITION orders_2020",
            "ALTER TABLE orders DETACH PARTITION orders_2020 FINALIZE",
            "ROLLBACK TO SAVEPOINT s",
            "ROLLBACK WORK TO s",
            "SAVEPOINT s",
            "PREPARE q AS SELECT 1",
            "SELECT 'VACUUM'",
            "DO $$ BEGIN VACUUM; END $$",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
            "-- VACUUM\nSELECT 1",
            "",
        ]
    )
    func notFlagged(sql: String) {
        #expect(NonTransactionalDetector.kind(of: sql) == nil)
    }

    @Test("each kind names its statement for error messages")
    func descriptions() {
        #expect(NonTransactionalKind.createIndexConcurrently.description == "CREATE INDEX CONCURRENTLY")
        #expect(NonTransactionalKind.alterTypeAddValue.description == "ALTER TYPE ... ADD VALUE")
        #expect(Set(NonTransactionalKind.allCases.map(\.description)).count == NonTransactionalKind.allCases.count)
    }
}
