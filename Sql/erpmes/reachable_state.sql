-- erpmes.reachable_state: whether state `target` can be reached from state `current` along a
-- transition graph {"state": ["next", ...], ...} in one or more steps (the forward_only rule;
-- a batch may collapse intermediate states). A state reaches itself.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.reachable_state(graph jsonb, current text, target text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE reach (state) AS (
        SELECT current
        UNION
        SELECT n.next FROM reach AS r
        CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(graph->r.state, '[]'::jsonb)) AS n(next)
    )
    SELECT current IS NOT DISTINCT FROM target OR EXISTS (SELECT FROM reach WHERE state = target);
END;
COMMENT ON FUNCTION erpmes.reachable_state(jsonb, text, text) IS
    'Whether a transition graph leads from one state to another (forward_only rule).';
RESET ROLE;
