-- report: the schema of the plant reporting views (issue 9), and report.apply_grants(), which gives
-- read access to them. Every other report_*.sql file of this folder requires this one, creates its
-- views and ends with SELECT report.apply_grants().
--
-- Who may read: the views run with their owner's rights (the role that runs `erpmes migrate`), so a
-- reader needs no grant on the base tables. If a role erpmes_report exists, it alone is granted
-- USAGE on the schema and SELECT on the views (and PUBLIC's grants are revoked); otherwise PUBLIC
-- is, as DESIGN.md section 6 wants views "that anyone can query". A DBA who wants to restrict them:
--     CREATE ROLE erpmes_report NOLOGIN; GRANT erpmes_report TO <readers>;
--     SELECT report.apply_grants();   -- as the views' owner
CREATE SCHEMA IF NOT EXISTS report;
COMMENT ON SCHEMA report IS
    'Plant reporting views (plan vs actual, inventory and WIP, genealogy, quality, maintenance, OEE), computed from base tables at query time; see the README.';

CREATE OR REPLACE FUNCTION report.apply_grants()
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    reader text;
    object record;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'erpmes_report') THEN
        reader := quote_ident('erpmes_report');
        REVOKE ALL ON SCHEMA report FROM PUBLIC;
    ELSE
        reader := 'PUBLIC';  -- a keyword, not a role name: never quoted
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA report TO %s', reader);
    FOR object IN
        SELECT c.oid::regclass AS name
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 'report'::regnamespace AND c.relkind IN ('v', 'm')
    LOOP
        IF reader <> 'PUBLIC' THEN
            EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', object.name);
        END IF;
        EXECUTE format('GRANT SELECT ON %s TO %s', object.name, reader);
    END LOOP;
    -- Report functions (report.lot_trace) read tables with their caller's rights like any query;
    -- this function itself stays with its owner.
    FOR object IN
        SELECT p.oid::regprocedure AS name
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'report'::regnamespace AND p.proname <> 'apply_grants'
    LOOP
        IF reader <> 'PUBLIC' THEN
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object.name);
        END IF;
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', object.name, reader);
    END LOOP;
    RETURN reader;
END $$;
REVOKE ALL ON FUNCTION report.apply_grants() FROM PUBLIC;
COMMENT ON FUNCTION report.apply_grants() IS
    'Grants USAGE on schema report and SELECT on its views to role erpmes_report if it exists (revoking PUBLIC), else to PUBLIC; returns the grantee. Run by migrate after each report file; a DBA runs it again after creating erpmes_report.';
