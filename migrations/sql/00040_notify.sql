-- Change notifications (PostgreSQL LISTEN/NOTIFY), so every serve instance
-- keeps its in-memory caches and its open progress streams in step with the
-- database without polling it. A notification is sent at commit, only when
-- the transaction commits, whoever wrote the row (API, worker, CLI, another
-- instance). Payloads are ids, never secrets.
--
--   fd_catalog     a tenant's priced catalog changed (prices, tiers, pool, currency): tenant id
--   fd_auth        an account or one of its API tokens changed (revoked, disabled): account id
--   fd_deployment  a deployment has a new event (a lifecycle transition): deployment id
--
-- A table whose rows shape the storefront catalog attaches app_notify_catalog.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION app_notify_catalog() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tenants' THEN
        PERFORM pg_notify('fd_catalog', COALESCE(NEW.id, OLD.id)::text);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('fd_catalog', OLD.tenant_id::text);
    ELSE
        PERFORM pg_notify('fd_catalog', NEW.tenant_id::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION app_notify_auth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'accounts' THEN
        PERFORM pg_notify('fd_auth', OLD.id::text);
    ELSE
        PERFORM pg_notify('fd_auth', OLD.account_id::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION app_notify_deployment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fd_deployment', NEW.deployment_id::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER notify_catalog AFTER INSERT OR UPDATE OR DELETE ON price_rules FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();
CREATE TRIGGER notify_catalog AFTER INSERT OR UPDATE OR DELETE ON discount_tiers FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();
CREATE TRIGGER notify_catalog AFTER INSERT OR UPDATE OR DELETE ON pool_nodes FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();
CREATE TRIGGER notify_catalog AFTER UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();
-- Only changes that can end access: a token's last_used_at touch is not one.
CREATE TRIGGER notify_auth AFTER UPDATE ON api_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.mfa IS DISTINCT FROM NEW.mfa OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION app_notify_auth();
CREATE TRIGGER notify_auth_delete AFTER DELETE ON api_tokens FOR EACH ROW EXECUTE FUNCTION app_notify_auth();
CREATE TRIGGER notify_auth AFTER UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION app_notify_auth();
CREATE TRIGGER notify_deployment AFTER INSERT ON deployment_events FOR EACH ROW EXECUTE FUNCTION app_notify_deployment();

-- +goose Down
DROP TRIGGER notify_deployment ON deployment_events;
DROP TRIGGER notify_auth ON accounts;
DROP TRIGGER notify_auth_delete ON api_tokens;
DROP TRIGGER notify_auth ON api_tokens;
DROP TRIGGER notify_catalog ON tenants;
DROP TRIGGER notify_catalog ON pool_nodes;
DROP TRIGGER notify_catalog ON discount_tiers;
DROP TRIGGER notify_catalog ON price_rules;
DROP FUNCTION app_notify_deployment();
DROP FUNCTION app_notify_auth();
DROP FUNCTION app_notify_catalog();
