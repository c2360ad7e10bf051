package web_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentRetriesMakeOneOrder fires 20 identical deploy requests with
// one client_key at once (a double-clicking browser, a retrying client):
// every one answers 200 or 201 with the same deployment, and there is one
// order and one deployment — never a 500 from a duplicate key.
func TestConcurrentRetriesMakeOneOrder(t *testing.T) {
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
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})

	var cs []string
	for k, v := range ann.cookies {
		cs = append(cs, k+"="+v)
	}
	body, _ := json.Marshal(map[string]any{"name": "twice", "image": "ubuntu-24.04", "ssh_key": sshKey, "size": "small", "client_key": "same-key-20x"})
	const n = 20
	type answer struct {
		status int
		id     string
		raw    string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/api/deployments", strings.NewReader(string(body)))
			req.Host = "alpha.localhost"
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Cookie", strings.Join(cs, "; "))
			req.Header.Set("X-CSRF-Token", ann.cookies["fd_csrf"])
			<-start
			res, err := w.h.srv.App().Test(req, -1)
			if err != nil {
				answers[i] = answer{raw: err.Error()}
				return
			}
			raw, _ := io.ReadAll(res.Body)
			var out struct {
				ID string `json:"id"`
			}
			json.Unmarshal(raw, &out)
			answers[i] = answer{status: res.StatusCode, id: out.ID, raw: string(raw)}
		}()
	}
	close(start)
	wg.Wait()
	first := answers[0].id
	for i, a := range answers {
		if a.status != 200 && a.status != 201 {
			t.Errorf("request %d answered %d %s; want 200 or 201", i, a.status, a.raw)
			continue
		}
		if a.id == "" || a.id != first {
			t.Errorf("request %d answered deployment %q; request 0 answered %q", i, a.id, first)
		}
	}
	owner2 := w.h.db.Owner(t)
	var orders, deployments int
	if err := owner2.Get(&orders, `SELECT count(*) FROM orders WHERE client_key = 'same-key-20x'`); err != nil {
		t.Fatal(err)
	}
	if err := owner2.Get(&deployments, `SELECT count(*) FROM deployments d JOIN orders o ON o.id = d.order_id WHERE o.client_key = 'same-key-20x'`); err != nil {
		t.Fatal(err)
	}
	if orders != 1 || deployments != 1 {
		t.Fatalf("%d orders and %d deployments for one client_key; want 1 and 1", orders, deployments)
	}
}
