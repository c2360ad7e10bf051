-- The treasury's memory: the wallet's balance and burn over time (the wallet
-- page's 90-day chart), the alert a tenant is under when its wallet cannot
-- keep its runway (e-mailed once per incident, shown in the console), and
-- where a failed top-up stopped.

-- +goose Up
-- One snapshot per tenant per hour, written by the hourly check and by
-- "Top up now"; the API reads one point per day.
CREATE TABLE treasury_snapshots (
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,          -- the hour it stands for
    balance      bigint NOT NULL,               -- TFT units on TFChain
    burn_month   bigint NOT NULL CHECK (burn_month >= 0),   -- TFT units a month at the contracts' tiers
    runway_days  integer,                       -- NULL: nothing burns
    PRIMARY KEY (tenant_id, at)
);
SELECT app_enable_tenant_rls('treasury_snapshots');

-- The tenant's treasury alert: at most one incident open at a time. A new
-- incident (after a resolved one) mails the owners and admins again.
CREATE TABLE treasury_alerts (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    state        text NOT NULL CHECK (state IN ('open', 'resolved')),
    reason       text NOT NULL CHECK (reason IN ('topup_failed', 'mint_overdue', 'runway_low')),
    message      text NOT NULL,
    runway_days  integer,
    opened_at    timestamptz NOT NULL,
    notified_at  timestamptz,
    resolved_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('treasury_alerts');

ALTER TABLE topups ADD COLUMN failed_step text NOT NULL DEFAULT ''
    CHECK (failed_step IN ('', 'quoted', 'swapped', 'bridged', 'minted', 'reconciled'));
ALTER TABLE topups ADD COLUMN failed_at timestamptz;

-- +goose Down
ALTER TABLE topups DROP COLUMN failed_at;
ALTER TABLE topups DROP COLUMN failed_step;
DROP TABLE treasury_alerts;
DROP TABLE treasury_snapshots;
