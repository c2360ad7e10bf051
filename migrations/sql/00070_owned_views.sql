-- What owning packages let others read of their tables
-- (TestEachPackageQueriesItsOwnTables in tables_test.go): the identity
-- domain (rbac) publishes who an account is (no secrets) and who holds which
-- role where; other packages read these views, never accounts or
-- casbin_rules. security_invoker: the caller's row-level security applies,
-- as it does on the tables. Billing publishes order, credit and card
-- summaries; the tenant package, which owns the outbox, whether work is
-- owed (outbox_owes).

-- +goose Up
CREATE VIEW account_directory WITH (security_invoker = true) AS
    SELECT id, tenant_id, email, email_verified_at, totp_enabled_at, created_at, disabled_at FROM accounts;
-- role_grants: account account_id (text, as Casbin keeps it) holds role in
-- domain (a tenant id, or 'platform').
CREATE VIEW role_grants WITH (security_invoker = true) AS
    SELECT v0 AS account_id, v1 AS role, v2 AS domain FROM casbin_rules WHERE ptype = 'g';
-- Read-only for the application (the default privileges grant writes).
REVOKE INSERT, UPDATE, DELETE ON account_directory, role_grants FROM fd_app;
-- What billing publishes of orders, customers' credit and saved cards, for
-- the admin's customer pages and deployment list (no Stripe ids, no keys).
CREATE VIEW order_summaries WITH (security_invoker = true) AS
    SELECT id, tenant_id, account_id, status, failure_message, description, amount_cents, credit_cents, refunded_cents,
           currency, months, client_key, paid_at, created_at FROM orders;
-- credit_postings: the ledger's postings by account, without their entries
-- (a customer's credit is the account customer_credit:<account id>; no
-- filter here, so the page's lookup keeps the (tenant_id, account) index).
CREATE VIEW credit_postings WITH (security_invoker = true) AS
    SELECT tenant_id, account, amount_cents FROM ledger_postings;
CREATE VIEW card_summaries WITH (security_invoker = true) AS
    SELECT tenant_id, account_id, brand, last4, exp_month, exp_year, is_default, created_at FROM payment_methods;
REVOKE INSERT, UPDATE, DELETE ON order_summaries, credit_postings, card_summaries FROM fd_app;
-- outbox_owes: the work key is owed and not done (tenant.Owe wrote it).
-- +goose StatementBegin
CREATE FUNCTION outbox_owes(work_key text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM outbox WHERE key = work_key AND done_at IS NULL) $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION outbox_owes(text);
DROP VIEW card_summaries;
DROP VIEW credit_postings;
DROP VIEW order_summaries;
DROP VIEW role_grants;
DROP VIEW account_directory;
