-- Apps (issue 19): a deployment is one app — `vm` (every deployment so far,
-- migrated by the column's default), kubernetes, nextcloud, openwebui or
-- livekit. app_config holds the form's non-secret values; app_state what
-- provisioning chose and must find again on a retry (worker nodes, the
-- gateway name, a pending worker change); app_secret_enc the app's
-- credentials (admin password, LiveKit key and secret, k3s token) sealed
-- with the master keyring (purpose "app") like QSFS secrets, shown to the
-- customer once (credentials_shown_at).
--
-- tenant_apps: which apps a storefront sells and at what margin (NULL: the
-- tenant's price rule). No row: the app is on sale at the rule's margin.
--
-- coop_offers.app: the app an offer sells (NULL: plain VMs).
--
-- orders.upgrade_of: an order that pays the prorated rest of a
-- subscription's period for more resources (Kubernetes workers added);
-- paid, it raises the subscription's renewal instead of starting one.

-- +goose Up
ALTER TABLE deployments ADD COLUMN app text NOT NULL DEFAULT 'vm'
    CHECK (app IN ('vm', 'kubernetes', 'nextcloud', 'openwebui', 'livekit'));
ALTER TABLE deployments ADD COLUMN app_config jsonb NOT NULL DEFAULT '{}';
ALTER TABLE deployments ADD COLUMN app_state jsonb NOT NULL DEFAULT '{}';
ALTER TABLE deployments ADD COLUMN app_secret_enc text;
ALTER TABLE deployments ADD COLUMN credentials_shown_at timestamptz;

CREATE TABLE tenant_apps (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    app         text NOT NULL CHECK (app IN ('vm', 'kubernetes', 'nextcloud', 'openwebui', 'livekit')),
    enabled     boolean NOT NULL DEFAULT true,
    margin_bps  bigint CHECK (margin_bps BETWEEN 0 AND 100000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, app)
);
SELECT app_enable_tenant_rls('tenant_apps');

ALTER TABLE coop_offers ADD COLUMN app text
    CHECK (app IN ('kubernetes', 'nextcloud', 'openwebui', 'livekit'));

ALTER TABLE orders ADD COLUMN upgrade_of uuid REFERENCES subscriptions(id);

-- +goose Down
ALTER TABLE orders DROP COLUMN upgrade_of;
ALTER TABLE coop_offers DROP COLUMN app;
DROP TABLE tenant_apps;
ALTER TABLE deployments DROP COLUMN credentials_shown_at;
ALTER TABLE deployments DROP COLUMN app_secret_enc;
ALTER TABLE deployments DROP COLUMN app_state;
ALTER TABLE deployments DROP COLUMN app_config;
ALTER TABLE deployments DROP COLUMN app;
