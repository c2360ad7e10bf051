package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
	"github.com/fiatdashboard/fiatdashboard/web"
)

// fakeDNS is a table of TXT records, standing in for net.Resolver in tests.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.records[name]; ok {
		return r, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) set(name string, values ...string) {
	f.mu.Lock()
	f.records[name] = values
	f.mu.Unlock()
}

// syncEvents processes Stripe events at once, and hands billing's service
// events to deployments at once, as the worker would.
type syncEvents struct {
	svc    **billing.Service
	deploy **deploy.Service
	db     *sqlx.DB
}

func (q syncEvents) EnqueueStripeEvent(ctx context.Context, id string) error {
	return (*q.svc).ProcessEvent(ctx, id)
}

func (q syncEvents) Kick(ctx context.Context, key string) error {
	return billingtest.RunOwed(ctx, q.db, key, *q.deploy)
}

// webhookSecret signs the mock Stripe events in tests.
const webhookSecret = "whsec_web_test"

// provisionSoon runs the deploy task in the background, as the worker would.
type provisionSoon struct{ svc **deploy.Service }

func (p provisionSoon) EnqueueDeploy(ctx context.Context, id uuid.UUID) error {
	tid, _ := tenant.IDFromContext(ctx)
	go (*p.svc).Provision(tenant.WithActor(tenant.WithID(context.Background(), tid), tenant.System("deploy:vm")), id)
	return nil
}

// topupSoon runs each top-up step in the background, as the worker would: a
// short pause first (so a page polling the wallet sees the steps go by), and
// a pending mint is tried again, as the worker's retries would.
type topupSoon struct{ treasury **treasury.Treasury }

const topupStepPause = 400 * time.Millisecond

func (q topupSoon) EnqueueTopupStep(ctx context.Context, id uuid.UUID, _ string) error {
	tid, _ := tenant.IDFromContext(ctx)
	go func() {
		sctx := tenant.WithActor(tenant.WithID(context.Background(), tid), tenant.System("treasury"))
		for range 50 {
			time.Sleep(topupStepPause)
			if err := (*q.treasury).Step(sctx, id); !errors.Is(err, treasury.ErrMintPending) {
				return
			}
		}
	}()
	return nil
}

type harness struct {
	sim     *gridsim.Sim
	deploy  *deploy.Service
	billing *billing.Service
	dns     *fakeDNS
	tenants *tenant.Service
	srv     *web.Server
	store   *tenant.Store
	db      *dbtest.DB
	authz   *rbac.Authorizer
	rdb     redis.UniversalClient
	// The treasury, and its Stellar: bridge deposits mint on sim at once.
	treasury *treasury.Treasury
	exsim    *exchangesim.Sim
}

// harnessOption adjusts the server's dependencies before it is built.
type harnessOption func(deps *web.Deps, db *dbtest.DB)

func newHarness(t *testing.T, rdb redis.UniversalClient, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessConfig(t, rdb, web.Config{Version: "test", StripeMode: "mock"}, opts...)
}

// newHarnessConfig is newHarness with the server's own settings.
func newHarnessConfig(t *testing.T, rdb redis.UniversalClient, cfg web.Config, opts ...harnessOption) *harness {
	t.Helper()
	d := dbtest.New(t)
	policyRedis := rdb
	if rdb == nil {
		rdb = jobstest.New(t).Client
		policyRedis = rdb
	} else {
		policyRedis = nil // a dead Redis: no policy watcher
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authz, err := rbac.NewAuthorizer(context.Background(), d.App, policyRedis, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authz.Close)
	keys, err := rbac.ParseKeyring("t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	store := tenant.NewStore(d.App)
	resolver := tenant.NewResolver(d.App, "console.localhost", "localhost")
	identity := rbac.NewService(d.App, rdb, authz, rbac.NewOutbox(d.App), keys, coop.CoopsOf, log)
	dns := &fakeDNS{records: map[string][]string{}}
	h := &harness{}
	emitter := billing.NewEmitter(webhookSecret, 0, func(ctx context.Context, payload []byte, sig string) error {
		return h.billing.ReceiveWebhook(ctx, payload, sig)
	}, log).Connect(webhookSecret+"_connect", func(ctx context.Context, payload []byte, sig string) error {
		return h.billing.ReceiveConnectWebhook(ctx, payload, sig)
	})
	// One simulated grid for everything: billing reads the wallets' balances
	// on it, deployments and the treasury act on it.
	sim := gridsim.New(gridsim.Config{Seed: 1})
	bcfg := billing.Config{SecretKey: "sk_test_123", WebhookSecret: webhookSecret, ConnectWebhookSecret: webhookSecret + "_connect", APIURL: stripemock.ForTest(t).URL, Mock: true}
	coops := coop.New(d.App, authz, log, coop.Options{Stripe: bcfg, Emitter: emitter, Invitations: identity, ConsoleHost: resolver.ConsoleHost()})
	bcfg.Coops = coops
	h.billing = billing.NewService(d.App, bcfg, authz, sim, syncEvents{svc: &h.billing, deploy: &h.deploy, db: d.App}, emitter, log)
	catalog := grid.NewCatalog(sim, time.Hour)
	if err := catalog.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.sim = sim
	// The treasury: wallet secrets sealed under a master keyring of its own, the
	// exchange simulator, and a bridge vault whose deposits mint the TFT (minus
	// the bridge fee) on the simulated twin at once.
	masterKeys, err := rbac.ParseKeyring("m:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	h.exsim = exchangesim.New(exchangesim.Config{})
	vault, err := exchangesim.New(exchangesim.Config{}).Account(exchangesim.NewSeed())
	if err != nil {
		t.Fatal(err)
	}
	h.exsim.OnBridgeMint(vault, 0, func(twin uint32, minted exchange.Amount) error {
		return sim.Fund(twin, grid.TFTUnits(minted))
	})
	// Deployments run on each tenant's wallet twin; customers are mailed of failovers.
	h.treasury = treasury.NewTreasury(d.App, authz, masterKeys, h.exsim, sim, vault, topupSoon{&h.treasury}, log,
		treasury.Options{SecondFactor: identity, Mailer: rbac.NewOutbox(d.App), StorefrontURL: func(slug string) string { return "http://" + slug + ".localhost" },
			Grids: billingtest.SimWalletGrids(sim)})
	h.deploy = deploy.NewService(d.App, authz, sim, catalog, sim, log, deploy.Options{Payments: h.billing, Enqueuer: provisionSoon{&h.deploy},
		Wallets: h.treasury, Sealer: masterKeys, Mailer: rbac.NewOutbox(d.App), StorefrontURL: func(slug string) string { return "http://" + slug + ".localhost" }})
	tenants := tenant.NewService(d.App, authz, identity, tenant.NewChanges(policyRedis, resolver, log), dns, resolver,
		tenant.Readers{Wallets: h.treasury, Revenue: h.billing, Stripe: h.billing, Deployments: h.deploy})
	deps := web.Deps{
		DB:       d.App,
		Redis:    rdb,
		Resolver: resolver,
		Identity: identity,
		Tenants:  tenants,
		Branding: themes.NewService(d.App, authz, tenants),
		Billing:  h.billing,
		Coops:    coops,
		Deploy:   h.deploy,
		Treasury: h.treasury,
		Log:      log,
		Registry: prometheus.NewRegistry(),
		Jobs:     jobs.NewConsole(asynq.NewInspectorFromRedisClient(rdb), rdb, authz, d.App),
	}
	for _, o := range opts {
		o(&deps, d)
	}
	srv := web.New(cfg, deps)
	h.srv, h.store, h.db, h.authz, h.rdb, h.dns, h.tenants = srv, store, d, authz, rdb, dns, tenants
	return h
}

func (h *harness) do(t *testing.T, method, host, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Host = host
	res := h.send(t, req, -1)
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t, nil)
	if res, body := h.do(t, "GET", "127.0.0.1:8080", "/healthz"); res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz = %d %s, want 200 ok", res.StatusCode, body)
	}
	res, body := h.do(t, "GET", "127.0.0.1:8080", "/readyz")
	if res.StatusCode != 200 || !strings.Contains(body, `"postgres":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("/readyz = %d %s, want 200 with both checks ok", res.StatusCode, body)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("response has no X-Request-Id")
	}
}

func TestReadinessFailsWhenRedisIsDown(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	h := newHarness(t, dead)
	res, body := h.do(t, "GET", "127.0.0.1:8080", "/readyz")
	if res.StatusCode != 503 || !strings.Contains(body, `"redis":"unreachable"`) || !strings.Contains(body, `"postgres":"ok"`) {
		t.Errorf("/readyz with Redis down = %d %s, want 503 naming redis unreachable", res.StatusCode, body)
	}
}

func TestHostDecidesTheSite(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if _, err := h.store.Create(ctx, tenant.NewTenant{Slug: "demo", Name: "Demo <Cloud>", Status: tenant.StatusActive, Pitch: "VMs", Theme: []byte(`{"primary":"#0ea5e9"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Create(ctx, tenant.NewTenant{Slug: "paused", Name: "Paused Co", Status: tenant.StatusSuspended}); err != nil {
		t.Fatal(err)
	}

	res, body := h.do(t, "GET", "demo.localhost:8080", "/api/site")
	var site web.SiteInfo
	if err := json.Unmarshal([]byte(body), &site); err != nil || res.StatusCode != 200 {
		t.Fatalf("/api/site on demo = %d %s", res.StatusCode, body)
	}
	if site.Realm != "tenant" || site.Tenant.Slug != "demo" || site.Tenant.Name != "Demo <Cloud>" || site.StripeMode != "mock" {
		t.Errorf("demo site = %+v", site)
	}

	res, body = h.do(t, "GET", "console.localhost:8080", "/api/site")
	if res.StatusCode != 200 || !strings.Contains(body, `"realm":"platform"`) {
		t.Errorf("console /api/site = %d %s, want realm platform", res.StatusCode, body)
	}

	// An unknown host: neutral 404 page that names no tenant, JSON 404 under /api.
	res, body = h.do(t, "GET", "nobody.localhost:8080", "/")
	if res.StatusCode != 404 || strings.Contains(body, "Demo") || strings.Contains(body, "fiatdashboard") {
		t.Errorf("unknown host / = %d %q, want a neutral 404", res.StatusCode, body)
	}
	res, body = h.do(t, "GET", "evil.example.com", "/api/site")
	assertError(t, res, body, 404, "not_found")

	// A suspended tenant's storefront shows a maintenance page.
	res, body = h.do(t, "GET", "paused.localhost", "/deploy")
	if res.StatusCode != 503 || !strings.Contains(body, "Paused Co is down for maintenance") {
		t.Errorf("suspended storefront = %d %q, want 503 maintenance", res.StatusCode, body)
	}
}

func TestUnknownAPIPathIsJSONError(t *testing.T) {
	h := newHarness(t, nil)
	res, body := h.do(t, "GET", "console.localhost", "/api/no-such-thing")
	assertError(t, res, body, 404, "not_found")
	res, body = h.do(t, "POST", "console.localhost", "/api/site")
	if res.StatusCode < 400 || res.StatusCode >= 500 {
		t.Errorf("POST /api/site = %d %s, want a 4xx", res.StatusCode, body)
	}
	assertErrorShape(t, body)
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	h := newHarness(t, nil)
	h.do(t, "GET", "127.0.0.1", "/readyz")
	res, err := h.srv.Internal().Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	body := string(b)
	if !strings.Contains(body, `fd_http_requests_total{method="GET",route="/readyz",status="200"} 1`) {
		t.Errorf("/metrics lacks the readyz request count:\n%s", grep(body, "fd_http"))
	}
	if !strings.Contains(body, `fd_http_request_duration_seconds_bucket{method="GET",route="/readyz"`) {
		t.Error("/metrics lacks the readyz latency histogram")
	}
}

// TestOpenAPIMatchesRoutes fails when a registered route is missing from
// openapi.json or a documented route does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := newHarness(t, nil)
	res, body := h.do(t, "GET", "console.localhost", "/api/openapi.json")
	if res.StatusCode != 200 {
		t.Fatalf("/api/openapi.json = %d", res.StatusCode)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json is not an OpenAPI 3 document: %v", err)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)
	registered := map[string]bool{}
	for _, r := range h.srv.App().GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" {
			continue
		}
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is registered but not in openapi.json", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("route %s is in openapi.json but not registered", k)
		}
	}
	if len(registered) < 5 {
		t.Errorf("only %d routes registered; the route listing is wrong", len(registered))
	}
}

func assertError(t *testing.T, res *http.Response, body string, status int, code string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", res.StatusCode, status, body)
	}
	e := assertErrorShape(t, body)
	if e.Error.Code != code {
		t.Errorf("error code = %q, want %q", e.Error.Code, code)
	}
}

func assertErrorShape(t *testing.T, body string) web.ErrorBody {
	t.Helper()
	var e web.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		t.Errorf("body %q is not the JSON error shape with code, message and request_id", body)
	}
	return e
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// fundWallet gives a tenant a grid wallet that can pay for its customers'
// orders (billing refuses orders the wallet cannot pay): a KYC-verified twin
// holding 20 000 TFT on the harness's grid. It returns the twin.
func (h *harness) fundWallet(t *testing.T, tenantID uuid.UUID) uint32 {
	t.Helper()
	twin, _ := billingtest.FundWallet(t, h.treasury, h.sim, h.exsim, tenantID, 20_000*grid.UnitsPerTFT)
	return twin
}
