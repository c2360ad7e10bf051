package billing

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Revenue is the one definition of a tenant's money figures for a period,
// computed from the ledger (every payment, fee, refund, credit and dispute
// is a balanced entry there). The admin overview, the admin billing page
// and the console's tenant list all report these figures and no other.
// Amounts are cents of the tenant's base currency; entries in any other
// currency are not counted.
type Revenue struct {
	Currency string    `json:"currency"`
	From     time.Time `json:"from"` // inclusive, UTC
	To       time.Time `json:"to"`   // exclusive, UTC
	// Gross is what customers paid for orders in the period: card charges
	// plus the account credit they spent (the revenue account's credits).
	Gross Cents `json:"gross_cents"`
	// StripeFees are Stripe's card fees on those payments.
	StripeFees Cents `json:"stripe_fees_cents"`
	// PlatformFees are the platform's application fees, less the fees it
	// gave back with refunds.
	PlatformFees Cents `json:"platform_fees_cents"`
	// Refunds is money returned to customers' cards.
	Refunds Cents `json:"refunds_cents"`
	// Credits is account credit given to customers (unused time of a
	// cancelled server, or a refund the card refused).
	Credits Cents `json:"credits_cents"`
	// Disputes is money held or lost in card disputes.
	Disputes Cents `json:"disputes_cents"`
	// Net = Gross − StripeFees − PlatformFees − Refunds − Credits − Disputes:
	// what the tenant keeps before the grid's cost.
	Net Cents `json:"net_cents"`
}

// RevenueDefinitions says what each figure means; every page that shows a
// figure labels it with this text.
var RevenueDefinitions = map[string]string{
	"gross":         "What customers paid for orders: card charges plus account credit spent",
	"stripe_fees":   "Stripe's card fees on those payments",
	"platform_fees": "The platform's application fees, less fees returned with refunds",
	"refunds":       "Money returned to customers' cards",
	"credits":       "Account credit given to customers",
	"disputes":      "Money held or lost in card disputes",
	"net":           "Gross − Stripe fees − platform fees − refunds − credits − disputes, before the grid's cost",
}

// revenueSQL sums a period of the ledger per tenant. $1, $2: the period;
// $3: the tenants (NULL: every tenant the transaction sees).
const revenueSQL = `
	SELECT e.tenant_id,
	       coalesce(-sum(p.amount_cents) FILTER (WHERE p.account = 'revenue'), 0) AS gross,
	       coalesce(sum(p.amount_cents) FILTER (WHERE p.account = 'stripe_fees'), 0) AS stripe_fees,
	       coalesce(sum(p.amount_cents) FILTER (WHERE p.account = 'platform_fees'), 0) AS platform_fees,
	       coalesce(sum(p.amount_cents) FILTER (WHERE p.account = 'refunds' AND e.kind NOT IN ('credit', 'credit-refund-failed')), 0) AS refunds,
	       coalesce(sum(p.amount_cents) FILTER (WHERE p.account = 'refunds' AND e.kind IN ('credit', 'credit-refund-failed')), 0) AS credits,
	       coalesce(sum(p.amount_cents) FILTER (WHERE p.account = 'disputes'), 0) AS disputes
	FROM ledger_entries e
	JOIN ledger_postings p ON p.entry_id = e.id
	JOIN tenants t ON t.id = e.tenant_id AND e.currency = t.base_currency
	WHERE e.created_at >= $1 AND e.created_at < $2 AND ($3::uuid[] IS NULL OR e.tenant_id = ANY($3::uuid[]))
	GROUP BY e.tenant_id`

type revenueRow struct {
	TenantID     uuid.UUID `db:"tenant_id"`
	Gross        Cents     `db:"gross"`
	StripeFees   Cents     `db:"stripe_fees"`
	PlatformFees Cents     `db:"platform_fees"`
	Refunds      Cents     `db:"refunds"`
	Credits      Cents     `db:"credits"`
	Disputes     Cents     `db:"disputes"`
}

func (r revenueRow) revenue(currency string, from, to time.Time) Revenue {
	out := Revenue{Currency: currency, From: from, To: to, Gross: r.Gross, StripeFees: r.StripeFees, PlatformFees: r.PlatformFees,
		Refunds: r.Refunds, Credits: r.Credits, Disputes: r.Disputes}
	out.Net = out.Gross - out.StripeFees - out.PlatformFees - out.Refunds - out.Credits - out.Disputes
	return out
}

// MonthOf returns the calendar month (UTC) holding t: [first day, next first day).
func MonthOf(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

// revenueIn computes the tenant's figures in tx for [from, to).
func revenueIn(ctx context.Context, tx *tenant.Tx, from, to time.Time) (Revenue, error) {
	var currency string
	if err := tx.GetContext(ctx, &currency, `SELECT base_currency FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`); err != nil {
		return Revenue{}, err
	}
	var rows []revenueRow
	if err := tx.SelectContext(ctx, &rows, revenueSQL, from, to, nil); err != nil {
		return Revenue{}, err
	}
	var r revenueRow
	if len(rows) == 1 {
		r = rows[0]
	}
	return r.revenue(currency, from, to), nil
}

// Revenue returns the tenant's figures for [from, to) (admin/billing read).
func (s *Service) Revenue(ctx context.Context, from, to time.Time) (*Revenue, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	var out Revenue
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		out, err = revenueIn(ctx, tx, from.UTC(), to.UTC())
		return err
	})
	return &out, err
}

// MonthRevenue implements tenant.RevenueReader for the console's tenant
// list: the figures of the month holding now for each tenant, in one
// query on the system path (the caller holds console/tenants read).
func (s *Service) MonthRevenue(ctx context.Context, ids []uuid.UUID, now time.Time) (map[uuid.UUID]tenant.MonthRevenue, error) {
	from, to := MonthOf(now)
	var rows []revenueRow
	err := tenant.SystemTx(ctx, s.db, "console: tenants' revenue", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, revenueSQL, from, to, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]tenant.MonthRevenue, len(rows))
	for _, r := range rows {
		v := r.revenue("", from, to)
		out[r.TenantID] = tenant.MonthRevenue{Gross: int64(v.Gross), Net: int64(v.Net), PlatformFees: int64(v.PlatformFees)}
	}
	return out, nil
}

// OrderCard returns the brand and last four digits of the card an order was
// charged to ("" when it was paid from credit only or the card is gone);
// the caller has read the order (Order) already.
func (s *Service) OrderCard(ctx context.Context, o *Order) (brand, last4 string) {
	if o.PaymentMethodID == nil {
		return "", ""
	}
	var c Card
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &c, `SELECT id, brand, last4, exp_month, exp_year, is_default, created_at FROM payment_methods WHERE id = $1 AND account_id = $2`, *o.PaymentMethodID, o.AccountID)
	}); err != nil {
		return "", ""
	}
	return c.Brand, c.Last4
}
