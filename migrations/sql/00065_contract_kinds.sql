-- The kind of each contract the platform created (TFChain's node, name
-- and rent contracts), so a deployment's page can name the rent contract
-- of the node it rented whole (a GPU offer: ZOS attaches a GPU only on a
-- rented node) without asking the grid.

-- +goose Up
ALTER TABLE grid_contracts ADD COLUMN kind text NOT NULL DEFAULT 'node' CHECK (kind IN ('node', 'name', 'rent'));

-- +goose Down
ALTER TABLE grid_contracts DROP COLUMN kind;
