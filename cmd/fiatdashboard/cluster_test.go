package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/grid/simstore"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// cluster runs the platform as an operator would: `serve` and `worker` as
// separate processes of the real binary on one PostgreSQL database, a
// private Redis without persistence, and stripe-mock behind a proxy that
// counts PaymentIntent creations per order (stripe-mock ignores idempotency
// keys, so one charge per order is counted on our side).
type cluster struct {
	t       testing.TB
	dir     string
	bin     string
	env     map[string]string
	db      *dbtest.DB
	addr    string // serve's host:port
	redis   *proc
	serve   *proc
	worker  *proc
	rport   int
	p       *platform // the test's own view: seeding and inspection
	grid    *simstore.Shared
	token   string // the demo customer's bearer token
	tenant  uuid.UUID
	piMu    sync.Mutex
	piCount map[string]int // order id → PaymentIntent creations
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func clusterPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// buildBinary builds the binary once per test run (the UI is whatever is
// embedded; the API is what the test drives).
func buildBinary(t testing.TB, dir string) string {
	bin := filepath.Join(dir, "fiatdashboard")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build the binary: %v", err)
	}
	return bin
}

func newCluster(t testing.TB) *cluster {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed: the cluster runs its own Redis (it restarts it); install Debian's redis-server")
	}
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, db: dbtest.New(t), piCount: map[string]int{}}
	c.bin = buildBinary(t, dir)
	c.rport = clusterPort(t)
	c.startRedis()
	sm := stripemock.ForTest(t)
	proxy := c.countingProxy(sm.URL)
	port := clusterPort(t)
	c.addr = fmt.Sprintf("127.0.0.1:%d", port)
	c.env = map[string]string{
		"FD_DATABASE_URL":       c.db.AppURL,
		"FD_DATABASE_OWNER_URL": c.db.OwnerURL,
		"FD_REDIS_URL":          fmt.Sprintf("redis://127.0.0.1:%d/0", c.rport),
		"FD_STRIPE_API_URL":     proxy,
		"FD_HTTP_ADDR":          c.addr,
		"FD_GRID_NETWORK":       "sim",
		"FD_CONSOLE_HOST":       "console.localhost",
		"FD_BASE_DOMAIN":        "localhost",
		"FD_LOG_FORMAT":         "json",
		"FD_LOG_LEVEL":          "warn",
		"FD_SHUTDOWN_TIMEOUT":   "5s",
		"FD_DATA_DIR":           filepath.Join(dir, "data"),
	}
	cfg, err := loadConfig(func(k string) string { return c.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if c.p, err = openPlatform(ctx, cfg, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.p.Close)
	c.grid = c.p.grid.(*simstore.Shared)
	if _, err := seedDemo(ctx, c.p); err != nil {
		t.Fatalf("seed: %v", err)
	}
	c.serve = c.start("serve")
	c.worker = c.start("worker")
	t.Cleanup(func() {
		for _, p := range []*proc{c.serve, c.worker, c.redis} {
			p.kill()
		}
	})
	c.waitReady()
	c.customer()
	return c
}

// countingProxy forwards to stripe-mock and counts POST /v1/payment_intents
// per order (by the idempotency key our code derives from the order id).
func (c *cluster) countingProxy(target string) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents" {
			if key := r.Header.Get("Idempotency-Key"); strings.HasPrefix(key, "order-") {
				c.piMu.Lock()
				c.piCount[strings.TrimPrefix(key, "order-")]++
				c.piMu.Unlock()
			}
		}
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	go srv.Serve(l)
	c.t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

func (c *cluster) startRedis() {
	c.redis = c.run("redis", "redis-server", "--port", strconv.Itoa(c.rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", c.dir, "--databases", "16")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", c.rport)); err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatal("private redis-server did not start")
}

// restartRedis kills Redis and starts it empty (no persistence): every
// queued and in-flight task is gone.
func (c *cluster) restartRedis() {
	c.redis.kill()
	c.startRedis()
}

func (c *cluster) run(name, bin string, args ...string) *proc {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.OpenFile(filepath.Join(c.dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if name != "redis" {
		for k, v := range c.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"))
		if name == "worker" {
			cmd.Env = append(cmd.Env, "FD_SCHEDULER=true")
		}
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.done) }()
	return p
}

func (c *cluster) start(what string) *proc { return c.run(what, c.bin, what) }

// kill sends SIGKILL (no shutdown, nothing finished) and waits for the end.
func (p *proc) kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	for {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		p.cmd.Process.Kill()
		select {
		case <-p.done:
			return
		case <-time.After(2 * time.Second):
		}
	}
}

func (c *cluster) waitReady() {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + c.addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("serve did not answer /healthz within a minute; see %s", filepath.Join(c.dir, "serve.log"))
}

// customer gives the demo customer a card (through the real path: the mock
// SetupIntent's event is owed, delivered by the worker to serve) and a
// bearer token, and waits until the demo storefront can take payments.
func (c *cluster) customer() {
	ctx := context.Background()
	var cust uuid.UUID
	if err := tenant.SystemTx(ctx, c.p.db, "test: demo customer", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &c.tenant, `SELECT id FROM tenants WHERE slug = 'demo'`); err != nil {
			return err
		}
		return tx.GetContext(ctx, &cust, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = 'customer@demo.localhost'`, c.tenant)
	}); err != nil {
		c.t.Fatal(err)
	}
	c.waitFor("the storefront connected to Stripe (account.updated delivered by the worker)", time.Minute, func() bool {
		var ok bool
		tenant.SystemTx(ctx, c.p.db, "test: ready", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM tenant_stripe WHERE tenant_id = $1 AND charges_enabled)`, c.tenant)
		})
		return ok
	})
	cctx := tenant.WithActor(tenant.WithID(ctx, c.tenant), tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: "customer@demo.localhost"})
	si, err := c.p.billing.NewSetupIntent(cctx)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.p.billing.MockConfirmSetup(cctx, si.ID, "pm_card_visa"); err != nil {
		c.t.Fatal(err)
	}
	tok, err := rbac.NewStore(c.p.db).CreateTokenFor(ctx, c.tenant, "customer@demo.localhost", "cluster test")
	if err != nil {
		c.t.Fatal(err)
	}
	c.token = tok
	c.waitFor("the card saved (setup_intent.succeeded delivered by the worker)", time.Minute, func() bool {
		var ok bool
		tenant.SystemTx(ctx, c.p.db, "test: ready", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $1)`, cust)
		})
		return ok
	})
}

func (c *cluster) waitFor(what string, d time.Duration, ok func() bool) {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within %s (logs in %s)", what, d, c.dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// order posts a deploy form as the demo customer; it returns the status and
// the deployment id (or the error body). A network error is status 0.
func (c *cluster) order(name, key string) (int, string) {
	body, _ := json.Marshal(map[string]any{"name": name, "image": "ubuntu-24.04", "size": "small", "client_key": key,
		"ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl chaos@test"})
	req, _ := http.NewRequest("POST", "http://"+c.addr+"/api/deployments", bytes.NewReader(body))
	req.Host = "demo.localhost"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &out)
	if out.ID == "" {
		return res.StatusCode, string(raw)
	}
	return res.StatusCode, out.ID
}

// states counts deployments by status.
func (c *cluster) states() map[string]int {
	ctx := context.Background()
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	tenant.SystemTx(ctx, c.p.db, "test: states", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT status, count(*) AS n FROM deployments GROUP BY status`)
	})
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// TestServeAndWorkerAsSeparateProcesses: `serve` and `worker` run as two
// processes of the binary (as docker-compose.yml runs them) on the grid
// simulator: the storefront takes orders, the worker provisions them on the
// one shared simulated grid (the demo wallet's twin is part of its state),
// and the mock Stripe events flow worker → serve through the outbox, signed
// with the one secret both derive.
func TestServeAndWorkerAsSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes; skipped with -short")
	}
	c := newCluster(t)
	var ids []string
	for i := range 3 {
		status, id := c.order(fmt.Sprintf("two-proc-%d", i), fmt.Sprintf("two-proc-key-%d", i))
		if status != 201 && status != 200 {
			t.Fatalf("order %d: %d %s", i, status, id)
		}
		ids = append(ids, id)
	}
	c.waitFor("three deployments running", 2*time.Minute, func() bool { return c.states()["running"] == 3 })
	wallet, err := c.grid.TwinOfMnemonic(context.Background(), "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		p, err := c.grid.AsTwin(wallet).Project(context.Background(), "fd-"+id)
		if err != nil || len(p.VMs) != 1 {
			t.Fatalf("deployment %s on the shared grid: %+v, %v; want one VM", id, p, err)
		}
	}
	for o, n := range c.paymentIntents() {
		if n != 1 {
			t.Errorf("order %s: %d PaymentIntent creations; want 1", o, n)
		}
	}
}

// paymentIntents counts PaymentIntent creations for each order of the demo
// storefront's deployments.
func (c *cluster) paymentIntents() map[string]int {
	ctx := context.Background()
	var orders []string
	tenant.SystemTx(ctx, c.p.db, "test: orders", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &orders, `SELECT order_id::text FROM deployments WHERE tenant_id = $1`, c.tenant)
	})
	c.piMu.Lock()
	defer c.piMu.Unlock()
	out := map[string]int{}
	for _, o := range orders {
		out[o] = c.piCount[o]
	}
	return out
}
