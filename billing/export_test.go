package billing

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ErrRolledBack is what PayAndInvoice returns when asked to roll back.
var ErrRolledBack = errors.New("rolled back on purpose")

// PayAndInvoice records a paid order of account and issues its invoice in
// one tenant transaction, as settlePaid does, then commits — or, with
// rollback, fails after the invoice was issued so nothing of it stays.
// It holds the transaction open for hold after taking the number, so
// concurrent callers queue on the tenant's counter.
func PayAndInvoice(ctx context.Context, db *sqlx.DB, tid, account uuid.UUID, rollback bool, hold time.Duration) (int64, error) {
	var n int64
	err := tenant.InTx(tenant.WithID(ctx, tid), db, func(tx *tenant.Tx) error {
		var o Order
		if err := tx.GetContext(ctx, &o, `INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents, paid_at, lines)
			VALUES ($1, $2, 'paid', 'VM 1 vCPU / 2 GB / 25 GB, 1 month(s)', 'usd', 608, 608, now(), '[{"kind":"vm","label":"VM","cents":608}]')
			RETURNING `+orderColumns, tid, account); err != nil {
			return err
		}
		now := time.Now()
		if err := issueInvoice(ctx, tx, tid, &o, now, now, now.AddDate(0, 1, 0)); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &n, `SELECT number FROM invoices WHERE order_id = $1`, o.ID); err != nil {
			return err
		}
		time.Sleep(hold) // others wait on the counter meanwhile
		if rollback {
			return ErrRolledBack
		}
		return nil
	})
	return n, err
}
