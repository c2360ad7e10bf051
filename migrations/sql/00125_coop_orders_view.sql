-- What billing publishes of orders for the co-op domain (billing/coop,
-- TestEachPackageQueriesItsOwnTables in tables_test.go): a co-op's paid
-- orders as its payments pages list them — the charge, the fees, the
-- refunds, the transfer group — and the order that bought the server (a
-- renewal's: its subscription's first order), so a payment names the server
-- it paid for. Dividing and reversing an order reads it through billing
-- (billing.LockCoopOrder), under the order's row lock. security_invoker: the
-- reader's row-level security applies; read-only for the application.

-- +goose Up
CREATE VIEW coop_orders WITH (security_invoker = true) AS
    SELECT o.id, o.tenant_id, o.status, o.currency, o.description, o.amount_cents, o.application_fee_cents, o.stripe_fee_cents,
           o.refunded_cents, o.transfer_group, o.paid_at, o.created_at, coalesce(s.first_order_id, o.id) AS bought_by_order_id
    FROM orders o LEFT JOIN subscriptions s ON s.id = o.subscription_id
    WHERE o.coop_split IS NOT NULL;
REVOKE INSERT, UPDATE, DELETE ON coop_orders FROM fd_app;

-- +goose Down
DROP VIEW coop_orders;
