-- +goose Up
-- Backups are priced (issue 15): a fixed monthly add-on per backup option,
-- or 0 for "grid cost under the price rule"; every order and subscription
-- keeps its price lines (VM, IPv4, standby VM, QSFS swarm, discounts) so a
-- receipt, an invoice and a renewal show each part on its own line.
ALTER TABLE price_rules
    ADD COLUMN standby_cents bigint NOT NULL DEFAULT 0 CHECK (standby_cents >= 0),
    ADD COLUMN qsfs_cents bigint NOT NULL DEFAULT 0 CHECK (qsfs_cents >= 0);
ALTER TABLE orders ADD COLUMN lines jsonb NOT NULL DEFAULT '[]';
ALTER TABLE subscriptions ADD COLUMN lines jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN lines;
ALTER TABLE orders DROP COLUMN lines;
ALTER TABLE price_rules DROP COLUMN qsfs_cents, DROP COLUMN standby_cents;
