-- +goose Up
-- Admin "Needs attention" (issue 15 item 3): an item clears when the admin
-- handles it (retry, refund or dismiss); the deployment keeps when and how.
ALTER TABLE deployments ADD COLUMN attention_handled_at timestamptz;
ALTER TABLE deployments ADD COLUMN attention_action text NOT NULL DEFAULT ''
    CHECK (attention_action IN ('', 'retry', 'refund', 'dismiss'));

-- +goose Down
ALTER TABLE deployments DROP COLUMN attention_action;
ALTER TABLE deployments DROP COLUMN attention_handled_at;
