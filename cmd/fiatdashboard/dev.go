package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
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
	accounts, err := seedDemo(ctx, p)
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
	// The grid simulator stands in for TFGrid in development: deterministic
	// from its seed, billing on its own clock.
	sim := gridsim.New(gridsim.Config{Seed: 1})
	sum := sim.Summary()
	gridNote := fmt.Sprintf("simulator (seed %d): %d nodes (%d up) in %d farms, %d countries; %d GPU, %d certified, %d with public IPv4",
		sum.Seed, sum.Nodes, sum.Up, sum.Farms, sum.Countries, sum.GPU, sum.Certified, sum.IPv4)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fail("FD_HTTP_ADDR: %v (is another `make run` still running?)", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stdout, `
fiatdashboard %s is running (development)

  Console      http://%s:%d
  Storefronts  http://demo.%s:%d   (Demo Cloud)
               http://acme.%s:%d   (Acme Compute)
  Health       http://127.0.0.1:%d/readyz   metrics: /metrics   API: /api/openapi.json
  Stripe       %s
  Grid         %s
  Mail         %s

  Accounts (passwords are new on every run):
`, version, cfg.ConsoleHost, port, cfg.BaseDomain, port, cfg.BaseDomain, port, port, stripeNote, gridNote, mailNote(cfg))
	for _, a := range accounts {
		fmt.Fprintf(stdout, "    %-14s %-32s %s   on http://%s:%d/login\n", a.role, a.email, a.password, a.host, port)
	}
	fmt.Fprintln(stdout, "\n  Super-admins and tenant owners set up two-factor authentication at first login.\n\nPress Ctrl-C to stop.")

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

type devAccount struct{ role, email, password, host string }

// seedDemo makes the demo data exist: two storefronts with their own
// branding, a super-admin, the demo tenant's owner, a node operator and a
// customer. Passwords are new on every run (printed, stored only hashed).
func seedDemo(ctx context.Context, p *platform) ([]devAccount, error) {
	store := tenant.NewStore(p.db)
	demos := []tenant.NewTenant{
		{Slug: "demo", Name: "Demo Cloud", Status: tenant.StatusActive,
			Pitch: "Fast, private virtual machines on the decentralized ThreeFold Grid — paid by card, running in minutes.",
			Theme: []byte(`{"primary":"#0f766e","primary_contrast":"#ffffff"}`)},
		{Slug: "acme", Name: "Acme Compute", Status: tenant.StatusActive,
			Pitch: "Sovereign compute for European teams. Hourly precision, monthly simplicity.",
			Theme: []byte(`{"primary":"#c2410c","primary_contrast":"#ffffff","radius":"0.375rem"}`)},
	}
	ids := map[string]uuid.UUID{}
	for _, n := range demos {
		t, err := store.BySlug(ctx, n.Slug)
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			t, err = store.Create(ctx, n)
		}
		if err != nil {
			return nil, err
		}
		ids[n.Slug] = t.ID
	}
	console := p.cfg.ConsoleHost
	demo := "demo." + p.cfg.BaseDomain
	accounts := []struct {
		devAccount
		tenant uuid.UUID
	}{
		{devAccount{role: rbac.RoleSuperAdmin, email: "admin@" + console, host: console}, uuid.Nil},
		{devAccount{role: rbac.RoleNodeOperator, email: "farmer@" + console, host: console}, uuid.Nil},
		{devAccount{role: rbac.RoleOwner, email: "owner@" + demo, host: demo}, ids["demo"]},
		{devAccount{role: rbac.RoleCustomer, email: "customer@" + demo, host: demo}, ids["demo"]},
	}
	rs := rbac.NewStore(p.db)
	var out []devAccount
	for _, a := range accounts {
		a.password = rbac.NewPassword(16)
		if _, err := rs.EnsureAccount(ctx, a.tenant, a.email, a.password, a.role); err != nil {
			return nil, err
		}
		out = append(out, a.devAccount)
	}
	return out, p.authz.Reload()
}

func mailNote(cfg *Config) string {
	if cfg.SMTPURL != "" {
		return "sent through FD_SMTP_URL"
	}
	return "kept in the development outbox: console → Outbox"
}
