package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
	"github.com/fiatdashboard/fiatdashboard/web"
)

// The storefronts' logos, as their admins would upload them. They carry a
// width and height so the browser reports a natural size for them.
const (
	e2eDemoLogo = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><path d="M32 4l24 14v28L32 60 8 46V18z" fill="#0f766e"/><path d="M32 18l12 7v14l-12 7-12-7V25z" fill="#ffffff"/></svg>`
	e2eAcmeLogo = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect x="4" y="4" width="56" height="56" rx="12" fill="#c2410c"/><path d="M18 46L32 16l14 30h-8l-6-14-6 14z" fill="#ffffff"/></svg>`
)

// TestBrowserEndToEnd starts the real server on a socket and runs the
// Playwright end-to-end scripts (web/ui/e2e) in headless Chromium: the shell,
// identity, and tenancy (two branded storefronts and a suspended one on one
// process, branding, domains and the console's tenant pages). With
// FD_E2E=required (make test, CI) a missing browser or UI build is a
// failure; otherwise it is a skip that says what is missing.
func TestBrowserEndToEnd(t *testing.T) {
	required := os.Getenv("FD_E2E") == "required"
	missing := func(what string) {
		if required {
			t.Fatalf("end-to-end test cannot run: %s (FD_E2E=required)", what)
		}
		t.Skipf("skipped: %s; `make test` installs and builds it", what)
	}
	chromium := os.Getenv("FD_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("Chromium is not installed at " + chromium + " (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat("ui/node_modules/playwright-core"); err != nil {
		missing("web/ui/node_modules is not installed (cd web/ui && npm ci)")
	}
	if _, err := os.Stat("dist/index.html"); err != nil {
		missing("the UI is not built into web/dist (make ui)")
	}

	// Caddy asks /internal/tls-ask from this machine: allow loopback, as dev does.
	h := newHarnessConfig(t, nil, web.Config{Version: "test", StripeMode: "mock", InternalAllow: []string{"127.0.0.1/32", "::1/128"}})
	ctx := context.Background()
	demo, err := h.store.Create(ctx, tenant.NewTenant{
		Slug: "demo", Name: "Demo Cloud", Status: tenant.StatusActive,
		Pitch: "Fast VMs on the ThreeFold Grid", Theme: []byte(`{"primary":"#0f766e"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second storefront on the same process with a theme of its own, and a
	// suspended one: the tenancy script checks that each host shows only its
	// own brand from the first paint, and the maintenance page.
	acme, err := h.store.Create(ctx, tenant.NewTenant{
		Slug: "acme", Name: "Acme Compute", Status: tenant.StatusActive,
		Pitch: "Sovereign compute for European teams",
		Theme: []byte(`{"primary":"#c2410c","primary_contrast":"#ffffff","accent":"#0f766e","background":"#fffaf5","surface":"#ffffff",` +
			`"text":"#1c1917","muted":"#57534e","border":"#ece3da","radius":"0.375rem","font":"system","mode":"light"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Create(ctx, tenant.NewTenant{Slug: "paused", Name: "Paused Co", Status: tenant.StatusSuspended}); err != nil {
		t.Fatal(err)
	}
	// The wallet script's own storefront, which has no wallet yet (the demo
	// storefront has one: its customers' orders need a wallet that can pay).
	harbor, err := h.store.Create(ctx, tenant.NewTenant{Slug: "harbor", Name: "Harbor Cloud", Status: tenant.StatusActive,
		Pitch: "Servers from the harbour", Theme: []byte(`{"primary":"#1d4ed8","accent":"#d97706"}`)})
	if err != nil {
		t.Fatal(err)
	}
	seed := func(id uuid.UUID) context.Context {
		return tenant.WithActor(tenant.WithID(ctx, id), tenant.System("e2e seed"))
	}
	branding := themes.NewService(h.db.App, h.authz, h.tenants)
	for id, logo := range map[uuid.UUID]string{demo.ID: e2eDemoLogo, acme.ID: e2eAcmeLogo} {
		if _, err := branding.UploadAsset(seed(id), "logo", []byte(logo)); err != nil {
			t.Fatal(err)
		}
	}
	// A custom domain of acme, pending, whose TXT record the fake DNS already
	// answers: "Verify now" on the admin page verifies it, and the browser
	// (which maps the name to 127.0.0.1) then reaches acme's storefront on it.
	const customDomain = "shop.acme.test"
	d, err := h.tenants.AddDomain(seed(acme.ID), customDomain)
	if err != nil {
		t.Fatal(err)
	}
	h.dns.set(d.TXTName, d.TXTValue)
	// Accounts for the identity flow, without two-factor yet: the script
	// walks the super-admin and the tenant admin through enrolment.
	const e2ePassword = "end to end passphrase"
	rs := rbac.NewStore(h.db.App)
	for _, a := range []struct {
		tenant uuid.UUID
		email  string
		role   string
	}{
		{uuid.Nil, "root@console.localhost", rbac.RoleSuperAdmin},
		{uuid.Nil, "farmer@console.localhost", rbac.RoleNodeOperator},
		{demo.ID, "admin@demo.localhost", rbac.RoleAdmin},
		// The tenancy script's own accounts: the identity script enrols TOTP
		// for the ones above, and both scripts run at the same time.
		{acme.ID, "owner@acme.localhost", rbac.RoleOwner},
		{uuid.Nil, "ops@console.localhost", rbac.RoleSuperAdmin},
		// The payments script's verified customer of the demo storefront.
		{demo.ID, "buyer@demo.localhost", rbac.RoleCustomer},
		// The deployments script's node operator (who links a twin and brings two
		// nodes) and the demo owner who approves it (TOTP enrolled by the script).
		{uuid.Nil, "farmer2@console.localhost", rbac.RoleNodeOperator},
		{demo.ID, "pooladmin@demo.localhost", rbac.RoleOwner},
		// The deployments script's own verified customer (the payments script counts
		// the cards and orders of its buyer, so the two do not share one).
		{demo.ID, "deployer@demo.localhost", rbac.RoleCustomer},
		// The wallet script's owner of its storefront and the super-admin who reads
		// the treasury health in the console (TOTP enrolled by the script).
		{harbor.ID, "treasurer@harbor.localhost", rbac.RoleOwner},
		{uuid.Nil, "treasury@console.localhost", rbac.RoleSuperAdmin},
		// The console script's super-admin (TOTP enrolled by the script) and the
		// demo storefront's read-only support staff.
		{uuid.Nil, "console@console.localhost", rbac.RoleSuperAdmin},
		{demo.ID, "support@demo.localhost", rbac.RoleSupport},
		// The money script's owner (TOTP enrolled by the script) and customer.
		{demo.ID, "money@demo.localhost", rbac.RoleOwner},
		{demo.ID, "moneybuyer@demo.localhost", rbac.RoleCustomer},
	} {
		if _, err := rs.EnsureAccount(ctx, a.tenant, a.email, e2ePassword, a.role); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	// The demo storefront takes card payments: connected to Stripe (stripe-mock; the
	// emitter's account.updated is processed synchronously in the harness).
	if _, err := h.billing.OnboardingLink(seed(demo.ID), "http://demo.localhost"); err != nil {
		t.Fatal(err)
	}
	// Its grid wallet pays for the payments and deployments scripts' orders.
	h.fundWallet(t, demo.ID)
	// The demo pool for the deployments script, and the farm its node operator owns.
	opFarm, opNodes := e2eNodePool(t, h, seed(demo.ID))
	// Rows for the console script's pages: a customer, a node operator, failed jobs.
	e2eConsoleData(t, h, demo.ID, acme.ID, opFarm.ID, e2ePassword)
	twinKey, err := h.sim.TwinKey(opFarm.TwinID)
	if err != nil {
		t.Fatal(err)
	}
	const deployName = "e2e-web"
	// The deployments script's customer pays with a card saved here, not through the
	// test-card form: in mock mode a saved card's id is the test card's own
	// ("pm_card_visa", a global key) and stripe-mock gives every customer the same id,
	// so a second account saving the test cards would take the payments script's.
	deployer, err := rs.EnsureAccount(ctx, demo.ID, "deployer@demo.localhost", e2ePassword, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the deployer's card", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_e2e_deployer')`, demo.ID, deployer); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_e2e_deployer_visa', $1, $2, 'visa', '4242', 12, 2034, true)`, demo.ID, deployer)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The money script's customer pays with a saved card of its own too.
	moneyBuyer, err := rs.EnsureAccount(ctx, demo.ID, "moneybuyer@demo.localhost", e2ePassword, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the money script's card", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_e2e_money')`, demo.ID, moneyBuyer); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_e2e_money_visa', $1, $2, 'visa', '4242', 12, 2034, true)`, demo.ID, moneyBuyer)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The wallet script's TFChain twin (100 TFT, KYC-verified), the twin of its
	// recovery phrase's account, a phrase whose account has no twin, a Stellar
	// account (500 USDC, on the harness's exchange simulator), a running contract
	// of its storefront whose staking tier the top-up raises, and 60 days of the
	// storefront's balance and burn for the chart.
	const walletMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	walletTwin, err := h.sim.CreateTwinForMnemonic(walletMnemonic, 100*grid.UnitsPerTFT, true)
	if err != nil {
		t.Fatal(err)
	}
	orphanMnemonic := billingtest.NewMnemonic(t)
	walletSeed := exchangesim.NewSeed()
	walletAccount, err := h.exsim.Account(walletSeed)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.exsim.Fund(walletAccount, 500*exchange.One); err != nil {
		t.Fatal(err)
	}
	walletContract := e2eWalletContract(t, h, harbor.ID, walletTwin, demo.ID, opFarm.ID)
	var history []treasury.Snapshot
	for d := 60; d >= 1; d-- {
		history = append(history, treasury.Snapshot{At: time.Now().AddDate(0, 0, -d),
			Balance: grid.TFTUnits(100+13*d+[]int{0, 9, 15, 6, -4, -12, -5}[d%7]) * grid.UnitsPerTFT, BurnMonth: grid.TFTUnits(405-d/2) * grid.UnitsPerTFT})
	}
	if err := h.treasury.ImportHistory(seed(harbor.ID), history); err != nil {
		t.Fatal(err)
	}
	// The co-op script's storefront, members and payment.
	coopEnv := e2eCoop(t, h, e2ePassword)
	// The renewal script's customer, whose renewal waits for authentication.
	coopEnv = append(coopEnv, e2eRenewal(t, h, demo.ID, e2ePassword)...)
	// The money-coherence script's storefront, its owner and customer, a
	// console super-admin and a co-op owner (issue 15).
	coopEnv = append(coopEnv, e2eCoherence(t, h, e2ePassword)...)
	// The apps script's storefront and GPU co-op (issue 19).
	appsEnv, appsTenants := e2eApps(t, h, e2ePassword)
	coopEnv = append(coopEnv, appsEnv...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	port := ln.Addr().(*net.TCPAddr).Port

	shots := os.Getenv("FD_E2E_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	// Every script runs at once on two cores: on a busy machine the whole
	// run takes most of ten minutes (CI has 90).
	ectx, ecancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer ecancel()
	// FD_E2E_ONLY=wallet,deployments runs just those scripts (while working
	// on one page); by default every script in ui/e2e runs.
	scripts := []string{filepath.Join("ui", "e2e")}
	if only := os.Getenv("FD_E2E_ONLY"); only != "" {
		scripts = scripts[:0]
		for _, name := range strings.Split(only, ",") {
			scripts = append(scripts, filepath.Join("ui", "e2e", strings.TrimSpace(name)+".test.mjs"))
		}
	}
	// A second reporter writes TAP to a file: with FD_E2E=required a script
	// that skipped (a describe block whose variables were missing) fails the
	// run instead of passing in silence.
	tap := filepath.Join(t.TempDir(), "e2e.tap")
	cmd := exec.CommandContext(ectx, node, append(nodeTestArgs(tap), scripts...)...)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("FD_E2E_STOREFRONT_URL=http://demo.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_CONSOLE_URL=http://console.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_SECOND_STOREFRONT_URL=http://acme.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_SUSPENDED_URL=http://paused.localhost:%d/", port),
		"FD_E2E_CUSTOM_DOMAIN="+customDomain,
		"FD_E2E_SECOND_ADMIN_EMAIL=owner@acme.localhost", "FD_E2E_SECOND_ADMIN_PASSWORD="+e2ePassword,
		"FD_E2E_SECOND_SUPERADMIN_EMAIL=ops@console.localhost", "FD_E2E_SECOND_SUPERADMIN_PASSWORD="+e2ePassword,
		"FD_E2E_SCREENSHOT_DIR="+shots,
		"FD_E2E_SUPERADMIN_EMAIL=root@console.localhost", "FD_E2E_SUPERADMIN_PASSWORD="+e2ePassword,
		"FD_E2E_TENANT_ADMIN_EMAIL=admin@demo.localhost", "FD_E2E_TENANT_ADMIN_PASSWORD="+e2ePassword,
		"FD_E2E_OPERATOR_EMAIL=farmer@console.localhost", "FD_E2E_OPERATOR_PASSWORD="+e2ePassword,
		"FD_E2E_CUSTOMER_EMAIL=buyer@demo.localhost", "FD_E2E_CUSTOMER_PASSWORD="+e2ePassword,
		"FD_E2E_DEPLOYER_EMAIL=deployer@demo.localhost", "FD_E2E_DEPLOYER_PASSWORD="+e2ePassword,
		"FD_E2E_OPERATOR2_EMAIL=farmer2@console.localhost", "FD_E2E_OPERATOR2_PASSWORD="+e2ePassword,
		"FD_E2E_POOL_ADMIN_EMAIL=pooladmin@demo.localhost", "FD_E2E_POOL_ADMIN_PASSWORD="+e2ePassword,
		fmt.Sprintf("FD_E2E_TWIN_ID=%d", opFarm.TwinID),
		"FD_E2E_TWIN_SEED_HEX="+hex.EncodeToString(twinKey.Seed()),
		fmt.Sprintf("FD_E2E_OPERATOR_NODES=%d,%d", opNodes[0], opNodes[1]),
		"FD_E2E_DEPLOYMENT_NAME="+deployName,
		fmt.Sprintf("FD_E2E_WALLET_STOREFRONT_URL=http://harbor.localhost:%d/", port),
		"FD_E2E_TREASURER_EMAIL=treasurer@harbor.localhost", "FD_E2E_TREASURER_PASSWORD="+e2ePassword,
		"FD_E2E_WALLET_CONSOLE_EMAIL=treasury@console.localhost", "FD_E2E_WALLET_CONSOLE_PASSWORD="+e2ePassword,
		"FD_E2E_WALLET_ORPHAN_MNEMONIC="+orphanMnemonic,
		fmt.Sprintf("FD_E2E_WALLET_TWIN=%d", walletTwin),
		"FD_E2E_WALLET_SEED="+walletSeed,
		"FD_E2E_WALLET_MNEMONIC="+walletMnemonic,
		fmt.Sprintf("FD_E2E_WALLET_CONTRACT=%d", walletContract),
		"FD_E2E_CONSOLE_ADMIN_EMAIL=console@console.localhost", "FD_E2E_CONSOLE_ADMIN_PASSWORD="+e2ePassword,
		"FD_E2E_SUPPORT_EMAIL=support@demo.localhost", "FD_E2E_SUPPORT_PASSWORD="+e2ePassword,
		"FD_E2E_MONEY_OWNER_EMAIL=money@demo.localhost", "FD_E2E_MONEY_OWNER_PASSWORD="+e2ePassword,
		"FD_E2E_MONEY_CUSTOMER_EMAIL=moneybuyer@demo.localhost", "FD_E2E_MONEY_CUSTOMER_PASSWORD="+e2ePassword,
		"FD_CHROMIUM="+chromium,
	)
	cmd.Env = append(cmd.Env, append(coopEnv, fmt.Sprintf("FD_E2E_COOP_URL=http://commons.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_ORBIT_URL=http://orbit.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_APPS_URL=http://appshop.localhost:%d/", port),
		fmt.Sprintf("FD_E2E_GPUCOOP_URL=http://gpucoop.localhost:%d/", port))...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("end-to-end script failed: %v\n%s", err, out)
	}
	if err := noSkippedScripts(tap, required); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("end-to-end script passed; screenshots in %s\n%s", shots, out)
	ran := func(script string) bool {
		only := os.Getenv("FD_E2E_ONLY")
		return only == "" || slices.Contains(strings.Split(only, ","), script)
	}
	if ran("coop") {
		e2eCheckGPURent(t, h)
	}
	if ran("apps") {
		e2eCheckApps(t, h, appsTenants)
	}
	if !ran("deployments") {
		return // the deployments script did not run: nothing of its to check
	}

	// The deployments script cancelled its server in the browser: the grid had its
	// contracts (the VM and its standby at least) and every one is cancelled now.
	var project string
	var contracts, open int
	err = tenant.SystemTx(context.Background(), h.db.App, "e2e: the deployment's contracts", func(tx *tenant.Tx) error {
		if err := tx.GetContext(context.Background(), &project, `SELECT project FROM deployments
			WHERE tenant_id = $1 AND name = $2 ORDER BY created_at DESC LIMIT 1`, demo.ID, deployName); err != nil {
			return fmt.Errorf("the deployment %s: %w", deployName, err)
		}
		return tx.QueryRowxContext(context.Background(), `SELECT count(*), count(*) FILTER (WHERE canceled_at IS NULL)
			FROM grid_contracts WHERE project = $1`, project).Scan(&contracts, &open)
	})
	if err != nil {
		t.Fatal(err)
	}
	if contracts < 2 || open != 0 {
		t.Errorf("grid contracts of %s: %d created, %d still open; want at least 2, all cancelled", project, contracts, open)
	}
	if p, err := h.sim.Project(context.Background(), project); err == nil {
		t.Errorf("the grid still has project %s after the cancel: %+v", project, p)
	}
	e2eCheckQSFSSecrets(t, h, demo.ID, deployName+"-vault")
}

// e2eCheckQSFSSecrets checks the QSFS secrets of the deployments script's
// vault server: one sealed row, opened with the master keyring into a random
// zdb password (32 hex digits) and AES-256 key (64), neither derived from
// the deployment's id nor readable in the sealed text.
func e2eCheckQSFSSecrets(t *testing.T, h *harness, tenantID uuid.UUID, name string) {
	t.Helper()
	ctx := context.Background()
	var row struct {
		ID uuid.UUID `db:"id"`
		P  string    `db:"zdb_password_enc"`
		K  string    `db:"encrypt_key_enc"`
	}
	err := tenant.SystemTx(ctx, h.db.App, "e2e: the vault's QSFS secrets", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT d.id, s.zdb_password_enc, s.encrypt_key_enc FROM deployments d
			JOIN deployment_secrets s ON s.deployment_id = d.id WHERE d.tenant_id = $1 AND d.name = $2`, tenantID, name)
	})
	if err != nil {
		t.Fatalf("the sealed QSFS secrets of %s: %v", name, err)
	}
	keys, err := rbac.ParseKeyring("m:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))) // the harness's master key
	if err != nil {
		t.Fatal(err)
	}
	pw, err := keys.Open("qsfs", row.P)
	if err != nil {
		t.Fatalf("open the zdb password: %v", err)
	}
	key, err := keys.Open("qsfs", row.K)
	if err != nil {
		t.Fatalf("open the encryption key: %v", err)
	}
	hexDigits := regexp.MustCompile(`^[0-9a-f]+$`)
	if len(pw) != 32 || len(key) != 64 || !hexDigits.Match(pw) || !hexDigits.Match(key) || bytes.Equal(pw, key[:32]) {
		t.Errorf("secrets of %s: a %d-character password and a %d-character key; want 32 and 64 random hex digits", name, len(pw), len(key))
	}
	id := strings.ReplaceAll(row.ID.String(), "-", "")
	for _, sealed := range []string{row.P, row.K} {
		if strings.Contains(sealed, string(pw)) || strings.Contains(sealed, string(key)) {
			t.Errorf("a QSFS secret of %s sits in plain text in its column", name)
		}
	}
	if strings.Contains(string(pw), id[:16]) || strings.Contains(string(key), id[:16]) {
		t.Errorf("a QSFS secret of %s derives from its id", name)
	}
}

// e2eCheckGPURent checks what the co-op script's GPU order left on the grid
// simulator: the co-op's wallet twin rents the VM's node (a rent contract in
// the deployment's project) and the VM holds every GPU of that node.
func e2eCheckGPURent(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	var d struct {
		Project string `db:"project"`
		NodeID  uint32 `db:"node_id"`
		Twin    uint32 `db:"twin_id"`
	}
	err := tenant.SystemTx(ctx, h.db.App, "e2e: the GPU order", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &d, `SELECT d.project, d.node_id, w.twin_id FROM deployments d
			JOIN tenants t ON t.id = d.tenant_id JOIN tenant_wallets w ON w.tenant_id = d.tenant_id
			WHERE t.slug = 'commons' AND d.name = 'gpu-render-1' AND d.status = 'running'`)
	})
	if err != nil {
		t.Fatalf("the co-op script's running GPU deployment: %v", err)
	}
	p, err := h.sim.AsTwin(d.Twin).Project(ctx, d.Project)
	if err != nil {
		t.Fatalf("the GPU deployment's project on the grid: %v", err)
	}
	rented := false
	for _, c := range p.Contracts {
		rented = rented || c.Kind == grid.RentContract && c.NodeID == d.NodeID && c.TwinID == d.Twin
	}
	n, err := h.sim.Node(ctx, d.NodeID)
	if err != nil {
		t.Fatal(err)
	}
	if !rented || n.RentedByTwin != d.Twin {
		t.Errorf("node %d: rent contract in the project %v, rented by twin %d; want rented by the co-op's twin %d", d.NodeID, rented, n.RentedByTwin, d.Twin)
	}
	vm, _ := p.VM("vm")
	var want []string
	for _, g := range n.GPUs {
		want = append(want, g.ID)
	}
	if len(want) == 0 || !slices.Equal(vm.GPUs, want) {
		t.Errorf("the VM holds GPUs %v, want the node's %v", vm.GPUs, want)
	}
}

// e2eNodePool fills the demo storefront's pool for the deployments script and picks
// the farm its node operator owns (two of whose nodes the operator registers). The
// pool's own nodes come from other farms, with room for every size: they take default
// placements and standby VMs, but customers may not pick them, so in advanced mode a
// customer sees only the operator's nodes, and only the one the operator exposed.
func e2eNodePool(t *testing.T, h *harness, admin context.Context) (gridsim.Farm, []uint32) {
	t.Helper()
	shared := false
	list := func(f grid.NodeFilter) []grid.Node {
		f.Status = []grid.NodeStatus{grid.NodeUp}
		f.MinFree = grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 100 << 30}
		f.Dedicated = &shared
		f.Page = grid.Page{Size: grid.MaxPageSize}
		page, err := h.sim.ListNodes(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return page.Nodes
	}
	var farm gridsim.Farm
	var mine []uint32
	for _, f := range h.sim.Farms() {
		if ns := list(grid.NodeFilter{FarmIDs: []uint32{f.ID}}); !f.Dedicated && len(ns) >= 2 {
			farm, mine = f, []uint32{ns[0].ID, ns[1].ID}
			break
		}
	}
	if mine == nil {
		t.Fatal("the grid simulator has no farm with two shared nodes with room")
	}
	var pool []uint32
	perFarm := map[uint32]int{}
	for _, n := range list(grid.NodeFilter{ExcludeFarm: []uint32{farm.ID}}) {
		if perFarm[n.FarmID] < 2 && len(pool) < 8 {
			perFarm[n.FarmID]++
			pool = append(pool, n.ID)
		}
	}
	if len(perFarm) < 2 {
		t.Fatalf("the pool needs nodes of two farms for a standby VM, got %v", perFarm)
	}
	if err := h.deploy.AddToPool(admin, pool); err != nil {
		t.Fatal(err)
	}
	for _, id := range pool {
		if err := h.deploy.SetPickable(admin, id, false); err != nil {
			t.Fatal(err)
		}
	}
	return farm, mine
}

// e2eWalletContract runs a small VM (1 vCPU, 2 GB, 25 GB: 405 TFT a month at list
// price) for the owner storefront, paid by its wallet's twin, on a node outside the
// demo pool and the operator's farm, and records its contracts as the platform does,
// so the wallet page has a contract whose staking tier the wallet script's top-up
// raises. It returns the VM's contract.
func e2eWalletContract(t *testing.T, h *harness, owner uuid.UUID, twin uint32, demo uuid.UUID, opFarm uint32) uint64 {
	t.Helper()
	ctx := context.Background()
	var pool []uint32
	err := tenant.SystemTx(ctx, h.db.App, "e2e: the demo pool", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &pool, `SELECT node_id FROM pool_nodes WHERE tenant_id = $1`, demo)
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := h.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, ExcludeFarm: []uint32{opFarm},
		MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	var node uint32
	for _, n := range page.Nodes {
		if !slices.Contains(pool, n.ID) {
			node = n.ID
			break
		}
	}
	if node == 0 {
		t.Fatal("the grid simulator has no free node outside the demo pool")
	}
	const project = "e2e-wallet"
	p, err := h.sim.AsTwin(twin).DeployVM(ctx, project, grid.VMSpec{Name: "vm", NodeID: node, Flist: "https://hub.grid.tf/tf-official-vms/debian-12.flist",
		CPU: 1, Memory: 2 << 30, RootFS: 25 << 30})
	if err != nil {
		t.Fatal(err)
	}
	var vm uint64
	err = tenant.SystemTx(ctx, h.db.App, "e2e: the wallet's contract", func(tx *tenant.Tx) error {
		for _, c := range p.Contracts {
			if c.Resources != (grid.Resources{}) {
				vm = c.ID
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO grid_contracts (contract_id, tenant_id, node_id, project) VALUES ($1, $2, $3, $4)`,
				c.ID, owner, c.NodeID, project); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if vm == 0 {
		t.Fatalf("project %s has no VM contract: %+v", project, p.Contracts)
	}
	return vm
}

// nodeTestArgs runs node's test runner with the spec reporter on standard
// output and a TAP copy in tap, which noSkippedScripts reads.
func nodeTestArgs(tap string) []string {
	return []string{"--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
		"--test-reporter=tap", "--test-reporter-destination=" + tap}
}

// tapSkip matches a TAP result line marked skipped: "ok 3 - name # SKIP why".
var tapSkip = regexp.MustCompile(`^\s*(?:not )?ok \d+ - (.*?) # SKIP\b ?(.*)$`)

// noSkippedScripts reads the TAP file of a run and, when required (FD_E2E=
// required), returns an error naming every test or describe block that was
// skipped, with the reason it gave. Without required it lets skips pass.
func noSkippedScripts(tap string, required bool) error {
	b, err := os.ReadFile(tap)
	if err != nil {
		return fmt.Errorf("the browser scripts' TAP report: %w", err)
	}
	var skipped []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := tapSkip.FindStringSubmatch(line); m != nil {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", m[1], m[2]))
		}
	}
	if len(skipped) == 0 || !required {
		return nil
	}
	return fmt.Errorf("with FD_E2E=required no browser script may skip, but %d did:\n  %s", len(skipped), strings.Join(skipped, "\n  "))
}

// TestSkippedBrowserScriptFailsWhenRequired runs node's test runner, as the
// end-to-end test does, on a script whose describe block is skipped for a
// missing variable: with FD_E2E=required the run fails naming the block and
// the reason; without it, it passes.
func TestSkippedBrowserScriptFailsWhenRequired(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("FD_E2E") == "required" {
			t.Fatal("node is not installed (FD_E2E=required)")
		}
		t.Skip("skipped: node is not installed")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "skips.test.mjs")
	if err := os.WriteFile(script, []byte(`import { describe, it } from 'node:test'
describe('a page that runs', () => { it('works', () => {}) })
describe('a page without its account', { skip: 'FD_E2E_SOMETHING is not set' }, () => { it('never runs', () => {}) })
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tap := filepath.Join(dir, "out.tap")
	if out, err := exec.Command(node, append(nodeTestArgs(tap), script)...).CombinedOutput(); err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	err = noSkippedScripts(tap, true)
	if err == nil || !strings.Contains(err.Error(), "a page without its account (FD_E2E_SOMETHING is not set)") {
		t.Errorf("required run with a skipped describe block: error %v, want one naming the block and its reason", err)
	}
	if strings.Contains(fmt.Sprint(err), "a page that runs") {
		t.Errorf("the error names a block that ran: %v", err)
	}
	if err := noSkippedScripts(tap, false); err != nil {
		t.Errorf("a run that is not required failed on a skip: %v", err)
	}
}
