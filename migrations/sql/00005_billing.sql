-- Billing: Stripe Connect per tenant, customers and saved cards, prices,
-- discount tiers and coupons, orders, webhook events and the double-entry
-- ledger. Money is integer minor units (cents) in the tenant's currency.

-- +goose Up
CREATE TABLE tenant_stripe (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    account_id         text NOT NULL UNIQUE,
    charges_enabled    boolean NOT NULL DEFAULT false,
    payouts_enabled    boolean NOT NULL DEFAULT false,
    details_submitted  boolean NOT NULL DEFAULT false,
    requirements       jsonb NOT NULL DEFAULT '[]',
    updated_at         timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('tenant_stripe');

CREATE TABLE stripe_customers (
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    customer_id  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, account_id)
);
SELECT app_enable_tenant_rls('stripe_customers');

CREATE TABLE payment_methods (
    id                 text PRIMARY KEY,           -- Stripe's pm_…
    tenant_id          uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id         uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand              text NOT NULL DEFAULT '',
    last4              text NOT NULL DEFAULT '',
    exp_month          integer NOT NULL DEFAULT 0,
    exp_year           integer NOT NULL DEFAULT 0,
    is_default         boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_methods_account ON payment_methods (account_id);
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (account_id) WHERE is_default;
SELECT app_enable_tenant_rls('payment_methods');

-- The tenant's price rule: grid list cost × (1 + margin), or fixed prices
-- per size; sizes are the presets customers pick from.
CREATE TABLE price_rules (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    mode         text NOT NULL DEFAULT 'margin' CHECK (mode IN ('margin', 'fixed')),
    margin_bps   integer NOT NULL DEFAULT 5000 CHECK (margin_bps BETWEEN 0 AND 100000),
    ipv4_cents   bigint NOT NULL DEFAULT 300 CHECK (ipv4_cents >= 0),
    sizes        jsonb NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('price_rules');

CREATE TABLE discount_tiers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('prepaid_months', 'active_deployments')),
    threshold   integer NOT NULL CHECK (threshold >= 1),
    pct_bps     integer NOT NULL CHECK (pct_bps BETWEEN 1 AND 9000),
    UNIQUE (tenant_id, kind, threshold)
);
SELECT app_enable_tenant_rls('discount_tiers');

CREATE TABLE coupons (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    code             text NOT NULL CHECK (code ~ '^[A-Z0-9_-]{3,32}$'),
    pct_bps          integer NOT NULL CHECK (pct_bps BETWEEN 1 AND 10000),
    max_redemptions  integer CHECK (max_redemptions >= 1),
    redeemed         integer NOT NULL DEFAULT 0,
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, code)
);
SELECT app_enable_tenant_rls('coupons');

-- One order is one payment: a new VM, a renewal, a prepaid period.
CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id          uuid NOT NULL REFERENCES accounts(id),
    status              text NOT NULL DEFAULT 'awaiting_payment'
                        CHECK (status IN ('awaiting_payment', 'requires_action', 'paid', 'failed', 'refunded', 'canceled')),
    description         text NOT NULL,
    spec                jsonb NOT NULL DEFAULT '{}',
    months              integer NOT NULL DEFAULT 1 CHECK (months BETWEEN 1 AND 36),
    currency            text NOT NULL,
    subtotal_cents      bigint NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents      bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    amount_cents        bigint NOT NULL CHECK (amount_cents >= 0),
    application_fee_cents bigint NOT NULL DEFAULT 0 CHECK (application_fee_cents >= 0),
    coupon_code         text,
    payment_method_id   text,
    payment_intent_id   text UNIQUE,
    failure_message     text NOT NULL DEFAULT '',
    refunded_cents      bigint NOT NULL DEFAULT 0,
    client_key          text,               -- the browser's idempotency key: a retried checkout finds its order
    paid_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_account ON orders (account_id, created_at DESC);
CREATE INDEX orders_tenant ON orders (tenant_id, created_at DESC);
CREATE UNIQUE INDEX orders_client_key ON orders (account_id, client_key) WHERE client_key IS NOT NULL;
SELECT app_enable_tenant_rls('orders');

-- A subscription is what a paid order keeps running: renewed before
-- paid_through, with dunning when a renewal fails.
CREATE TABLE subscriptions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id        uuid NOT NULL REFERENCES accounts(id),
    first_order_id    uuid NOT NULL UNIQUE REFERENCES orders(id),
    description       text NOT NULL,
    spec              jsonb NOT NULL,
    months            integer NOT NULL CHECK (months BETWEEN 1 AND 36),
    currency          text NOT NULL,
    renewal_cents     bigint NOT NULL CHECK (renewal_cents >= 0),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'past_due', 'suspended', 'canceled', 'terminated')),
    paid_through      timestamptz NOT NULL,
    failed_attempts   integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_due ON subscriptions (next_attempt_at) WHERE status IN ('active', 'past_due', 'suspended');
SELECT app_enable_tenant_rls('subscriptions');
ALTER TABLE orders ADD COLUMN subscription_id uuid REFERENCES subscriptions(id);
ALTER TABLE orders ADD COLUMN credit_cents bigint NOT NULL DEFAULT 0 CHECK (credit_cents >= 0);

-- Every webhook event, stored once by Stripe's id; tenant_id is NULL when
-- its connected account is not one of ours.
CREATE TABLE stripe_events (
    id            text PRIMARY KEY,
    tenant_id     uuid REFERENCES tenants(id) ON DELETE CASCADE,
    type          text NOT NULL,
    account       text NOT NULL DEFAULT '',
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    outcome       text NOT NULL DEFAULT ''
);
SELECT app_enable_tenant_rls('stripe_events');

-- Double-entry ledger: an entry's postings sum to zero.
CREATE TABLE ledger_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind        text NOT NULL,
    ref         text NOT NULL,          -- what caused it: an order, a refund, a dispute id
    currency    text NOT NULL,
    memo        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind, ref)       -- posting the same fact twice is a no-op
);
SELECT app_enable_tenant_rls('ledger_entries');

CREATE TABLE ledger_postings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id      bigint NOT NULL REFERENCES ledger_entries(id) ON DELETE CASCADE,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account       text NOT NULL,        -- e.g. revenue, stripe_balance, customer_credit:<account id>
    amount_cents  bigint NOT NULL       -- debit positive, credit negative
);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
CREATE INDEX ledger_postings_account ON ledger_postings (tenant_id, account);
SELECT app_enable_tenant_rls('ledger_postings');

-- +goose Down
DROP TABLE ledger_postings;
DROP TABLE ledger_entries;
DROP TABLE stripe_events;
ALTER TABLE orders DROP COLUMN subscription_id;
DROP TABLE subscriptions;
DROP TABLE orders;
DROP TABLE coupons;
DROP TABLE discount_tiers;
DROP TABLE price_rules;
DROP TABLE payment_methods;
DROP TABLE stripe_customers;
DROP TABLE tenant_stripe;
