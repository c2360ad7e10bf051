package billing

import (
	"context"
	"time"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Money is the tenant admin's overview of one month, from the ledger: what
// customers paid, what went back and what the fees took. Amounts are cents
// in the tenant's currency; a month holds only entries in that currency.
type Money struct {
	Currency string `json:"currency"`
	// Month is the first day of the month reported (UTC).
	Month        time.Time `json:"month"`
	Revenue      Cents     `json:"revenue_cents"`
	Refunds      Cents     `json:"refunds_cents"`
	Disputes     Cents     `json:"disputes_cents"`
	StripeFees   Cents     `json:"stripe_fees_cents"`
	PlatformFees Cents     `json:"platform_fees_cents"`
	// Net is revenue less refunds, disputes and fees: what reached the
	// tenant's Stripe balance, before the grid's cost.
	Net Cents `json:"net_cents"`
	// PreviousRevenue is last month's revenue, for the trend.
	PreviousRevenue Cents `json:"previous_revenue_cents"`
	// Daily is the revenue of each day of the month so far (index 0 is the
	// 1st), for the chart.
	Daily []Cents `json:"daily_revenue_cents"`
	// OpenDisputes counts disputes recorded in the last 90 days.
	OpenDisputes int `json:"disputes_90d"`
}

// MonthMoney returns the overview of the month holding now (admin/billing
// read): one query over the ledger for this month and the last.
func (s *Service) MonthMoney(ctx context.Context, now time.Time) (*Money, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev := month.AddDate(0, -1, 0)
	out := &Money{Month: month, Daily: make([]Cents, now.Day())}
	var rows []struct {
		Day     time.Time `db:"day"`
		Account string    `db:"account"`
		Sum     Cents     `db:"sum"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &out.Currency, `SELECT base_currency FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT date_trunc('day', e.created_at AT TIME ZONE 'UTC') AS day, p.account, sum(p.amount_cents) AS sum
			FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
			WHERE e.created_at >= $1 AND e.created_at < $2 AND e.currency = $3
			  AND p.account IN ('revenue', 'refunds', 'disputes', 'stripe_fees', 'platform_fees')
			GROUP BY 1, 2`, prev, now, out.Currency); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out.OpenDisputes, `SELECT count(*) FROM ledger_entries WHERE kind = 'dispute' AND created_at >= $1`, now.AddDate(0, 0, -90))
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Day.Before(month) {
			if r.Account == AcctRevenue {
				out.PreviousRevenue -= r.Sum
			}
			continue
		}
		switch r.Account {
		case AcctRevenue: // credited: negative
			out.Revenue -= r.Sum
			if d := r.Day.Day() - 1; d < len(out.Daily) {
				out.Daily[d] -= r.Sum
			}
		case AcctRefunds:
			out.Refunds += r.Sum
		case AcctDisputes:
			out.Disputes += r.Sum
		case AcctStripeFees:
			out.StripeFees += r.Sum
		case AcctPlatformFees:
			out.PlatformFees += r.Sum
		}
	}
	out.Net = out.Revenue - out.Refunds - out.Disputes - out.StripeFees - out.PlatformFees
	return out, nil
}
