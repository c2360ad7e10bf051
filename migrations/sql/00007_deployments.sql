-- Deployments: from a paid order to a running VM, with an event per
-- lifecycle transition, and customers' saved SSH keys.

-- +goose Up
CREATE TABLE deployments (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id        uuid NOT NULL REFERENCES accounts(id),
    order_id          uuid NOT NULL UNIQUE REFERENCES orders(id),
    name              text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,61}[a-z0-9]$'),
    image             text NOT NULL,
    spec              jsonb NOT NULL,
    ssh_key           text NOT NULL,
    placement         text NOT NULL CHECK (placement IN ('default', 'advanced')),
    node_id           bigint,
    backup            text NOT NULL DEFAULT 'none' CHECK (backup IN ('none', 'vm', 'qsfs')),
    standby_node_id   bigint,
    status            text NOT NULL DEFAULT 'awaiting_payment' CHECK (status IN
                      ('awaiting_payment', 'paid', 'provisioning', 'running', 'suspended', 'terminating', 'terminated', 'failed')),
    project           text NOT NULL UNIQUE,
    ipv4              text NOT NULL DEFAULT '',
    ipv6              text NOT NULL DEFAULT '',
    mycelium          text NOT NULL DEFAULT '',
    failure           text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX deployments_live_name ON deployments (account_id, name) WHERE status NOT IN ('terminated', 'failed');
CREATE INDEX deployments_tenant ON deployments (tenant_id, created_at DESC);
SELECT app_enable_tenant_rls('deployments');

CREATE TABLE deployment_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    deployment_id  uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    status         text NOT NULL,
    step           text NOT NULL,
    message        text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_events_deployment ON deployment_events (deployment_id, id);
SELECT app_enable_tenant_rls('deployment_events');

-- +goose Down
DROP TABLE deployment_events;
DROP TABLE deployments;
