-- Node operators and node pools: linked twins, registered nodes, each
-- tenant's pool with per-node exposure, and the grid contracts the platform
-- created (for earnings and reconcile).

-- +goose Up
-- A node operator's TFChain twin, proven by signing a challenge.
CREATE TABLE operator_twins (
    account_id  uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    twin_id     bigint NOT NULL UNIQUE,
    key_type    text NOT NULL CHECK (key_type IN ('ed25519', 'sr25519')),
    public_key  bytea NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE twin_challenges (
    account_id  uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    twin_id     bigint NOT NULL,
    challenge   text NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Nodes a node operator registered: only nodes of a farm its twin owns.
CREATE TABLE operator_nodes (
    node_id        bigint PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    farm_id        bigint NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_nodes_account ON operator_nodes (account_id);

-- A tenant's node pool. Nodes the tenant added itself are always exposed;
-- an operator's node is eligible only while its operator exposes it there.
CREATE TABLE pool_nodes (
    tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    node_id           bigint NOT NULL,
    source            text NOT NULL CHECK (source IN ('tenant', 'operator')),
    contributed_by    uuid REFERENCES accounts(id) ON DELETE SET NULL,
    exposed           boolean NOT NULL DEFAULT true,
    customer_pickable boolean NOT NULL DEFAULT true,
    added_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, node_id)
);
SELECT app_enable_tenant_rls('pool_nodes');

-- Every contract the platform created on the grid, by tenant and node.
CREATE TABLE grid_contracts (
    contract_id    bigint PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    node_id        bigint NOT NULL,
    project        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    canceled_at    timestamptz
);
CREATE INDEX grid_contracts_node ON grid_contracts (node_id);
SELECT app_enable_tenant_rls('grid_contracts');

-- +goose Down
DROP TABLE grid_contracts;
DROP TABLE pool_nodes;
DROP TABLE operator_nodes;
DROP TABLE twin_challenges;
DROP TABLE operator_twins;
