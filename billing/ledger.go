package billing

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Ledger accounts. Debits are positive, credits negative; every entry sums
// to zero.
const (
	AcctStripeBalance = "stripe_balance" // money on the tenant's Stripe account
	AcctRevenue       = "revenue"        // what customers paid
	AcctPlatformFees  = "platform_fees"  // the platform's application fees
	AcctStripeFees    = "stripe_fees"    // Stripe's card fees (estimated at 2.9 % + 30 ¢)
	AcctRefunds       = "refunds"        // money given back
	AcctDisputes      = "disputes"       // money held or lost in disputes
)

// Post writes one balanced entry; it returns false when the same (kind,
// ref) was posted before, so replayed events post nothing twice.
func Post(ctx context.Context, tx *tenant.Tx, tenantID uuid.UUID, kind, ref, currency, memo string, postings map[string]Cents) (bool, error) {
	var sum Cents
	for _, a := range postings {
		sum += a
	}
	if sum != 0 {
		return false, fmt.Errorf("ledger %s %s: postings sum to %d, not zero", kind, ref, sum)
	}
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO ledger_entries (tenant_id, kind, ref, currency, memo) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, kind, ref) DO NOTHING RETURNING id`, tenantID, kind, ref, currency, memo)
	if tenant.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	accounts := make([]string, 0, len(postings))
	for a := range postings {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	for _, a := range accounts {
		if postings[a] == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_postings (entry_id, tenant_id, account, amount_cents) VALUES ($1, $2, $3, $4)`, id, tenantID, a, postings[a]); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Balance is one ledger account's total.
type Balance struct {
	Account string `db:"account" json:"account"`
	Cents   Cents  `db:"cents" json:"cents"`
}

// Balances returns the tenant's ledger balances (admin/billing read).
func (s *Service) Balances(ctx context.Context) ([]Balance, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	var out []Balance
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT account, sum(amount_cents) AS cents FROM ledger_postings GROUP BY account ORDER BY account`)
	})
	return out, err
}

// Unbalanced returns the ids of the tenant's entries whose postings do not
// sum to zero; it must always be empty.
func (s *Service) Unbalanced(ctx context.Context) ([]int64, error) {
	var out []int64
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT e.id FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id
			GROUP BY e.id HAVING coalesce(sum(p.amount_cents), 0) <> 0`)
	})
	return out, err
}

// paymentPostings splits a payment: the tenant's Stripe balance gets what is
// left after the platform's and Stripe's fees.
func paymentPostings(amount, platformFee Cents) map[string]Cents {
	sf := StripeFee(amount)
	return map[string]Cents{
		AcctStripeBalance: amount - platformFee - sf,
		AcctPlatformFees:  platformFee,
		AcctStripeFees:    sf,
		AcctRevenue:       -amount,
	}
}

// refundPostings gives money back; the platform returns its fee in
// proportion (refund_application_fee), Stripe keeps its own.
func refundPostings(refund, amount, platformFee Cents) map[string]Cents {
	feeBack := Cents(0)
	if amount > 0 {
		feeBack = platformFee * refund / amount
	}
	return map[string]Cents{
		AcctRefunds:       refund,
		AcctPlatformFees:  -feeBack,
		AcctStripeBalance: feeBack - refund,
	}
}

func disputePostings(amount Cents) map[string]Cents {
	return map[string]Cents{AcctDisputes: amount, AcctStripeBalance: -amount}
}
