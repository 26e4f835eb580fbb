-- erpmes.payload_hash: the hash erpmes.base keeps for a neutral payload; NULL for an absent row.
-- jsonb's text form is canonical (sorted keys, no duplicates), so equal payloads hash equal.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.payload_hash(payload jsonb) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN md5(payload::text)::uuid;
REVOKE ALL ON FUNCTION erpmes.payload_hash(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.payload_hash(jsonb) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erpmes.payload_hash(jsonb) IS 'Hash of a neutral payload as erpmes.base stores it; NULL for an absent row.';
RESET ROLE;
