package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// runBenchPipeline is `fiatdashboard bench pipeline`: how many paid orders
// per second the worker turns into running servers, next to how many no-op
// tasks Asynq itself runs per second on the same Redis with the same
// concurrency, in one run.
//
// The orders are placed through serve's API as the demo customer with a
// saved card while no worker runs: each is charged at stripe-mock and owes
// the delivery of its payment_intent.succeeded webhook. Then the worker
// starts, and the clock runs from the first webhook serve stores to the
// last deployment running: webhook → billing:stripe-event (order paid,
// deploy owed) → deploy:vm on the grid simulator (no latency) → running.
func runBenchPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "bench pipeline [--orders 200] [--noop 5000] [--port 8128]",
		`Measures paid → running: places --orders deployments as the demo customer
(card saved, charged at stripe-mock) with the worker stopped, starts the
worker, and times from the first payment webhook serve stores to the last
deployment running (grid simulator, no latency). Then runs --noop no-op
tasks through a bare Asynq server with the worker's concurrency and queues
on the same Redis, and prints orders/s as a fraction of no-op tasks/s.
Uses a database of its own (FD_DATABASE_URL's name + _bench_pipe), made anew
each run. It prints; it asserts nothing.`, stderr)
	orders := fs.Int("orders", 200, "deployments to order")
	noop := fs.Int("noop", 5000, "no-op tasks for the Asynq baseline")
	port := fs.Int("port", 8128, "serve's port (the worker's profiler, with --profile, the next but one)")
	profile := fs.String("profile", "", "write the worker's CPU profile over its first 8 s of paid → running to this file")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fiatdashboard bench pipeline: "+format+"\n", a...)
		return 1
	}
	if *orders < 1 || *noop < 1 {
		return fail("--orders and --noop: expected at least 1")
	}
	cfg, ok := benchConfig("_bench_pipe", stderr)
	if !ok {
		return 2
	}
	cfg.GridNetwork = "sim"
	if err := dropBenchDatabase(ctx, cfg); err != nil {
		return fail("%v", err)
	}
	if err := benchMigrate(ctx, cfg); err != nil {
		return fail("%v", err)
	}
	release, err := leaseRedis(ctx, cfg)
	if err != nil {
		return fail("redis: %v", err)
	}
	defer release()
	sm, err := stripemock.Start(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer sm.Stop()
	cfg.StripeAPIURL = sm.URL
	p, err := openPlatform(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return fail("%v", err)
	}
	defer p.Close()
	if _, err := seedDemo(ctx, p); err != nil {
		return fail("seed: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fail("%v", err)
	}
	serveAddr := fmt.Sprintf("127.0.0.1:%d", *port)
	dataDir, err := os.MkdirTemp("", "fd-bench-pipe-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(dataDir)
	env := benchEnv(cfg, "FD_HTTP_ADDR="+serveAddr, "FD_LOG_LEVEL=warn", "FD_STRIPE_API_URL="+sm.URL,
		"FD_GRID_NETWORK=sim", "FD_SCHEDULER=false", "FD_MOCK_WEBHOOK_URL=http://"+serveAddr, "FD_DATA_DIR="+dataDir)
	logDir := os.TempDir()
	serve, err := startChild(ctx, self, filepath.Join(logDir, "fd-bench-pipe-serve.log"), env, "serve")
	if err != nil {
		return fail("serve: %v", err)
	}
	defer stopChild(serve)
	workerLog := filepath.Join(logDir, "fd-bench-pipe-worker.log")
	worker, err := startChild(ctx, self, workerLog, env, "worker")
	if err != nil {
		return fail("worker: %v", err)
	}
	defer func() { stopChild(worker) }()
	if err := waitHTTP(ctx, serveAddr, "/readyz", ""); err != nil {
		return fail("serve did not answer: %v", err)
	}
	fx, err := pipelineCustomer(ctx, p)
	if err != nil {
		return fail("demo customer (worker log %s): %v", workerLog, err)
	}
	// The worker stops: what the orders owe waits in Redis.
	stopChild(worker)

	host := "demo." + cfg.BaseDomain
	run := uuid.NewString()[:8]
	ids := make([]string, *orders)
	var placeErr atomic.Value
	var wg sync.WaitGroup
	next := atomic.Int64{}
	client := &http.Client{Timeout: 60 * time.Second}
	placeStart := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *orders || ctx.Err() != nil {
					return
				}
				id, err := pipelineOrder(ctx, client, serveAddr, host, fx.token, fmt.Sprintf("pipe-%s-%d", run, i))
				if err != nil {
					placeErr.CompareAndSwap(nil, err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	if e := placeErr.Load(); e != nil {
		return fail("order: %v", e)
	}
	placed := time.Since(placeStart)

	dbNow := func() (t time.Time) {
		p.db.QueryRowContext(ctx, `SELECT now()`).Scan(&t)
		return t
	}
	// PostgreSQL's committed transactions in the bench database over the
	// run, per order (read after the backends have reported them).
	commits := func() (n int64) {
		p.db.QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
		return n
	}
	commitsBefore := commits()
	workerStart := dbNow()
	wallStart := time.Now()
	wenv := env
	pprofAddr := fmt.Sprintf("127.0.0.1:%d", *port+2)
	if *profile != "" {
		wenv = append(append([]string{}, env...), "FD_PPROF_ADDR="+pprofAddr)
	}
	if worker, err = startChild(ctx, self, workerLog, wenv, "worker"); err != nil {
		return fail("worker: %v", err)
	}
	profiled := make(chan struct{})
	if *profile != "" {
		go func() {
			defer close(profiled)
			for i := 0; i < 100; i++ { // until the worker's profiler listens
				if c, err := net.Dial("tcp", pprofAddr); err == nil {
					c.Close()
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := fetchProfile(pprofAddr, 8500*time.Millisecond, *profile); err != nil {
				fmt.Fprintf(stderr, "worker profile: %v\n", err)
			}
		}()
	} else {
		close(profiled)
	}
	var st pipelineState
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if st, err = pipelineStates(ctx, p, fx.tenant, workerStart, ids); err != nil {
			return fail("%v", err)
		}
		if st.running+st.failed >= len(ids) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fail("after %s: %d of %d running, %d failed (worker log %s)", time.Since(wallStart).Round(time.Second), st.running, len(ids), st.failed, workerLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wall := time.Since(wallStart)
	<-profiled
	stopChild(worker)
	span := st.lastRunning.Sub(st.firstWebhook)
	ordersPerSec := float64(st.running) / span.Seconds()

	// Raw Asynq: the same Redis, queues and concurrency, a handler that does nothing.
	noopPerSec, err := asynqNoop(ctx, p.redisOpt, cfg.WorkerConcurrency, *noop)
	if err != nil {
		return fail("asynq no-op: %v", err)
	}
	// Idle backends report their counters within 10 s (PGSTAT_IDLE_INTERVAL).
	if rest := 11*time.Second - time.Since(wallStart.Add(wall)); rest > 0 {
		time.Sleep(rest)
	}
	perOrder := float64(commits()-commitsBefore) / float64(len(ids))

	fmt.Fprintf(stdout, "Pipeline: %d orders placed in %s (serve, stripe-mock; worker stopped); worker concurrency %d, grid simulator without latency; load average %s\n\n",
		len(ids), placed.Round(10*time.Millisecond), cfg.WorkerConcurrency, loadAverage())
	fmt.Fprintf(stdout, "| measure | figure |\n|---|---:|\n")
	fmt.Fprintf(stdout, "| paid → running (first webhook stored → last deployment running) | %d running, %d failed in %s |\n", st.running, st.failed, span.Round(time.Millisecond))
	fmt.Fprintf(stdout, "| orders per second, paid → running | %.1f |\n", ordersPerSec)
	fmt.Fprintf(stdout, "| worker started → last running (wall, includes the worker's start) | %s |\n", wall.Round(time.Millisecond))
	fmt.Fprintf(stdout, "| raw Asynq no-op tasks per second (%d tasks, concurrency %d) | %.0f |\n", *noop, cfg.WorkerConcurrency, noopPerSec)
	fmt.Fprintf(stdout, "| orders/s ÷ no-op tasks/s | %.1f %% |\n", 100*ordersPerSec/noopPerSec)
	fmt.Fprintf(stdout, "| PostgreSQL transactions committed per order (bench database, worker and serve, over the run) | %.1f |\n", perOrder)
	fmt.Fprintf(stdout, "\ntarget: ≥ 20 %% (each order is at least three tasks: the webhook's delivery, the stored event, deploy:vm)\n")
	return 0
}

// dropBenchDatabase drops a bench database (only one whose name says so).
func dropBenchDatabase(ctx context.Context, cfg *Config) error {
	u, err := url.Parse(cfg.DatabaseOwnerURL)
	if err != nil {
		return err
	}
	name := strings.Trim(u.Path, "/")
	if !strings.Contains(name, "_bench") {
		return fmt.Errorf("refusing to drop %q: not a bench database", name)
	}
	u.Path = "/postgres"
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`)
	return err
}

type pipelineFixture struct {
	tenant uuid.UUID
	token  string
}

// pipelineCustomer makes the demo storefront ready to take orders: a pool
// big enough for the run, the Connect account live (account.updated,
// delivered by the worker) and a saved card for the demo customer
// (setup_intent.succeeded, likewise), and a bearer token.
func pipelineCustomer(ctx context.Context, p *platform) (*pipelineFixture, error) {
	fx := &pipelineFixture{}
	var cust uuid.UUID
	email := "customer@demo." + p.cfg.BaseDomain
	if err := tenant.SystemTx(ctx, p.db, "bench: demo customer", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &fx.tenant, `SELECT id FROM tenants WHERE slug = 'demo'`); err != nil {
			return err
		}
		return tx.GetContext(ctx, &cust, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2`, fx.tenant, email)
	}); err != nil {
		return nil, err
	}
	page, err := p.grid.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 40}})
	if err != nil {
		return nil, err
	}
	var nodes []uint32
	for _, nd := range page.Nodes {
		nodes = append(nodes, nd.ID)
	}
	if err := p.deploy.AddToPool(tenant.WithID(tenant.WithActor(ctx, tenant.System("bench")), fx.tenant), nodes); err != nil {
		return nil, err
	}
	wait := func(what, q string, arg any) error {
		deadline := time.Now().Add(time.Minute)
		for {
			var ok bool
			if err := tenant.SystemTx(ctx, p.db, "bench: ready", func(tx *tenant.Tx) error { return tx.GetContext(ctx, &ok, q, arg) }); err != nil {
				return err
			}
			if ok {
				return nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("%s: not within a minute", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := wait("the storefront connected to Stripe", `SELECT EXISTS (SELECT 1 FROM tenant_stripe WHERE tenant_id = $1 AND charges_enabled)`, fx.tenant); err != nil {
		return nil, err
	}
	cctx := tenant.WithActor(tenant.WithID(ctx, fx.tenant), tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: email})
	si, err := p.billing.NewSetupIntent(cctx)
	if err != nil {
		return nil, err
	}
	if err := p.billing.MockConfirmSetup(cctx, si.ID, "pm_card_visa"); err != nil {
		return nil, err
	}
	if err := wait("the card saved", `SELECT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $1)`, cust); err != nil {
		return nil, err
	}
	if fx.token, err = rbac.NewStore(p.db).CreateTokenFor(ctx, fx.tenant, email, "bench pipeline"); err != nil {
		return nil, err
	}
	return fx, nil
}

// pipelineOrder orders one small VM through the API; it returns the
// deployment's id.
func pipelineOrder(ctx context.Context, client *http.Client, addr, host, token, name string) (string, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "image": "ubuntu-24.04", "size": "small", "client_key": name,
		"ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bench@pipeline"})
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/api/deployments", bytes.NewReader(body))
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &out)
	if res.StatusCode/100 != 2 || out.ID == "" {
		return "", fmt.Errorf("%s: %d %.300s", name, res.StatusCode, raw)
	}
	return out.ID, nil
}

type pipelineState struct {
	running, failed           int
	firstWebhook, lastRunning time.Time
}

// pipelineStates reads where the run's deployments are, when the first
// payment webhook after the worker's start was stored, and when the last
// deployment reached running (PostgreSQL's clock for both).
func pipelineStates(ctx context.Context, p *platform, tenantID uuid.UUID, since time.Time, ids []string) (pipelineState, error) {
	var st pipelineState
	err := tenant.SystemTx(ctx, p.db, "bench: pipeline", func(tx *tenant.Tx) error {
		var row struct {
			Running int        `db:"running"`
			Failed  int        `db:"failed"`
			First   *time.Time `db:"first_webhook"`
			Last    *time.Time `db:"last_running"`
		}
		err := tx.GetContext(ctx, &row, `
			SELECT count(*) FILTER (WHERE d.status = 'running') AS running,
				count(*) FILTER (WHERE d.status = 'failed') AS failed,
				(SELECT min(received_at) FROM stripe_events WHERE tenant_id = $1 AND type = 'payment_intent.succeeded' AND received_at >= $2) AS first_webhook,
				(SELECT max(e.created_at) FROM deployment_events e WHERE e.deployment_id = ANY($3::uuid[]) AND e.status = 'running') AS last_running
			FROM deployments d WHERE d.id = ANY($3::uuid[])`, tenantID, since, pq.Array(ids))
		st.running, st.failed = row.Running, row.Failed
		if row.First != nil {
			st.firstWebhook = *row.First
		}
		if row.Last != nil {
			st.lastRunning = *row.Last
		}
		return err
	})
	return st, err
}

// asynqNoop queues n tasks whose handler does nothing, then starts a bare
// Asynq server (concurrency and queues as the worker's) and returns the
// tasks it ran per second, from its start to the last one done.
func asynqNoop(ctx context.Context, opt asynq.RedisConnOpt, concurrency, n int) (float64, error) {
	client := asynq.NewClient(opt)
	defer client.Close()
	for i := range n {
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:noop", nil), asynq.Queue(jobs.QueueCritical), asynq.TaskID(fmt.Sprintf("noop-%d", i))); err != nil {
			return 0, err
		}
	}
	var done atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: concurrency, Queues: jobs.Queues, LogLevel: asynq.WarnLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("bench:noop", func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("%d of %d no-op tasks done in 5 minutes", done.Load(), n)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
