package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/valyala/fasthttp"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// runBenchBaseline serves the baselines the HTTP bench compares serve with:
// the same Fiber and sqlx versions, the same pool size, no application code
// but the tenant transaction itself.
//
//	/hello  a constant string
//	/query  one sqlx query (20 tenants' names) as JSON
//	/rls    one tenant-scoped transaction under RLS reading one row as JSON
func runBenchBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "bench baseline --addr host:port --tenant uuid --account uuid",
		"Serves the baseline handlers of `bench http` (started by it).", stderr)
	addr := fs.String("addr", "127.0.0.1:8119", "listen address")
	tid := fs.String("tenant", "", "tenant of the RLS transaction")
	aid := fs.String("account", "", "account the RLS transaction reads")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := mustConfig(stderr, everySetting)
	if !ok {
		return 2
	}
	tenantID, err1 := uuid.Parse(*tid)
	accountID, err2 := uuid.Parse(*aid)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(stderr, "fiatdashboard bench baseline: --tenant and --account: expected uuids")
		return 2
	}
	db, err := sqlx.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench baseline: %v\n", err)
		return 1
	}
	defer db.Close()
	db.SetMaxOpenConns(cfg.DatabaseMaxConns)
	db.SetMaxIdleConns(cfg.DatabaseMaxConns)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/hello", func(c *fiber.Ctx) error { return c.SendString("Hello, World!") })
	app.Get("/query", func(c *fiber.Ctx) error {
		var names []string
		if err := db.SelectContext(c.UserContext(), &names, `SELECT name FROM tenants ORDER BY slug LIMIT 20`); err != nil {
			return err
		}
		return c.JSON(names)
	})
	app.Get("/rls", func(c *fiber.Ctx) error {
		var email string
		err := tenant.InTx(tenant.WithID(c.UserContext(), tenantID), db, func(tx *tenant.Tx) error {
			return tx.GetContext(c.UserContext(), &email, `SELECT email FROM accounts WHERE id = $1`, accountID)
		})
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"email": email})
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench baseline: %v\n", err)
		return 1
	}
	go func() { <-ctx.Done(); app.Shutdown() }()
	if err := app.Listener(ln); err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench baseline: %v\n", err)
		return 1
	}
	return 0
}

// benchTarget is one measured route.
type benchTarget struct {
	name, addr, host, path, auth string
	baseline                     string // name of the target it is compared with; "" for a baseline
}

// benchResult is what the load generator measured for one target.
type benchResult struct {
	target          benchTarget
	requests, fails int64
	firstFail       string
	elapsed         time.Duration
	p50, p99        time.Duration
	rssMB           int64         // serve's peak resident memory during the run
	cpu             time.Duration // CPU time the serving process (serve or the baseline) used during the run
	pgCPU           time.Duration // CPU time PostgreSQL's backends for the bench database used during the run
}

func (r benchResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// load runs a closed loop of conns connections against t for d and returns
// throughput and latency percentiles. Non-2xx answers count as failures.
func load(ctx context.Context, t benchTarget, conns int, d time.Duration) benchResult {
	client := &fasthttp.HostClient{Addr: t.addr, MaxConns: conns, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaxIdleConnDuration: time.Minute}
	var fails atomic.Int64
	var firstFail sync.Once
	var failure string
	lat := make([][]time.Duration, conns)
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			req.SetRequestURI("http://" + t.addr + t.path)
			req.Header.SetHost(t.host)
			req.UseHostHeader = true
			if t.auth != "" {
				req.Header.Set("Authorization", "Bearer "+t.auth)
			}
			samples := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(stop) {
					break
				}
				err := client.Do(req, res)
				samples = append(samples, time.Since(t0))
				if err != nil || res.StatusCode() >= 300 {
					fails.Add(1)
					firstFail.Do(func() {
						if err != nil {
							failure = err.Error()
						} else {
							failure = fmt.Sprintf("%d %.200s", res.StatusCode(), res.Body())
						}
					})
				}
			}
			lat[i] = samples
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, s := range lat {
		all = append(all, s...)
	}
	slices.Sort(all)
	r := benchResult{target: t, requests: int64(len(all)), fails: fails.Load(), firstFail: failure, elapsed: elapsed}
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[len(all)*99/100]
	}
	return r
}

func runBenchHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "bench http [--duration 6s] [--connections 64] [--streams 1000]",
		`Seeds the bench database with the demo data plus 40 deployments for the demo
customer, starts this binary's serve (log level warn) and the baseline Fiber
handlers (bench baseline) as separate processes, loads each route with a
closed loop of --connections for --duration, and prints each route's
throughput and p99 next to its baseline, as a fraction of it. Then opens
--streams idle deployment-progress streams and prints serve's CPU while they
are open. It prints; it asserts nothing.`, stderr)
	duration := fs.Duration("duration", 6*time.Second, "how long each route is loaded")
	conns := fs.Int("connections", 64, "concurrent connections")
	streams := fs.Int("streams", 1000, "idle progress streams to hold open (0: skip)")
	port := fs.Int("port", 8118, "serve's port (the baseline uses the next one)")
	pprofAddr := fs.String("pprof", "", "give serve this FD_PPROF_ADDR (e.g. 127.0.0.1:6068) to profile it during the run")
	only := fs.String("only", "", "measure only targets whose name contains this")
	profileDir := fs.String("profile", "", "write serve's CPU profile under each route's load into this directory (one file per route; sets --pprof when empty)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := benchConfig("_bench", stderr)
	if !ok {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fiatdashboard bench http: "+format+"\n", a...)
		return 1
	}
	if *profileDir != "" {
		if *pprofAddr == "" {
			*pprofAddr = fmt.Sprintf("127.0.0.1:%d", *port+2)
		}
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			return fail("%v", err)
		}
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
	fx, err := benchFixture(ctx, cfg)
	if err != nil {
		return fail("seed: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fail("%v", err)
	}
	serveAddr := fmt.Sprintf("127.0.0.1:%d", *port)
	baseAddr := fmt.Sprintf("127.0.0.1:%d", *port+1)
	logDir := os.TempDir()
	serve, err := startChild(ctx, self, filepath.Join(logDir, "fd-bench-serve.log"), benchEnv(cfg,
		"FD_HTTP_ADDR="+serveAddr, "FD_LOG_LEVEL=warn", "FD_STRIPE_API_URL="+sm.URL, "FD_PPROF_ADDR="+*pprofAddr), "serve")
	if err != nil {
		return fail("serve: %v", err)
	}
	defer stopChild(serve)
	base, err := startChild(ctx, self, filepath.Join(logDir, "fd-bench-baseline.log"), benchEnv(cfg),
		"bench", "baseline", "--addr", baseAddr, "--tenant", fx.tenant.String(), "--account", fx.customer.String())
	if err != nil {
		return fail("baseline: %v", err)
	}
	defer stopChild(base)
	if err := waitHTTP(ctx, serveAddr, "/readyz", ""); err != nil {
		return fail("serve did not answer (see %s): %v", filepath.Join(logDir, "fd-bench-serve.log"), err)
	}
	if err := waitHTTP(ctx, baseAddr, "/hello", ""); err != nil {
		return fail("baseline did not answer: %v", err)
	}
	host := "demo." + cfg.BaseDomain
	targets := []benchTarget{
		{name: "baseline: Fiber hello", addr: baseAddr, host: host, path: "/hello"},
		{name: "baseline: one sqlx query", addr: baseAddr, host: host, path: "/query"},
		{name: "baseline: one RLS transaction", addr: baseAddr, host: host, path: "/rls"},
		{name: "GET /api/site", addr: serveAddr, host: host, path: "/api/site", baseline: "baseline: Fiber hello"},
		{name: "GET / (branded index.html)", addr: serveAddr, host: host, path: "/", baseline: "baseline: Fiber hello"},
		{name: "GET /api/catalog", addr: serveAddr, host: host, path: "/api/catalog", baseline: "baseline: Fiber hello"},
		{name: "GET /api/me (bearer)", addr: serveAddr, host: host, path: "/api/me", auth: fx.token, baseline: "baseline: one sqlx query"},
		{name: "GET /api/deployments?limit=20 (bearer)", addr: serveAddr, host: host, path: "/api/deployments?limit=20", auth: fx.token, baseline: "baseline: one sqlx query"},
		{name: "GET /api/deployments/{id} (bearer)", addr: serveAddr, host: host, path: "/api/deployments/" + fx.deployment.String(), auth: fx.token, baseline: "baseline: one sqlx query"},
	}
	fmt.Fprintf(stdout, "HTTP: %d connections, %s per route, serve (log level warn, pool %d) and baselines on this machine; load average %s\n",
		*conns, *duration, cfg.DatabaseMaxConns, loadAverage())
	results := map[string]benchResult{}
	var order []string
	for _, t := range targets {
		if *only != "" && !strings.Contains(t.name, *only) && t.baseline != "" {
			continue
		}
		load(ctx, t, *conns, time.Second) // warm caches and connections
		rss := watchRSS(serve.Process.Pid)
		var profiled chan struct{}
		if *profileDir != "" && t.addr == serveAddr {
			profiled = make(chan struct{})
			go func() {
				defer close(profiled)
				if err := fetchProfile(*pprofAddr, *duration, filepath.Join(*profileDir, profileName(t.name))); err != nil {
					fmt.Fprintf(stderr, "profile of %s: %v\n", t.name, err)
				}
			}()
		}
		pid := serve.Process.Pid
		if t.addr != serveAddr {
			pid = base.Process.Pid
		}
		ticks, pgBefore := cpuTicks(pid), backendTicks(dbName(cfg.DatabaseURL))
		r := load(ctx, t, *conns, *duration)
		r.cpu = time.Duration(cpuTicks(pid)-ticks) * 10 * time.Millisecond
		r.pgCPU = ticksSince(pgBefore, backendTicks(dbName(cfg.DatabaseURL)))
		r.rssMB = rss()
		if profiled != nil {
			<-profiled
		}
		results[t.name] = r
		order = append(order, t.name)
		if ctx.Err() != nil {
			return 1
		}
	}
	printHTTPTable(stdout, order, results)
	if *streams > 0 {
		if err := benchStreams(ctx, stdout, serveAddr, host, fx, *streams, serve.Process.Pid); err != nil {
			fmt.Fprintf(stdout, "progress streams: %v\n", err)
		}
	}
	return 0
}

func printHTTPTable(w io.Writer, order []string, results map[string]benchResult) {
	fmt.Fprintf(w, "\n| target | req/s | p50 | p99 | errors | req/s ÷ baseline | baseline p99 ÷ p99 | serve RSS | server CPU per request | PostgreSQL CPU per request |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range order {
		r := results[name]
		ratio, pratio, rss := "—", "—", "—"
		if b, ok := results[r.target.baseline]; ok && b.requests > 0 {
			ratio = fmt.Sprintf("%.0f %%", 100*r.rps()/b.rps())
			pratio = fmt.Sprintf("%.2f", b.p99.Seconds()/r.p99.Seconds())
		}
		if r.target.baseline != "" {
			rss = fmt.Sprintf("%d MB", r.rssMB)
		}
		perReq, pgPerReq := "—", "—"
		if r.requests > 0 {
			perReq = fmt.Sprintf("%d µs", (r.cpu / time.Duration(r.requests)).Microseconds())
			pgPerReq = fmt.Sprintf("%d µs", (r.pgCPU / time.Duration(r.requests)).Microseconds())
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |\n", name, thousands(int64(r.rps())), ms(r.p50), ms(r.p99), r.fails, ratio, pratio, rss, perReq, pgPerReq)
	}
	for _, name := range order {
		if r := results[name]; r.fails > 0 {
			fmt.Fprintf(w, "%s: %d of %d requests failed, the first with: %s\n", name, r.fails, r.requests, r.firstFail)
		}
	}
	fmt.Fprintln(w, "\nserver CPU per request: user+system time of the process answering (serve, or the baseline's), over the route's run, per request; PostgreSQL's: its backends connected to the bench database, likewise")
	fmt.Fprintln(w, "ratios compare with \"baseline: Fiber hello\" for public routes and \"baseline: one sqlx query\" for authenticated reads (targets: ≥ 50 % and ≥ 70 %, p99 ≤ 25 ms, RSS ≤ 200 MB)")
}

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 1, 64) + " ms" }

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ") + fmt.Sprintf(" on %d cores", runtime.NumCPU())
}

// watchRSS samples a process's resident memory until the returned function
// is called, which returns the peak in MB.
func watchRSS(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := statusKB(pid, "VmRSS:"); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return peak.Load() / 1024 }
}

func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTicks is a process's user+system CPU time in clock ticks (1/100 s).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

func startChild(ctx context.Context, self, logPath string, env []string, args ...string) (*exec.Cmd, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); logf.Close() }()
	return cmd, nil
}

func stopChild(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 50 && cmd.ProcessState == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if cmd.ProcessState == nil {
		cmd.Process.Kill()
	}
}

func waitHTTP(ctx context.Context, addr, path, host string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, err := fasthttp.GetTimeout(nil, "http://"+addr+path, 2*time.Second)
		if err == nil && code == 200 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s%s: status %d, %v", addr, path, code, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// benchFixtureRows is what the HTTP bench reads as the demo customer.
type benchFixtureRows struct {
	tenant, customer, deployment, provisioning uuid.UUID
	token                                      string
}

// benchFixture seeds the demo data (as `dev` does) and gives the demo
// customer 40 deployments (one of them provisioning, for the progress
// streams) and a fresh API token.
func benchFixture(ctx context.Context, cfg *Config) (*benchFixtureRows, error) {
	log := newLogger(cfg, io.Discard)
	p, err := openPlatform(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if _, err := seedDemo(ctx, p); err != nil {
		return nil, err
	}
	email := "customer@demo." + cfg.BaseDomain
	owner, err := sql.Open("postgres", cfg.DatabaseOwnerURL)
	if err != nil {
		return nil, err
	}
	defer owner.Close()
	// The one-query baseline reads 20 tenants' names: the demo data has
	// three tenants, so twenty more (never served) make it a page of 20.
	if _, err := owner.ExecContext(ctx, seedSQL[0], 20); err != nil {
		return nil, fmt.Errorf("bench tenants: %w", err)
	}
	fx := &benchFixtureRows{}
	if err := owner.QueryRowContext(ctx, `SELECT a.tenant_id, a.id FROM accounts a JOIN tenants t ON t.id = a.tenant_id
		WHERE t.slug = 'demo' AND a.email = $1`, email).Scan(&fx.tenant, &fx.customer); err != nil {
		return nil, fmt.Errorf("demo customer: %w", err)
	}
	if _, err := owner.ExecContext(ctx, `
		WITH rows AS (
			SELECT g, gen_random_uuid() AS order_id, now() - g * interval '1 hour' AS at
			FROM generate_series(1, 40 - (SELECT count(*) FROM deployments WHERE account_id = $2)) g
		), o AS (
			INSERT INTO orders (id, tenant_id, account_id, status, description, spec, months, currency, subtotal_cents, amount_cents, paid_at, created_at, updated_at)
			SELECT order_id, $1, $2, 'paid', 'VM small', '{"size":"small"}', 1, 'usd', 1500, 1500, at, at, at FROM rows RETURNING id
		)
		INSERT INTO deployments (tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, node_id, status, project, created_at, updated_at)
		SELECT $1, $2, order_id, 'bench-' || g, 'ubuntu-24.04', '{"size":"small","cru":1,"mru":2048,"sru":25}', 'ssh-ed25519 AAAA bench', 'default',
			NULL, CASE WHEN g = 1 THEN 'provisioning' ELSE 'running' END, 'fd-bench-demo-' || g || '-' || order_id, at, at FROM rows`,
		fx.tenant, fx.customer); err != nil {
		return nil, fmt.Errorf("demo deployments: %w", err)
	}
	if err := owner.QueryRowContext(ctx, `SELECT id FROM deployments WHERE account_id = $1 AND status = 'running' ORDER BY created_at DESC LIMIT 1`, fx.customer).Scan(&fx.deployment); err != nil {
		return nil, fmt.Errorf("a running deployment: %w", err)
	}
	if err := owner.QueryRowContext(ctx, `SELECT id FROM deployments WHERE account_id = $1 AND status = 'provisioning' LIMIT 1`, fx.customer).Scan(&fx.provisioning); err != nil {
		return nil, fmt.Errorf("a provisioning deployment: %w", err)
	}
	if fx.token, err = rbac.NewStore(p.db).CreateTokenFor(ctx, fx.tenant, email, "bench"); err != nil {
		return nil, err
	}
	return fx, nil
}

// benchStreams holds n idle progress streams (Server-Sent Events of a
// deployment that does not change) open on serve and prints serve's CPU use
// while they stay open.
func benchStreams(ctx context.Context, w io.Writer, addr, host string, fx *benchFixtureRows, n, pid int) error {
	req := "GET /api/deployments/" + fx.provisioning.String() + "/events HTTP/1.1\r\nHost: " + host +
		"\r\nAuthorization: Bearer " + fx.token + "\r\nAccept: text/event-stream\r\n\r\n"
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("open stream %d: %w", i+1, err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		status, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.Contains(status, " 200 ") {
			return fmt.Errorf("stream %d answered %q (%v)", i+1, strings.TrimSpace(status), err)
		}
		c.SetReadDeadline(time.Time{})
		// The client drains what the server sends, as a browser would.
		go io.Copy(io.Discard, c)
	}
	time.Sleep(2 * time.Second)
	const window = 10 * time.Second
	t0 := cpuTicks(pid)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(window):
	}
	used := time.Duration(cpuTicks(pid)-t0) * 10 * time.Millisecond
	fmt.Fprintf(w, "\nprogress streams: %d idle streams open on serve for %s: serve used %s of CPU (%.1f %% of one core); RSS %d MB\n",
		n, window, used.Round(10*time.Millisecond), 100*used.Seconds()/window.Seconds(), statusKB(pid, "VmRSS:")/1024)
	return nil
}

// fetchProfile writes serve's CPU profile over the next d (less half a
// second, so it ends inside the load) to path.
func fetchProfile(addr string, d time.Duration, path string) error {
	secs := max(int((d-500*time.Millisecond)/time.Second), 1)
	code, body, err := fasthttp.GetTimeout(nil, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), d+30*time.Second)
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("pprof answered %d", code)
	}
	return os.WriteFile(path, body, 0o644)
}

// profileName is a file name for a route's profile: "GET /api/me (bearer)"
// → "get-api-me-bearer.prof".
func profileName(route string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(route) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-") + ".prof"
}

// backendTicks is the CPU ticks of each PostgreSQL backend on this machine
// connected to database db (by its process title, "postgres: user db …").
// PostgreSQL must run on this machine; elsewhere the figure is zero.
func backendTicks(db string) map[int]int64 {
	out := map[int]int64{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.HasPrefix(string(cmd), "postgres: ") {
			continue
		}
		// The title may carry the cluster's name first ("postgres: 15/main: user db …").
		f := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		if len(f) > 1 && strings.HasSuffix(f[1], ":") {
			f = f[1:]
		}
		if len(f) >= 3 && f[2] == db {
			out[pid] = cpuTicks(pid)
		}
	}
	return out
}

// ticksSince is the CPU time the backends used between two readings (a
// backend that started in between counts in full).
func ticksSince(before, after map[int]int64) time.Duration {
	var n int64
	for pid, t := range after {
		n += t - before[pid]
	}
	return time.Duration(n) * 10 * time.Millisecond
}
