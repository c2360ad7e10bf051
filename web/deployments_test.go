package web_test

import (
	"bufio"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

const sshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ann@laptop"

// TestDeployOverHTTP: a customer deploys with a backup VM, follows the
// progress stream to running, sees the addresses, and cancels; the grid
// simulator has the contracts and then has none.
func TestDeployOverHTTP(t *testing.T) {
	w := newWorld(t)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	owner.must(200, "POST", "/api/admin/billing/connect", nil)
	cat := owner.must(200, "GET", "/api/admin/pool/catalog?min_cpu=4&min_ram_gb=8&size=12", nil)
	var ids []float64
	for _, n := range cat.body["items"].([]any) {
		ids = append(ids, n.(map[string]any)["ID"].(float64))
	}
	owner.must(201, "POST", "/api/admin/pool", map[string]any{"node_ids": ids})

	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})
	if r := ann.do("POST", "/api/deployments", map[string]any{"name": "web", "image": "ubuntu-24.04", "ssh_key": "nope", "size": "small", "client_key": "deploy-web-1"}); r.status != 400 || r.errField() != "ssh_key" {
		t.Errorf("bad ssh key = %d %s", r.status, r.raw)
	}
	d := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "web", "image": "ubuntu-24.04", "ssh_key": sshKey, "size": "small", "backup": "vm", "client_key": "deploy-web-1"})
	id := d.body["id"].(string)

	// Follow the Server-Sent Events until running.
	req := httptest.NewRequest("GET", "/api/deployments/"+id+"/events", nil)
	req.Host = "alpha.localhost"
	var cs []string
	for k, v := range ann.cookies {
		cs = append(cs, k+"="+v)
	}
	req.Header.Set("Cookie", strings.Join(cs, "; "))
	res, err := w.h.srv.App().Test(req, 30000)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events content type = %s", ct)
	}
	var steps []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			steps = append(steps, line)
		}
	}
	all := strings.Join(steps, "\n")
	for _, want := range []string{`"step":"payment"`, `"step":"vm"`, `"step":"backup"`, `"status":"running"`} {
		if !strings.Contains(all, want) {
			t.Errorf("event stream lacks %s:\n%s", want, all)
		}
	}
	got := ann.must(200, "GET", "/api/deployments/"+id, nil)
	if got.body["status"] != deploy.Running || got.body["mycelium"] == "" || got.body["order"].(map[string]any)["status"] != "paid" {
		t.Fatalf("deployment = %s", got.raw)
	}
	project := deploy.ProjectName(mustUUID(t, id))
	p, err := w.h.sim.Project(context.Background(), project)
	if err != nil || len(p.VMs) != 2 {
		t.Fatalf("grid project = %+v, %v", p, err)
	}
	list := owner.must(200, "GET", "/api/admin/deployments", nil)
	if !strings.Contains(list.raw, `"name":"web"`) {
		t.Errorf("admin list = %s", list.raw)
	}
	// Another customer cannot see it.
	other := w.h.browser(t, "bravo.localhost")
	other.login("bob@bravo.test", pw)
	if r := other.do("GET", "/api/deployments/"+id, nil); r.status != 404 {
		t.Errorf("other tenant's customer = %d", r.status)
	}
	c := ann.must(200, "DELETE", "/api/deployments/"+id, nil)
	if c.body["status"] != deploy.Terminated {
		t.Errorf("after cancel = %s", c.raw)
	}
	if _, err := w.h.sim.Project(context.Background(), project); err == nil {
		t.Error("contracts remain after cancel")
	}
	nodes := ann.must(200, "GET", "/api/nodes", nil)
	if len(nodes.body["items"].([]any)) == 0 {
		t.Error("no pickable nodes listed")
	}
	_ = grid.NodeUp
	_ = tenant.RealmTenant
	_ = time.Second
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
