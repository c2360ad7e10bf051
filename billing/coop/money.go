package coop

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Co-op revenue: separate charges and transfers (ARCHITECTURE.md §3).
//
// A co-op's customers pay on the platform's own Stripe account (no
// Stripe-Account header, no application fee), each order in its own
// transfer_group, under the split in force when the order was placed (the
// snapshot in orders.coop_split: a split change applies from the next
// charge). When the payment succeeds, the distributable amount
//
//	D = charged amount − platform fee − Stripe fee (billing.StripeFee's estimate)
//
// is divided with Split (its remainder rule: no cent lost or made) and each
// member's part becomes one Stripe Transfer to the member's connected
// account, idempotent by our transfer row. A member without a connected
// account that can receive payouts yet has its part held (status "held",
// money staying on the platform in the co-op's stripe_balance) and
// transferred as soon as its onboarding completes.
//
// Refunds reverse the members' transfers in proportion: after refunds
// totalling T of an amount A, the members have given back ⌊D × T / A⌋ in
// all (exactly D once T = A), each refund reversing the difference from
// what was reversed before. That difference is divided with splitBack —
// Split's remainder rule, each member capped by what it still holds of its
// share — so a full refund reverses exactly every transfer and the parts of
// every refund sum exactly to the refund minus its share of the fees.

// Ledger accounts of co-ops.
const (
	// AcctMemberPayouts + member account id: what a co-op paid out to a member.
	AcctMemberPayouts = "member_payouts:"
)

// Co-op transfer states.
const (
	TransferHeld        = "held"
	TransferTransferred = "transferred"
	TransferVoid        = "void"
)

// MemberShare is one co-op member's part of the revenue split, with whether
// its shares can be transferred yet.
type MemberShare struct {
	AccountID uuid.UUID `db:"account_id" json:"account_id"`
	Email     string    `db:"email" json:"email"`
	Role      string    `db:"role" json:"role"`
	BPS       int64     `db:"share_bps" json:"share_bps"`
	// PayoutAccount: "none" (not started), "pending" (onboarding not
	// finished) or "ready" (transfers go out).
	PayoutAccount string `db:"payout_account" json:"payout_account"`
}

// CoopSplit is a co-op's revenue split.
type CoopSplit struct {
	Members []MemberShare `json:"members"`
	// Complete: the shares sum to 100 %, so the co-op can take payments.
	Complete bool  `json:"complete"`
	TotalBPS int64 `json:"total_bps"`
}

func loadSplit(ctx context.Context, tx *tenant.Tx) (*CoopSplit, error) {
	var ms []MemberShare
	// member_stripe is platform data (no tenant column): one join, no N+1.
	if err := tx.SelectContext(ctx, &ms, `SELECT m.account_id, m.email, m.role, m.share_bps,
			CASE WHEN s.account_id IS NULL THEN 'none' WHEN s.payouts_enabled AND s.details_submitted THEN 'ready' ELSE 'pending' END AS payout_account
		FROM coop_members m LEFT JOIN member_stripe s ON s.account_id = m.account_id
		ORDER BY m.share_bps DESC, m.email LIMIT 500`); err != nil {
		return nil, err
	}
	out := &CoopSplit{Members: ms}
	if out.Members == nil {
		out.Members = []MemberShare{}
	}
	for _, m := range ms {
		out.TotalBPS += m.BPS
	}
	out.Complete = len(ms) > 0 && out.TotalBPS == 10000
	return out, nil
}

// RevenueSplit returns the co-op's revenue split (admin/coop read); EINVALID on an
// operator tenant.
func (s *Service) RevenueSplit(ctx context.Context) (*CoopSplit, error) {
	if err := s.authz.Require(ctx, "admin/coop", "read"); err != nil {
		return nil, err
	}
	var out *CoopSplit
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if coop, err := billing.IsCoop(ctx, tx); err != nil {
			return err
		} else if !coop {
			return fiatdashboard.Invalid("shares", "only co-op storefronts split their revenue")
		}
		var err error
		out, err = loadSplit(ctx, tx)
		return err
	})
	return out, err
}

// SetRevenueSplit replaces the co-op's revenue split (admin/coop write). Every
// member is listed once and the shares sum to exactly 10000 basis points
// (100 %); EINVALID on field "shares" otherwise. The change is audited with
// the old and new split, and applies from the next charge: orders already
// placed keep the split they were placed under.
func (s *Service) SetRevenueSplit(ctx context.Context, shares []Share) (*CoopSplit, error) {
	if err := s.authz.Require(ctx, "admin/coop", "write"); err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var out *CoopSplit
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if coop, err := billing.IsCoop(ctx, tx); err != nil {
			return err
		} else if !coop {
			return fiatdashboard.Invalid("shares", "only co-op storefronts split their revenue")
		}
		old, err := loadSplit(ctx, tx)
		if err != nil {
			return err
		}
		members := map[uuid.UUID]string{}
		for _, m := range old.Members {
			members[m.AccountID] = m.Email
		}
		seen := map[uuid.UUID]bool{}
		var sum int64
		for _, sh := range shares {
			if _, ok := members[sh.Member]; !ok {
				return fiatdashboard.Invalid("shares", "%s is not a member of this co-op", sh.Member)
			}
			if seen[sh.Member] {
				return fiatdashboard.Invalid("shares", "%s is listed twice", members[sh.Member])
			}
			if sh.BPS < 0 || sh.BPS > 10000 {
				return fiatdashboard.Invalid("shares", "a share is between 0 and 100 %%")
			}
			seen[sh.Member] = true
			sum += sh.BPS
		}
		if len(seen) != len(members) {
			return fiatdashboard.Invalid("shares", "give every member a share (0 %% is allowed)")
		}
		if sum != 10000 {
			return fiatdashboard.Invalid("shares", "the shares must sum to 100 %%; they sum to %s %%", bpsPercent(sum))
		}
		before, after := map[string]string{}, map[string]string{}
		for _, m := range old.Members {
			before[m.Email] = bpsPercent(m.BPS)
		}
		for _, sh := range shares {
			if _, err := tx.ExecContext(ctx, `UPDATE coop_members SET share_bps = $2 WHERE account_id = $1`, sh.Member, sh.BPS); err != nil {
				return err
			}
			after[members[sh.Member]] = bpsPercent(sh.BPS)
		}
		if err := tenant.Audit(ctx, tx, tid, "coop.split_changed", "", map[string]any{"before": before, "after": after}); err != nil {
			return err
		}
		out, err = loadSplit(ctx, tx)
		return err
	})
	return out, err
}

// bpsPercent formats basis points as a percentage: 3333 → "33.33".
func bpsPercent(bps int64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%d.%02d", bps/100, bps%100), "0"), ".0")
}

// Chargeable says whether the tenant in ctx is a co-op and, if so,
// whether it can take payments: it must be active and its split complete.
// Co-ops charge on the platform (account ""), not on a connected account.
func (s *Service) Chargeable(ctx context.Context) (bool, error) {
	var coop bool
	var split *CoopSplit
	var status tenant.Status
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if coop, err = billing.IsCoop(ctx, tx); err != nil || !coop {
			return err
		}
		if split, err = loadSplit(ctx, tx); err != nil {
			return err
		}
		return tx.GetContext(ctx, &status, `SELECT status FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`)
	})
	if err != nil || !coop {
		return coop, err
	}
	if status != tenant.StatusActive {
		return true, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this store is not taking new orders at the moment")
	}
	if !split.Complete {
		return true, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this store cannot take card payments yet; please come back soon")
	}
	return true, nil
}

// SplitInForce is the split a new order of the co-op in tx is charged
// under, as the order records it (orders.coop_split): the members with a
// share, in account order (billing's checkout and renewals, in the order's
// transaction).
func (s *Service) SplitInForce(ctx context.Context, tx *tenant.Tx) (string, error) {
	var shares []Share
	if err := tx.SelectContext(ctx, &shares, `SELECT account_id AS member, share_bps AS bps FROM coop_members WHERE share_bps > 0 ORDER BY account_id`); err != nil {
		return "", err
	}
	b, _ := json.Marshal(shares)
	return string(b), nil
}

// Distributable is what a co-op's members share of a payment: the amount
// less the platform fee and Stripe's fee, never below zero.
func Distributable(amount, platformFee Cents) Cents {
	return max(amount-platformFee-billing.StripeFee(amount), 0)
}

// ReversalTarget is how much of the distributed amount d the members have
// given back in all once refunds total refunded of amount: ⌊d × refunded /
// amount⌋, exactly d for a full refund.
func ReversalTarget(d, amount, refunded Cents) Cents {
	if amount <= 0 || refunded >= amount {
		return d
	}
	return Cents(int64(d) * int64(refunded) / int64(amount))
}

// SplitBack divides a reversal of amount among the members with Split's
// remainder rule, each member capped by what it still has of its share
// (left); cents a cap refuses go, one at a time in Split's order, to the
// members with room. amount must not exceed the sum of left.
func SplitBack(amount Cents, shares []Share, left map[uuid.UUID]Cents) []Part {
	parts := Split(amount, shares)
	var excess Cents
	for i := range parts {
		if l := left[parts[i].Member]; parts[i].Cents > l {
			excess += parts[i].Cents - l
			parts[i].Cents = l
		}
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if shares[order[a]].BPS != shares[order[b]].BPS {
			return shares[order[a]].BPS > shares[order[b]].BPS
		}
		return shares[order[a]].Member.String() < shares[order[b]].Member.String()
	})
	for excess > 0 {
		moved := false
		for _, i := range order {
			if excess > 0 && parts[i].Cents < left[parts[i].Member] {
				parts[i].Cents++
				excess--
				moved = true
			}
		}
		if !moved {
			break // nothing left to take back
		}
	}
	return parts
}

// distributable is what the members share of o: the charge less the
// platform fee and Stripe's actual fee (its estimate only where Stripe's
// answer is not the charge's own: stripe-mock's fixture).
func distributable(o *billing.CoopOrder) Cents {
	fee := billing.StripeFee(o.Amount)
	if o.StripeFee != nil {
		fee = *o.StripeFee
	}
	return billing.DistributableAfter(o.Amount, o.Fee, fee)
}

// shares is the split o was charged under.
func shares(o *billing.CoopOrder) []Share {
	var sh []Share
	json.Unmarshal([]byte(o.Split), &sh)
	return sh
}

// Paid divides a paid co-op order among its members (the webhook's
// payment_intent.succeeded, every time it is processed): the transfer rows
// are made once, and each is sent once (sendTransfers). Nothing for an
// operator tenant's order.
func (s *Service) Paid(ctx context.Context, tid uuid.UUID, paymentIntent, charge string) error {
	var o *billing.CoopOrder
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if o, err = billing.LockCoopOrder(ctx, tx, paymentIntent, true); err != nil || o == nil {
			return err
		}
		shares := shares(o)
		parts := Split(distributable(o), shares)
		for i, p := range parts {
			if p.Cents <= 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO coop_transfers (tenant_id, order_id, member_account_id, member_email, share_bps,
					amount_cents, currency, transfer_group, source_charge)
				SELECT $1, $2, $3, coalesce((SELECT email FROM coop_members WHERE account_id = $3), (SELECT email FROM account_directory WHERE id = $3)), $4, $5, $6, $7, $8
				ON CONFLICT (order_id, member_account_id) DO NOTHING`,
				tid, o.ID, p.Member, shares[i].BPS, p.Cents, o.Currency, o.TransferGroup, charge); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || o == nil {
		return err
	}
	if err := s.sendTransfers(ctx, tid, &o.ID, nil); err != nil {
		return err
	}
	// A refund recorded before the transfers existed is reversed now.
	return s.Refunded(ctx, tid, paymentIntent)
}

type transferRow struct {
	ID            uuid.UUID `db:"id"`
	OrderID       uuid.UUID `db:"order_id"`
	Member        uuid.UUID `db:"member_account_id"`
	Amount        Cents     `db:"amount_cents"`
	Applied       Cents     `db:"applied_cents"` // taken back by refunds while held
	Currency      string    `db:"currency"`
	TransferGroup string    `db:"transfer_group"`
	SourceCharge  string    `db:"source_charge"`
	Destination   string    `db:"destination"`
}

// sendTransfers sends the held shares of one order, or of one member,
// whose member can receive them: one Stripe Transfer each, with an
// idempotency key derived from our row (and the amount sent), so a
// re-processed event or a concurrent worker never transfers twice.
func (s *Service) sendTransfers(ctx context.Context, tid uuid.UUID, order, member *uuid.UUID) error {
	var rows []transferRow
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT t.id, t.order_id, t.member_account_id, t.amount_cents, t.currency, t.transfer_group, t.source_charge,
				ms.stripe_account AS destination,
				coalesce((SELECT sum(r.amount_cents) FROM coop_reversals r WHERE r.transfer_id = t.id AND r.status = 'applied'), 0) AS applied_cents
			FROM coop_transfers t JOIN member_stripe ms ON ms.account_id = t.member_account_id AND ms.payouts_enabled AND ms.details_submitted
			WHERE t.status = 'held' AND ($1::uuid IS NULL OR t.order_id = $1) AND ($2::uuid IS NULL OR t.member_account_id = $2)
			ORDER BY t.created_at LIMIT 1000`, order, member)
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		net := r.Amount - r.Applied
		if net <= 0 {
			if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE coop_transfers SET status = 'void' WHERE id = $1 AND status = 'held'`, r.ID)
				return err
			}); err != nil {
				return err
			}
			continue
		}
		params := &stripe.TransferParams{
			Amount:        stripe.Int64(int64(net)),
			Currency:      stripe.String(r.Currency),
			Destination:   stripe.String(r.Destination),
			TransferGroup: stripe.String(r.TransferGroup),
			Description:   stripe.String("Co-op share of order " + r.OrderID.String()),
			Metadata:      map[string]string{"tenant_id": tid.String(), "order_id": r.OrderID.String(), "coop_transfer_id": r.ID.String()},
		}
		if r.SourceCharge != "" {
			// Funds the transfer from this payment, even before it is available.
			params.SourceTransaction = stripe.String(r.SourceCharge)
		}
		params.SetIdempotencyKey(fmt.Sprintf("coop-transfer-%s-%d", r.ID, net))
		tr, err := s.sc.Transfers.New(params)
		if err != nil {
			return billing.StripeError("transfer", err)
		}
		err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE coop_transfers SET status = 'transferred', transferred_cents = $2, stripe_transfer = $3,
				stripe_account = $4, transferred_at = now() WHERE id = $1 AND status = 'held'`, r.ID, net, tr.ID, r.Destination)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another worker recorded the same transfer
			}
			if _, err := billing.Post(ctx, tx, tid, "coop_transfer", r.ID.String(), r.Currency, "co-op share transferred",
				map[string]Cents{AcctMemberPayouts + r.Member.String(): net, billing.AcctStripeBalance: -net}); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, tid, "coop.transfer_sent", r.OrderID.String(), map[string]any{"member": r.Member, "amount_cents": net, "transfer": tr.ID})
		})
		if err != nil {
			return err
		}
	}
	return s.sendReversals(ctx, tid, order)
}

// Refunded takes back, from the members of a refunded co-op order, what
// the refunds so far require (see the package's co-op note): reversal rows
// made once per refunded total, then sent (sendReversals). Nothing for an
// operator tenant's order.
func (s *Service) Refunded(ctx context.Context, tid uuid.UUID, paymentIntent string) error {
	var o *billing.CoopOrder
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if o, err = billing.LockCoopOrder(ctx, tx, paymentIntent, false); err != nil || o == nil {
			return err
		}
		if o.Refunded <= 0 {
			return nil
		}
		var ts []struct {
			ID       uuid.UUID `db:"id"`
			Member   uuid.UUID `db:"member_account_id"`
			BPS      int64     `db:"share_bps"`
			Amount   Cents     `db:"amount_cents"`
			Reversed Cents     `db:"reversed_cents"`
		}
		if err := tx.SelectContext(ctx, &ts, `SELECT t.id, t.member_account_id, t.share_bps, t.amount_cents,
				coalesce((SELECT sum(r.amount_cents) FROM coop_reversals r WHERE r.transfer_id = t.id), 0) AS reversed_cents
			FROM coop_transfers t WHERE t.order_id = $1 ORDER BY t.member_account_id`, o.ID); err != nil {
			return err
		}
		if len(ts) == 0 {
			return nil // not divided yet: Paid reverses when it divides
		}
		var distributed, reversed Cents
		shares := make([]Share, 0, len(ts))
		left := map[uuid.UUID]Cents{}
		ids := map[uuid.UUID]uuid.UUID{}
		for _, t := range ts {
			distributed += t.Amount
			reversed += t.Reversed
			shares = append(shares, Share{Member: t.Member, BPS: t.BPS})
			left[t.Member] = t.Amount - t.Reversed
			ids[t.Member] = t.ID
		}
		need := ReversalTarget(distributed, o.Amount, o.Refunded) - reversed
		if need <= 0 {
			return nil
		}
		for _, p := range SplitBack(need, shares, left) {
			if p.Cents <= 0 {
				continue
			}
			// A share still held is reduced at once; a transferred one waits
			// for its Stripe reversal.
			if _, err := tx.ExecContext(ctx, `INSERT INTO coop_reversals (tenant_id, transfer_id, refund_total_cents, amount_cents, status, reversed_at)
				SELECT $1, t.id, $3, $4, CASE WHEN t.status = 'held' THEN 'applied' ELSE 'pending' END,
					CASE WHEN t.status = 'held' THEN now() END
				FROM coop_transfers t WHERE t.id = $2
				ON CONFLICT (transfer_id, refund_total_cents) DO NOTHING`, tid, ids[p.Member], o.Refunded, p.Cents); err != nil {
				return err
			}
		}
		return tenant.Audit(ctx, tx, tid, "coop.reversal_planned", o.ID.String(), map[string]any{"refunded_cents": o.Refunded, "reversed_cents": need})
	})
	if err != nil || o == nil {
		return err
	}
	return s.sendReversals(ctx, tid, &o.ID)
}

// sendReversals sends the pending Transfer Reversals of an order's
// transferred shares, one Stripe request each, idempotent by our row.
func (s *Service) sendReversals(ctx context.Context, tid uuid.UUID, order *uuid.UUID) error {
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		Transfer string    `db:"stripe_transfer"`
		OrderID  uuid.UUID `db:"order_id"`
		Member   uuid.UUID `db:"member_account_id"`
		Amount   Cents     `db:"amount_cents"`
		Currency string    `db:"currency"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT r.id, t.stripe_transfer, t.order_id, t.member_account_id, r.amount_cents, t.currency
			FROM coop_reversals r JOIN coop_transfers t ON t.id = r.transfer_id
			WHERE r.status = 'pending' AND t.status = 'transferred' AND t.stripe_transfer IS NOT NULL AND ($1::uuid IS NULL OR t.order_id = $1)
			ORDER BY r.created_at LIMIT 1000`, order)
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		params := &stripe.TransferReversalParams{
			ID:       stripe.String(r.Transfer),
			Amount:   stripe.Int64(int64(r.Amount)),
			Metadata: map[string]string{"tenant_id": tid.String(), "order_id": r.OrderID.String(), "coop_reversal_id": r.ID.String()},
		}
		params.SetIdempotencyKey("coop-reversal-" + r.ID.String())
		rev, err := s.sc.TransferReversals.New(params)
		if err != nil {
			return billing.StripeError("transfer reversal", err)
		}
		err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE coop_reversals SET status = 'reversed', stripe_reversal = $2, reversed_at = now() WHERE id = $1 AND status = 'pending'`, r.ID, rev.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			_, err = billing.Post(ctx, tx, tid, "coop_reversal", r.ID.String(), r.Currency, "co-op share reversed for a refund",
				map[string]Cents{AcctMemberPayouts + r.Member.String(): -r.Amount, billing.AcctStripeBalance: r.Amount})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// MemberPayment is a co-op member's share of one payment.
type MemberPayment struct {
	ID            uuid.UUID  `db:"id" json:"id"`
	OrderID       uuid.UUID  `db:"order_id" json:"order_id"`
	Coop          string     `db:"coop" json:"coop"`
	MemberEmail   string     `db:"member_email" json:"member_email"`
	Description   string     `db:"description" json:"description"`
	PaidAt        *time.Time `db:"paid_at" json:"paid_at"`
	Currency      string     `db:"currency" json:"currency"`
	Charged       Cents      `db:"charged_cents" json:"charged_cents"`
	PlatformFee   Cents      `db:"platform_fee_cents" json:"platform_fee_cents"`
	StripeFee     Cents      `db:"-" json:"stripe_fee_cents"`
	ActualFee     *Cents     `db:"stripe_fee_cents" json:"-"`
	Distributable Cents      `db:"-" json:"distributable_cents"`
	Refunded      Cents      `db:"refunded_cents" json:"refunded_cents"`
	ShareBPS      int64      `db:"share_bps" json:"share_bps"`
	Share         Cents      `db:"amount_cents" json:"share_cents"`
	Reversed      Cents      `db:"-" json:"reversed_cents"`
	Net           Cents      `db:"-" json:"net_cents"` // share − reversed
	Status        string     `db:"status" json:"status"`
	Transfer      *string    `db:"stripe_transfer" json:"transfer_id"`
	TransferredAt *time.Time `db:"transferred_at" json:"transferred_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	Reversals     []Reversal `db:"-" json:"reversals"`
}

// Reversal is what a refund took back from a member's share.
type Reversal struct {
	TransferID  uuid.UUID  `db:"transfer_id" json:"-"`
	RefundTotal Cents      `db:"refund_total_cents" json:"refund_total_cents"`
	Amount      Cents      `db:"amount_cents" json:"amount_cents"`
	Status      string     `db:"status" json:"status"`
	StripeID    *string    `db:"stripe_reversal" json:"reversal_id"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	ReversedAt  *time.Time `db:"reversed_at" json:"reversed_at"`
}

const memberPaymentSelect = `SELECT t.id, t.order_id, tn.name AS coop, t.member_email, o.description, o.paid_at, t.currency, o.amount_cents AS charged_cents,
		o.application_fee_cents AS platform_fee_cents, o.stripe_fee_cents, o.refunded_cents, t.share_bps, t.amount_cents, t.status, t.stripe_transfer,
		t.transferred_at, t.created_at
	FROM coop_transfers t JOIN coop_orders o ON o.id = t.order_id JOIN tenants tn ON tn.id = t.tenant_id`

func (s *Service) fillReversals(ctx context.Context, tx *tenant.Tx, out []MemberPayment) error {
	if len(out) == 0 {
		return nil
	}
	ids := make([]string, len(out))
	for i, p := range out {
		ids[i] = p.ID.String()
	}
	var rs []Reversal
	if err := tx.SelectContext(ctx, &rs, `SELECT transfer_id, refund_total_cents, amount_cents, status, stripe_reversal, created_at, reversed_at
		FROM coop_reversals WHERE transfer_id = ANY($1::uuid[]) ORDER BY created_at`, pq.Array(ids)); err != nil {
		return err
	}
	by := map[uuid.UUID][]Reversal{}
	for _, r := range rs {
		by[r.TransferID] = append(by[r.TransferID], r)
	}
	for i := range out {
		p := &out[i]
		p.Reversals = by[p.ID]
		if p.Reversals == nil {
			p.Reversals = []Reversal{}
		}
		for _, r := range p.Reversals {
			p.Reversed += r.Amount
		}
		p.Net = p.Share - p.Reversed
		p.StripeFee = billing.StripeFee(p.Charged)
		if p.ActualFee != nil {
			p.StripeFee = *p.ActualFee
		}
		p.Distributable = billing.DistributableAfter(p.Charged, p.PlatformFee, p.StripeFee)
	}
	return nil
}

// MyCoopPayments lists the signed-in member's shares of its co-ops'
// payments, newest first, before the cursor (operator/coop read, on the
// console). Members are platform accounts, so this reads across co-ops on
// the named system path, only the caller's own rows.
func (s *Service) MyCoopPayments(ctx context.Context, before time.Time, limit int) ([]MemberPayment, error) {
	if err := s.authz.Require(ctx, "operator/coop", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	out := []MemberPayment{}
	err := tenant.SystemTx(ctx, s.db, "co-op member: own shares of payments", func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &out, memberPaymentSelect+` WHERE t.member_account_id = $1 AND t.created_at < $2
			ORDER BY t.created_at DESC LIMIT $3`, actor.ID, before, limit); err != nil {
			return err
		}
		return s.fillReversals(ctx, tx, out)
	})
	return out, err
}

// CoopPayment is one paid co-op order and how it was divided.
type CoopPayment struct {
	OrderID       uuid.UUID       `db:"id" json:"order_id"`
	Description   string          `db:"description" json:"description"`
	Status        string          `db:"status" json:"status"`
	Currency      string          `db:"currency" json:"currency"`
	Charged       Cents           `db:"amount_cents" json:"charged_cents"`
	PlatformFee   Cents           `db:"application_fee_cents" json:"platform_fee_cents"`
	StripeFee     Cents           `db:"-" json:"stripe_fee_cents"`
	ActualFee     *Cents          `db:"stripe_fee_cents" json:"-"`
	Distributable Cents           `db:"-" json:"distributable_cents"`
	Refunded      Cents           `db:"refunded_cents" json:"refunded_cents"`
	TransferGroup string          `db:"transfer_group" json:"transfer_group"`
	PaidAt        *time.Time      `db:"paid_at" json:"paid_at"`
	CreatedAt     time.Time       `db:"created_at" json:"created_at"`
	Members       []MemberPayment `db:"-" json:"members"`
	// DeploymentID and DeploymentName are what the order bought (a renewal:
	// the deployment its subscription keeps running).
	DeploymentID   *uuid.UUID `db:"deployment_id" json:"deployment_id"`
	DeploymentName string     `db:"deployment_name" json:"deployment_name"`
}

// CoopPayments lists the co-op's paid orders, newest first, before the
// cursor, each with every member's share, transfer and reversals (admin/coop
// read). Three queries a page, whatever its size.
func (s *Service) CoopPayments(ctx context.Context, before time.Time, limit int) ([]CoopPayment, error) {
	if err := s.authz.Require(ctx, "admin/coop", "read"); err != nil {
		return nil, err
	}
	out := []CoopPayment{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &out, `SELECT o.id, o.description, o.status, o.currency, o.amount_cents, o.application_fee_cents, o.stripe_fee_cents, o.refunded_cents,
				o.transfer_group, o.paid_at, o.created_at, d.id AS deployment_id, coalesce(d.name, '') AS deployment_name
			FROM coop_orders o LEFT JOIN deployments d ON d.order_id = o.bought_by_order_id
			WHERE o.paid_at IS NOT NULL AND o.created_at < $1 ORDER BY o.created_at DESC LIMIT $2`, before, limit); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		for i, o := range out {
			ids[i] = o.OrderID.String()
		}
		var ms []MemberPayment
		if err := tx.SelectContext(ctx, &ms, memberPaymentSelect+` WHERE t.order_id = ANY($1::uuid[]) ORDER BY t.share_bps DESC, t.member_email`, pq.Array(ids)); err != nil {
			return err
		}
		if err := s.fillReversals(ctx, tx, ms); err != nil {
			return err
		}
		by := map[uuid.UUID][]MemberPayment{}
		for _, m := range ms {
			by[m.OrderID] = append(by[m.OrderID], m)
		}
		for i := range out {
			o := &out[i]
			o.StripeFee = billing.StripeFee(o.Charged)
			if o.ActualFee != nil {
				o.StripeFee = *o.ActualFee
			}
			o.Distributable = billing.DistributableAfter(o.Charged, o.PlatformFee, o.StripeFee)
			o.Members = by[o.OrderID]
			if o.Members == nil {
				o.Members = []MemberPayment{}
			}
		}
		return nil
	})
	return out, err
}

// Membership is one co-op the signed-in account belongs to.
type Membership struct {
	TenantID uuid.UUID `db:"tenant_id" json:"tenant_id"`
	Slug     string    `db:"slug" json:"slug"`
	Name     string    `db:"name" json:"name"`
	Role     string    `db:"role" json:"role"`
	ShareBPS int64     `db:"share_bps" json:"share_bps"`
	Held     Cents     `db:"held_cents" json:"held_cents"`
	Paid     Cents     `db:"paid_cents" json:"transferred_cents"`
}

// PayoutAccount is a member's Stripe connected account for its co-op shares.
type PayoutAccount struct {
	Connected        bool         `json:"connected"`
	AccountID        string       `json:"account_id,omitempty"`
	PayoutsEnabled   bool         `json:"payouts_enabled"`
	DetailsSubmitted bool         `json:"details_submitted"`
	Ready            bool         `json:"ready"`
	Mode             string       `json:"mode"`
	Memberships      []Membership `json:"memberships"`
	// PayoutFailure is the last failed payout to the member's bank ("" when
	// the last one arrived).
	PayoutFailure string `json:"payout_failure"`
}

// MyPayoutAccount returns the signed-in member's connected account and
// co-op memberships with what is held and transferred (operator/coop read).
func (s *Service) MyPayoutAccount(ctx context.Context) (*PayoutAccount, error) {
	if err := s.authz.Require(ctx, "operator/coop", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	out := &PayoutAccount{Mode: s.mode(), Memberships: []Membership{}}
	err := tenant.SystemTx(ctx, s.db, "co-op member: own payout account", func(tx *tenant.Tx) error {
		var ms struct {
			Account string `db:"stripe_account"`
			Payouts bool   `db:"payouts_enabled"`
			Details bool   `db:"details_submitted"`
			Failure string `db:"payout_failure"`
		}
		err := tx.GetContext(ctx, &ms, `SELECT stripe_account, payouts_enabled, details_submitted, payout_failure FROM member_stripe WHERE account_id = $1`, actor.ID)
		if err == nil {
			out.Connected, out.AccountID, out.PayoutsEnabled, out.DetailsSubmitted = true, ms.Account, ms.Payouts, ms.Details
			out.PayoutFailure = ms.Failure
			out.Ready = ms.Payouts && ms.Details
		} else if !tenant.IsNoRows(err) {
			return err
		}
		return tx.SelectContext(ctx, &out.Memberships, `SELECT m.tenant_id, t.slug, t.name, m.role, m.share_bps,
				coalesce(sum(ct.amount_cents - coalesce(rv.applied, 0)) FILTER (WHERE ct.status = 'held'), 0) AS held_cents,
				coalesce(sum(ct.transferred_cents - coalesce(rv.reversed, 0)) FILTER (WHERE ct.status = 'transferred'), 0) AS paid_cents
			FROM coop_members m JOIN tenants t ON t.id = m.tenant_id
			LEFT JOIN coop_transfers ct ON ct.tenant_id = m.tenant_id AND ct.member_account_id = m.account_id
			LEFT JOIN LATERAL (SELECT sum(amount_cents) FILTER (WHERE status = 'applied') AS applied,
				sum(amount_cents) FILTER (WHERE status <> 'applied') AS reversed FROM coop_reversals WHERE transfer_id = ct.id) rv ON true
			WHERE m.account_id = $1 GROUP BY m.tenant_id, t.slug, t.name, m.role, m.share_bps ORDER BY t.name`, actor.ID)
	})
	return out, err
}

// crossBorderRegion are the countries a platform in one of them can send
// transfers to across borders: "Platforms based in the US, UK, EEA, Canada,
// or Switzerland can transfer funds to connected accounts in any of those
// regions", and only to accounts under the recipient service agreement
// (docs.stripe.com/connect/cross-border-payouts; "Cross-border payouts only
// work with accounts under the recipient service agreement",
// docs.stripe.com/connect/service-agreement-types).
var crossBorderRegion = map[string]bool{"US": true, "GB": true, "CA": true, "CH": true,
	// EEA
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true, "FR": true, "DE": true,
	"GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true,
	"RO": true, "SK": true, "SI": true, "ES": true, "SE": true, "IS": true, "LI": true, "NO": true}

// PayoutOnboardingLink creates the signed-in member's connected account
// (Express, transfers capability) when it has none and returns a fresh
// Account Link (operator/coop write); origin is the console's address. Only
// a member of a co-op may: EINVALID otherwise.
//
// country is the member's country (ISO 3166-1 alpha-2; "" is the
// platform's, Config.PlatformCountry). A member in another country gets an
// account under the recipient service agreement, the only kind Stripe sends
// cross-border transfers to; a country outside the cross-border region is
// refused (EINVALID on "country", saying why) rather than onboarded to an
// account that could never receive its shares.
func (s *Service) PayoutOnboardingLink(ctx context.Context, origin, country string) (string, error) {
	if err := s.authz.Require(ctx, "operator/coop", "write"); err != nil {
		return "", err
	}
	platform := s.platformCountry()
	country = strings.ToUpper(strings.TrimSpace(country))
	if country == "" {
		country = platform
	}
	if len(country) != 2 || strings.Trim(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", fiatdashboard.Invalid("country", "give your country as a two-letter code, e.g. DE")
	}
	crossBorder := country != platform
	if crossBorder && (!crossBorderRegion[country] || !crossBorderRegion[platform]) {
		return "", fiatdashboard.Invalid("country", "Stripe cannot send co-op shares from this platform (%s) to an account in %s: cross-border payouts reach only the US, the UK, the EEA, Canada and Switzerland", platform, country)
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var acct string
	var member bool
	err := tenant.SystemTx(ctx, s.db, "co-op member: payout account", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &member, `SELECT EXISTS (SELECT 1 FROM coop_members WHERE account_id = $1)`, actor.ID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &acct, `SELECT stripe_account FROM member_stripe WHERE account_id = $1`, actor.ID)
		if tenant.IsNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if !member {
		return "", fiatdashboard.Invalid("account", "only members of a co-op receive co-op shares")
	}
	if acct == "" {
		params := &stripe.AccountParams{
			Type:    stripe.String(string(stripe.AccountTypeExpress)),
			Country: stripe.String(country),
			Email:   stripe.String(actor.Name),
			Capabilities: &stripe.AccountCapabilitiesParams{
				Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
			},
			Metadata: map[string]string{"member_account_id": actor.ID.String()},
		}
		if crossBorder {
			params.TOSAcceptance = &stripe.AccountTOSAcceptanceParams{ServiceAgreement: stripe.String("recipient")}
		}
		// One connected account per member, whatever the retries.
		params.SetIdempotencyKey("member-account-" + actor.ID.String())
		a, err := s.sc.Accounts.New(params)
		if err != nil {
			return "", billing.StripeError("connect", err)
		}
		err = tenant.SystemTx(ctx, s.db, "co-op member: payout account", func(tx *tenant.Tx) error {
			if err := tx.GetContext(ctx, &acct, `INSERT INTO member_stripe (account_id, stripe_account) VALUES ($1, $2)
				ON CONFLICT (account_id) DO UPDATE SET updated_at = now() RETURNING stripe_account`, actor.ID, a.ID); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, uuid.Nil, "coop.payout_account_created", a.ID, nil)
		})
		if err != nil {
			return "", err
		}
	}
	link, err := s.sc.AccountLinks.New(&stripe.AccountLinkParams{
		Account:    stripe.String(acct),
		RefreshURL: stripe.String(origin + "/coop?connect=refresh"),
		ReturnURL:  stripe.String(origin + "/coop?connect=return"),
		Type:       stripe.String("account_onboarding"),
	})
	if err != nil {
		return "", billing.StripeError("connect", err)
	}
	if s.cfg.Mock {
		s.emitter.AccountOnboarded(uuid.Nil, acct)
		return origin + "/coop?connect=return", nil
	}
	return link.URL, nil
}

// MemberEvent handles an event of a connected account that is no tenant's:
// a co-op member's account.updated records its onboarding and, once it can
// receive payouts, sends every share held for it.
func (s *Service) MemberEvent(ctx context.Context, typ, payload string) (string, error) {
	var ev stripe.Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		return "", err
	}
	if typ == "payout.failed" || typ == "payout.paid" {
		return s.memberPayout(ctx, typ, ev.Account, ev.Data.Raw)
	}
	if typ != "account.updated" {
		return "unknown connected account", nil
	}
	var a stripe.Account
	if err := json.Unmarshal(ev.Data.Raw, &a); err != nil {
		return "", err
	}
	var member uuid.UUID
	var tenants []uuid.UUID
	err := tenant.SystemTx(ctx, s.db, "stripe webhook: member account", func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &member, `UPDATE member_stripe SET payouts_enabled = $2, details_submitted = $3, updated_at = now()
			WHERE stripe_account = $1 RETURNING account_id`, a.ID, a.PayoutsEnabled, a.DetailsSubmitted)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &tenants, `SELECT DISTINCT tenant_id FROM coop_transfers WHERE member_account_id = $1 AND status = 'held'`, member)
	})
	if tenant.IsNoRows(err) {
		return "unknown connected account", nil
	}
	if err != nil {
		return "", err
	}
	if !a.PayoutsEnabled || !a.DetailsSubmitted {
		return "member account updated", nil
	}
	for _, tid := range tenants {
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("co-op transfers")), tid)
		if err := s.sendTransfers(tctx, tid, nil, &member); err != nil {
			return "", err
		}
	}
	return "member account ready; held shares sent", nil
}

// memberPayout records a co-op member's payout to its bank: a failure
// (payout.failed) is kept on the member's payout account, shown on its
// co-op page and mailed to it; the next payout that arrives (payout.paid)
// clears it.
func (s *Service) memberPayout(ctx context.Context, typ, account string, raw json.RawMessage) (string, error) {
	var p stripe.Payout
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	msg := ""
	if typ == "payout.failed" {
		msg = p.FailureMessage
		if msg == "" {
			msg = "the bank refused it (" + string(p.FailureCode) + ")"
		}
		msg = fmt.Sprintf("A payout of %s to your bank failed: %s", Cents(p.Amount), msg)
	}
	var email string
	var member uuid.UUID
	err := tenant.SystemTx(ctx, s.db, "stripe webhook: member payout", func(tx *tenant.Tx) error {
		err := tx.QueryRowxContext(ctx, `UPDATE member_stripe m SET payout_failure = $2, updated_at = now() FROM account_directory a
			WHERE m.stripe_account = $1 AND a.id = m.account_id RETURNING m.account_id, a.email`, account, msg).Scan(&member, &email)
		if err != nil {
			return err
		}
		if typ != "payout.failed" {
			return nil
		}
		return tenant.Audit(ctx, tx, uuid.Nil, "coop.payout_failed", account, map[string]any{"member": member, "amount_cents": p.Amount, "code": p.FailureCode})
	})
	if tenant.IsNoRows(err) {
		return "unknown connected account", nil
	}
	if err != nil {
		return "", err
	}
	if typ != "payout.failed" {
		return "member payout arrived", nil
	}
	if s.mailer != nil {
		m := rbac.Mail{To: email, Subject: "A payout to your bank failed",
			Text: msg + ".\n\nUpdate your bank account in your Stripe Express dashboard (from your co-op page); Stripe pays the money out again once it can.\n"}
		if err := s.mailer.Send(ctx, uuid.Nil, m); err != nil {
			s.log.Error("member payout mail", "err", err)
		}
	}
	return "member payout failed", nil
}
