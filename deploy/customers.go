package deploy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Customer is one customer account of a tenant as its staff see it: who it
// is, and what it runs and has paid.
type Customer struct {
	ID                uuid.UUID     `db:"id" json:"id"`
	Email             string        `db:"email" json:"email"`
	CreatedAt         time.Time     `db:"created_at" json:"created_at"`
	Verified          bool          `db:"verified" json:"email_verified"`
	MFAEnabled        bool          `db:"mfa_enabled" json:"mfa_enabled"`
	DisabledAt        *time.Time    `db:"disabled_at" json:"disabled_at"`
	ActiveDeployments int           `db:"active_deployments" json:"active_deployments"`
	Deployments       int           `db:"deployments" json:"deployments"`
	PaidCents         billing.Cents `db:"paid_cents" json:"paid_cents"` // card payments, net of refunds
	CreditCents       billing.Cents `db:"credit_cents" json:"credit_cents"`
	Currency          string        `db:"currency" json:"currency"`
	LastPaymentAt     *time.Time    `db:"last_payment_at" json:"last_payment_at"`
}

// activeStatuses are the deployments a customer is paying for and running
// (or about to): everything before terminating, after payment.
const activeStatuses = `('paid', 'provisioning', 'running', 'suspended')`

// customerPage is the one query behind a page of customers: the page of
// accounts first, then each row's counts and sums over deployments, orders
// and the ledger's credit account, so a page costs one round trip whatever
// its size. $1 is the cursor (an e-mail), $2 a prefix (empty: everyone), $3 the
// limit, $4 one account id or NULL. Row-level security lets the planner use
// only leakproof operators as index conditions: the prefix (^@), the cursor
// (~>~) and the order (~<~, byte order, as e-mails are compared everywhere
// here) all are, and all are served by accounts_tenant_email_prefix
// (tenant_id, email text_pattern_ops), so a page reads its own rows whatever
// the tenant's number of customers. LIKE is not leakproof, and the
// collation's order is not the index's.
const customerPage = `
	WITH page AS (
		SELECT a.id, a.email, a.created_at, a.email_verified_at, a.totp_enabled_at, a.disabled_at
		FROM account_directory a
		WHERE a.tenant_id = current_setting('app.tenant_id')::uuid
		  AND EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = a.id::text AND r.role = 'customer' AND r.domain = a.tenant_id::text)
		  AND a.email ~>~ $1 AND ($2 = '' OR a.email ^@ $2) AND ($4::uuid IS NULL OR a.id = $4::uuid)
		ORDER BY a.email USING ~<~ LIMIT $3
	), cur AS (
		SELECT base_currency FROM tenants WHERE id = current_setting('app.tenant_id')::uuid
	)
	SELECT p.id, p.email, p.created_at, p.email_verified_at IS NOT NULL AS verified,
		p.totp_enabled_at IS NOT NULL AS mfa_enabled, p.disabled_at,
		coalesce(d.active, 0) AS active_deployments, coalesce(d.total, 0) AS deployments,
		coalesce(o.paid, 0) AS paid_cents, o.last_paid AS last_payment_at,
		coalesce(c.credit, 0) AS credit_cents, cur.base_currency AS currency
	FROM page p CROSS JOIN cur
	LEFT JOIN LATERAL (
		SELECT count(*) FILTER (WHERE status IN ` + activeStatuses + `) AS active, count(*) AS total
		FROM deployments WHERE account_id = p.id
	) d ON true
	LEFT JOIN LATERAL (
		SELECT sum(amount_cents - refunded_cents) AS paid, max(paid_at) AS last_paid
		FROM order_summaries WHERE account_id = p.id AND paid_at IS NOT NULL AND currency = cur.base_currency
	) o ON true
	LEFT JOIN LATERAL (
		SELECT -sum(amount_cents) AS credit FROM credit_postings
		WHERE tenant_id = current_setting('app.tenant_id')::uuid AND account = 'customer_credit:' || p.id::text
	) c ON true
	ORDER BY p.email USING ~<~`

// Customers lists the tenant's customer accounts by e-mail, after the cursor
// (an e-mail; "" for the first page), those whose e-mail starts with q when
// it is set (admin/customers read). Staff accounts without the customer
// role are not customers.
func (s *Service) Customers(ctx context.Context, q, after string, limit int) ([]Customer, error) {
	if err := s.authz.Require(ctx, "admin/customers", "read"); err != nil {
		return nil, err
	}
	pattern, err := tenant.EmailStart(q)
	if err != nil {
		return nil, err
	}
	out := []Customer{}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, customerPage, after, pattern, limit, nil)
	})
	return out, err
}

// CustomerDeployment is one of a customer's servers, for staff.
type CustomerDeployment struct {
	ID         uuid.UUID       `db:"id" json:"id"`
	Name       string          `db:"name" json:"name"`
	Image      string          `db:"image" json:"image"`
	Spec       json.RawMessage `db:"spec" json:"spec"`
	Status     string          `db:"status" json:"status"`
	Backup     string          `db:"backup" json:"backup"`
	NodeID     *uint32         `db:"node_id" json:"node_id"`
	IPv4       string          `db:"ipv4" json:"ipv4"`
	PriceCents billing.Cents   `db:"price_cents" json:"price_cents"`
	Months     int             `db:"months" json:"months"`
	Currency   string          `db:"currency" json:"currency"`
	CreatedAt  time.Time       `db:"created_at" json:"created_at"`
}

// CustomerPayment is one of a customer's orders, for staff.
type CustomerPayment struct {
	ID          uuid.UUID     `db:"id" json:"id"`
	Status      string        `db:"status" json:"status"`
	Description string        `db:"description" json:"description"`
	AmountCents billing.Cents `db:"amount_cents" json:"amount_cents"`
	CreditCents billing.Cents `db:"credit_cents" json:"credit_cents"`
	Refunded    billing.Cents `db:"refunded_cents" json:"refunded_cents"`
	Currency    string        `db:"currency" json:"currency"`
	PaidAt      *time.Time    `db:"paid_at" json:"paid_at"`
	CreatedAt   time.Time     `db:"created_at" json:"created_at"`
}

// CustomerCard is a saved card's public face.
type CustomerCard struct {
	Brand     string `db:"brand" json:"brand"`
	Last4     string `db:"last4" json:"last4"`
	ExpMonth  int    `db:"exp_month" json:"exp_month"`
	ExpYear   int    `db:"exp_year" json:"exp_year"`
	IsDefault bool   `db:"is_default" json:"is_default"`
}

// CustomerDetail is a customer with its latest deployments, payments and
// saved cards.
type CustomerDetail struct {
	Customer
	RecentDeployments []CustomerDeployment `json:"recent_deployments"`
	RecentPayments    []CustomerPayment    `json:"recent_payments"`
	Cards             []CustomerCard       `json:"cards"`
}

// customerDetailRows is how many deployments and payments the detail shows;
// the Deployments and Billing pages have the rest.
const customerDetailRows = 25

// Customer returns one customer of the tenant with its latest deployments,
// payments and cards (admin/customers read). ENOTFOUND when the account is
// not a customer of this tenant.
func (s *Service) Customer(ctx context.Context, id uuid.UUID) (*CustomerDetail, error) {
	if err := s.authz.Require(ctx, "admin/customers", "read"); err != nil {
		return nil, err
	}
	var d CustomerDetail
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var rows []Customer
		if err := tx.SelectContext(ctx, &rows, customerPage, "", "", 1, id); err != nil {
			return err
		}
		if len(rows) == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "customer not found")
		}
		d.Customer = rows[0]
		d.RecentDeployments, d.RecentPayments, d.Cards = []CustomerDeployment{}, []CustomerPayment{}, []CustomerCard{}
		if err := tx.SelectContext(ctx, &d.RecentDeployments, `
			SELECT d.id, d.name, d.image, d.spec, d.status, d.backup, d.node_id, d.ipv4,
				o.amount_cents + o.credit_cents AS price_cents, o.months, o.currency, d.created_at
			FROM deployments d JOIN order_summaries o ON o.id = d.order_id
			WHERE d.account_id = $1 ORDER BY d.created_at DESC LIMIT $2`, id, customerDetailRows); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &d.RecentPayments, `
			SELECT id, status, description, amount_cents, credit_cents, refunded_cents, currency, paid_at, created_at
			FROM order_summaries WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2`, id, customerDetailRows); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &d.Cards, `SELECT brand, last4, exp_month, exp_year, is_default
			FROM card_summaries WHERE account_id = $1 ORDER BY is_default DESC, created_at`, id)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}
