-- Tenancy: settings, custom domains, branding assets, co-op members, tenant
-- applications and the platform's own settings.

-- +goose Up
ALTER TABLE tenants
    ADD COLUMN base_currency            text NOT NULL DEFAULT 'usd' CHECK (base_currency ~ '^[a-z]{3}$'),
    ADD COLUMN support_email            text NOT NULL DEFAULT '',
    ADD COLUMN legal_name               text NOT NULL DEFAULT '',
    ADD COLUMN platform_fee_bps         integer CHECK (platform_fee_bps BETWEEN 0 AND 5000),
    ADD COLUMN platform_fee_fixed_cents integer CHECK (platform_fee_fixed_cents BETWEEN 0 AND 100000),
    ADD COLUMN suspended_reason         text NOT NULL DEFAULT '';

-- A custom domain serves the tenant's storefront once its TXT record proves
-- the tenant controls it.
CREATE TABLE tenant_domains (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    domain           text NOT NULL UNIQUE CHECK (domain = lower(domain)),
    txt_token        text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified')),
    verified_at      timestamptz,
    last_checked_at  timestamptz,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id);
CREATE INDEX tenant_domains_pending ON tenant_domains (last_checked_at) WHERE status = 'pending';
SELECT app_enable_tenant_rls('tenant_domains');

-- Uploaded logo and favicon, served from the tenant's own host.
CREATE TABLE tenant_assets (
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('logo', 'favicon')),
    content_type  text NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml')),
    data          bytea NOT NULL CHECK (octet_length(data) <= 262144),
    sha256        text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);
SELECT app_enable_tenant_rls('tenant_assets');

-- Members of a co-op tenant: platform accounts with a role in the co-op.
CREATE TABLE coop_members (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('node_operator', 'dashboard_operator')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, account_id)
);
SELECT app_enable_tenant_rls('coop_members');

-- Would-be operators and co-ops apply on the console; a super-admin decides.
CREATE TABLE tenant_applications (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind           text NOT NULL CHECK (kind IN ('operator', 'coop')),
    slug           text NOT NULL,
    name           text NOT NULL,
    contact_email  text NOT NULL,
    message        text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason         text NOT NULL DEFAULT '',
    -- Platform data, not tenant-owned: the tenant an approval created.
    created_tenant uuid REFERENCES tenants(id) ON DELETE SET NULL,
    decided_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_applications_status ON tenant_applications (status, created_at DESC);

-- The platform's own settings: one row.
CREATE TABLE platform_settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    platform_fee_bps     integer NOT NULL DEFAULT 200 CHECK (platform_fee_bps BETWEEN 0 AND 5000),
    platform_fee_fixed_cents integer NOT NULL DEFAULT 0 CHECK (platform_fee_fixed_cents BETWEEN 0 AND 100000),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
INSERT INTO platform_settings DEFAULT VALUES;

-- +goose Down
DROP TABLE platform_settings;
DROP TABLE tenant_applications;
DROP TABLE coop_members;
DROP TABLE tenant_assets;
DROP TABLE tenant_domains;
ALTER TABLE tenants DROP COLUMN base_currency, DROP COLUMN support_email, DROP COLUMN legal_name,
    DROP COLUMN platform_fee_bps, DROP COLUMN platform_fee_fixed_cents, DROP COLUMN suspended_reason;
