package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// TestWalletOverHTTP: the owner adds the wallet by its recovery phrase (the
// twin is derived, never typed; a phrase without a twin is refused on its
// field); replacing it needs a fresh two-factor code (missing or wrong: 400
// on totp_code, nothing changes) and is audited; a top-up from an empty
// Stellar account fails at the quote, recorded with its step and time, the
// wallet shows the alert, the owner gets one e-mail, the console's tenant
// list says "failing"; the history answers one point a day.
func TestWalletOverHTTP(t *testing.T) {
	w := newWorld(t)
	owner := w.h.browser(t, "alpha.localhost")
	owner.login("owner@alpha.test", pw)
	secret := enrolTOTP(t, owner)

	phrase := billingtest.NewMnemonic(t)
	twin, err := w.h.sim.CreateTwinForMnemonic(phrase, 300*grid.UnitsPerTFT, true)
	if err != nil {
		t.Fatal(err)
	}
	seed := exchangesim.NewSeed() // its account holds nothing: top-ups cannot pay
	account, _ := w.h.exsim.Account(seed)
	if err := w.h.exsim.Fund(account, 0); err != nil {
		t.Fatal(err)
	}
	if r := owner.do("GET", "/api/admin/wallet/history", nil); r.status != 404 {
		t.Errorf("history without a wallet = %d %s", r.status, r.raw)
	}
	orphan := billingtest.NewMnemonic(t)
	if r := owner.do("PUT", "/api/admin/wallet", map[string]any{"mnemonic": orphan, "stellar_secret": seed}); r.status != 400 || r.errField() != "mnemonic" ||
		!strings.Contains(r.raw, "create one in the TF Dashboard first") || strings.Contains(r.raw, orphan) {
		t.Errorf("a phrase without a twin = %d %s", r.status, r.raw)
	}
	saved := owner.must(200, "PUT", "/api/admin/wallet", map[string]any{"mnemonic": phrase, "stellar_secret": seed})
	if saved.body["twin_id"] != float64(twin) || strings.Contains(saved.raw, seed) || strings.Contains(saved.raw, strings.Fields(phrase)[0]+" ") {
		t.Fatalf("saved wallet = %s, want twin %d and no secret", saved.raw, twin)
	}

	// The contracts table pages (issue 15 item 7): no contracts yet is an
	// empty page without a next cursor; bad paging input names its field.
	if r := owner.must(200, "GET", "/api/admin/wallet/contracts?limit=5", nil); r.body["next_cursor"] != "" || r.body["total"] != 0.0 ||
		!strings.Contains(r.raw, `"items":[]`) || !strings.Contains(r.raw, `"by_tier":[]`) {
		t.Errorf("contracts of a wallet without any = %s", r.raw)
	}
	for q, field := range map[string]string{"limit=0": "limit", "limit=101": "limit", "cursor=abc": "cursor"} {
		if r := owner.do("GET", "/api/admin/wallet/contracts?"+q, nil); r.status != 400 || r.errField() != field {
			t.Errorf("contracts?%s = %d %s, want 400 on %s", q, r.status, r.raw, field)
		}
	}

	// Replacing asks for two-factor again.
	phrase2 := billingtest.NewMnemonic(t)
	twin2, err := w.h.sim.CreateTwinForMnemonic(phrase2, 100*grid.UnitsPerTFT, true)
	if err != nil {
		t.Fatal(err)
	}
	good := freshTOTP(t, secret)
	wrong := "000000"
	if good == wrong {
		wrong = "111111"
	}
	for _, code := range []string{"", wrong} {
		r := owner.do("PUT", "/api/admin/wallet", map[string]any{"mnemonic": phrase2, "stellar_secret": seed, "totp_code": code})
		if r.status != 400 || r.errField() != "totp_code" {
			t.Errorf("replace with code %q = %d %s, want 400 on totp_code", code, r.status, r.raw)
		}
	}
	if v := owner.must(200, "GET", "/api/admin/wallet", nil); v.body["twin_id"] != float64(twin) {
		t.Fatalf("a refused replacement changed the wallet: %s", v.raw)
	}
	replaced := owner.must(200, "PUT", "/api/admin/wallet", map[string]any{"mnemonic": phrase2, "stellar_secret": seed, "totp_code": good})
	if replaced.body["twin_id"] != float64(twin2) {
		t.Fatalf("replaced wallet = %s, want twin %d", replaced.raw, twin2)
	}
	var audited int
	if err := w.h.db.Owner(t).Get(&audited, `SELECT count(*) FROM audit_events WHERE action = 'wallet.replaced' AND tenant_id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("wallet.replaced audited %d times, want 1", audited)
	}

	// A top-up the empty Stellar account cannot pay.
	owner.must(200, "PUT", "/api/admin/wallet/policy", map[string]any{"enabled": true, "min_runway_days": 30, "target_tier": "none",
		"max_per_topup_tft": "500", "max_per_month_tft": "2000", "slippage_bps": 100})
	owner.must(201, "POST", "/api/admin/wallet/topups", nil)
	var v reply
	deadline := time.Now().Add(10 * time.Second)
	for {
		v = owner.must(200, "GET", "/api/admin/wallet", nil)
		if top := v.body["topups"].([]any)[0].(map[string]any); top["state"] == "failed" {
			if top["failed_step"] != "quoted" || top["failed_at"] == nil || !strings.Contains(top["error"].(string), "USDC") {
				t.Errorf("failed top-up = %v, want the quote step, when, and why", top)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the top-up did not fail: %s", v.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	alert, _ := v.body["alert"].(map[string]any)
	if alert == nil || alert["reason"] != "topup_failed" || !strings.Contains(alert["message"].(string), "failed at the quote step") || alert["notified_at"] == nil {
		t.Errorf("wallet alert = %v", v.body["alert"])
	}
	var mails []string
	if err := w.h.db.Owner(t).Select(&mails, `SELECT to_addr || ': ' || subject FROM outbox_emails WHERE tenant_id = $1 AND subject LIKE '%wallet%'`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || !strings.HasPrefix(mails[0], "owner@alpha.test: Alpha Cloud: ") {
		t.Errorf("alert mails = %v, want one to the owner", mails)
	}

	// The history: today's point, recorded by "Top up now".
	h := owner.must(200, "GET", "/api/admin/wallet/history", nil)
	items := h.body["items"].([]any)
	if h.body["days"] != float64(90) || len(items) != 1 || items[0].(map[string]any)["day"] != time.Now().UTC().Format(time.DateOnly) ||
		items[0].(map[string]any)["balance_tft"] != "100.0000000" {
		t.Errorf("history = %s", h.raw)
	}
	if r := owner.do("GET", "/api/admin/wallet/history?days=0", nil); r.status != 400 || r.errField() != "days" {
		t.Errorf("days=0 = %d %s", r.status, r.raw)
	}
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	if r := ann.do("GET", "/api/admin/wallet/history", nil); r.status != 403 && r.status != 404 {
		t.Errorf("a customer reading the history = %d", r.status)
	}

	// The console's tenant list: alpha failing (with why), bravo without a wallet.
	root := rootOf(t, w)
	list := root.must(200, "GET", "/api/console/tenants", nil)
	health := map[string][2]string{}
	for _, it := range list.body["items"].([]any) {
		m := it.(map[string]any)
		note, _ := m["wallet_note"].(string)
		health[m["slug"].(string)] = [2]string{m["wallet_health"].(string), note}
	}
	if health["alpha"][0] != "failing" || !strings.Contains(health["alpha"][1], "quote") || health["bravo"][0] != "not set up" {
		t.Errorf("console wallet health = %v", health)
	}
}
