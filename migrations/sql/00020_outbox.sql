-- The transactional outbox (ARCHITECTURE.md §5a): every task the platform
-- owes (process a Stripe event, deploy a VM, refund an order, deliver a mock
-- Stripe event, take a top-up's next step) is written here in the same
-- transaction as the state change that owes it. A relay hands it to Asynq
-- (the key is the Asynq task id, the de-duplication key); a sweeper hands it
-- over again while it is not done, so Redis losing its data delays the work
-- and loses none. The task's handler marks it done.

-- +goose Up
CREATE TABLE outbox (
    key          text PRIMARY KEY,              -- the Asynq task id, e.g. deploy:<id>, stripe:<event id>
    tenant_id    uuid REFERENCES tenants(id) ON DELETE CASCADE,
    type         text NOT NULL,                 -- the Asynq task type
    actor        jsonb NOT NULL,                -- the envelope's actor
    data         jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    owed_at      timestamptz NOT NULL DEFAULT now(),  -- when it was (last) owed
    relayed_at   timestamptz,                   -- last handed to Asynq
    relays       integer NOT NULL DEFAULT 0,
    done_at      timestamptz,
    last_error   text NOT NULL DEFAULT ''
);
-- The relay and the sweeper read only what is still owed.
CREATE INDEX outbox_owed ON outbox (relayed_at NULLS FIRST, owed_at) WHERE done_at IS NULL;
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
SELECT app_enable_tenant_rls('outbox');

-- Work owed before the outbox existed: stored events not yet processed and
-- paid or provisioning deployments.
INSERT INTO outbox (key, tenant_id, type, actor, data)
SELECT 'stripe:' || id, tenant_id, 'billing:stripe-event', '{"kind": "system", "name": "stripe webhook"}', jsonb_build_object('id', id)
FROM stripe_events WHERE processed_at IS NULL
ON CONFLICT DO NOTHING;
INSERT INTO outbox (key, tenant_id, type, actor, data)
SELECT 'deploy:' || id, tenant_id, 'deploy:vm', '{"kind": "system", "name": "outbox"}', jsonb_build_object('id', id)
FROM deployments WHERE status IN ('paid', 'provisioning')
ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE outbox;
