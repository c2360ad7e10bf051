-- Bypassing row-level security is a role, not a setting.
--
-- Until now every policy admitted current_setting('app.system') = 'on', a
-- setting the application role could set itself: any code path (or an SQL
-- injection) could switch isolation off. Cross-tenant system work now runs
-- as its own role, fd_system (BYPASSRLS, owning nothing), on its own
-- connection pool used only by tenant.SystemTx; the policies lose the
-- app.system clause, so no session setting of fd_app shows another
-- tenant's rows.
--
-- The platform realm (console accounts, their sessions and tokens, platform
-- audit events and mail: rows whose tenant_id is NULL) gets a scope of its
-- own, app.realm = 'platform' (tenant.PlatformTx): it shows rows without a
-- tenant and never a tenant's row.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    -- Roles are cluster-wide (tests clone a database per test and share it);
    -- two migrations may race to create it.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fd_system') THEN
        BEGIN
            CREATE ROLE fd_system LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;
-- +goose StatementEnd
ALTER ROLE fd_system NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
-- fd_system may do exactly what fd_app may (it inherits fd_app's grants,
-- present and future); BYPASSRLS is the only difference. fd_app is not a
-- member of fd_system, so it cannot SET ROLE to it.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT pg_has_role('fd_system', 'fd_app', 'MEMBER') THEN
        BEGIN
            GRANT fd_app TO fd_system;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;
-- +goose StatementEnd

-- app_tenant_policy (re)creates the tenant_isolation policy of tbl. A row is
-- visible and writable only inside tenant.InTx for its tenant; on a table
-- whose tenant_id may be NULL (platform-realm rows), rows without a tenant
-- are visible inside tenant.PlatformTx (no tenant in scope), and no
-- tenant's row ever is. With
-- neither scope set the policy fails closed.
-- +goose StatementBegin
CREATE FUNCTION app_tenant_policy(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    nullable boolean;
    expr text;
BEGIN
    SELECT NOT a.attnotnull INTO nullable FROM pg_attribute a
    WHERE a.attrelid = tbl AND a.attname = 'tenant_id' AND NOT a.attisdropped;
    IF nullable THEN
        expr := $e$(tenant_id = current_setting('app.tenant_id', true)::uuid
               OR (tenant_id IS NULL AND current_setting('app.realm', true) = 'platform'
                   AND current_setting('app.tenant_id', true) = '00000000-0000-0000-0000-000000000000'))$e$;
    ELSE
        expr := $e$(tenant_id = current_setting('app.tenant_id', true)::uuid)$e$;
    END IF;
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING %s WITH CHECK %s', tbl, expr, expr);
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app_tenant_policy(regclass) FROM PUBLIC;

-- Later migrations keep calling app_enable_tenant_rls; it now makes the new
-- policy.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION app_enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    PERFORM app_tenant_policy(tbl);
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app_enable_tenant_rls(regclass) FROM PUBLIC;

-- Every existing tenant policy, rewritten without the app.system clause.
-- +goose StatementBegin
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT format('%I.%I', schemaname, tablename) AS tbl FROM pg_policies
             WHERE policyname = 'tenant_isolation' AND schemaname = 'public'
    LOOP
        PERFORM app_tenant_policy(r.tbl::regclass);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION app_enable_tenant_rls(tbl regclass) RETURNS void
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
-- +goose StatementBegin
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT format('%I.%I', schemaname, tablename) AS tbl FROM pg_policies
             WHERE policyname = 'tenant_isolation' AND schemaname = 'public'
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %s', r.tbl);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
            USING (current_setting('app.system', true) = 'on'
                   OR tenant_id = current_setting('app.tenant_id', true)::uuid)
            WITH CHECK (current_setting('app.system', true) = 'on'
                   OR tenant_id = current_setting('app.tenant_id', true)::uuid)$p$, r.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION app_tenant_policy(regclass);
-- The role is cluster-wide and other databases may use it: it stays.
