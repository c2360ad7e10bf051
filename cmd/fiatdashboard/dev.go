package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/simstore"
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
	cfg, ok := mustConfig(stderr, everySetting)
	if ok && len(cfg.InternalAllow) == 0 {
		// dev runs on this machine: its own loopback may scrape /metrics on
		// the main port (never on a storefront host; FD_INTERNAL_ADDR still
		// gives the internal listener).
		cfg.InternalAllow = []string{"127.0.0.1", "::1"}
	}
	if !ok {
		return 2
	}
	if cfg.Env == "production" {
		fmt.Fprintln(stderr, "fiatdashboard dev: FD_ENV: expected development (dev seeds demo data and mock services)")
		return 2
	}
	if cfg.InternalAddr == "" && len(cfg.InternalAllow) == 0 {
		// One machine, nothing public: Prometheus and Caddy on this machine
		// may read /metrics and /internal/tls-ask on the main listener (by
		// the connection's loopback address; never on a storefront host).
		cfg.InternalAllow = []string{"127.0.0.1/32", "::1/128"}
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
	p, err := openPlatform(ctx, cfg, log)
	if err != nil {
		return fail("%v", err)
	}
	defer p.Close()
	accounts, err := seedDemo(ctx, p)
	if err != nil {
		return fail("seed: %v", err)
	}
	// With FD_GRID_NETWORK=sim (the default) the grid simulator stands in for
	// TFGrid: deterministic from its seed, billing on its own clock.
	gridNote := "TFGrid " + cfg.GridNetwork + "net"
	if sim, ok := p.grid.(*simstore.Shared); ok {
		sum := sim.Summary()
		gridNote = fmt.Sprintf("simulator (seed %d): %d nodes (%d up) in %d farms, %d countries; %d GPU, %d certified, %d with public IPv4",
			sum.Seed, sum.Nodes, sum.Up, sum.Farms, sum.Countries, sum.GPU, sum.Certified, sum.IPv4)
	}
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
               http://commons.%s:%d   (Grid Commons Co-op)
  Health       http://127.0.0.1:%d/readyz   metrics: /metrics from this machine   API: /api/openapi.json
  Stripe       %s
  Grid         %s
  Mail         %s

  Accounts (passwords are new on every run):
`, version, cfg.ConsoleHost, port, cfg.BaseDomain, port, cfg.BaseDomain, port, cfg.BaseDomain, port, port, stripeNote, gridNote, mailNote(cfg))
	for _, a := range accounts {
		fmt.Fprintf(stdout, "    %-14s %-32s %s   on http://%s:%d/login\n", a.role, a.email, a.password, a.host, port)
	}
	fmt.Fprintln(stdout, "\n  Super-admins and tenant owners set up two-factor authentication at first login.\n\nPress Ctrl-C to stop.")

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- p.serve(ctx, ln) }()
	go func() { defer wg.Done(); errs <- p.work(ctx) }()
	go func() {
		seedSamples(ctx, p, log, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), "customer@demo."+cfg.BaseDomain)
		seedGPUSample(ctx, p, log, "customer@commons."+cfg.BaseDomain)
	}()
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
	demos = append(demos, tenant.NewTenant{Slug: "commons", Name: "Grid Commons Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive,
		Pitch: "A co-operative cloud run by the farmers whose nodes it runs on.",
		Theme: []byte(`{"primary":"#818cf8","primary_contrast":"#0b1020","accent":"#34d399","background":"#0b1020","surface":"#131a2e","text":"#e5e7eb","muted":"#9ca3af","border":"#273049","mode":"dark"}`)})
	ids := map[string]uuid.UUID{}
	fresh := map[string]bool{}
	for _, n := range demos {
		t, err := store.BySlug(ctx, n.Slug)
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			t, err = store.Create(ctx, n)
			fresh[n.Slug] = true
		}
		if err != nil {
			return nil, err
		}
		ids[n.Slug] = t.ID
	}
	seed := func(slug string) context.Context {
		c := tenant.WithActor(ctx, tenant.System("dev seed"))
		if slug != "" {
			c = tenant.WithID(c, ids[slug])
		}
		return c
	}
	for slug, logo := range demoLogos {
		if b, err := p.branding.Branding(seed(slug)); err != nil || b.Theme.LogoURL != "" {
			continue // keep the logo it has
		}
		if _, err := p.branding.UploadAsset(seed(slug), "logo", []byte(logo)); err != nil {
			return nil, fmt.Errorf("logo of %s: %w", slug, err)
		}
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
		// The co-op's owner and its second member (seedCoop).
		{devAccount{role: rbac.RoleOwner, email: "owner@commons." + p.cfg.BaseDomain, host: "commons." + p.cfg.BaseDomain}, ids["commons"]},
		{devAccount{role: rbac.RoleNodeOperator, email: "member@" + console, host: console}, uuid.Nil},
		// A node operator the co-op has invited, who has not answered yet:
		// the invitation shows on its console home.
		{devAccount{role: rbac.RoleNodeOperator, email: "invited@" + console, host: console}, uuid.Nil},
		// The co-op's customer, whose GPU server runs on a rented node (seedGPUSample).
		{devAccount{role: rbac.RoleCustomer, email: "customer@commons." + p.cfg.BaseDomain, host: "commons." + p.cfg.BaseDomain}, ids["commons"]},
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
	if err := p.authz.Reload(); err != nil {
		return nil, err
	}
	// Demo Cloud takes cards (Connect through stripe-mock), with prepaid-month
	// discounts and a launch coupon.
	if st, err := p.billing.Connect(seed("demo")); err == nil && !st.Connected {
		if _, err := p.billing.OnboardingLink(seed("demo"), "http://demo."+p.cfg.BaseDomain); err != nil {
			return nil, fmt.Errorf("connect demo to Stripe: %w", err)
		}
		pr, err := p.billing.Pricing(seed("demo"))
		if err != nil {
			return nil, err
		}
		pr.Tiers = []billing.DiscountTier{{Kind: "prepaid_months", Threshold: 3, PctBPS: 500}, {Kind: "prepaid_months", Threshold: 6, PctBPS: 1000}, {Kind: "prepaid_months", Threshold: 12, PctBPS: 1500}}
		if _, err := p.billing.SavePricing(seed("demo"), *pr); err != nil {
			return nil, err
		}
		if _, err := p.billing.CreateCoupon(seed("demo"), billing.Coupon{Code: "WELCOME10", PctBPS: 1000}); err != nil {
			return nil, err
		}
	}
	// Demo Cloud's legal details, printed on the invoice of every payment
	// (the sample orders' included).
	if t, err := store.BySlug(ctx, "demo"); err != nil {
		return nil, err
	} else if t.LegalName == "" {
		if _, err := p.tenants.UpdateSettings(seed("demo"), tenant.Settings{Name: t.Name, Pitch: t.Pitch, BaseCurrency: t.BaseCurrency,
			SupportEmail: "billing@" + demo, LegalName: "Demo Cloud B.V.", LegalAddress: "Keizersgracht 123\n1015 CJ Amsterdam\nNetherlands",
			TaxID: "NL123456789B01"}); err != nil {
			return nil, fmt.Errorf("demo legal details: %w", err)
		}
	}
	if err := seedNodes(ctx, p, seed("demo"), console); err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	if err := seedWallet(ctx, p, seed("demo")); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	if err := seedCoop(ctx, p, seed("commons"), console); err != nil {
		return nil, fmt.Errorf("co-op: %w", err)
	}
	if err := seedAppsDomain(ctx, p, seed("commons")); err != nil {
		return nil, fmt.Errorf("co-op apps domain: %w", err)
	}
	if fresh["commons"] {
		// The co-op's members, a pending storefront application, and a node
		// operator's pending request to Acme, so the console and the admin
		// pages have something to show.
		if err := p.coops.InviteCoopMember(seed("commons"), "invited@"+console, "node_operator", tenant.Origin{Scheme: "http"}); err != nil {
			return nil, fmt.Errorf("co-op invitation: %w", err)
		}
		if _, err := p.tenants.Apply(ctx, tenant.NewApplication{Kind: tenant.KindOperator, Slug: "nordic", Name: "Nordic Nodes",
			ContactEmail: "hello@nordic-nodes.test", Message: "We run 40 certified nodes in Oslo and Tromsø and want to sell VMs to local schools."}); err != nil {
			return nil, fmt.Errorf("application: %w", err)
		}
		var farmer uuid.UUID
		if err := tenant.SystemTx(ctx, p.db, "dev seed: farmer", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &farmer, `SELECT id FROM accounts WHERE email = $1 AND tenant_id IS NULL`, "farmer@"+console)
		}); err != nil {
			return nil, err
		}
		fctx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: farmer, Name: "farmer@" + console, MFA: true})
		if _, err := p.identity.RequestToJoin(fctx, "acme", "Twelve nodes in Ghent, certified, 10 Gbit uplinks."); err != nil {
			return nil, fmt.Errorf("node operator request: %w", err)
		}
	}
	return out, nil
}

func mailNote(cfg *Config) string {
	if cfg.SMTPURL != "" {
		return "sent through FD_SMTP_URL"
	}
	return "kept in the development outbox: console → Outbox"
}

// demoLogos are the demo storefronts' logos (SVG, as a tenant would upload).
var demoLogos = map[string]string{
	"demo":    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#14b8a6"/><stop offset="1" stop-color="#0f766e"/></linearGradient></defs><path d="M32 4l24 14v28L32 60 8 46V18z" fill="url(#g)"/><path d="M32 18l12 7v14l-12 7-12-7V25z" fill="#ffffff" opacity="0.9"/></svg>`,
	"acme":    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="4" y="4" width="56" height="56" rx="12" fill="#c2410c"/><path d="M18 46L32 16l14 30h-8l-6-14-6 14z" fill="#ffffff"/></svg>`,
	"commons": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="#818cf8"/><circle cx="22" cy="28" r="7" fill="#0b1020"/><circle cx="42" cy="28" r="7" fill="#0b1020"/><circle cx="32" cy="44" r="7" fill="#0b1020"/></svg>`,
}

// seedNodes fills Demo Cloud's node pool from the catalog and, on the
// simulator, links the demo farmer's twin (signing the challenge with the
// farm twin's simulated key) and registers two of its nodes.
func seedNodes(ctx context.Context, p *platform, demo context.Context, console string) error {
	if err := p.catalog.Refresh(ctx); err != nil {
		return err
	}
	if pool, _, err := p.deploy.Pool(demo); err != nil || len(pool) > 0 {
		return err
	}
	page, err := p.catalog.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 12}})
	if err != nil {
		return err
	}
	var ids []uint32
	for _, n := range page.Nodes {
		ids = append(ids, n.ID)
	}
	// The customer's node picker shows what it can (issue 15 item 2): the
	// pool also has a GPU node, a certified node and a node whose farm has
	// no public IPv4 free, when the grid has them.
	shared := false
	for _, f := range []grid.NodeFilter{{GPU: true}, {Certified: true}, {}} {
		f.Status, f.Dedicated = []grid.NodeStatus{grid.NodeUp}, &shared
		f.MinFree, f.Page = grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}, grid.Page{Size: grid.MaxPageSize}
		more, err := p.catalog.ListNodes(ctx, f)
		if err != nil {
			return err
		}
		for _, n := range more.Nodes {
			if !slices.Contains(ids, n.ID) && (f.GPU || f.Certified || n.PublicIPv4 == 0) {
				ids = append(ids, n.ID)
				break
			}
		}
	}
	if err := p.deploy.AddToPool(demo, ids); err != nil {
		return err
	}
	sim, ok := p.grid.(*simstore.Shared)
	if !ok {
		return nil
	}
	var farmer uuid.UUID
	if err := tenant.SystemTx(ctx, p.db, "dev seed: farmer", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &farmer, `SELECT id FROM accounts WHERE email = $1 AND tenant_id IS NULL`, "farmer@"+console)
	}); err != nil {
		return err
	}
	fctx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: farmer, Name: "farmer@" + console})
	farm := sim.Farms()[0]
	key, err := sim.TwinKey(farm.TwinID)
	if err != nil {
		return err
	}
	ch, err := p.deploy.NewChallenge(fctx, farm.TwinID)
	if err != nil {
		return err
	}
	if _, err := p.deploy.LinkTwin(fctx, "ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(ch.Message)))); err != nil {
		return err
	}
	nodes, err := p.catalog.ListNodes(ctx, grid.NodeFilter{FarmIDs: []uint32{farm.ID}, Page: grid.Page{Size: 2}})
	if err != nil {
		return err
	}
	for _, n := range nodes.Nodes {
		if _, err := p.deploy.RegisterNode(fctx, n.ID); err != nil {
			return err
		}
	}
	return nil
}

// seedWallet gives Demo Cloud a TFChain wallet on the simulator (the twin
// of the demo recovery phrase, KYC-verified, holding 5 000 TFT), a Stellar
// account with 250 USDC on the exchange simulator, a top-up policy, and 90
// days of made-up balance and burn history, so the wallet page's chart has
// something to show at once.
func seedWallet(ctx context.Context, p *platform, demo context.Context) error {
	sim, ok := p.grid.(*simstore.Shared)
	if !ok || p.exsim == nil {
		return nil
	}
	// The demo twin is part of the shared simulator's state (PostgreSQL):
	// made on the first run, found on the next ones.
	const demoMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	const balance = 5000 * grid.UnitsPerTFT
	if _, err := sim.CreateTwinForMnemonic(demoMnemonic, balance, true); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		return err
	}
	seed := exchangesim.NewSeed()
	account, err := p.exsim.Account(seed)
	if err != nil {
		return err
	}
	if err := p.exsim.Fund(account, 250*exchange.One); err != nil {
		return err
	}
	if err := p.treasury.SaveWallet(demo, treasury.WalletInput{Mnemonic: demoMnemonic, StellarSecret: seed}); err != nil {
		return err
	}
	if _, err = p.treasury.SavePolicy(demo, treasury.Policy{Enabled: true, MinRunwayDays: 30, TargetTier: "default", SlippageBPS: 100,
		MaxPerTopupS: "2000", MaxPerMonthS: "10000"}); err != nil {
		return err
	}
	return p.treasury.ImportHistory(demo, demoHistory(time.Now(), balance))
}

// demoHistory makes up 90 days of a growing storefront's wallet, ending
// yesterday at balance: the burn climbs from about 700 to 1 400 TFT a month
// as customers arrive, and two 1 500 TFT top-ups land on the way. It is
// built backwards from the end, so it meets today's real balance.
func demoHistory(now time.Time, balance grid.TFTUnits) []treasury.Snapshot {
	const days = 89
	day := now.UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	out := make([]treasury.Snapshot, days)
	bal := balance
	for i := days - 1; i >= 0; i-- {
		// Burn on day i: a slow climb with a weekly ripple, in whole TFT.
		burn := grid.TFTUnits(700+700*i/(days-1)+[]int{0, 30, 55, 40, -20, -45, -15}[i%7]) * grid.UnitsPerTFT
		out[i] = treasury.Snapshot{At: day.AddDate(0, 0, i-days), Balance: bal, BurnMonth: burn}
		// The day before: what this day burned was still there, and a top-up
		// on this day had not landed yet.
		bal += burn / 30
		if i == 20 || i == 62 {
			bal -= 1500 * grid.UnitsPerTFT
		}
	}
	return out
}

// commonsAppsDomain is the co-op's apps domain: its web apps answer at
// https://<name>.apps.gridcommons.example through an FQDN gateway (Demo
// Cloud keeps the grid's gateway names).
const commonsAppsDomain = "apps.gridcommons.example"

// seedAppsDomain gives the co-op an apps domain once, on the simulator:
// the wildcard record points at the last up gateway node, as the co-op
// would create it at its registrar.
func seedAppsDomain(ctx context.Context, p *platform, commons context.Context) error {
	sim, ok := p.grid.(*simstore.Shared)
	if !ok {
		return nil
	}
	if cur, err := p.deploy.AppsDomain(commons); err != nil || cur.Domain != "" {
		return err
	}
	page, err := sim.ListNodes(ctx, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 50}})
	if err != nil || len(page.Nodes) == 0 {
		return err
	}
	node := page.Nodes[len(page.Nodes)-1].ID
	if err := sim.PointDNS("*."+commonsAppsDomain, node); err != nil {
		return err
	}
	_, err = p.deploy.SaveAppsDomain(commons, deploy.AppsDomainInput{Domain: commonsAppsDomain, GatewayNode: node})
	return err
}
