-- Quality to compliance (MES -> ERP), MES side: entity quality_lot_block publishes each batch's
-- disposition, keyed by the batch id ({"id": 42}; the payload names product and lot, which the ERP
-- matches). A batch the MES blocks (state 02blocked, ISA-95 disposition "restricted") puts the ERP
-- lot in quarantine; unblocking it (01tracked) lifts that quarantine (Sql/erp/quality_lot_block.sql).
-- Every batch is published, so an unblock arrives with the product and lot it concerns.
--
-- Neutral payload: product (product.number = ERP default_code), lot (batch.number = ERP
-- stock_lot.name), blocked (true for 02blocked), disposition ('restricted' | 'released').

GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.batch, mes.product TO erpmes_owner;

CREATE OR REPLACE FUNCTION mes.quality_lot_block_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', b.id),
           jsonb_build_object(
               'product', p.number,
               'lot', b.number,
               'blocked', b.state = '02blocked',
               'disposition', CASE WHEN b.state = '02blocked' THEN 'restricted' ELSE 'released' END)
    FROM mes.batch AS b
    JOIN mes.product AS p ON p.id = b.product_id
    WHERE b.id IN (SELECT (k->>'id')::bigint FROM unnest(keys) AS k)
$$;
REVOKE ALL ON FUNCTION mes.quality_lot_block_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.quality_lot_block_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.quality_lot_block_payload(jsonb[]) IS
    'erpmes payload of entity quality_lot_block: product, lot and whether the MES blocked the batch (02blocked).';

SELECT erpmes.publish('quality_lot_block', 'mes.batch', ARRAY['id'], 'mes.quality_lot_block_payload(jsonb[])');
