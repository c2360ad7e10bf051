-- A storefront's apps domain (issue 19, custom domains on a gateway): its
-- web apps (nextcloud, openwebui, livekit) get FQDN gateways at
-- https://<deployment name>.<domain> on gateway_node, whose DNS the tenant
-- points there with a wildcard record (*.<domain>). No row: apps get a
-- gateway name under the grid's gateway domain.

-- +goose Up
CREATE TABLE tenant_apps_domains (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    domain        text NOT NULL CHECK (domain = lower(domain) AND length(domain) BETWEEN 4 AND 200),
    gateway_node  bigint NOT NULL CHECK (gateway_node > 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('tenant_apps_domains');

-- +goose Down
DROP TABLE tenant_apps_domains;
