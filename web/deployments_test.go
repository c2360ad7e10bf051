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
	twin := w.h.fundWallet(t, w.alpha.ID) // orders need a grid wallet that can pay
	wallet := w.h.sim.AsTwin(twin)        // and its twin deploys them
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
	res := w.h.send(t, req, 30000)
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
	p, err := wallet.Project(context.Background(), project)
	if err != nil || len(p.VMs) != 2 {
		t.Fatalf("grid project = %+v, %v", p, err)
	}
	list := owner.must(200, "GET", "/api/admin/deployments", nil)
	if !strings.Contains(list.raw, `"name":"web"`) || !strings.Contains(list.raw, `"customer_email":"ann@alpha.test"`) || !strings.Contains(list.raw, `"price_cents":`) {
		t.Errorf("admin list = %s; want the customer and the price", list.raw)
	}
	for _, c := range p.Contracts {
		if c.TwinID != twin {
			t.Errorf("contract %d is twin %d's, want the storefront wallet's twin %d", c.ID, c.TwinID, twin)
		}
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
	if _, err := wallet.Project(context.Background(), project); err == nil {
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

// TestSSHKeysAndHealthOverHTTP: customers save, list and delete SSH keys
// (a bad key is a 400 naming the field); a deploy reuses a saved key; the
// admin's health page reconciles and lists reports; the cancellation
// setting is validated.
func TestSSHKeysAndHealthOverHTTP(t *testing.T) {
	w := newWorld(t)
	w.h.fundWallet(t, w.alpha.ID)
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
	for _, c := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"name": "laptop", "public_key": "ssh-rsa AAAAB3NzaC1yc2E"}, "public_key"},
		{map[string]any{"name": "", "public_key": sshKey}, "name"},
		{map[string]any{"name": "laptop", "public_key": "-----BEGIN OPENSSH PRIVATE KEY-----"}, "public_key"},
	} {
		if r := ann.do("POST", "/api/account/ssh-keys", c.in); r.status != 400 || r.errField() != c.field {
			t.Errorf("save %v = %d %s; want 400 naming %s", c.in, r.status, r.raw, c.field)
		}
	}
	k := ann.must(201, "POST", "/api/account/ssh-keys", map[string]any{"name": "laptop", "public_key": sshKey})
	if fp, _ := k.body["fingerprint"].(string); !strings.HasPrefix(fp, "SHA256:") {
		t.Errorf("saved key = %s", k.raw)
	}
	if r := ann.do("POST", "/api/account/ssh-keys", map[string]any{"name": "again", "public_key": sshKey}); r.status != 400 || r.errField() != "public_key" {
		t.Errorf("saving a key twice = %d %s", r.status, r.raw)
	}
	keys := ann.must(200, "GET", "/api/account/ssh-keys", nil)
	if items := keys.body["items"].([]any); len(items) != 1 {
		t.Errorf("keys = %s", keys.raw)
	}
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})
	if r := ann.do("POST", "/api/deployments", map[string]any{"name": "keyed", "image": "ubuntu-24.04", "ssh_key_id": uuid.NewString(), "size": "small", "client_key": "deploy-keyed-1"}); r.status != 400 || r.errField() != "ssh_key_id" {
		t.Errorf("deploy with an unknown key id = %d %s", r.status, r.raw)
	}
	d := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "keyed", "image": "ubuntu-24.04", "ssh_key_id": k.body["id"], "size": "small", "client_key": "deploy-keyed-2"})
	if d.body["ssh_key"] != k.body["public_key"] {
		t.Errorf("deployed with key %v, want the saved %v", d.body["ssh_key"], k.body["public_key"])
	}
	ann.must(204, "DELETE", "/api/account/ssh-keys/"+k.body["id"].(string), nil)
	if r := ann.do("DELETE", "/api/account/ssh-keys/"+k.body["id"].(string), nil); r.status != 404 {
		t.Errorf("deleting twice = %d", r.status)
	}

	// The health page.
	if r := ann.do("GET", "/api/admin/health", nil); r.status != 404 {
		t.Errorf("a customer reads the health page: %d", r.status)
	}
	h := owner.must(200, "GET", "/api/admin/health", nil)
	if h.body["last_reconcile"] != nil || h.body["wallet"] != true {
		t.Errorf("health before any reconcile = %s", h.raw)
	}
	r := owner.must(200, "POST", "/api/admin/health/reconcile", nil)
	if r.body["ran_at"] == nil || r.body["drift"] == nil {
		t.Errorf("reconcile now = %s", r.raw)
	}
	reports := owner.must(200, "GET", "/api/admin/health/reports?limit=5", nil)
	if items := reports.body["items"].([]any); len(items) != 1 {
		t.Errorf("reports = %s", reports.raw)
	}
	if h := owner.must(200, "GET", "/api/admin/health", nil); h.body["last_reconcile"] == nil {
		t.Errorf("health after a reconcile = %s", h.raw)
	}

	// What cancelling gives back is the tenant's choice.
	set := owner.must(200, "GET", "/api/admin/settings", nil)
	if set.body["on_cancel"] != "credit" {
		t.Errorf("default on_cancel = %v", set.body["on_cancel"])
	}
	in := map[string]any{"name": set.body["name"], "base_currency": "usd", "on_cancel": "cash"}
	if r := owner.do("PUT", "/api/admin/settings", in); r.status != 400 || r.errField() != "on_cancel" {
		t.Errorf("on_cancel cash = %d %s", r.status, r.raw)
	}
	in["on_cancel"] = "refund"
	if r := owner.must(200, "PUT", "/api/admin/settings", in); r.body["on_cancel"] != "refund" {
		t.Errorf("saved settings = %s", r.raw)
	}
	delete(in, "on_cancel") // a form without the field keeps the choice
	if r := owner.must(200, "PUT", "/api/admin/settings", in); r.body["on_cancel"] != "refund" {
		t.Errorf("settings saved without on_cancel = %s", r.raw)
	}
	if got := ann.must(200, "GET", "/api/deployments/"+d.body["id"].(string), nil); got.body["on_cancel"] != "refund" {
		t.Errorf("the deployment says cancelling gives %v", got.body["on_cancel"])
	}
}
