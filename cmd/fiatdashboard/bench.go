package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"
)

// runBench is `fiatdashboard bench …`: the measurements `make bench` prints.
// Nothing here asserts a speed; it measures and prints, always against a
// database of its own (the configured name with a suffix), never the one
// `make run` or the tests use.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "seed":
		return runBenchSeed(ctx, args[1:], stdout, stderr)
	case "http":
		return runBenchHTTP(ctx, args[1:], stdout, stderr)
	case "baseline":
		return runBenchBaseline(ctx, args[1:], stdout, stderr)
	case "scale":
		return runBenchScale(ctx, args[1:], stdout, stderr)
	case "pipeline":
		return runBenchPipeline(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("bench", "bench seed|http|scale|pipeline", `Measurements for `+"`make bench`"+` (development machines only; each uses a
database of its own, FD_DATABASE_URL's name with a _bench suffix):
  seed      fill a database with tenants, customers, orders and deployments (COPY-speed SQL)
  http      start serve and baseline Fiber handlers, load both, print each route as a ratio of its baseline
  scale     time list, detail, overview, customer search, reconcile and renewals at two table sizes
  pipeline  paid → running orders per second next to raw Asynq no-op throughput (same run)`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fmt.Fprintln(stderr, "fiatdashboard bench: expected seed, http, scale or pipeline (see `fiatdashboard bench -h`)")
	return 2
}

// benchConfig loads the configuration and points both database URLs at the
// bench database named by suffix ("fiatdashboard" → "fiatdashboard_bench").
func benchConfig(suffix string, stderr io.Writer) (*Config, bool) {
	cfg, ok := mustConfig(stderr, everySetting)
	if !ok {
		return nil, false
	}
	if cfg.Env == "production" {
		fmt.Fprintln(stderr, "fiatdashboard bench: FD_ENV: expected development (bench creates databases and seeds rows)")
		return nil, false
	}
	var err error
	if cfg.DatabaseURL, err = renameDatabase(cfg.DatabaseURL, suffix); err == nil {
		cfg.DatabaseOwnerURL, err = renameDatabase(cfg.DatabaseOwnerURL, suffix)
	}
	if err == nil && cfg.DatabaseSystemURL != "" {
		cfg.DatabaseSystemURL, err = renameDatabase(cfg.DatabaseSystemURL, suffix)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench: %v\n", err)
		return nil, false
	}
	return cfg, true
}

func renameDatabase(dsn, suffix string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	name := strings.Trim(u.Path, "/")
	if !strings.HasSuffix(name, suffix) {
		name += suffix
	}
	u.Path = "/" + name
	return u.String(), nil
}

// seedSQL fills the bench database with tenants × customers, and one paid
// order, subscription, deployment and event per deployment, spread evenly
// over the tenants, in a handful of set-based statements (generate_series:
// a million deployments take about a minute on two cores, not hours of
// single-row inserts). It adds only what is missing, so it resumes.
// Deployments get distinct created_at values a minute apart per customer, so
// pages are stable.
var seedSQL = []string{
	`INSERT INTO tenants (slug, name, status)
		SELECT 'bench-' || g, 'Bench tenant ' || g, 'active' FROM generate_series(1, $1::int) g
		ON CONFLICT (slug) DO NOTHING`,
	// Ten customers per tenant (fewer when there are fewer deployments).
	`INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at)
		SELECT t.id, 'customer' || c || '@' || t.slug || '.bench', '!', now()
		FROM tenants t CROSS JOIN generate_series(1, $1::int) c
		WHERE t.slug LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant_id = t.id)`,
	`INSERT INTO casbin_rules (ptype, v0, v1, v2)
		SELECT 'g', a.id::text, 'customer', a.tenant_id::text FROM accounts a JOIN tenants t ON t.id = a.tenant_id
		WHERE t.slug LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM casbin_rules r WHERE r.ptype = 'g' AND r.v0 = a.id::text)`,
}

// seedDeploymentsSQL adds $1 deployments (with their orders, subscriptions
// and one event each) to the bench tenants, round-robin over their customers.
const seedDeploymentsSQL = `
WITH cust AS (
	SELECT a.id AS account_id, a.tenant_id, row_number() OVER (ORDER BY a.tenant_id, a.id) - 1 AS n
	FROM accounts a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug LIKE 'bench-%'
), ncust AS (SELECT count(*) AS c FROM cust),
rows AS (
	SELECT g, gen_random_uuid() AS order_id, gen_random_uuid() AS dep_id, gen_random_uuid() AS sub_id, c.account_id, c.tenant_id,
		now() - (g / (SELECT c FROM ncust)) * interval '1 minute' - (g % 997) * interval '1 millisecond' AS at
	FROM generate_series($2::bigint, $2::bigint + $1::bigint - 1) g
	JOIN cust c ON c.n = g % (SELECT c FROM ncust)
), o AS (
	INSERT INTO orders (id, tenant_id, account_id, status, description, spec, months, currency, subtotal_cents, amount_cents, paid_at, created_at, updated_at)
	SELECT order_id, tenant_id, account_id, 'paid', 'VM small', '{"size":"small"}', 1, 'usd', 1500, 1500, at, at, at FROM rows
	RETURNING id
), s AS (
	INSERT INTO subscriptions (id, tenant_id, account_id, first_order_id, description, spec, months, currency, renewal_cents, status, paid_through, next_attempt_at, created_at, updated_at)
	SELECT sub_id, tenant_id, account_id, order_id, 'VM small', '{"size":"small"}', 1, 'usd', 1500, 'active',
		at + interval '30 days', at + interval '29 days', at, at FROM rows
	RETURNING id
), d AS (
	INSERT INTO deployments (id, tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, node_id, status, project, created_at, updated_at)
	SELECT dep_id, tenant_id, account_id, order_id, 'vm-' || g, 'ubuntu-24.04', '{"size":"small","cru":1,"mru":2048,"sru":25}', 'ssh-ed25519 AAAA bench', 'default',
		1 + g % 500, CASE WHEN g % 10 = 0 THEN 'terminated' ELSE 'running' END, 'fd-bench-' || g, at, at FROM rows
	RETURNING id
)
INSERT INTO deployment_events (tenant_id, deployment_id, status, step, message, created_at)
SELECT tenant_id, dep_id, 'running', 'deployed', 'bench', at FROM rows`

func runBenchSeed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "bench seed --tenants N --deployments N [--suffix _bench_1m]",
		`Fills a bench database (FD_DATABASE_URL's name plus --suffix; created and
migrated when missing) with tenants, ten customers each, and deployments with
their paid orders, subscriptions and an event each, spread evenly. Set-based
SQL (generate_series), in batches, resumable. Bench only: never on a real database.`, stderr)
	tenants := fs.Int("tenants", 100, "tenants to create")
	deployments := fs.Int64("deployments", 10000, "deployments in total")
	suffix := fs.String("suffix", "_bench", "database name suffix")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := benchConfig(*suffix, stderr)
	if !ok {
		return 2
	}
	start := time.Now()
	if err := benchSeed(ctx, cfg, *tenants, *deployments, stdout); err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench seed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "seeded %s: %d tenants, %d deployments in %s\n", dbName(cfg.DatabaseURL), *tenants, *deployments, time.Since(start).Round(100*time.Millisecond))
	return 0
}

func dbName(dsn string) string {
	u, _ := url.Parse(dsn)
	return strings.Trim(u.Path, "/")
}

// benchSeed migrates the bench database and fills it up to the given size.
func benchSeed(ctx context.Context, cfg *Config, tenants int, deployments int64, stdout io.Writer) error {
	if err := benchMigrate(ctx, cfg); err != nil {
		return err
	}
	db, err := sql.Open("postgres", cfg.DatabaseOwnerURL)
	if err != nil {
		return err
	}
	defer db.Close()
	// One session, with triggers (foreign-key checks and change
	// notifications) off while it bulk-loads rows it makes consistent itself.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		return err
	}
	customers := int64(10)
	if per := deployments / int64(tenants); per < customers {
		customers = max(per, 1)
	}
	for _, q := range seedSQL[:1] {
		if _, err := db.ExecContext(ctx, q, tenants); err != nil {
			return fmt.Errorf("tenants: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, seedSQL[1], customers); err != nil {
		return fmt.Errorf("customers: %w", err)
	}
	if _, err := db.ExecContext(ctx, seedSQL[2]); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	var have int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM deployments d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug LIKE 'bench-%'`).Scan(&have); err != nil {
		return err
	}
	// Batches of 100k keep each statement's memory and WAL bounded.
	const batch = 100_000
	added := have < deployments
	for have < deployments {
		n := min(int64(batch), deployments-have)
		t0 := time.Now()
		if _, err := db.ExecContext(ctx, seedDeploymentsSQL, n, have); err != nil {
			return fmt.Errorf("deployments: %w", err)
		}
		have += n
		fmt.Fprintf(stdout, "  %d / %d deployments (%s)\n", have, deployments, time.Since(t0).Round(100*time.Millisecond))
	}
	if !added {
		return nil
	}
	// Statistics and the visibility map, as autovacuum would leave them on a
	// database that grew over time.
	for _, t := range []string{"tenants", "accounts", "orders", "subscriptions", "deployments", "deployment_events", "casbin_rules"} {
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+pq.QuoteIdentifier(t)); err != nil {
			return err
		}
	}
	return nil
}

// benchChild runs this binary again with extra environment (serve, the
// baseline), its output into the given writer.
func benchEnv(cfg *Config, extra ...string) []string {
	env := os.Environ()
	env = append(env, "FD_DATABASE_URL="+cfg.DatabaseURL, "FD_DATABASE_OWNER_URL="+cfg.DatabaseOwnerURL,
		"FD_DATABASE_SYSTEM_URL="+cfg.DatabaseSystemURL, "FD_REDIS_URL="+cfg.RedisURL)
	return append(env, extra...)
}

// leaseRedis claims a free logical Redis database the way the tests do (a
// lease key in database 0), points cfg.RedisURL at it, flushes it, and
// returns the release. The bench's queues and keys then never mix with a
// developer's `make run` or a test run on the same server.
func leaseRedis(ctx context.Context, cfg *Config) (func(), error) {
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	leases := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: 0})
	me := fmt.Sprintf("bench-%d-%d", os.Getpid(), time.Now().UnixNano())
	maxDB := 15
	if v, err := leases.ConfigGet(ctx, "databases").Result(); err == nil {
		if n, err := strconv.Atoi(v["databases"]); err == nil && n > 1 {
			maxDB = n - 1
		}
	}
	for db := maxDB; db >= 1; db-- { // from the top: the tests take from the bottom
		key := "fdtest:lease:" + strconv.Itoa(db)
		ok, err := leases.SetNX(ctx, key, me, time.Hour).Result()
		if err != nil {
			leases.Close()
			return nil, err
		}
		if !ok {
			continue
		}
		c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: db})
		c.FlushDB(ctx)
		u, _ := url.Parse(cfg.RedisURL)
		u.Path = "/" + strconv.Itoa(db)
		cfg.RedisURL = u.String()
		return func() {
			c.FlushDB(context.Background())
			c.Close()
			if v, _ := leases.Get(context.Background(), key).Result(); v == me {
				leases.Del(context.Background(), key)
			}
			leases.Close()
		}, nil
	}
	leases.Close()
	return nil, fmt.Errorf("no free Redis database")
}

// benchMigrate migrates a bench database; one that cannot be migrated (e.g.
// migrations merged in below its version) is dropped and made anew: it only
// ever holds seeded rows.
func benchMigrate(ctx context.Context, cfg *Config) error {
	err := migrateUp(ctx, cfg, io.Discard)
	if err == nil {
		return nil
	}
	u, perr := url.Parse(cfg.DatabaseOwnerURL)
	if perr != nil {
		return perr
	}
	name := strings.Trim(u.Path, "/")
	if !strings.Contains(name, "_bench") {
		return fmt.Errorf("migrate: %w", err)
	}
	u.Path = "/postgres"
	db, derr := sql.Open("postgres", u.String())
	if derr != nil {
		return derr
	}
	defer db.Close()
	if _, derr := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); derr != nil {
		return fmt.Errorf("migrate: %w (and dropping the bench database: %v)", err, derr)
	}
	if err := migrateUp(ctx, cfg, io.Discard); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
