-- The admin overview sums a month of the ledger: entries by tenant and time.

-- +goose Up
CREATE INDEX ledger_entries_time ON ledger_entries (tenant_id, created_at);

-- +goose Down
DROP INDEX ledger_entries_time;
