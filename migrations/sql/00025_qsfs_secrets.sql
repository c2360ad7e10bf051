-- QSFS secrets: the zdb namespace password and the AES-256 key of a
-- deployment's QSFS swarm, random per deployment, sealed with the master
-- keyring (FD_MASTER_KEY, purpose "qsfs") like wallet secrets and
-- re-sealed by `fiatdashboard keys rotate`. Never in plain text, never
-- returned by the API.

-- +goose Up
CREATE TABLE deployment_secrets (
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    deployment_id    uuid PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
    zdb_password_enc text NOT NULL,
    encrypt_key_enc  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_secrets_tenant ON deployment_secrets (tenant_id);
SELECT app_enable_tenant_rls('deployment_secrets');

-- +goose Down
DROP TABLE deployment_secrets;
