-- Indexes for queries that stay flat at a million deployments (measured by
-- `fiatdashboard bench scale`). Reconcile asks, for each of a tenant's
-- deployments, whether its grid project still holds live contracts: without
-- an index that is a scan of every tenant's contracts per deployment.

-- +goose Up
CREATE INDEX grid_contracts_live_project ON grid_contracts (tenant_id, project) WHERE canceled_at IS NULL;

-- +goose Down
DROP INDEX grid_contracts_live_project;
