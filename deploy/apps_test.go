package deploy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// appShop is the shop with a wallet that pays for clusters (a Kubernetes
// cluster's month is more than the shop's 1000 TFT).
func appShop(t *testing.T) *shop {
	t.Helper()
	s := newShop(t)
	if err := s.sim.Fund(s.twin, 100_000*grid.UnitsPerTFT); err != nil {
		t.Fatal(err)
	}
	return s
}

// appOrder is an app's deploy form.
func appOrder(name, app, config string) deploy.CreateInput {
	return deploy.CreateInput{Name: name, SSHKey: testKey, App: app, AppConfig: json.RawMessage(config), ClientKey: "app-" + name}
}

func (s *shop) orders(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.d.Owner(t).Get(&n, `SELECT count(*) FROM orders WHERE tenant_id = $1`, s.tenantID); err != nil {
		t.Fatal(err)
	}
	return n
}

// sumLines checks that a quote's lines sum to its monthly price and
// returns their kinds.
func sumLines(t *testing.T, app string, q *billing.PriceQuote) []string {
	t.Helper()
	var sum billing.Cents
	var kinds []string
	for _, l := range q.Lines {
		if l.Cents <= 0 {
			t.Errorf("%s: line %q is %d cents; every part of a plan costs something", app, l.Label, l.Cents)
		}
		sum += l.Cents
		kinds = append(kinds, l.Kind)
	}
	if sum != q.MonthlyCents || q.MonthlyCents <= 0 {
		t.Errorf("%s: lines sum to %d, monthly price %d", app, sum, q.MonthlyCents)
	}
	return kinds
}

// TestAppQuotesAreTheirLinesAndCreateChargesTheQuote: each app's quote is
// one line per part of its plan, summing to its monthly price; more of a
// part costs more; Create charges exactly the quote and records the app
// with its form's values (defaults filled in).
func TestAppQuotesAreTheirLinesAndCreateChargesTheQuote(t *testing.T) {
	s := appShop(t)
	cases := []struct {
		app, config string
		kinds       string
		bigger      string // the same form with more of a part
	}{
		{deploy.AppKubernetes, `{"workers": 2, "worker_size": "small", "master_size": "medium", "master_ipv4": true}`, "vm,worker,ipv4",
			`{"workers": 3, "worker_size": "small", "master_size": "medium", "master_ipv4": true}`},
		{deploy.AppNextcloud, `{"storage_gb": 100}`, "vm,disk,gateway", `{"storage_gb": 500}`},
		{deploy.AppLiveKit, `{}`, "vm,ipv4,gateway", `{"size": "large"}`},
	}
	for _, c := range cases {
		q, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: c.app, AppConfig: json.RawMessage(c.config)}, false)
		if err != nil {
			t.Fatalf("%s quote: %v", c.app, err)
		}
		if kinds := strings.Join(sumLines(t, c.app, q), ","); kinds != c.kinds {
			t.Errorf("%s lines are %s, want %s", c.app, kinds, c.kinds)
		}
		big, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: c.app, AppConfig: json.RawMessage(c.bigger)}, false)
		if err != nil || big.MonthlyCents <= q.MonthlyCents {
			t.Errorf("%s: %s costs %v (%v), not more than %s at %d", c.app, c.bigger, big, err, c.config, q.MonthlyCents)
		}
		// A visitor sees the same price.
		if pub, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: c.app, AppConfig: json.RawMessage(c.config)}, true); err != nil || pub.MonthlyCents != q.MonthlyCents {
			t.Errorf("%s public quote = %v, %v; want %d", c.app, pub, err, q.MonthlyCents)
		}
		d, err := s.svc.Create(s.customer, appOrder(c.app+"-1", c.app, c.config))
		if err != nil {
			t.Fatalf("create %s: %v", c.app, err)
		}
		if d.App != c.app || d.Order == nil || d.Order.Amount != q.Total || d.Status != deploy.Paid {
			t.Fatalf("%s deployment = app %s, status %s, order %+v; want paid at the quote's %d", c.app, d.App, d.Status, d.Order, q.Total)
		}
		var lines []billing.Line
		json.Unmarshal(d.Order.Lines, &lines)
		if len(lines) != len(q.Lines) {
			t.Errorf("%s order lines %v, quote lines %v", c.app, lines, q.Lines)
		}
		if d.Access == nil || d.Access.URLs == nil || d.Access.Ports == nil {
			t.Errorf("%s access panel = %+v; want empty lists before it runs", c.app, d.Access)
		}
	}
	// The defaults are stored: a Kubernetes order without a form has one
	// medium worker.
	d, err := s.svc.Create(s.customer, appOrder("k8s-defaults", deploy.AppKubernetes, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	json.Unmarshal(d.AppConfig, &cfg)
	if cfg["workers"] != float64(1) || cfg["worker_size"] != "medium" || cfg["master_ipv4"] != false {
		t.Errorf("stored config = %v; want the form's defaults", cfg)
	}
	// A plain VM is still a VM, app vm, priced as before.
	vm := s.order(t, "plain-vm", "none")
	if vm.App != deploy.AppVM || vm.Image != "ubuntu-24.04" {
		t.Errorf("plain VM = app %q image %q", vm.App, vm.Image)
	}
}

// TestBadAppConfigIsRefusedNamingTheField: an unknown app, an unknown
// field, a wrong type and an out-of-range value are each EINVALID naming
// app or app_config.<field>, from the quote and from Create, and Create
// charges nothing.
func TestBadAppConfigIsRefusedNamingTheField(t *testing.T) {
	s := appShop(t)
	before := s.orders(t)
	cases := []struct{ app, config, field string }{
		{"wordpress", `{}`, "app"},
		{deploy.AppNextcloud, `{"storage_gb": 10}`, "app_config.storage_gb"},
		{deploy.AppNextcloud, `{"storage_gb": 5000}`, "app_config.storage_gb"},
		{deploy.AppNextcloud, `{"storage_gb": "lots"}`, "app_config.storage_gb"},
		{deploy.AppNextcloud, `{"storage_gb": 60.5}`, "app_config.storage_gb"},
		{deploy.AppNextcloud, `{"admin_password": "x"}`, "app_config.admin_password"},
		{deploy.AppKubernetes, `{"workers": 0}`, "app_config.workers"},
		{deploy.AppKubernetes, `{"workers": 6}`, "app_config.workers"},
		{deploy.AppKubernetes, `{"worker_size": "huge"}`, "app_config.worker_size"},
		{deploy.AppKubernetes, `{"master_ipv4": "yes"}`, "app_config.master_ipv4"},
		{deploy.AppLiveKit, `[1, 2]`, "app_config"},
	}
	for i, c := range cases {
		field := func(err error) string {
			var e *fiatdashboard.Error
			if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || !asError(err, &e) {
				return "not EINVALID: " + errString(err)
			}
			return e.Field
		}
		_, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: c.app, AppConfig: json.RawMessage(c.config)}, false)
		if got := field(err); got != c.field {
			t.Errorf("quote %s %s: field %s, want %s", c.app, c.config, got, c.field)
		}
		in := appOrder("bad-"+string(rune('a'+i)), c.app, c.config)
		_, err = s.svc.Create(s.customer, in)
		if got := field(err); got != c.field {
			t.Errorf("create %s %s: field %s, want %s", c.app, c.config, got, c.field)
		}
	}
	// An app has no backup option.
	in := appOrder("bad-backup", deploy.AppNextcloud, `{}`)
	in.Backup = "vm"
	if _, err := s.svc.Create(s.customer, in); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("an app with a backup = %v, want EINVALID", err)
	}
	if after := s.orders(t); after != before {
		t.Errorf("bad app forms placed %d orders", after-before)
	}
}

func asError(err error, e **fiatdashboard.Error) bool {
	x, ok := err.(*fiatdashboard.Error)
	if ok {
		*e = x
	}
	return ok
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestTenantDisablingAnAppHidesItAndRefusesOrders: the storefront's
// catalog lists every app, vm first, until the tenant turns one off; then
// the catalog leaves it out and its quote and order are refused; the
// app's own margin changes its price; vm cannot be turned off; customers
// cannot change the settings.
func TestTenantDisablingAnAppHidesItAndRefusesOrders(t *testing.T) {
	s := appShop(t)
	visitor := s.customer
	cat, err := s.svc.AppCatalog(visitor)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range cat {
		keys = append(keys, a.Key)
		if a.Key != deploy.AppOpenWebUI && a.FromMonthlyCents <= 0 {
			t.Errorf("%s has no from-price", a.Key)
		}
		if a.Fields == nil {
			t.Errorf("%s fields are null", a.Key)
		}
	}
	if strings.Join(keys, ",") != "vm,kubernetes,nextcloud,openwebui,livekit" {
		t.Fatalf("catalog = %v", keys)
	}
	price := func() billing.Cents {
		q, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: deploy.AppNextcloud}, false)
		if err != nil {
			t.Fatal(err)
		}
		return q.MonthlyCents
	}
	base := price()
	if _, err := s.svc.SaveApp(s.customer, deploy.AppNextcloud, deploy.AppSettingInput{Enabled: false}); fiatdashboard.ErrorCode(err) != fiatdashboard.EFORBIDDEN && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer's change of app settings = %v, want refused", err)
	}
	if _, err := s.svc.SaveApp(s.owner, deploy.AppVM, deploy.AppSettingInput{Enabled: false}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("turning vm off = %v, want EINVALID", err)
	}
	double := int64(10000)
	a, err := s.svc.SaveApp(s.owner, deploy.AppNextcloud, deploy.AppSettingInput{Enabled: true, MarginBPS: &double})
	if err != nil || a.MarginBPS == nil || *a.MarginBPS != 10000 {
		t.Fatalf("margin override = %+v, %v", a, err)
	}
	// The shop's rule is +50 %; at +100 % each line is grid × 2 instead of × 1.5.
	if got := price(); got <= base || got > base*2 {
		t.Errorf("nextcloud at +100 %% = %d, at the rule's +50 %% %d", got, base)
	}
	if _, err := s.svc.SaveApp(s.owner, deploy.AppNextcloud, deploy.AppSettingInput{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	cat, _ = s.svc.AppCatalog(visitor)
	for _, a := range cat {
		if a.Key == deploy.AppNextcloud {
			t.Error("the catalog still lists the disabled app")
		}
	}
	admin, err := s.svc.AdminApps(s.owner)
	if err != nil || len(admin) != 5 {
		t.Fatalf("admin apps = %+v, %v", admin, err)
	}
	for _, a := range admin {
		if a.Key == deploy.AppNextcloud && (a.Enabled || a.FromMonthlyCents != 0) {
			t.Errorf("admin view of the disabled app = %+v", a)
		}
	}
	before := s.orders(t)
	if _, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: deploy.AppNextcloud}, true); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("quote of a disabled app = %v, want EINVALID", err)
	}
	_, err = s.svc.Create(s.customer, appOrder("cloud", deploy.AppNextcloud, `{}`))
	var e *fiatdashboard.Error
	if !asError(err, &e) || e.Code != fiatdashboard.EINVALID || e.Field != "app" {
		t.Errorf("order of a disabled app = %v, want EINVALID on app", err)
	}
	if s.orders(t) != before {
		t.Error("the refused order was charged")
	}
	// On again: sold again.
	if _, err := s.svc.SaveApp(s.owner, deploy.AppNextcloud, deploy.AppSettingInput{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Create(s.customer, appOrder("cloud", deploy.AppNextcloud, `{}`)); err != nil {
		t.Errorf("order after re-enabling: %v", err)
	}
}

// TestGPUOfferOfOpenWebUISplitsRevenue: the GPU co-op's offer sells Open
// WebUI; its quote has the rent of the GPU node it would take and the
// gateway, Create charges exactly that, the deployment rents a GPU node,
// and the payment is divided among the co-op's members like any co-op
// payment (the whole distributable amount, per the split).
func TestGPUOfferOfOpenWebUISplitsRevenue(t *testing.T) {
	s, gpuIDs, _ := coopShop(t)
	offer, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "Private AI chat", Description: "Open WebUI on a GPU", Capability: deploy.CapGPU,
		App: deploy.AppOpenWebUI, Published: true})
	if err != nil || offer.App != deploy.AppOpenWebUI {
		t.Fatalf("offer = %+v, %v", offer, err)
	}
	if _, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "Bad", Capability: deploy.CapGPU, App: "wordpress"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("offer of an unknown app = %v", err)
	}
	// Ordering another app (or a plain VM) from it is refused.
	bad := appOrder("not-webui", deploy.AppNextcloud, `{}`)
	bad.OfferID = &offer.ID
	if _, err := s.svc.Create(s.customer, bad); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("nextcloud from the Open WebUI offer = %v, want EINVALID", err)
	}
	q, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: deploy.AppOpenWebUI, OfferID: &offer.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if kinds := strings.Join(sumLines(t, "openwebui", q), ","); kinds != "rent,gateway" {
		t.Errorf("open webui lines = %s, want rent,gateway", kinds)
	}
	in := appOrder("chat", deploy.AppOpenWebUI, `{"model": "qwen2.5:7b"}`)
	in.OfferID = &offer.ID
	d, err := s.svc.Create(s.customer, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Order == nil || d.Order.Amount != q.Total || d.Order.Status != billing.OrderPaid {
		t.Fatalf("open webui order = %+v; want paid at the quote's %d", d.Order, q.Total)
	}
	if d.NodeID == nil || !contains(gpuIDs, *d.NodeID) {
		t.Errorf("open webui reserved node %v, want one of the GPU nodes %v", d.NodeID, gpuIDs)
	}
	var rows []struct {
		Share  int64         `db:"share_bps"`
		Amount billing.Cents `db:"amount_cents"`
	}
	if err := s.d.Owner(t).Select(&rows, `SELECT share_bps, amount_cents FROM coop_transfers WHERE order_id = $1`, d.OrderID); err != nil {
		t.Fatal(err)
	}
	var fee billing.Cents
	if err := s.d.Owner(t).Get(&fee, `SELECT application_fee_cents FROM orders WHERE id = $1`, d.OrderID); err != nil {
		t.Fatal(err)
	}
	want := coop.Distributable(d.Order.Amount, fee)
	if len(rows) != 1 || rows[0].Share != 10000 || rows[0].Amount != want || want <= 0 {
		t.Errorf("co-op transfers of the Open WebUI order = %+v; want the one member's whole %d", rows, want)
	}
}

func contains(ids []uint32, id uint32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

var _ = context.Background
