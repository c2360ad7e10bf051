package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// e2eCoop seeds the co-op script's world (web/ui/e2e/coop.test.mjs) and
// returns its environment: the "commons" co-op storefront with an owner
// (no 2FA yet: the script enrols it), a member on the console with a
// connected payout account and 70 % of the revenue (another member has the
// rest), a pool of two GPU nodes and two without, all pickable, and one paid
// order divided between them — the member's share transferred, then partly
// reversed by a refund (the Go tests cover how billing gets there), and a
// console account that is not a member yet (the script invites it).
func e2eCoop(t *testing.T, h *harness, password string) []string {
	t.Helper()
	ctx := context.Background()
	coop, err := h.store.Create(ctx, tenant.NewTenant{Slug: "commons", Name: "Grid Commons Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive,
		Pitch: "A co-operative cloud run by the farmers whose nodes it runs on.", Theme: []byte(`{"primary":"#4f46e5"}`)})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(h.db.App)
	if _, err := rs.EnsureAccount(ctx, coop.ID, "coopadmin@commons.localhost", password, rbac.RoleOwner); err != nil {
		t.Fatal(err)
	}
	member, err := rs.EnsureAccount(ctx, uuid.Nil, "coopmember@console.localhost", password, rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rs.EnsureAccount(ctx, uuid.Nil, "coopother@console.localhost", password, rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	// A console account the script's admin invites, and which accepts.
	if _, err := rs.EnsureAccount(ctx, uuid.Nil, "coopnewcomer@console.localhost", password, rbac.RoleNodeOperator); err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	admin := tenant.WithActor(tenant.WithID(ctx, coop.ID), tenant.System("e2e seed"))
	// The pool: two GPU nodes and two without, all up with room.
	list := func(f grid.NodeFilter, n int) []uint32 {
		f.Status = []grid.NodeStatus{grid.NodeUp}
		f.MinFree = grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}
		f.Page = grid.Page{Size: grid.MaxPageSize}
		page, err := h.sim.ListNodes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint32
		for _, node := range page.Nodes {
			if len(out) < n && (f.GPU || len(node.GPUs) == 0) {
				out = append(out, node.ID)
			}
		}
		if len(out) < n {
			t.Fatalf("the grid simulator has %d such nodes, want %d", len(out), n)
		}
		return out
	}
	// GPU nodes no one rents: the GPU script's order rents one whole.
	gpu := list(grid.NodeFilter{GPU: true, Rentable: true}, 2)
	plain := list(grid.NodeFilter{}, 2)
	if err := h.deploy.AddToPool(admin, append(append([]uint32{}, gpu...), plain...)); err != nil {
		t.Fatal(err)
	}
	// Members, the split, the member's payout account, and a paid order
	// divided 70/30: 3 000 charged, 60 platform fee, 117 Stripe fee → 2 823;
	// the member's 1 976 was transferred, then 329 of it reversed by a 500
	// refund (⌊2823 × 500 / 3000⌋ = 470, 70 % of it).
	var order uuid.UUID
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the co-op's members and a payment", func(tx *tenant.Tx) error {
		for _, m := range []struct {
			id    uuid.UUID
			email string
			bps   int
		}{{member, "coopmember@console.localhost", 7000}, {other, "coopother@console.localhost", 3000}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO coop_members (tenant_id, account_id, email, role, share_bps) VALUES ($1, $2, $3, 'node_operator', $4)`,
				coop.ID, m.id, m.email, m.bps); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_stripe (account_id, stripe_account, payouts_enabled, details_submitted) VALUES ($1, 'acct_e2e_member', true, true)`, member); err != nil {
			return err
		}
		var buyer uuid.UUID
		if err := tx.GetContext(ctx, &buyer, `INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at) VALUES ($1, 'buyer@commons.localhost', 'x', now()) RETURNING id`, coop.ID); err != nil {
			return err
		}
		split := fmt.Sprintf(`[{"member":"%s","bps":7000},{"member":"%s","bps":3000}]`, member, other)
		if err := tx.GetContext(ctx, &order, `INSERT INTO orders (tenant_id, account_id, status, description, months, currency, subtotal_cents, amount_cents,
				application_fee_cents, payment_intent_id, refunded_cents, paid_at, coop_split)
			VALUES ($1, $2, 'paid', 'VM render-1: 4 vCPU, 8 GB RAM, 100 GB disk', 1, 'usd', 3000, 3000, 60, 'pi_e2e_coop', 500, now(), $3::jsonb) RETURNING id`,
			coop.ID, buyer, split); err != nil {
			return err
		}
		group := "order_" + order.String()
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET transfer_group = $2 WHERE id = $1`, order, group); err != nil {
			return err
		}
		var tr uuid.UUID
		if err := tx.GetContext(ctx, &tr, `INSERT INTO coop_transfers (tenant_id, order_id, member_account_id, member_email, share_bps, amount_cents, transferred_cents,
				currency, transfer_group, status, stripe_transfer, stripe_account, transferred_at)
			VALUES ($1, $2, $3, 'coopmember@console.localhost', 7000, 1976, 1976, 'usd', $4, 'transferred', 'tr_e2e_member', 'acct_e2e_member', now()) RETURNING id`,
			coop.ID, order, member, group); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO coop_reversals (tenant_id, transfer_id, refund_total_cents, amount_cents, status, stripe_reversal, reversed_at)
			VALUES ($1, $2, 500, 329, 'reversed', 'trr_e2e_member', now())`, coop.ID, tr); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO coop_transfers (tenant_id, order_id, member_account_id, member_email, share_bps, amount_cents,
				currency, transfer_group, status)
			VALUES ($1, $2, $3, 'coopother@console.localhost', 3000, 847, 'usd', $4, 'held')`, coop.ID, order, other, group)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The GPU script's customer of the co-op, with a saved card (as the
	// deployments script's), and a grid wallet for the co-op that pays for
	// the order: the node's rent and the VM on it.
	buyer, err := rs.EnsureAccount(ctx, coop.ID, "gpubuyer@commons.localhost", password, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the GPU buyer's card", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_e2e_gpubuyer')`, coop.ID, buyer); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_e2e_gpubuyer_visa', $1, $2, 'visa', '4242', 12, 2034, true)`, coop.ID, buyer)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	h.fundWallet(t, coop.ID)
	join := func(ids []uint32) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = fmt.Sprint(id)
		}
		return strings.Join(s, ",")
	}
	return []string{
		"FD_E2E_COOP_ADMIN_EMAIL=coopadmin@commons.localhost", "FD_E2E_COOP_ADMIN_PASSWORD=" + password,
		"FD_E2E_COOP_MEMBER_EMAIL=coopmember@console.localhost", "FD_E2E_COOP_MEMBER_PASSWORD=" + password,
		"FD_E2E_COOP_INVITEE_EMAIL=coopnewcomer@console.localhost", "FD_E2E_COOP_INVITEE_PASSWORD=" + password,
		"FD_E2E_COOP_GPU_NODES=" + join(gpu),
		"FD_E2E_COOP_ORDER=" + order.String(),
		"FD_E2E_COOP_CUSTOMER_EMAIL=gpubuyer@commons.localhost", "FD_E2E_COOP_CUSTOMER_PASSWORD=" + password,
	}
}
