-- The operator treasury: each tenant's TFChain wallet and Stellar account
-- (secrets encrypted under FD_MASTER_KEY), its top-up policy, and top-ups as
-- durable state machines.

-- +goose Up
CREATE TABLE tenant_wallets (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    twin_id            bigint NOT NULL,
    mnemonic_enc       text NOT NULL,      -- kid$ciphertext, never plain
    stellar_account    text NOT NULL,
    stellar_secret_enc text NOT NULL,      -- kid$ciphertext, never plain
    updated_at         timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('tenant_wallets');

CREATE TABLE topup_policies (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    enabled            boolean NOT NULL DEFAULT true,
    min_runway_days    integer NOT NULL DEFAULT 30 CHECK (min_runway_days BETWEEN 1 AND 365),
    target_tier        text NOT NULL DEFAULT 'none' CHECK (target_tier IN ('none', 'default', 'bronze', 'silver', 'gold')),
    max_per_topup      bigint NOT NULL CHECK (max_per_topup > 0),     -- TFT units
    max_per_month      bigint NOT NULL CHECK (max_per_month > 0),     -- TFT units
    slippage_bps       integer NOT NULL DEFAULT 100 CHECK (slippage_bps BETWEEN 1 AND 2000),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('topup_policies');

CREATE TABLE topups (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state            text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'quoted', 'swapped', 'bridged', 'minted', 'reconciled', 'failed')),
    reason           text NOT NULL,
    amount           bigint NOT NULL CHECK (amount > 0),   -- TFT units to land on TFChain
    buy              bigint NOT NULL DEFAULT 0,            -- TFT units bought (amount + the 1 TFT bridge fee)
    quote_usdc       bigint NOT NULL DEFAULT 0,
    send_max_usdc    bigint NOT NULL DEFAULT 0,
    spent_usdc       bigint NOT NULL DEFAULT 0,
    swap_hash        text NOT NULL DEFAULT '',
    swap_xdr         text NOT NULL DEFAULT '',
    bridge_hash      text NOT NULL DEFAULT '',
    bridge_xdr       text NOT NULL DEFAULT '',
    balance_before   bigint NOT NULL DEFAULT 0,
    bridged_at       timestamptz,
    alert            text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX topups_one_open ON topups (tenant_id) WHERE state NOT IN ('reconciled', 'failed');
SELECT app_enable_tenant_rls('topups');

-- +goose Down
DROP TABLE topups;
DROP TABLE topup_policies;
DROP TABLE tenant_wallets;
