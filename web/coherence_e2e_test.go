package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// e2eCoherence seeds the money-coherence script's world (web/ui/e2e/
// coherence.test.mjs, issue 15 items 2, 3, 4 and 6) and returns its
// environment: the "orbit" storefront (connected to Stripe, a funded
// wallet) whose pool is all pickable — nodes with and without a free public
// IPv4 at their farm, a GPU node and a certified one; its owner (no 2FA yet)
// and a verified customer with a saved card and four servers that need the
// owner: one failed whose refund is still owed, one failed and refunded, one
// paid but stuck before running, one whose payment never succeeded; a
// super-admin for the console's tenant list; and a second owner of the
// "commons" co-op (which has no discount tiers).
func e2eCoherence(t *testing.T, h *harness, password string) []string {
	t.Helper()
	ctx := context.Background()
	orbit, err := h.store.Create(ctx, tenant.NewTenant{Slug: "orbit", Name: "Orbit Hosting", Status: tenant.StatusActive,
		Pitch: "Servers that stay up", Theme: []byte(`{"primary":"#7c3aed"}`)})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(h.db.App)
	for _, a := range []struct {
		tenant uuid.UUID
		email  string
		role   string
	}{
		{orbit.ID, "owner@orbit.localhost", rbac.RoleOwner},
		{orbit.ID, "buyer@orbit.localhost", rbac.RoleCustomer},
		{uuid.Nil, "coherence@console.localhost", rbac.RoleSuperAdmin},
	} {
		if _, err := rs.EnsureAccount(ctx, a.tenant, a.email, password, a.role); err != nil {
			t.Fatal(err)
		}
	}
	var commons uuid.UUID
	if err := tenant.SystemTx(ctx, h.db.App, "e2e: commons", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &commons, `SELECT id FROM tenants WHERE slug = 'commons'`)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.EnsureAccount(ctx, commons, "pricing@commons.localhost", password, rbac.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	admin := tenant.WithActor(tenant.WithID(ctx, orbit.ID), tenant.System("e2e seed"))
	if _, err := h.billing.OnboardingLink(admin, "http://orbit.localhost"); err != nil {
		t.Fatal(err)
	}
	h.fundWallet(t, orbit.ID)

	// The pool: shared nodes with room for a Small, two at farms with free
	// IPv4, two at farms without, a GPU node and a certified one.
	shared := false
	page, err := h.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: &shared,
		MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 100 << 30}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	var withIPv4, without, gpu, certified []uint32
	for _, n := range page.Nodes {
		switch {
		case len(n.GPUs) > 0 && len(gpu) < 1:
			gpu = append(gpu, n.ID)
		case n.Certified && len(certified) < 1:
			certified = append(certified, n.ID)
		case n.PublicIPv4 >= 3 && len(withIPv4) < 2:
			withIPv4 = append(withIPv4, n.ID)
		case n.PublicIPv4 == 0 && len(without) < 2:
			without = append(without, n.ID)
		}
	}
	if len(withIPv4) < 2 || len(without) < 2 || len(gpu) < 1 || len(certified) < 1 {
		t.Fatalf("the simulator lacks nodes for the picker: ipv4 %v, none %v, gpu %v, certified %v", withIPv4, without, gpu, certified)
	}
	pool := append(append(append(append([]uint32{}, withIPv4...), without...), gpu...), certified...)
	if err := h.deploy.AddToPool(admin, pool); err != nil {
		t.Fatal(err)
	}
	for _, id := range pool {
		if err := h.deploy.SetPickable(admin, id, true); err != nil {
			t.Fatal(err)
		}
	}

	// The customer's saved card and the four servers that need the owner.
	ids := map[string]uuid.UUID{}
	err = tenant.SystemTx(ctx, h.db.App, "e2e: orbit's customer and servers", func(tx *tenant.Tx) error {
		var buyer uuid.UUID
		if err := tx.GetContext(ctx, &buyer, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = 'buyer@orbit.localhost'`, orbit.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_e2e_orbit')`, orbit.ID, buyer); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_e2e_orbit_visa', $1, $2, 'visa', '4242', 12, 2034, true)`, orbit.ID, buyer); err != nil {
			return err
		}
		for _, d := range []struct{ name, status, order, failure string }{
			{"render-1", "failed", "paid", "no node in another farm had room for the standby"},
			{"old-api", "failed", "refunded", "the node went offline while the VM started"},
			{"queue-2", "provisioning", "paid", ""},
			{"shop-3", "awaiting_payment", "failed", ""},
		} {
			var order uuid.UUID
			fail := ""
			if d.order == "failed" {
				fail = "Your card was declined."
			}
			if err := tx.GetContext(ctx, &order, `INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents,
				payment_intent_id, failure_message, refunded_cents, paid_at)
				VALUES ($1, $2, $3, 'VM ' || $5 || ': 1 vCPU, 2 GB RAM, 25 GB disk', 'usd', 608, 608, $4, $6,
					CASE WHEN $3 = 'refunded' THEN 608 ELSE 0 END, CASE WHEN $3 = 'failed' THEN NULL ELSE now() END) RETURNING id`,
				orbit.ID, buyer, d.order, "pi_e2e_orbit_"+fmt.Sprint(len(ids)), d.name, fail); err != nil {
				return fmt.Errorf("order %s: %w", d.name, err)
			}
			if d.order == "refunded" {
				if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, order_id, amount_cents, status, reason) VALUES ($1, $2, 608, 'succeeded', 'provisioning failed')`, orbit.ID, order); err != nil {
					return err
				}
				// Its subscription still says active (the worst case): the
				// server's page must show no renewal for a refunded server.
				var sub uuid.UUID
				if err := tx.GetContext(ctx, &sub, `INSERT INTO subscriptions (tenant_id, account_id, first_order_id, description, spec, months, currency, renewal_cents,
					status, paid_through, next_attempt_at) VALUES ($1, $2, $3, 'VM old-api', '{"size":"small"}', 1, 'usd', 608, 'active', now() + interval '30 days', now() + interval '30 days')
					RETURNING id`, orbit.ID, buyer, order); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE orders SET subscription_id = $2 WHERE id = $1`, order, sub); err != nil {
					return err
				}
			}
			id := uuid.New()
			ids[d.name] = id
			if _, err := tx.ExecContext(ctx, `INSERT INTO deployments (id, tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, status, project, failure, updated_at)
				VALUES ($1, $2, $3, $4, $5, 'ubuntu-24.04', '{"size":"small","cpu":1,"ram_gb":2,"disk_gb":25}', $6, 'default', $7, $8, $9, now() - interval '1 hour')`,
				id, orbit.ID, buyer, order, d.name, sshKey, d.status, "e2e-orbit-"+d.name, d.failure); err != nil {
				return fmt.Errorf("deployment %s: %w", d.name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"FD_E2E_ORBIT_OWNER_EMAIL=owner@orbit.localhost", "FD_E2E_ORBIT_OWNER_PASSWORD=" + password,
		"FD_E2E_ORBIT_CUSTOMER_EMAIL=buyer@orbit.localhost", "FD_E2E_ORBIT_CUSTOMER_PASSWORD=" + password,
		"FD_E2E_COHERENCE_ADMIN_EMAIL=coherence@console.localhost", "FD_E2E_COHERENCE_ADMIN_PASSWORD=" + password,
		"FD_E2E_COOP_PRICING_EMAIL=pricing@commons.localhost", "FD_E2E_COOP_PRICING_PASSWORD=" + password,
		fmt.Sprintf("FD_E2E_ORBIT_IPV4_NODE=%d", withIPv4[0]),
		fmt.Sprintf("FD_E2E_ORBIT_NOIPV4_NODE=%d", without[0]),
		fmt.Sprintf("FD_E2E_ORBIT_GPU_NODE=%d", gpu[0]),
		"FD_E2E_ORBIT_UNPAID=" + ids["shop-3"].String(),
		"FD_E2E_ORBIT_REFUNDED=" + ids["old-api"].String(),
		"FD_E2E_ORBIT_SSH_KEY=" + sshKey,
	}
}
