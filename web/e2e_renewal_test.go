package web_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// e2eRenewal gives the renewal script its customer of storefront: a paid
// subscription whose default card's bank wants every payment authenticated
// (pm_card_authenticationRequired), renewed off-session through the real
// service (stripe-mock and the emitter's off-session outcome), so that the
// renewal waits for the customer's on-session confirmation. It returns the
// script's environment.
func e2eRenewal(t *testing.T, h *harness, storefront uuid.UUID, password string) []string {
	t.Helper()
	ctx := context.Background()
	const email = "renewer@demo.localhost"
	acct, err := rbac.NewStore(h.db.App).EnsureAccount(ctx, storefront, email, password, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	var sub uuid.UUID
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the renewer's subscription", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_e2e_renewer')`, storefront, acct); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_card_authenticationRequired', $1, $2, 'visa', '3184', 12, 2034, true)`, storefront, acct); err != nil {
			return err
		}
		var first uuid.UUID
		if err := tx.GetContext(ctx, &first, `INSERT INTO orders (tenant_id, account_id, description, spec, months, currency, subtotal_cents, amount_cents, status, paid_at)
			VALUES ($1, $2, 'VM small, 1 month', '{"size":"small","cpu":1,"ram_gb":2,"disk_gb":25}', 1, 'usd', 608, 608, 'paid', now() - interval '30 days') RETURNING id`, storefront, acct); err != nil {
			return err
		}
		return tx.GetContext(ctx, &sub, `INSERT INTO subscriptions (tenant_id, account_id, first_order_id, description, spec, months, currency, renewal_cents, paid_through, next_attempt_at)
			SELECT tenant_id, account_id, id, description, spec, months, currency, amount_cents, now() + interval '12 hours', now() - interval '1 minute'
			FROM orders WHERE id = $1 RETURNING id`, first)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The account was written outside the serving Authorizer (as an operator
	// command does): reload its policy, or the customer's role is unknown to
	// it and their own order answers 404.
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.billing.RenewDue(ctx); err != nil {
		t.Fatal(err)
	}
	var order uuid.UUID
	if err := h.db.Owner(t).Get(&order, `SELECT id FROM orders WHERE subscription_id = $1 AND status = 'requires_action'`, sub); err != nil {
		t.Fatalf("the renewal does not wait for the customer's authentication: %v", err)
	}
	return []string{"FD_E2E_RENEWER_EMAIL=" + email, "FD_E2E_RENEWER_PASSWORD=" + password, "FD_E2E_RENEWAL_ORDER=" + order.String()}
}
