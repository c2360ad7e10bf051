-- Identity: two-factor secrets, sessions with rotated refresh tokens, API
-- tokens, e-mail tokens, the development outbox and node-operator requests.
-- Every secret is stored as a hash, or encrypted (TOTP secrets).

-- +goose Up
ALTER TABLE accounts
    ADD COLUMN totp_secret_enc text,          -- AES-GCM under FD_SECRET_KEYS, never plain
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN disabled_at     timestamptz;

CREATE TABLE recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    used_at     timestamptz
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id);
SELECT app_enable_tenant_rls('recovery_codes');

-- A session is one sign-in: a family of refresh tokens, each used once.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid REFERENCES tenants(id) ON DELETE CASCADE,
    account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mfa            boolean NOT NULL DEFAULT false,
    user_agent     text NOT NULL DEFAULT '',
    ip             inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;
SELECT app_enable_tenant_rls('sessions');

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
SELECT app_enable_tenant_rls('refresh_tokens');

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid REFERENCES tenants(id) ON DELETE CASCADE,
    account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix        text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    mfa           boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id) WHERE revoked_at IS NULL;
SELECT app_enable_tenant_rls('api_tokens');

CREATE TABLE email_tokens (
    token_hash  bytea PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
SELECT app_enable_tenant_rls('email_tokens');

-- Mail that was not sent because no SMTP server is configured (development).
CREATE TABLE outbox_emails (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    to_addr     text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT app_enable_tenant_rls('outbox_emails');

-- A node operator (platform account) asks to contribute nodes to a tenant.
CREATE TABLE node_operator_requests (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- The operator is a platform account, invisible to the tenant's RLS scope.
    operator_email text NOT NULL,
    message      text NOT NULL DEFAULT '' CHECK (length(message) <= 2000),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    reason       text NOT NULL DEFAULT '',
    decided_by   uuid,
    decided_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX node_operator_requests_open ON node_operator_requests (tenant_id, account_id) WHERE status IN ('pending', 'approved');
SELECT app_enable_tenant_rls('node_operator_requests');

-- +goose Down
DROP TABLE node_operator_requests;
DROP TABLE outbox_emails;
DROP TABLE email_tokens;
DROP TABLE api_tokens;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE recovery_codes;
ALTER TABLE accounts DROP COLUMN totp_secret_enc, DROP COLUMN totp_enabled_at, DROP COLUMN disabled_at;
