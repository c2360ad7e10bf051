-- Placement reads what in-flight deployments hold on each node (reserved
-- until their contracts are recorded) and looks contracts up by project.

-- +goose Up
CREATE INDEX deployments_in_flight ON deployments (node_id) WHERE status IN ('paid', 'provisioning');
CREATE INDEX grid_contracts_project ON grid_contracts (project) WHERE canceled_at IS NULL;

-- +goose Down
DROP INDEX grid_contracts_project;
DROP INDEX deployments_in_flight;
