package billingtest

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// RunOwed does the owed work key at once, as the worker would, when it is
// one of billing's service events: it reads the outbox row, gives the event
// to h as the row's tenant, and marks the row done. Any other key (or one
// not owed) is left to the relay. Test queues call it from Kick.
func RunOwed(ctx context.Context, db *sqlx.DB, key string, h billing.ServiceEvents) error {
	var row struct {
		TenantID *uuid.UUID `db:"tenant_id"`
		Type     string     `db:"type"`
		Data     []byte     `db:"data"`
	}
	err := tenant.SystemTx(ctx, db, "test: owed service event", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT tenant_id, type, data FROM outbox WHERE key = $1 AND done_at IS NULL`, key)
	})
	if tenant.IsNoRows(err) || (err == nil && row.Type != billing.TaskOrderPaid && row.Type != billing.TaskSubscriptionChanged) {
		return nil
	}
	if err != nil {
		return err
	}
	var ev billing.ServiceEvent
	if err := json.Unmarshal(row.Data, &ev); err != nil {
		return err
	}
	hctx := ctx
	if row.TenantID != nil {
		hctx = tenant.WithID(ctx, *row.TenantID)
	}
	if err := billing.HandleServiceEvent(hctx, h, row.Type, ev); err != nil {
		return err
	}
	return tenant.SystemTx(ctx, db, "test: owed service event done", func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET done_at = now() WHERE key = $1 AND done_at IS NULL`, key)
		return err
	})
}
