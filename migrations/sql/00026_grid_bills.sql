-- The chain's bills of the platform's contracts, fetched by the grid:bills
-- job (paged, one time window per run) and stored, so no page asks the
-- grid for bills while it renders (node operators' earnings, the console).
-- extra_fee is the dedicated node's extra fee in a rent's bill, which the
-- chain pays to the farmer in full; farmer_share includes it.

-- +goose Up
CREATE TABLE grid_bills (
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contract_id   bigint NOT NULL,
    billed_at     timestamptz NOT NULL,
    node_id       bigint NOT NULL DEFAULT 0,
    farm_id       bigint NOT NULL DEFAULT 0,
    amount        bigint NOT NULL CHECK (amount >= 0),        -- TFT units, the whole bill
    extra_fee     bigint NOT NULL DEFAULT 0 CHECK (extra_fee >= 0),
    farmer_share  bigint NOT NULL CHECK (farmer_share >= 0),
    discount      text NOT NULL DEFAULT 'none',
    PRIMARY KEY (contract_id, billed_at)
);
CREATE INDEX grid_bills_node_time ON grid_bills (node_id, billed_at);
CREATE INDEX grid_bills_tenant ON grid_bills (tenant_id);
SELECT app_enable_tenant_rls('grid_bills');

-- Where the grid:bills job stopped: bills before synced_to are stored.
CREATE TABLE grid_bill_sync (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    synced_to  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE grid_bill_sync;
DROP TABLE grid_bills;
