package web_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/web"
)

// notified runs the server with PostgreSQL change notifications, as serve
// does, and waits until they are live.
func notified(t *testing.T) harnessOption {
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
		deps.Notifications = notes
	}
}

func ownerDB(t *testing.T, db *dbtest.DB) *sql.DB {
	t.Helper()
	o, err := sql.Open("postgres", db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// eventually retries check for up to five seconds: a notification arrives
// just after the commit that sent it.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !check(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCatalogIsCachedUntilPricingChanges proves GET /api/catalog is served
// from memory (a price changed behind the notification trigger's back is not
// seen) and that a pricing change committed by anyone (here another
// connection, as another instance would) reaches the cached catalog.
func TestCatalogIsCachedUntilPricingChanges(t *testing.T) {
	w := newWorld(t, notified(t))
	owner := ownerDB(t, w.h.db)
	get := func() string {
		res, body := w.h.do(t, "GET", "alpha.localhost", "/api/catalog")
		if res.StatusCode != 200 {
			t.Fatalf("catalog = %d %s", res.StatusCode, body)
		}
		return body
	}
	sizes, _ := json.Marshal(billing.DefaultSizes)
	if _, err := owner.Exec(`INSERT INTO price_rules (tenant_id, mode, margin_bps, sizes) VALUES ($1, 'margin', 5000, $2)`, w.alpha.ID, string(sizes)); err != nil {
		t.Fatal(err)
	}
	// The insert's own notification arrives asynchronously: let it land
	// before the entry that must stay cached is built.
	time.Sleep(300 * time.Millisecond)
	before := get()
	// Behind the trigger's back: the cache keeps answering what it has.
	if _, err := owner.Exec(`ALTER TABLE price_rules DISABLE TRIGGER notify_catalog`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(`UPDATE price_rules SET margin_bps = 9000 WHERE tenant_id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := get(); got != before {
		t.Fatalf("catalog changed without a notification: it is not cached\nbefore %s\nafter  %s", before, got)
	}
	if _, err := owner.Exec(`ALTER TABLE price_rules ENABLE TRIGGER notify_catalog`); err != nil {
		t.Fatal(err)
	}
	// A change that notifies: the catalog follows, with the new margin.
	if _, err := owner.Exec(`UPDATE price_rules SET margin_bps = 9500 WHERE tenant_id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the catalog follows a pricing change", func() bool { return get() != before })
	// Another tenant's catalog is its own.
	if res, body := w.h.do(t, "GET", "bravo.localhost", "/api/catalog"); res.StatusCode != 200 || body == get() {
		t.Errorf("bravo's catalog = %d %s; want its own prices", res.StatusCode, body)
	}
}

// TestRevokedTokenStopsAtOnceWithTheCache proves the bearer cache follows a
// revocation committed on another connection.
func TestRevokedTokenStopsAtOnceWithTheCache(t *testing.T) {
	w := newWorld(t, notified(t))
	token, err := rbac.NewStore(w.h.db.App).CreateTokenFor(context.Background(), w.alpha.ID, "ann@alpha.test", "cli")
	if err != nil {
		t.Fatal(err)
	}
	me := func(host string) int {
		req := httptest.NewRequest("GET", "/api/me", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+token)
		return w.h.send(t, req, -1).StatusCode
	}
	for i := 0; i < 3; i++ {
		if got := me("alpha.localhost"); got != 200 {
			t.Fatalf("GET /api/me with the token = %d, want 200", got)
		}
	}
	// A cached token of one realm is not a token of another.
	if got := me("bravo.localhost"); got != 401 {
		t.Errorf("alpha's token on bravo = %d, want 401", got)
	}
	if _, err := ownerDB(t, w.h.db).Exec(`UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a revoked token is refused", func() bool { return me("alpha.localhost") == 401 })
}

// TestProgressStreamWakesOnNotification proves an open progress stream
// neither polls nor misses a transition: an event written behind the
// notification trigger's back stays unseen for longer than the old one-second
// poll, and the next notified transition delivers both as it happens.
func TestProgressStreamWakesOnNotification(t *testing.T) {
	w := newWorld(t, notified(t))
	owner := ownerDB(t, w.h.db)
	dep := seedProvisioning(t, owner, w.alpha.ID, "ann@alpha.test")
	b := w.h.browser(t, "alpha.localhost")
	b.login("ann@alpha.test", pw)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.h.srv.Serve(ctx, ln, time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/api/deployments/"+dep.String()+"/events", nil)
	req.Host = "alpha.localhost"
	var cs []string
	for k, v := range b.cookies {
		cs = append(cs, k+"="+v)
	}
	req.Header.Set("Cookie", strings.Join(cs, "; "))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data := make(chan string, 10)
	go func() {
		defer close(data)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data <- line
			}
		}
	}()
	insert := func(status, step string) {
		t.Helper()
		if _, err := owner.Exec(`INSERT INTO deployment_events (tenant_id, deployment_id, status, step) VALUES ($1, $2, $3, $4)`, w.alpha.ID, dep, status, step); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // the stream is open and subscribed
	if _, err := owner.Exec(`ALTER TABLE deployment_events DISABLE TRIGGER notify_deployment`); err != nil {
		t.Fatal(err)
	}
	insert("provisioning", "network")
	if _, err := owner.Exec(`ALTER TABLE deployment_events ENABLE TRIGGER notify_deployment`); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-data:
		t.Fatalf("the stream read an event no notification announced (it polls): %s", d)
	case <-time.After(2500 * time.Millisecond):
	}
	insert("running", "vm")
	var got []string
	timeout := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case d, ok := <-data:
			if !ok {
				t.Fatalf("the stream ended with %v, want both events", got)
			}
			got = append(got, d)
		case <-timeout:
			t.Fatalf("after the notified transition the stream sent %v, want both events within 5s", got)
		}
	}
	if !strings.Contains(got[0], `"step":"network"`) || !strings.Contains(got[1], `"status":"running"`) {
		t.Errorf("stream data = %v", got)
	}
}

// seedProvisioning gives the customer with email, in tenant, a paid
// deployment still provisioning (written as the owner, like every seed),
// for the progress-stream tests.
func seedProvisioning(t *testing.T, owner *sql.DB, tenantID uuid.UUID, email string) uuid.UUID {
	t.Helper()
	var account uuid.UUID
	if err := owner.QueryRow(`SELECT id FROM accounts WHERE email = $1 AND tenant_id = $2`, email, tenantID).Scan(&account); err != nil {
		t.Fatal(err)
	}
	var dep uuid.UUID
	if err := owner.QueryRow(`WITH o AS (
			INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents)
			VALUES ($1, $2, 'paid', 'VM', 'usd', 100, 100) RETURNING id)
		INSERT INTO deployments (tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, status, project)
		SELECT $1, $2, o.id, 'web', 'ubuntu-24.04', '{}', 'k', 'default', 'provisioning', 'fd-test-' || o.id FROM o RETURNING id`,
		tenantID, account).Scan(&dep); err != nil {
		t.Fatal(err)
	}
	return dep
}

// TestAppCatalogIsCachedUntilAppSettingsChange proves GET /api/apps is served
// from memory (an app turned off behind the trigger's back is still listed)
// and that a change to the tenant's app settings committed by anyone reaches
// it (migration 00151 attaches fd_catalog to tenant_apps).
func TestAppCatalogIsCachedUntilAppSettingsChange(t *testing.T) {
	w := newWorld(t, notified(t))
	owner := ownerDB(t, w.h.db)
	get := func() string {
		res, body := w.h.do(t, "GET", "alpha.localhost", "/api/apps")
		if res.StatusCode != 200 {
			t.Fatalf("apps = %d %s", res.StatusCode, body)
		}
		return body
	}
	if _, err := owner.Exec(`INSERT INTO tenant_apps (tenant_id, app, enabled) VALUES ($1, 'livekit', true)`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the insert's own notification lands first
	before := get()
	if !strings.Contains(before, `"key":"livekit"`) {
		t.Fatalf("alpha's app catalog lacks LiveKit: %s", before)
	}
	if _, err := owner.Exec(`ALTER TABLE tenant_apps DISABLE TRIGGER notify_catalog`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(`UPDATE tenant_apps SET enabled = false WHERE tenant_id = $1 AND app = 'livekit'`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := get(); got != before {
		t.Fatalf("app catalog changed without a notification: it is not cached\nbefore %s\nafter  %s", before, got)
	}
	if _, err := owner.Exec(`ALTER TABLE tenant_apps ENABLE TRIGGER notify_catalog`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(`UPDATE tenant_apps SET margin_bps = 100 WHERE tenant_id = $1 AND app = 'livekit'`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the app catalog follows the app settings", func() bool { return !strings.Contains(get(), `"key":"livekit"`) })
}
