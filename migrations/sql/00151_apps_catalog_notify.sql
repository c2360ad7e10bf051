-- The storefront's app catalog (GET /api/apps) is cached per tenant like the
-- priced catalog and dropped by fd_catalog (00040_notify.sql): a tenant's app
-- settings (sold or not, margin) and its apps domain (no gateway-name line)
-- shape its from-prices.

-- +goose Up
CREATE TRIGGER notify_catalog AFTER INSERT OR UPDATE OR DELETE ON tenant_apps FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();
CREATE TRIGGER notify_catalog AFTER INSERT OR UPDATE OR DELETE ON tenant_apps_domains FOR EACH ROW EXECUTE FUNCTION app_notify_catalog();

-- +goose Down
DROP TRIGGER notify_catalog ON tenant_apps_domains;
DROP TRIGGER notify_catalog ON tenant_apps;
