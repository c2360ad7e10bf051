-- Deployments, continued: customers' saved SSH keys, the zdb backends of
-- QSFS backup swarms and their health, the last incident of a deployment
-- (a failover or a re-provisioning, which the customer is told about),
-- reconcile reports per tenant for the admin's health page, and what a
-- tenant gives back when a customer cancels (a prorated refund to the card
-- or account credit).

-- +goose Up
CREATE TABLE ssh_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    public_key   text NOT NULL,
    key_type     text NOT NULL,
    bits         integer NOT NULL DEFAULT 0,
    fingerprint  text NOT NULL,             -- SHA256:… as ssh-keygen -l prints it
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name),
    UNIQUE (account_id, fingerprint)
);
CREATE INDEX ssh_keys_account ON ssh_keys (account_id, created_at DESC);
SELECT app_enable_tenant_rls('ssh_keys');

-- One row per zdb backend a deployment's QSFS swarm has had: data shards
-- and metadata. A lost backend is replaced by a new row on another node.
CREATE TABLE qsfs_backends (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    deployment_id  uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    node_id        bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('data', 'meta')),
    position       integer NOT NULL,        -- its place in the swarm's list of nodes
    status         text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'lost', 'replaced')),
    replaced_by    bigint,
    lost_at        timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, kind, node_id)
);
CREATE UNIQUE INDEX qsfs_backends_live ON qsfs_backends (deployment_id, kind, position) WHERE status <> 'replaced';
SELECT app_enable_tenant_rls('qsfs_backends');

ALTER TABLE deployments ADD COLUMN incident text NOT NULL DEFAULT '' CHECK (incident IN ('', 'failover', 'reprovision'));
ALTER TABLE deployments ADD COLUMN incident_message text NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN incident_at timestamptz;
ALTER TABLE deployments ADD COLUMN notified_at timestamptz;

-- What each reconcile run of a tenant found: drift is a JSON array of
-- {deployment_id, name, project, problem, action}.
CREATE TABLE reconcile_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ran_at      timestamptz NOT NULL DEFAULT now(),
    checked     integer NOT NULL DEFAULT 0,
    drift       jsonb NOT NULL DEFAULT '[]',
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX reconcile_reports_tenant ON reconcile_reports (tenant_id, ran_at DESC);
SELECT app_enable_tenant_rls('reconcile_reports');

ALTER TABLE tenants ADD COLUMN on_cancel text NOT NULL DEFAULT 'credit' CHECK (on_cancel IN ('credit', 'refund'));

-- +goose Down
ALTER TABLE tenants DROP COLUMN on_cancel;
DROP TABLE reconcile_reports;
ALTER TABLE deployments DROP COLUMN notified_at;
ALTER TABLE deployments DROP COLUMN incident_at;
ALTER TABLE deployments DROP COLUMN incident_message;
ALTER TABLE deployments DROP COLUMN incident;
DROP TABLE qsfs_backends;
DROP TABLE ssh_keys;
