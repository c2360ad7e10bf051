-- A deployment's detail shows its order with the order's credit notes
-- (billing withCreditNotes): a new credit note drops the tenant's cached
-- deployment pages like the other tables of 00145_page_notify.sql.

-- +goose Up
CREATE TRIGGER notify_tenant_data AFTER INSERT OR UPDATE OR DELETE ON credit_notes FOR EACH ROW EXECUTE FUNCTION app_notify_tenant_data();

-- +goose Down
DROP TRIGGER notify_tenant_data ON credit_notes;
