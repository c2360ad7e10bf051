-- The foundation: the application role, the tenant-isolation helpers, the
-- tenants registry and the audit log.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    -- Roles are cluster-wide: many databases (tests clone one per test) share
    -- it, and two migrations may race to create it.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fd_app') THEN
        BEGIN
            CREATE ROLE fd_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;
-- +goose StatementEnd
-- If the role existed with more power than it should have, take it away.
ALTER ROLE fd_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;

GRANT USAGE ON SCHEMA public TO fd_app;
-- Tables and sequences that later migrations create (as this same owner) are
-- usable by the application role without owning them.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fd_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fd_app;

-- app_enable_tenant_rls puts a tenant-owned table under row-level security:
-- a row is visible and writable only inside tenant.InTx for its tenant, or
-- inside the named system path (tenant.SystemTx). With neither set the
-- policy fails closed.
-- +goose StatementBegin
CREATE FUNCTION app_enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
        USING (current_setting('app.system', true) = 'on'
               OR tenant_id = current_setting('app.tenant_id', true)::uuid)
        WITH CHECK (current_setting('app.system', true) = 'on'
               OR tenant_id = current_setting('app.tenant_id', true)::uuid)$p$, tbl);
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app_enable_tenant_rls(regclass) FROM PUBLIC;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind        text NOT NULL DEFAULT 'operator' CHECK (kind IN ('operator', 'coop')),
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'suspended')),
    pitch       text NOT NULL DEFAULT '',
    settings    jsonb NOT NULL DEFAULT '{}',
    theme       jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The audit log. Platform-realm events have no tenant and are visible only
-- through the system path.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    actor_id    uuid,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    ip          inet,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at DESC);
SELECT app_enable_tenant_rls('audit_events');

-- +goose Down
DROP TABLE audit_events;
DROP TABLE tenants;
DROP FUNCTION app_enable_tenant_rls(regclass);
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM fd_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM fd_app;
REVOKE USAGE ON SCHEMA public FROM fd_app;
-- The role stays: other databases of the cluster may use it.
