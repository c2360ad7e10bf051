-- fd_tenant_data: a tenant's deployment pages changed (payload: the tenant
-- id). serve caches the encoded answers of GET /api/deployments,
-- GET /api/deployments/{id} and GET /api/admin/deployments per tenant and
-- caller (web/pagecache.go) and drops the tenant's entries when any row those
-- answers show is written, by whoever wrote it (API, worker, CLI, another
-- instance), at commit. Over-invalidating is harmless: one tenant's pages are
-- read again. A table whose rows a deployment's JSON shows attaches
-- app_notify_tenant_data (for a new table: one more CREATE TRIGGER line).
--
-- fd_sync carries nothing but a serve instance's own barrier
-- (tenant.Notifications.Sync): PostgreSQL delivers notifications in commit
-- order, so when an instance receives the barrier it sent, it has received
-- every notification committed before it — a change committed anywhere
-- before a request arrived is never followed by a stale cached page.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION app_notify_tenant_data() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t uuid;
BEGIN
    IF TG_TABLE_NAME = 'tenants' THEN
        t := COALESCE(NEW.id, OLD.id);
    ELSIF TG_OP = 'DELETE' THEN
        t := OLD.tenant_id;
    ELSE
        t := NEW.tenant_id;
        IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id AND OLD.tenant_id IS NOT NULL THEN
            PERFORM pg_notify('fd_tenant_data', OLD.tenant_id::text);
        END IF;
    END IF;
    IF t IS NOT NULL THEN
        PERFORM pg_notify('fd_tenant_data', t::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON deployments FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON deployment_gpus FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON qsfs_backends FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON grid_contracts FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();
-- The detail's on_cancel; the staff list's customer e-mail.
CREATE TRIGGER notify_tenant_data AFTER UPDATE ON tenants FOR EACH ROW
    WHEN (OLD.on_cancel IS DISTINCT FROM NEW.on_cancel) EXECUTE FUNCTION app_notify_tenant_data();
CREATE TRIGGER notify_tenant_data AFTER UPDATE ON accounts FOR EACH ROW
    WHEN (OLD.email IS DISTINCT FROM NEW.email OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION app_notify_tenant_data();

-- +goose Down
DROP TRIGGER notify_tenant_data ON accounts;
DROP TRIGGER notify_tenant_data ON tenants;
DROP TRIGGER notify_tenant_data ON grid_contracts;
DROP TRIGGER notify_tenant_data ON qsfs_backends;
DROP TRIGGER notify_tenant_data ON deployment_gpus;
DROP TRIGGER notify_tenant_data ON invoices;
DROP TRIGGER notify_tenant_data ON orders;
DROP TRIGGER notify_tenant_data ON deployments;
DROP FUNCTION app_notify_tenant_data();
