-- The GPUs ZOS attached to a deployment's VM (a GPU offer rents its node
-- and passes the node's GPUs to the VM), for the deployment page.

-- +goose Up
CREATE TABLE deployment_gpus (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    deployment_id  uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    gpu_id         text NOT NULL,
    node_id        bigint NOT NULL,
    vendor         text NOT NULL DEFAULT '',
    device         text NOT NULL DEFAULT '',
    PRIMARY KEY (deployment_id, gpu_id)
);
CREATE INDEX deployment_gpus_tenant ON deployment_gpus (tenant_id);
SELECT app_enable_tenant_rls('deployment_gpus');

-- +goose Down
DROP TABLE deployment_gpus;
