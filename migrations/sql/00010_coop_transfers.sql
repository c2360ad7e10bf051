-- Co-ops (issue 7): each member's revenue share, the split snapshot on every
-- co-op order, members' own Stripe connected accounts, one Stripe Transfer
-- per member and paid order (separate charges and transfers) with its
-- reversals on refunds, and the co-op's storefront offers tied to node
-- capabilities.

-- +goose Up
-- A member's share of the co-op's revenue, in basis points; the shares of a
-- co-op sum to 10000 before it takes payments.
ALTER TABLE coop_members ADD COLUMN share_bps integer NOT NULL DEFAULT 0 CHECK (share_bps BETWEEN 0 AND 10000);

-- A co-op order is charged on the platform in its own transfer group, under
-- the split in force when it was placed ([{"member": uuid, "bps": n}, …]):
-- a split change applies from the next charge.
ALTER TABLE orders ADD COLUMN coop_split jsonb;
ALTER TABLE orders ADD COLUMN transfer_group text;

-- A co-op member's Stripe connected account, where its shares are
-- transferred. Platform data (a member is a console account, whatever
-- co-ops it belongs to), like operator_twins.
CREATE TABLE member_stripe (
    account_id         uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    stripe_account     text NOT NULL UNIQUE,
    payouts_enabled    boolean NOT NULL DEFAULT false,
    details_submitted  boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One member's share of one paid co-op order. 'held' until the member has a
-- connected account that can receive it, then 'transferred' (one Stripe
-- Transfer, idempotency key = this row); 'void' when a refund took the whole
-- held share back before it was sent.
CREATE TABLE coop_transfers (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    order_id           uuid NOT NULL REFERENCES orders(id),
    member_account_id  uuid NOT NULL REFERENCES accounts(id),
    member_email       text NOT NULL,
    share_bps          integer NOT NULL CHECK (share_bps BETWEEN 0 AND 10000),
    amount_cents       bigint NOT NULL CHECK (amount_cents >= 0),
    transferred_cents  bigint NOT NULL DEFAULT 0 CHECK (transferred_cents >= 0),
    currency           text NOT NULL,
    transfer_group     text NOT NULL,
    source_charge      text NOT NULL DEFAULT '',
    status             text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'transferred', 'void')),
    stripe_transfer    text,
    stripe_account     text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    transferred_at     timestamptz,
    UNIQUE (order_id, member_account_id)
);
CREATE INDEX coop_transfers_member ON coop_transfers (member_account_id, created_at DESC);
CREATE INDEX coop_transfers_tenant ON coop_transfers (tenant_id, created_at DESC);
CREATE INDEX coop_transfers_held ON coop_transfers (member_account_id) WHERE status = 'held';
SELECT app_enable_tenant_rls('coop_transfers');

-- What a refund takes back from one member's share: a Stripe Transfer
-- Reversal once the share was transferred ('pending' → 'reversed'), or
-- 'applied' at once to a share still held. refund_total is the order's
-- refunded total the reversal answers, so a replayed refund reverses once.
CREATE TABLE coop_reversals (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    transfer_id        uuid NOT NULL REFERENCES coop_transfers(id) ON DELETE CASCADE,
    refund_total_cents bigint NOT NULL,
    amount_cents       bigint NOT NULL CHECK (amount_cents > 0),
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'reversed', 'applied')),
    stripe_reversal    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    reversed_at        timestamptz,
    UNIQUE (transfer_id, refund_total_cents)
);
CREATE INDEX coop_reversals_transfer ON coop_reversals (transfer_id);
SELECT app_enable_tenant_rls('coop_reversals');

-- A co-op's storefront offers: a specialised product tied to a node
-- capability in its pool, optionally limited to some size presets.
CREATE TABLE coop_offers (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 2 AND 60),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    capability   text NOT NULL CHECK (capability IN ('gpu', 'hdd', 'bandwidth', 'certified')),
    sizes        jsonb NOT NULL DEFAULT '[]',
    published    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coop_offers_tenant ON coop_offers (tenant_id, created_at);
SELECT app_enable_tenant_rls('coop_offers');

-- A deployment ordered from an offer runs only on a node with the offer's
-- capability (kept even if the offer is deleted later).
ALTER TABLE deployments ADD COLUMN offer_id uuid REFERENCES coop_offers(id) ON DELETE SET NULL;
ALTER TABLE deployments ADD COLUMN offer_capability text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE deployments DROP COLUMN offer_capability;
ALTER TABLE deployments DROP COLUMN offer_id;
DROP TABLE coop_offers;
DROP TABLE coop_reversals;
DROP TABLE coop_transfers;
DROP TABLE member_stripe;
ALTER TABLE orders DROP COLUMN transfer_group;
ALTER TABLE orders DROP COLUMN coop_split;
ALTER TABLE coop_members DROP COLUMN share_bps;
