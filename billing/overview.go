package billing

import (
	"context"
	"time"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Money is the tenant admin's overview of one month, from the ledger:
// the month's figures as Revenue defines them (the billing page and the
// console show the same), last month's gross for the trend and the daily
// gross for the chart.
type Money struct {
	Currency string `json:"currency"`
	// Month is the first day of the month reported (UTC).
	Month time.Time `json:"month"`
	// Figures are the month's gross, fees, refunds, credits, disputes and
	// net (Revenue), with Definitions saying what each means.
	Figures     Revenue           `json:"figures"`
	Definitions map[string]string `json:"definitions"`
	// Revenue is Figures.Gross and Net Figures.Net (kept for older pages).
	Revenue Cents `json:"revenue_cents"`
	Net     Cents `json:"net_cents"`
	// PreviousRevenue is last month's gross, for the trend.
	PreviousRevenue Cents `json:"previous_revenue_cents"`
	// Daily is the gross of each day of the month so far (index 0 is the
	// 1st), for the chart.
	Daily []Cents `json:"daily_revenue_cents"`
	// OpenDisputes counts disputes recorded in the last 90 days.
	OpenDisputes int `json:"disputes_90d"`
}

// MonthMoney returns the overview of the month holding now (admin/billing
// read).
func (s *Service) MonthMoney(ctx context.Context, now time.Time) (*Money, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	now = now.UTC()
	month, next := MonthOf(now)
	prev := month.AddDate(0, -1, 0)
	out := &Money{Month: month, Daily: make([]Cents, now.Day()), Definitions: RevenueDefinitions}
	var days []struct {
		Day time.Time `db:"day"`
		Sum Cents     `db:"sum"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if out.Figures, err = revenueIn(ctx, tx, month, next); err != nil {
			return err
		}
		out.Currency = out.Figures.Currency
		last, err := revenueIn(ctx, tx, prev, month)
		if err != nil {
			return err
		}
		out.PreviousRevenue = last.Gross
		if err := tx.SelectContext(ctx, &days, `
			SELECT date_trunc('day', e.created_at AT TIME ZONE 'UTC') AS day, -sum(p.amount_cents) AS sum
			FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
			WHERE e.created_at >= $1 AND e.created_at < $2 AND e.currency = $3 AND p.account = 'revenue'
			GROUP BY 1`, month, next, out.Currency); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out.OpenDisputes, `SELECT count(*) FROM ledger_entries WHERE kind = 'dispute' AND created_at >= $1`, now.AddDate(0, 0, -90))
	})
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		if i := d.Day.Day() - 1; i < len(out.Daily) {
			out.Daily[i] += d.Sum
		}
	}
	out.Revenue, out.Net = out.Figures.Gross, out.Figures.Net
	return out, nil
}
