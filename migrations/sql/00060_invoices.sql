-- Invoices (issue 15, item 8) and the confirmed "Top up now" (item 9).
--
-- tenants.legal_address, tenants.tax_id: the seller's details printed on
-- invoices, beside legal_name (tenant admins edit them in Settings).
--
-- invoice_counters: one row per tenant holding the last invoice number it
-- issued. The payment's transaction increments it (the row stays locked
-- until that transaction ends), so concurrent payments take consecutive
-- numbers and a rolled-back payment gives its number back: no gaps, no
-- duplicates.
--
-- invoices: one per paid order, numbered per tenant, with what was true
-- when it was issued (seller, customer, card, period, lines): an invoice
-- does not change when the tenant's settings or the customer's card do.
--
-- topup_quotes: what "Top up now" showed the tenant admin before they
-- confirmed — the TFT it buys and the most USDC it may spend. The top-up
-- it starts spends at most that, and a quote is used once and expires.

-- +goose Up
ALTER TABLE tenants
    ADD COLUMN legal_address text NOT NULL DEFAULT '',
    ADD COLUMN tax_id        text NOT NULL DEFAULT '';

CREATE TABLE invoice_counters (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    last_number bigint NOT NULL CHECK (last_number > 0)
);
SELECT app_enable_tenant_rls('invoice_counters');

CREATE TABLE invoices (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    number         bigint NOT NULL CHECK (number > 0),
    order_id       uuid NOT NULL UNIQUE REFERENCES orders(id),
    account_id     uuid NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    period_from    timestamptz NOT NULL,
    period_to      timestamptz NOT NULL CHECK (period_to > period_from),
    seller_name    text NOT NULL,
    seller_address text NOT NULL DEFAULT '',
    seller_tax_id  text NOT NULL DEFAULT '',
    seller_email   text NOT NULL DEFAULT '',
    customer_email text NOT NULL,
    card_brand     text NOT NULL DEFAULT '',
    card_last4     text NOT NULL DEFAULT '',
    description    text NOT NULL DEFAULT '',
    currency       text NOT NULL,
    lines          jsonb NOT NULL DEFAULT '[]',
    credit_cents   bigint NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
    total_cents    bigint NOT NULL CHECK (total_cents >= 0),
    PRIMARY KEY (tenant_id, number)
);
CREATE INDEX invoices_account ON invoices (tenant_id, account_id, issued_at DESC);
SELECT app_enable_tenant_rls('invoices');

CREATE TABLE topup_quotes (
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    amount        bigint NOT NULL CHECK (amount > 0),        -- TFT (1e-7) for the twin
    buy           bigint NOT NULL CHECK (buy > amount),      -- TFT bought: amount + bridge fee
    quote_usdc    bigint NOT NULL CHECK (quote_usdc > 0),    -- USDC (1e-7) at the quoted price
    send_max_usdc bigint NOT NULL CHECK (send_max_usdc >= quote_usdc), -- the most it may spend
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    PRIMARY KEY (tenant_id, id)
);
SELECT app_enable_tenant_rls('topup_quotes');

-- +goose Down
DROP TABLE topup_quotes;
DROP TABLE invoices;
DROP TABLE invoice_counters;
ALTER TABLE tenants DROP COLUMN tax_id, DROP COLUMN legal_address;
