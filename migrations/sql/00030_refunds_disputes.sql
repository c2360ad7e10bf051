-- Refunds and disputes as Stripe reports them.
--
-- refunds: one row per refund request, whose id is the request's idempotency
-- key ("refund-<id>"), so two partial refunds asked for before Stripe's
-- webhook never share a key (and Stripe never answers the second with the
-- first). Its status follows Stripe's refund (charge.refund.updated): a
-- failed refund is shown with Stripe's failure reason.
--
-- disputes: each charge.dispute.* of a tenant's charge, so tenant admins can
-- see and answer them (evidence) from the admin pages.
--
-- orders.dispute_lost_cents: what a lost dispute took; a co-op's member
-- transfers are reversed for it as for a refund.
--
-- member_stripe.payout_failure: the last failed payout of a co-op member's
-- connected account (payout.failed), shown to the member until a payout
-- succeeds.

-- +goose Up
CREATE TABLE refunds (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    order_id        uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    status          text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'pending', 'succeeded', 'failed', 'canceled', 'requires_action')),
    stripe_refund   text UNIQUE,
    reason          text NOT NULL DEFAULT '',
    failure_reason  text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_tenant ON refunds (tenant_id, created_at DESC);
SELECT app_enable_tenant_rls('refunds');

CREATE TABLE disputes (
    id              text PRIMARY KEY,            -- Stripe's dp_…
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    order_id        uuid REFERENCES orders(id) ON DELETE SET NULL,
    charge          text NOT NULL DEFAULT '',
    amount_cents    bigint NOT NULL,
    currency        text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    status          text NOT NULL,
    evidence_due_by timestamptz,
    evidence_text   text NOT NULL DEFAULT '',
    submitted_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disputes_tenant ON disputes (tenant_id, created_at DESC);
SELECT app_enable_tenant_rls('disputes');

ALTER TABLE orders ADD COLUMN dispute_lost_cents bigint NOT NULL DEFAULT 0 CHECK (dispute_lost_cents >= 0);
ALTER TABLE member_stripe ADD COLUMN payout_failure text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE member_stripe DROP COLUMN payout_failure;
ALTER TABLE orders DROP COLUMN dispute_lost_cents;
DROP TABLE disputes;
DROP TABLE refunds;
