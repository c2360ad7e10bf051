-- Accounts of both realms and the Casbin policy store.

-- +goose Up
-- An account belongs to a realm: a tenant (tenant_id set) or the platform
-- (tenant_id NULL, reachable only through the system path). E-mail is unique
-- per realm.
CREATE TABLE accounts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid REFERENCES tenants(id) ON DELETE CASCADE,
    email              text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    password_hash      text NOT NULL,
    email_verified_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_tenant_email ON accounts (tenant_id, email) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_platform_email ON accounts (email) WHERE tenant_id IS NULL;
SELECT app_enable_tenant_rls('accounts');

-- Casbin rules (RBAC with domains). Role→permission rules are shared by all
-- tenants (domain '*'); user→role assignments name a tenant id or 'platform'.
CREATE TABLE casbin_rules (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ptype  text NOT NULL,
    v0     text NOT NULL DEFAULT '',
    v1     text NOT NULL DEFAULT '',
    v2     text NOT NULL DEFAULT '',
    v3     text NOT NULL DEFAULT '',
    v4     text NOT NULL DEFAULT '',
    v5     text NOT NULL DEFAULT '',
    UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

-- +goose Down
DROP TABLE casbin_rules;
DROP TABLE accounts;
