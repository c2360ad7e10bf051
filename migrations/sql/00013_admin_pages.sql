-- The admin pages' look-ups: a tenant's customers and the console's
-- accounts are searched by e-mail prefix (LIKE 'ann%'), and each page of
-- customers or node operators counts its rows' deployments, requests and
-- exposed nodes by account in one query.

-- +goose Up
-- text_pattern_ops serves LIKE 'prefix%' whatever the database's collation.
CREATE INDEX accounts_tenant_email_prefix ON accounts (tenant_id, email text_pattern_ops) WHERE tenant_id IS NOT NULL;
CREATE INDEX accounts_platform_email_prefix ON accounts (email text_pattern_ops) WHERE tenant_id IS NULL;
CREATE INDEX deployments_by_account ON deployments (account_id, created_at DESC);
CREATE INDEX node_operator_requests_account ON node_operator_requests (account_id);
CREATE INDEX pool_nodes_contributed_by ON pool_nodes (contributed_by) WHERE contributed_by IS NOT NULL;

-- +goose Down
DROP INDEX pool_nodes_contributed_by;
DROP INDEX node_operator_requests_account;
DROP INDEX deployments_by_account;
DROP INDEX accounts_platform_email_prefix;
DROP INDEX accounts_tenant_email_prefix;
