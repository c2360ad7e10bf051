package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/web"
)

// secondInstance builds, next to the harness's server, another serve
// instance on the same database and Redis with its own notification
// listener (and so its own caches), as a second replica behind a load
// balancer would be. It must come after notified.
func secondInstance(t *testing.T, out **web.Server) harnessOption {
	return func(deps *web.Deps, db *dbtest.DB) {
		notes := tenant.NewNotifications(db.AppURL, slog.New(slog.NewTextHandler(io.Discard, nil)),
			tenant.ChannelCatalog, tenant.ChannelAuth, tenant.ChannelDeployment, tenant.ChannelTenantData)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); notes.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		for i := 0; !notes.Live(); i++ {
			if i > 500 {
				t.Fatal("notifications did not go live")
			}
			time.Sleep(10 * time.Millisecond)
		}
		d := *deps
		d.Notifications = notes
		d.Registry = prometheus.NewRegistry()
		*out = web.New(web.Config{Version: "test", StripeMode: "mock"}, d)
	}
}

// bearerGet sends GET path to srv (nil: the harness's) with an API token,
// checks the answer against web/openapi.json and returns it.
func bearerGet(t *testing.T, h *harness, srv *web.Server, host, token, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+token)
	if srv == nil {
		res := h.send(t, req, -1)
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	probe := req.Clone(context.Background())
	res, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if msg := checkContract(t, probe, res, b); msg != "" {
		t.Errorf("%s\n%s", msg, truncate(b, 600))
	}
	return res.StatusCode, string(b)
}

// tokenFor makes an API token for the account (enrolled in two-factor
// authentication first, as staff roles require for a token).
func tokenFor(t *testing.T, h *harness, tid uuid.UUID, email string) string {
	t.Helper()
	if _, err := ownerDB(t, h.db).Exec(`UPDATE accounts SET totp_enabled_at = now() WHERE tenant_id = $1 AND email = $2`, tid, email); err != nil {
		t.Fatal(err)
	}
	tok, err := rbac.NewStore(h.db.App).CreateTokenFor(context.Background(), tid, email, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func listedIDs(t *testing.T, body string) []string {
	t.Helper()
	var l struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func setFailure(t *testing.T, owner *sql.DB, dep uuid.UUID, text string) {
	t.Helper()
	if _, err := owner.Exec(`UPDATE deployments SET failure = $2 WHERE id = $1`, dep, text); err != nil {
		t.Fatal(err)
	}
}

// TestDeploymentPagesCacheNeverCrossesCallers proves the deployments
// pages are answered from memory (a change behind the trigger's back stays
// unseen) and that a cached answer is only ever the caller's own: two
// customers of one tenant, a customer of another tenant, the tenant's owner
// (the staff list, any of the tenant's servers) each get their own, in turn
// and again, and a customer never reads another's server by id after its
// owner has it cached.
func TestDeploymentPagesCacheNeverCrossesCallers(t *testing.T) {
	w := newWorld(t, notified(t))
	ctx := context.Background()
	if _, err := rbac.NewStore(w.h.db.App).EnsureAccount(ctx, w.alpha.ID, "cat@alpha.test", pw, rbac.RoleCustomer); err != nil {
		t.Fatal(err)
	}
	if err := w.h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	owner := ownerDB(t, w.h.db)
	annDep := seedProvisioning(t, owner, w.alpha.ID, "ann@alpha.test")
	catDep := seedProvisioning(t, owner, w.alpha.ID, "cat@alpha.test")
	bobDep := seedProvisioning(t, owner, w.bravo.ID, "bob@bravo.test")
	ann, cat := tokenFor(t, w.h, w.alpha.ID, "ann@alpha.test"), tokenFor(t, w.h, w.alpha.ID, "cat@alpha.test")
	bob, staff := tokenFor(t, w.h, w.bravo.ID, "bob@bravo.test"), tokenFor(t, w.h, w.alpha.ID, "owner@alpha.test")
	time.Sleep(300 * time.Millisecond) // the seeds' own notifications land

	type read struct {
		host, token, path string
		status            int
		want, not         []uuid.UUID
	}
	reads := []read{
		{"alpha.localhost", ann, "/api/deployments", 200, []uuid.UUID{annDep}, []uuid.UUID{catDep, bobDep}},
		{"alpha.localhost", cat, "/api/deployments", 200, []uuid.UUID{catDep}, []uuid.UUID{annDep, bobDep}},
		{"bravo.localhost", bob, "/api/deployments", 200, []uuid.UUID{bobDep}, []uuid.UUID{annDep, catDep}},
		{"alpha.localhost", staff, "/api/admin/deployments", 200, []uuid.UUID{annDep, catDep}, []uuid.UUID{bobDep}},
		{"alpha.localhost", ann, "/api/deployments/" + annDep.String(), 200, []uuid.UUID{annDep}, nil},
		{"alpha.localhost", cat, "/api/deployments/" + catDep.String(), 200, []uuid.UUID{catDep}, nil},
		{"alpha.localhost", staff, "/api/deployments/" + annDep.String(), 200, []uuid.UUID{annDep}, nil},
		{"alpha.localhost", ann, "/api/deployments/" + catDep.String(), 404, nil, nil},
		{"alpha.localhost", cat, "/api/deployments/" + annDep.String(), 404, nil, nil},
		{"alpha.localhost", ann, "/api/admin/deployments", 404, nil, nil},
		{"bravo.localhost", bob, "/api/deployments/" + annDep.String(), 404, nil, nil},
		{"alpha.localhost", bob, "/api/deployments", 401, nil, nil},
		{"bravo.localhost", staff, "/api/deployments/" + annDep.String(), 401, nil, nil},
	}
	first := map[int]string{}
	for round := 0; round < 3; round++ { // the first round fills the cache, the others read it
		for i, r := range reads {
			status, body := bearerGet(t, w.h, nil, r.host, r.token, r.path)
			if status != r.status {
				t.Fatalf("round %d: GET %s%s = %d %s, want %d", round, r.host, r.path, status, body, r.status)
			}
			for _, id := range r.want {
				if !strings.Contains(body, id.String()) {
					t.Errorf("round %d: GET %s%s lacks %s: %s", round, r.host, r.path, id, body)
				}
			}
			for _, id := range r.not {
				if strings.Contains(body, id.String()) {
					t.Errorf("round %d: GET %s%s shows another caller's %s: %s", round, r.host, r.path, id, body)
				}
			}
			if round == 0 {
				first[i] = body
			} else if status == 200 && body != first[i] {
				t.Errorf("round %d: GET %s%s changed with nothing written:\n%s\n%s", round, r.host, r.path, first[i], body)
			}
		}
	}

	// Served from memory: a change behind the trigger's back is not seen.
	if _, err := owner.Exec(`ALTER TABLE deployments DISABLE TRIGGER notify_tenant_data`); err != nil {
		t.Fatal(err)
	}
	setFailure(t, owner, annDep, "hidden")
	if _, err := owner.Exec(`ALTER TABLE deployments ENABLE TRIGGER notify_tenant_data`); err != nil {
		t.Fatal(err)
	}
	if _, body := bearerGet(t, w.h, nil, "alpha.localhost", ann, "/api/deployments/"+annDep.String()); strings.Contains(body, "hidden") {
		t.Fatalf("the detail showed a change no notification announced: it is not cached: %s", body)
	}
	// A notified change (in another tenant) leaves alpha's entries cached.
	setFailure(t, owner, bobDep, "bravo's")
	if _, body := bearerGet(t, w.h, nil, "bravo.localhost", bob, "/api/deployments"); !strings.Contains(body, "bravo's") {
		t.Fatalf("bob's page missed his own change: %s", body)
	}
	if _, body := bearerGet(t, w.h, nil, "alpha.localhost", ann, "/api/deployments/"+annDep.String()); strings.Contains(body, "hidden") {
		t.Errorf("a change in bravo dropped alpha's pages: %s", body)
	}
}

// TestDeploymentPagesReadYourWritesAcrossInstances proves a change
// committed anywhere — a worker or another serve instance (here another
// connection, committing the way both do) — is never followed by a stale
// page on either of two serve instances, each with its own cache: right
// after each commit, with no wait, both answer the new state. The rows a
// page shows each have their trigger: the deployment, its order (the
// price), its invoice number, the tenant's cancel terms and, in the staff
// list, the customer's e-mail.
func TestDeploymentPagesReadYourWritesAcrossInstances(t *testing.T) {
	var b *web.Server
	w := newWorld(t, notified(t), secondInstance(t, &b))
	owner := ownerDB(t, w.h.db)
	dep := seedProvisioning(t, owner, w.alpha.ID, "ann@alpha.test")
	ann, staff := tokenFor(t, w.h, w.alpha.ID, "ann@alpha.test"), tokenFor(t, w.h, w.alpha.ID, "owner@alpha.test")
	var order uuid.UUID
	if err := owner.QueryRow(`SELECT order_id FROM deployments WHERE id = $1`, dep).Scan(&order); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ token, path string }{
		{ann, "/api/deployments"},
		{ann, "/api/deployments?limit=20"},
		{ann, "/api/deployments/" + dep.String()},
		{staff, "/api/admin/deployments"},
		{staff, "/api/deployments/" + dep.String()},
	}
	check := func(i int, want string) {
		t.Helper()
		for _, srv := range []*web.Server{nil, b} {
			for _, p := range pages {
				if !strings.Contains(want, "@") || strings.Contains(p.path, "admin") {
					status, body := bearerGet(t, w.h, srv, "alpha.localhost", p.token, p.path)
					if status != 200 || !strings.Contains(body, want) {
						which := "A"
						if srv != nil {
							which = "B"
						}
						t.Fatalf("write %d: instance %s answered GET %s without %q right after the commit: %d %s", i, which, p.path, want, status, body)
					}
				}
			}
		}
	}
	check(0, dep.String()) // both caches filled
	writes := []struct {
		query string
		arg   any
		want  string
	}{
		{`UPDATE deployments SET failure = $2 WHERE id = $1`, dep, `"failure":"%d"`},
		{`UPDATE orders SET amount_cents = $2 WHERE id = $1`, order, `"price_cents":%d`},
		{`UPDATE accounts SET email = $2 WHERE tenant_id = (SELECT tenant_id FROM deployments WHERE id = $1) AND email LIKE 'ann%'`, dep, `ann%d@alpha.test`},
		{`UPDATE deployments SET ipv4 = $2 WHERE id = $1`, dep, `"ipv4":"%d"`},
	}
	for i := 1; i <= 40; i++ {
		wr := writes[i%len(writes)]
		val := any(fmt.Sprint(i))
		switch {
		case strings.Contains(wr.want, "price_cents"):
			val = 100 + i
		case strings.Contains(wr.want, "@"):
			val = fmt.Sprintf("ann%d@alpha.test", i)
		}
		if _, err := owner.Exec(wr.query, wr.arg, val); err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(wr.want, "%d", fmt.Sprint(i), 1)
		if strings.Contains(wr.want, "price_cents") {
			want = fmt.Sprintf(`_cents":%d`, 100+i) // the list's price_cents, the detail's order amount_cents
		}
		check(i, want)
	}
	// The detail's cancel terms live on the tenant.
	for _, terms := range []string{"refund", "credit"} {
		if _, err := owner.Exec(`UPDATE tenants SET on_cancel = $2 WHERE id = $1`, w.alpha.ID, terms); err != nil {
			t.Fatal(err)
		}
		for _, srv := range []*web.Server{b, nil} {
			if _, body := bearerGet(t, w.h, srv, "alpha.localhost", ann, "/api/deployments/"+dep.String()); !strings.Contains(body, `"on_cancel":"`+terms+`"`) {
				t.Fatalf("on_cancel %s: stale detail %s", terms, body)
			}
		}
	}
}
