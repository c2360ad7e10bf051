package billing

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// A co-op's customers pay on the platform's own Stripe account, each order
// in its own transfer group, and the co-op's members share the payment
// (billing/coop). Checkout, webhooks, refunds and disputes are billing's;
// what they need of the co-op domain is Coops, which billing/coop
// implements and cmd/fiatdashboard hands to NewService (Config.Coops).

// Coops is what billing asks of the co-op domain (billing/coop.Service).
type Coops interface {
	// Chargeable says whether the tenant in ctx is a co-op and, if so,
	// whether it can take payments (an error says why not).
	Chargeable(ctx context.Context) (coop bool, err error)
	// SplitInForce is the co-op's revenue split as a new order records it
	// (orders.coop_split, JSON), read in the order's transaction.
	SplitInForce(ctx context.Context, tx *tenant.Tx) (string, error)
	// Paid divides a paid co-op order among its members (each time the
	// payment's event is processed); nothing for an operator's order.
	Paid(ctx context.Context, tid uuid.UUID, paymentIntent, charge string) error
	// Refunded takes back from the members what the order's refunds and
	// lost disputes so far require; nothing for an operator's order.
	Refunded(ctx context.Context, tid uuid.UUID, paymentIntent string) error
	// MemberEvent handles an event of a connected account that is no
	// tenant's: a co-op member's payout account.
	MemberEvent(ctx context.Context, typ, payload string) (string, error)
}

// noCoops is Coops where none is wired (tests of operator storefronts): a
// co-op tenant cannot take payments, and no event is a co-op member's.
type noCoops struct{ db *sqlx.DB }

func (n noCoops) Chargeable(ctx context.Context) (bool, error) {
	var coop bool
	err := tenant.InTx(ctx, n.db, func(tx *tenant.Tx) error {
		var err error
		coop, err = IsCoop(ctx, tx)
		return err
	})
	if err != nil || !coop {
		return coop, err
	}
	return true, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this store cannot take card payments yet; please come back soon")
}

func (noCoops) SplitInForce(context.Context, *tenant.Tx) (string, error) { return "[]", nil }

func (noCoops) Paid(context.Context, uuid.UUID, string, string) error { return nil }

func (noCoops) Refunded(context.Context, uuid.UUID, string) error { return nil }

func (noCoops) MemberEvent(context.Context, string, string) (string, error) {
	return "unknown connected account", nil
}

// StripeError turns a Stripe error into ours (the co-op domain's Stripe
// calls answer as billing's do).
func StripeError(what string, err error) error { return stripeError(what, err) }

// transferGroup is a co-op order's transfer group: its charge and the
// members' transfers are grouped under it.
func transferGroup(order uuid.UUID) string { return "order_" + order.String() }

// IsCoop reports whether the tenant of tx is a co-op.
func IsCoop(ctx context.Context, tx *tenant.Tx) (bool, error) {
	var kind tenant.Kind
	err := tx.GetContext(ctx, &kind, `SELECT kind FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`)
	return kind == tenant.KindCoop, err
}

// chargeAccount is where the tenant's charges, customers and cards live:
// its connected account, or "" (the platform) for a co-op. With
// needCharges the connected account must be able to take charges.
func chargeAccount(ctx context.Context, tx *tenant.Tx, needCharges bool) (string, error) {
	if coop, err := IsCoop(ctx, tx); err != nil || coop {
		return "", err
	}
	var acct string
	err := tx.GetContext(ctx, &acct, `SELECT account_id FROM tenant_stripe WHERE charges_enabled OR NOT $1`, needCharges)
	return acct, err
}

// onAccount sends a request to the connected account acct; "" is the
// platform's own account (co-ops), which takes no Stripe-Account header.
func onAccount(p interface{ SetStripeAccount(string) }, acct string) {
	if acct != "" {
		p.SetStripeAccount(acct)
	}
}

// chargeOn directs an order's PaymentIntent: a direct charge on the
// tenant's connected account with the application fee, or — for a co-op
// (acct "") — a charge on the platform, without an application fee, in the
// order's transfer group.
func chargeOn(params *stripe.PaymentIntentParams, acct string, order uuid.UUID) {
	if acct != "" {
		params.SetStripeAccount(acct)
		return
	}
	params.ApplicationFeeAmount = nil
	params.TransferGroup = stripe.String(transferGroup(order))
}

// snapshotSplit records, on a new co-op order, the split it is charged
// under (the co-op domain's, read in the order's transaction) and its
// transfer group; it does nothing for an operator tenant or an order that
// has its snapshot already.
func (s *Service) snapshotSplit(ctx context.Context, tx *tenant.Tx, o *Order) error {
	coop, err := IsCoop(ctx, tx)
	if err != nil || !coop {
		return err
	}
	split, err := s.coops.SplitInForce(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE orders SET coop_split = $2::jsonb, transfer_group = $3 WHERE id = $1 AND coop_split IS NULL`,
		o.ID, split, transferGroup(o.ID))
	return err
}

// platformEventTenant finds the tenant of an event on the platform's own
// account (a co-op's payment): by the tenant_id we put in the object's
// metadata, else by the order its PaymentIntent (or its charge's) belongs
// to, else by the customer of a SetupIntent. uuid.Nil when none.
func platformEventTenant(ctx context.Context, tx *tenant.Tx, raw json.RawMessage) (*uuid.UUID, error) {
	var obj struct {
		ID            string            `json:"id"`
		Object        string            `json:"object"`
		Metadata      map[string]string `json:"metadata"`
		PaymentIntent json.RawMessage   `json:"payment_intent"`
		Customer      json.RawMessage   `json:"customer"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, nil
	}
	var id uuid.UUID
	if t, err := uuid.Parse(obj.Metadata["tenant_id"]); err == nil {
		err := tx.GetContext(ctx, &id, `SELECT id FROM tenants WHERE id = $1 AND kind = 'coop'`, t)
		if err == nil {
			return &id, nil
		}
		if !tenant.IsNoRows(err) {
			return nil, err
		}
	}
	ref := refID // an id, or an expanded object's id
	var err error
	switch obj.Object {
	case "payment_intent":
		err = tx.GetContext(ctx, &id, `SELECT tenant_id FROM orders WHERE payment_intent_id = $1`, obj.ID)
	case "charge", "dispute", "refund":
		err = tx.GetContext(ctx, &id, `SELECT tenant_id FROM orders WHERE payment_intent_id = $1`, ref(obj.PaymentIntent))
	case "setup_intent":
		err = tx.GetContext(ctx, &id, `SELECT c.tenant_id FROM stripe_customers c JOIN tenants t ON t.id = c.tenant_id AND t.kind = 'coop'
			WHERE c.customer_id = $1 LIMIT 1`, ref(obj.Customer))
	default:
		return nil, nil
	}
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

func tidOf(ctx context.Context) uuid.UUID {
	id, _ := tenant.IDFromContext(ctx)
	return id
}

// CoopOrder is a co-op's order as the co-op domain divides it.
type CoopOrder struct {
	ID       uuid.UUID `db:"id"`
	Status   string    `db:"status"`
	Currency string    `db:"currency"`
	Amount   Cents     `db:"amount_cents"`
	Fee      Cents     `db:"application_fee_cents"`
	// Refunded is what the customer got back in all: refunds and lost
	// disputes alike take back the members' transfers in proportion.
	Refunded      Cents  `db:"refunded_cents"`
	Split         string `db:"coop_split"` // the split it was charged under (JSON)
	TransferGroup string `db:"transfer_group"`
	Description   string `db:"description"`
	StripeFee     *Cents `db:"stripe_fee_cents"` // the actual fee, once read
}

// LockCoopOrder reads the co-op order paid with paymentIntent in tx and
// locks it for the rest of tx, so one division or reversal of an order runs
// at a time; with paid, only once it is paid (or refunded since). nil when
// there is none (an operator's order, or not paid yet).
func LockCoopOrder(ctx context.Context, tx *tenant.Tx, paymentIntent string, paid bool) (*CoopOrder, error) {
	var o CoopOrder
	err := tx.GetContext(ctx, &o, `SELECT id, status, currency, amount_cents, application_fee_cents, refunded_cents + dispute_lost_cents AS refunded_cents,
			coop_split::text AS coop_split, transfer_group, description, stripe_fee_cents
		FROM orders WHERE payment_intent_id = $1 AND coop_split IS NOT NULL AND (NOT $2 OR status IN ('paid', 'refunded')) FOR UPDATE`, paymentIntent, paid)
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}
