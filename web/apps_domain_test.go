package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestAppsDomainOverHTTP: a tenant's apps domain whose wildcard record
// does not point at the gateway node is refused naming domain; pointed,
// it is saved (with the DNS record to create, audited); Nextcloud ordered
// then is priced without a gateway name line, runs at
// https://<name>.<domain> through an FQDN gateway on the chosen node with
// no name contract, and its cancel cancels the gateway. A deployment
// ordered before the domain keeps its gateway name.
func TestAppsDomainOverHTTP(t *testing.T) {
	w := newWorld(t)
	twin := w.h.fundWallet(t, w.alpha.ID)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	owner.must(200, "POST", "/api/admin/billing/connect", nil)
	cat := owner.must(200, "GET", "/api/admin/pool/catalog?min_cpu=4&min_ram_gb=8&size=12", nil)
	var ids []float64
	for _, n := range cat.body["items"].([]any) {
		ids = append(ids, n.(map[string]any)["ID"].(float64))
	}
	owner.must(201, "POST", "/api/admin/pool", map[string]any{"node_ids": ids})
	ctx := context.Background()
	gws, err := w.h.sim.ListNodes(ctx, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 5}})
	if err != nil || len(gws.Nodes) < 2 {
		t.Fatalf("gateway nodes = %v %v", gws, err)
	}
	gw := gws.Nodes[len(gws.Nodes)-1] // not the lowest id, which name gateways take

	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})
	before := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "oldfiles", "app": "nextcloud", "app_config": map[string]any{"storage_gb": 50},
		"ssh_key": sshKey, "client_key": "appsdomain-old"})
	oldID := before.body["id"].(string)
	waitRunning(t, ann, oldID)

	if got := owner.must(200, "GET", "/api/admin/apps-domain", nil); got.body["domain"] != "" {
		t.Errorf("apps domain before = %s", got.raw)
	}
	in := map[string]any{"domain": "apps.alpha.example", "gateway_node": gw.ID}
	if r := owner.do("PUT", "/api/admin/apps-domain", in); r.status != 400 || r.errField() != "domain" ||
		!strings.Contains(r.raw, "*.apps.alpha.example") {
		t.Errorf("unpointed domain = %d %s, want 400 on domain", r.status, r.raw)
	}
	if r := owner.do("PUT", "/api/admin/apps-domain", map[string]any{"domain": "apps.alpha.example", "gateway_node": 999999}); r.status != 400 || r.errField() != "gateway_node" {
		t.Errorf("unknown gateway node = %d %s", r.status, r.raw)
	}
	if r := ann.do("PUT", "/api/admin/apps-domain", in); r.status != 403 && r.status != 404 {
		t.Errorf("a customer's apps domain = %d", r.status)
	}
	if err := w.h.sim.PointDNS("*.apps.alpha.example", gws.Nodes[0].ID); err != nil {
		t.Fatal(err)
	}
	if r := owner.do("PUT", "/api/admin/apps-domain", in); r.status != 400 || r.errField() != "domain" {
		t.Errorf("domain pointed at another node = %d %s", r.status, r.raw)
	}
	if err := w.h.sim.PointDNS("*.apps.alpha.example", gw.ID); err != nil {
		t.Fatal(err)
	}
	saved := owner.must(200, "PUT", "/api/admin/apps-domain", map[string]any{"domain": "Apps.Alpha.Example.", "gateway_node": gw.ID})
	if saved.body["domain"] != "apps.alpha.example" || saved.body["dns_name"] != "*.apps.alpha.example" || saved.body["dns_target"] != gw.GatewayDomain {
		t.Errorf("saved = %s", saved.raw)
	}

	q := ann.must(200, "POST", "/api/quote", map[string]any{"app": "nextcloud", "app_config": map[string]any{"storage_gb": 100}})
	for _, l := range q.body["lines"].([]any) {
		if l.(map[string]any)["kind"] == "gateway" {
			t.Errorf("quote under an apps domain has a gateway name line: %s", q.raw)
		}
	}
	nc := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "cloudfiles", "app": "nextcloud", "app_config": map[string]any{"storage_gb": 100},
		"ssh_key": sshKey, "client_key": "appsdomain-new"})
	id := nc.body["id"].(string)
	if nc.body["order"].(map[string]any)["amount_cents"] != q.body["total_cents"] {
		t.Errorf("charged %v, quoted %v", nc.body["order"].(map[string]any)["amount_cents"], q.body["total_cents"])
	}
	run := waitRunning(t, ann, id)
	if u := run.body["access"].(map[string]any)["urls"].([]any)[0].(map[string]any)["url"]; u != "https://cloudfiles.apps.alpha.example" {
		t.Errorf("nextcloud url = %v", u)
	}
	old := ann.must(200, "GET", "/api/deployments/"+oldID, nil)
	if u := old.body["access"].(map[string]any)["urls"].([]any)[0].(map[string]any)["url"].(string); strings.Contains(u, "apps.alpha.example") {
		t.Errorf("the deployment from before the domain moved to it: %s", u)
	}

	project := func(id string) (grid.Project, error) {
		var name string
		err := tenant.SystemTx(ctx, w.h.db.App, "test: project of a deployment", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &name, `SELECT project FROM deployments WHERE id = $1`, id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return w.h.sim.AsTwin(twin).Project(ctx, name)
	}
	p, err := project(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Gateways) != 1 || p.Gateways[0].FQDN != "cloudfiles.apps.alpha.example" || p.Gateways[0].NodeID != gw.ID || p.Gateways[0].NameContractID != 0 {
		t.Errorf("gateways = %+v", p.Gateways)
	}
	for _, c := range p.Contracts {
		if c.Kind == grid.NameContract {
			t.Errorf("an FQDN gateway made a name contract: %+v", c)
		}
	}
	if c := ann.must(200, "DELETE", "/api/deployments/"+id, nil); c.body["status"] != deploy.Terminated {
		t.Errorf("cancel = %s", c.raw)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		live := 0
		p, err := project(id)
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			break // no live contract left
		}
		for _, c := range p.Contracts {
			if c.State != grid.ContractDeleted {
				live++
			}
		}
		if live == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("contracts after cancel = %+v %v", p.Contracts, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The DNS stops pointing: the next app's gateway is refused like any
	// gateway refusal (the deployment fails, no gateway on the node).
	if err := w.h.sim.PointDNS("*.apps.alpha.example", 0); err != nil {
		t.Fatal(err)
	}
	bad := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "lostfiles", "app": "nextcloud", "app_config": map[string]any{"storage_gb": 50},
		"ssh_key": sshKey, "client_key": "appsdomain-lost"})
	deadline = time.Now().Add(30 * time.Second)
	for {
		r := ann.must(200, "GET", "/api/deployments/"+bad.body["id"].(string), nil)
		if r.body["status"] == deploy.Failed {
			break
		}
		if r.body["status"] == deploy.Running || time.Now().After(deadline) {
			t.Fatalf("deployment behind an unpointed domain = %s", r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	owner.must(200, "PUT", "/api/admin/apps-domain", map[string]any{"domain": ""})
	if got := owner.must(200, "GET", "/api/admin/apps-domain", nil); got.body["domain"] != "" {
		t.Errorf("apps domain after removal = %s", got.raw)
	}
}
