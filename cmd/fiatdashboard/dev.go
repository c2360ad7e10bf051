package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dev", "dev", `Runs everything for local use in one process group: makes PostgreSQL and
Redis answer (see `+"`services up`"+`), creates and migrates the database, seeds the
demo tenants and a super-admin (printing their credentials), starts
stripe-mock when no Stripe key is set, then the server and the worker.
Ctrl-C stops it all; running it again reuses what is there.`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := mustConfig(stderr)
	if !ok {
		return 2
	}
	if cfg.Env == "production" {
		fmt.Fprintln(stderr, "fiatdashboard dev: FD_ENV: expected development (dev seeds demo data and mock services)")
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fiatdashboard dev: "+format+"\n", a...)
		return 1
	}
	if err := ensureServices(ctx, cfg, stdout); err != nil {
		return fail("%v", err)
	}
	if err := migrateUp(ctx, cfg, io.Discard); err != nil {
		return fail("migrate: %v", err)
	}
	log := newLogger(cfg, os.Stderr).With("service", "dev")
	p, err := openPlatform(ctx, cfg, log)
	if err != nil {
		return fail("%v", err)
	}
	defer p.Close()
	creds, err := seedDemo(ctx, p)
	if err != nil {
		return fail("seed: %v", err)
	}
	stripeNote := "live Stripe API"
	if cfg.StripeSecretKey == "" && cfg.StripeAPIURL == "" {
		sm, err := stripemock.Start(ctx)
		if err != nil {
			return fail("%v", err)
		}
		defer sm.Stop()
		cfg.StripeAPIURL = sm.URL
		stripeNote = "stripe-mock at " + sm.URL + " (Test mode)"
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fail("FD_HTTP_ADDR: %v (is another `make run` still running?)", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stdout, `
fiatdashboard %s is running (development)

  Console      http://%s:%d
               super-admin  %s
               password     %s
  Storefronts  http://demo.%s:%d   (Demo Cloud)
               http://acme.%s:%d   (Acme Compute)
  Health       http://127.0.0.1:%d/readyz   metrics: /metrics   API: /api/openapi.json
  Stripe       %s

Press Ctrl-C to stop.
`, version, cfg.ConsoleHost, port, creds.email, creds.password,
		cfg.BaseDomain, port, cfg.BaseDomain, port, port, stripeNote)

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- p.serve(ctx, ln) }()
	go func() { defer wg.Done(); errs <- p.work(ctx) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return fail("%v", err)
		}
	}
	return 0
}

type devCredentials struct{ email, password string }

// seedDemo makes the demo data exist: two storefronts with their own
// branding and a super-admin whose password is new on every run (it is
// printed, never stored in plain text).
func seedDemo(ctx context.Context, p *platform) (devCredentials, error) {
	store := tenant.NewStore(p.db)
	demos := []tenant.NewTenant{
		{Slug: "demo", Name: "Demo Cloud", Status: tenant.StatusActive,
			Pitch: "Fast, private virtual machines on the decentralized ThreeFold Grid — paid by card, running in minutes.",
			Theme: []byte(`{"primary":"#0f766e","primary_contrast":"#ffffff"}`)},
		{Slug: "acme", Name: "Acme Compute", Status: tenant.StatusActive,
			Pitch: "Sovereign compute for European teams. Hourly precision, monthly simplicity.",
			Theme: []byte(`{"primary":"#c2410c","primary_contrast":"#ffffff","radius":"0.375rem"}`)},
	}
	for _, n := range demos {
		if _, err := store.BySlug(ctx, n.Slug); fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			if _, err := store.Create(ctx, n); err != nil {
				return devCredentials{}, err
			}
		} else if err != nil {
			return devCredentials{}, err
		}
	}
	creds := devCredentials{email: "admin@" + p.cfg.ConsoleHost, password: rbac.NewPassword(16)}
	if _, err := rbac.NewStore(p.db).EnsurePlatformAccount(ctx, creds.email, creds.password, rbac.RoleSuperAdmin); err != nil {
		return devCredentials{}, err
	}
	return creds, nil
}
