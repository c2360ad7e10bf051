package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// e2eApps seeds the apps script's world (web/ui/e2e/apps.test.mjs) and
// returns its environment:
//
//   - the "appshop" storefront, connected to Stripe with a funded grid wallet,
//     an owner without 2FA yet (the script enrols it and puts the apps on
//     sale), a customer with a saved card, and a pool of shared nodes with
//     room on several farms whose farms have public IPv4 free (LiveKit and a
//     Kubernetes control plane take one);
//   - the "gpucoop" co-op storefront with an owner (the script publishes an
//     Open WebUI offer), one member who takes the whole split, a customer with
//     a saved card, a funded wallet, and two GPU nodes no one rents in its
//     pool (the offer's order rents one whole).
func e2eApps(t *testing.T, h *harness, password string) ([]string, []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	rs := rbac.NewStore(h.db.App)
	seed := func(id uuid.UUID) context.Context {
		return tenant.WithActor(tenant.WithID(ctx, id), tenant.System("e2e seed"))
	}
	shop, err := h.store.Create(ctx, tenant.NewTenant{Slug: "appshop", Name: "App Cloud", Status: tenant.StatusActive,
		Pitch: "Kubernetes, Nextcloud, AI chat and video calls, ready in minutes", Theme: []byte(`{"primary":"#7c3aed"}`)})
	if err != nil {
		t.Fatal(err)
	}
	coop, err := h.store.Create(ctx, tenant.NewTenant{Slug: "gpucoop", Name: "GPU Commons", Kind: tenant.KindCoop, Status: tenant.StatusActive,
		Pitch: "AI on GPUs owned by the farmers who run them.", Theme: []byte(`{"primary":"#0e7490"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		tenant uuid.UUID
		email  string
		role   string
	}{
		{shop.ID, "owner@appshop.localhost", rbac.RoleOwner},
		{coop.ID, "owner@gpucoop.localhost", rbac.RoleOwner},
	} {
		if _, err := rs.EnsureAccount(ctx, a.tenant, a.email, password, a.role); err != nil {
			t.Fatal(err)
		}
	}
	member, err := rs.EnsureAccount(ctx, uuid.Nil, "gpumember@console.localhost", password, rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	// Customers pay with a card saved here (see the deployments script's card in e2e_test.go).
	customer := func(tenantID uuid.UUID, email, slug string) {
		id, err := rs.EnsureAccount(ctx, tenantID, email, password, rbac.RoleCustomer)
		if err != nil {
			t.Fatal(err)
		}
		err = tenant.SystemTx(ctx, h.db.App, "e2e: the apps customers' cards", func(tx *tenant.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, $3)`,
				tenantID, id, "cus_e2e_"+slug); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
				VALUES ($1, $2, $3, 'visa', '4242', 12, 2034, true)`, "pm_e2e_"+slug+"_visa", tenantID, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	customer(shop.ID, "buyer@appshop.localhost", "appshop")
	customer(coop.ID, "buyer@gpucoop.localhost", "gpucoop")
	// The co-op's one member takes the whole split, to a connected payout account.
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the GPU co-op's member", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO coop_members (tenant_id, account_id, email, role, share_bps) VALUES ($1, $2, $3, 'node_operator', 10000)`,
			coop.ID, member, "gpumember@console.localhost"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO member_stripe (account_id, stripe_account, payouts_enabled, details_submitted) VALUES ($1, 'acct_e2e_gpumember', true, true)`, member)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.billing.OnboardingLink(seed(shop.ID), "http://appshop.localhost"); err != nil {
		t.Fatal(err)
	}
	h.fundWallet(t, shop.ID)
	h.fundWallet(t, coop.ID)

	shared := false
	list := func(f grid.NodeFilter) []grid.Node {
		f.Status = []grid.NodeStatus{grid.NodeUp}
		f.Page = grid.Page{Size: grid.MaxPageSize}
		page, err := h.sim.ListNodes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return page.Nodes
	}
	// The shop's pool: shared nodes with room for a cluster, at most two a farm,
	// on farms with public IPv4 free.
	var pool []uint32
	perFarm := map[uint32]int{}
	for _, n := range list(grid.NodeFilter{MinFree: grid.Resources{CRU: 8, MRU: 16 << 30, SRU: 500 << 30}, Dedicated: &shared}) {
		if n.PublicIPv4 > 0 && len(n.GPUs) == 0 && perFarm[n.FarmID] < 2 && len(pool) < 10 {
			perFarm[n.FarmID]++
			pool = append(pool, n.ID)
		}
	}
	if len(perFarm) < 2 {
		t.Fatalf("the apps pool needs nodes of two farms with public IPv4, got %v", perFarm)
	}
	// Open WebUI needs a GPU node no one rents with room for its VM (4 vCPU,
	// 16 GB, 100 GB of models by default): the shop sells it too.
	var gpus []uint32
	for _, n := range list(grid.NodeFilter{GPU: true, Rentable: true, MinFree: grid.Resources{CRU: 8, MRU: 32 << 30, SRU: 500 << 30}}) {
		if len(gpus) < 4 {
			gpus = append(gpus, n.ID)
		}
	}
	if len(gpus) < 4 {
		t.Fatalf("the grid simulator has %d rentable GPU nodes with room, want 4", len(gpus))
	}
	if err := h.deploy.AddToPool(seed(shop.ID), append(pool, gpus[0], gpus[1])); err != nil {
		t.Fatal(err)
	}
	if err := h.deploy.AddToPool(seed(coop.ID), gpus[2:4]); err != nil {
		t.Fatal(err)
	}
	join := func(ids []uint32) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = fmt.Sprint(id)
		}
		return strings.Join(s, ",")
	}
	return []string{
		"FD_E2E_APPS_ADMIN_EMAIL=owner@appshop.localhost", "FD_E2E_APPS_ADMIN_PASSWORD=" + password,
		"FD_E2E_APPS_CUSTOMER_EMAIL=buyer@appshop.localhost", "FD_E2E_APPS_CUSTOMER_PASSWORD=" + password,
		"FD_E2E_GPUCOOP_ADMIN_EMAIL=owner@gpucoop.localhost", "FD_E2E_GPUCOOP_ADMIN_PASSWORD=" + password,
		"FD_E2E_GPUCOOP_CUSTOMER_EMAIL=buyer@gpucoop.localhost", "FD_E2E_GPUCOOP_CUSTOMER_PASSWORD=" + password,
		"FD_E2E_GPUCOOP_GPU_NODES=" + join(gpus[2:4]),
	}, []uuid.UUID{shop.ID, coop.ID}
}

// e2eCheckApps runs after the apps script: every deployment of the two
// storefronts was cancelled in the browser, and each one's grid contracts
// (node contracts, the gateway's name contract, a GPU node's rent) are all
// cancelled too.
func e2eCheckApps(t *testing.T, h *harness, tenants []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	type row struct {
		Name      string `db:"name"`
		App       string `db:"app"`
		Status    string `db:"status"`
		Created   int    `db:"created"`
		StillOpen int    `db:"open"`
	}
	var rows []row
	err := tenant.SystemTx(ctx, h.db.App, "e2e: the apps' contracts", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT d.name, d.app, d.status,
				(SELECT count(*) FROM grid_contracts c WHERE c.project = d.project) AS created,
				(SELECT count(*) FROM grid_contracts c WHERE c.project = d.project AND c.canceled_at IS NULL) AS open
			FROM deployments d WHERE d.tenant_id = ANY($1) ORDER BY d.created_at`, pq.Array(tenants))
	})
	if err != nil {
		t.Fatal(err)
	}
	apps := map[string]bool{}
	for _, r := range rows {
		apps[r.App] = true
		if r.Status != "terminated" || r.Created == 0 || r.StillOpen != 0 {
			t.Errorf("%s (%s): %s with %d grid contracts, %d still open; want terminated, all cancelled", r.Name, r.App, r.Status, r.Created, r.StillOpen)
		}
	}
	for _, app := range []string{"kubernetes", "nextcloud", "openwebui", "livekit"} {
		if !apps[app] {
			t.Errorf("the apps script deployed no %s (deployments: %+v)", app, rows)
		}
	}
}
