package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// waitRunning polls a deployment until it runs (the harness provisions in
// the background, as the worker would).
func waitRunning(t *testing.T, c *browser, id string) reply {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := c.must(200, "GET", "/api/deployments/"+id, nil)
		if r.body["status"] == deploy.Running {
			return r
		}
		if r.body["status"] == deploy.Failed || time.Now().After(deadline) {
			t.Fatalf("deployment %s = %s", id, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAppsOverHTTP: a visitor sees the app catalog (vm first) and prices
// an app's form line by line; a bad form is a 400 naming
// app_config.<field>; a customer orders Nextcloud and a Kubernetes
// cluster, sees their access panels, reads Nextcloud's credentials once
// (then 409 on credentials), downloads the kubeconfig, adds a worker, and
// cancels; the admin turns LiveKit off and the catalog leaves it out.
func TestAppsOverHTTP(t *testing.T) {
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

	visitor := w.h.browser(t, "alpha.localhost")
	apps := visitor.must(200, "GET", "/api/apps", nil)
	var keys []string
	for _, a := range apps.body["apps"].([]any) {
		keys = append(keys, a.(map[string]any)["key"].(string))
	}
	if strings.Join(keys, ",") != "vm,kubernetes,nextcloud,openwebui,livekit" {
		t.Fatalf("catalog = %v", keys)
	}
	q := visitor.must(200, "POST", "/api/quote", map[string]any{"app": "nextcloud", "app_config": map[string]any{"storage_gb": 100}})
	var kinds []string
	var sum float64
	for _, l := range q.body["lines"].([]any) {
		kinds = append(kinds, l.(map[string]any)["kind"].(string))
		sum += l.(map[string]any)["cents"].(float64)
	}
	if strings.Join(kinds, ",") != "vm,disk,gateway" || sum != q.body["monthly_cents"].(float64) {
		t.Errorf("nextcloud quote = %s", q.raw)
	}
	if r := visitor.do("POST", "/api/quote", map[string]any{"app": "nextcloud", "app_config": map[string]any{"storage_gb": 1}}); r.status != 400 || r.errField() != "app_config.storage_gb" {
		t.Errorf("bad quote = %d %s", r.status, r.raw)
	}

	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})
	if r := ann.do("POST", "/api/deployments", map[string]any{"name": "files", "app": "nextcloud", "app_config": map[string]any{"storage_gb": "many"},
		"ssh_key": sshKey, "client_key": "app-files-0"}); r.status != 400 || r.errField() != "app_config.storage_gb" {
		t.Errorf("bad order = %d %s", r.status, r.raw)
	}
	nc := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "files", "app": "nextcloud", "app_config": map[string]any{"storage_gb": 100},
		"ssh_key": sshKey, "client_key": "app-files-1"})
	id := nc.body["id"].(string)
	if nc.body["order"].(map[string]any)["amount_cents"] != q.body["total_cents"] {
		t.Errorf("charged %v, quoted %v", nc.body["order"].(map[string]any)["amount_cents"], q.body["total_cents"])
	}
	run := waitRunning(t, ann, id)
	access := run.body["access"].(map[string]any)
	urls := access["urls"].([]any)
	if len(urls) != 2 || !strings.HasPrefix(urls[0].(map[string]any)["url"].(string), "https://files") || access["credentials"] != "none" {
		t.Errorf("nextcloud access = %v", access)
	}
	if r := ann.do("POST", "/api/deployments/"+id+"/credentials", nil); r.status != 409 || r.errField() != "credentials" {
		t.Errorf("nextcloud credentials = %d %s, want 409 on credentials (its setup page makes the admin)", r.status, r.raw)
	}
	lk := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "meet", "app": "livekit", "app_config": map[string]any{"size": "small"},
		"ssh_key": sshKey, "client_key": "app-meet-0"})
	lid := lk.body["id"].(string)
	if got := waitRunning(t, ann, lid); got.body["access"].(map[string]any)["credentials"] != "available" {
		t.Errorf("livekit access = %s", got.raw)
	}
	creds := ann.must(200, "POST", "/api/deployments/"+lid+"/credentials", nil)
	if len(creds.body["credentials"].([]any)) != 2 {
		t.Errorf("credentials = %s", creds.raw)
	}
	if r := ann.do("POST", "/api/deployments/"+lid+"/credentials", nil); r.status != 409 || r.errField() != "credentials" {
		t.Errorf("credentials again = %d %s, want 409 on credentials", r.status, r.raw)
	}
	if r := ann.do("GET", "/api/deployments/"+id+"/kubeconfig", nil); r.status != 409 {
		t.Errorf("kubeconfig of nextcloud = %d %s", r.status, r.raw)
	}

	k := ann.must(201, "POST", "/api/deployments", map[string]any{"name": "k8s", "app": "kubernetes", "app_config": map[string]any{"workers": 1, "worker_size": "small", "master_size": "small"},
		"ssh_key": sshKey, "client_key": "app-k8s-1"})
	kid := k.body["id"].(string)
	kr := waitRunning(t, ann, kid)
	if ws := kr.body["workers"].([]any); len(ws) != 1 || kr.body["access"].(map[string]any)["kubeconfig"] != true {
		t.Errorf("cluster = %s", kr.raw)
	}
	kc := ann.must(200, "GET", "/api/deployments/"+kid+"/kubeconfig", nil)
	if kc.header.Get("Content-Type") != "application/yaml" || !strings.Contains(kc.header.Get("Content-Disposition"), `filename="k8s-kubeconfig.yaml"`) ||
		!strings.Contains(kc.raw, "clusters") {
		t.Errorf("kubeconfig = %v %.60q", kc.header, kc.raw)
	}
	if r := ann.do("PUT", "/api/deployments/"+kid+"/workers", map[string]any{"count": 9, "client_key": "workers-9-x"}); r.status != 400 || r.errField() != "count" {
		t.Errorf("9 workers = %d %s", r.status, r.raw)
	}
	ann.must(200, "PUT", "/api/deployments/"+kid+"/workers", map[string]any{"count": 2, "client_key": "workers-2-x"})
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ann.must(200, "GET", "/api/deployments/"+kid, nil)
		if ws, _ := r.body["workers"].([]any); len(ws) == 2 && ws[1].(map[string]any)["status"] == deploy.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second worker never ran: %s", r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c := ann.must(200, "DELETE", "/api/deployments/"+id, nil); c.body["status"] != deploy.Terminated {
		t.Errorf("cancel = %s", c.raw)
	}

	// The admin's apps page.
	if r := ann.do("PUT", "/api/admin/apps/livekit", map[string]any{"enabled": false}); r.status != 404 && r.status != 403 {
		t.Errorf("a customer's change of apps = %d", r.status)
	}
	admin := owner.must(200, "GET", "/api/admin/apps", nil)
	if len(admin.body["apps"].([]any)) != 5 {
		t.Errorf("admin apps = %s", admin.raw)
	}
	if r := owner.do("PUT", "/api/admin/apps/livekit", map[string]any{"enabled": true, "margin_bps": -1}); r.status != 400 || r.errField() != "margin_bps" {
		t.Errorf("negative margin = %d %s", r.status, r.raw)
	}
	owner.must(200, "PUT", "/api/admin/apps/livekit", map[string]any{"enabled": false, "margin_bps": nil})
	if r := owner.do("PUT", "/api/admin/apps/wordpress", map[string]any{"enabled": true}); r.status != 404 {
		t.Errorf("unknown app = %d", r.status)
	}
	if strings.Contains(visitor.must(200, "GET", "/api/apps", nil).raw, `"key":"livekit"`) {
		t.Error("the catalog lists LiveKit after the admin turned it off")
	}
	if r := ann.do("POST", "/api/deployments", map[string]any{"name": "meet-2", "app": "livekit", "ssh_key": sshKey, "client_key": "app-meet-1"}); r.status != 400 || r.errField() != "app" {
		t.Errorf("order of a disabled app = %d %s", r.status, r.raw)
	}
}
