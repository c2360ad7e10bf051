package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestInvoiceDownload: the tenant admin's legal details are validated
// (each bad field named, nothing saved) and printed on the invoice; the
// customer downloads the PDF invoice of their payment, which reads back
// with the seller's legal name, address and tax id, the customer, the
// service period, the card and the standby VM's own line; the receipt page
// names the invoice and links the PDF. Another customer of the same
// storefront gets 404.
func TestInvoiceDownload(t *testing.T) {
	w := newWorld(t)
	w.h.fundWallet(t, w.alpha.ID)
	ctx := context.Background()
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	owner.must(200, "POST", "/api/admin/billing/connect", nil)
	base := map[string]any{"name": "Alpha Cloud", "base_currency": "usd", "legal_name": "Alpha Cloud B.V.",
		"legal_address": "Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands", "tax_id": "NL123456789B01"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{with("tax_id", "NL 1234<script>"), "tax_id"},
		{with("tax_id", strings.Repeat("1", 40)), "tax_id"},
		{with("legal_address", "1\n2\n3\n4\n5\n6\n7"), "legal_address"},
		{with("legal_address", strings.Repeat("a", 501)), "legal_address"},
		{with("legal_name", ""), "legal_name"}, // a tax id needs the company's name
		{with("legal_name", "Alpha\x00Cloud"), "legal_name"},
	} {
		if r := owner.do("PUT", "/api/admin/settings", c.body); r.status != 400 || r.errField() != c.field {
			t.Errorf("settings %v = %d %s; want 400 naming %s", c.body, r.status, r.raw, c.field)
		}
	}
	if s := owner.must(200, "GET", "/api/admin/settings", nil); s.body["tax_id"] != "" || s.body["legal_address"] != "" {
		t.Fatalf("a refused save changed the settings: %s", s.raw)
	}
	saved := owner.must(200, "PUT", "/api/admin/settings", with("legal_address", "  Keizersgracht 1 \n\n1015 CJ Amsterdam\r\nNetherlands "))
	if saved.body["legal_address"] != "Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands" || saved.body["tax_id"] != "NL123456789B01" {
		t.Fatalf("saved settings = %s", saved.raw)
	}

	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})
	annID, err := rbac.NewStore(w.h.db.App).EnsureAccount(ctx, w.alpha.ID, "ann@alpha.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	annCtx := tenant.WithActor(tenant.WithID(ctx, w.alpha.ID), tenant.Actor{Kind: tenant.ActorUser, ID: annID, Name: "ann@alpha.test"})
	o, err := w.h.billing.Checkout(annCtx, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small", Backup: "vm"}, ClientKey: "invoice-web-1"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	got := ann.must(200, "GET", "/api/orders/"+o.ID.String(), nil)
	if got.body["invoice_number"] != float64(1) {
		t.Errorf("the paid order's invoice_number = %v, want 1", got.body["invoice_number"])
	}

	download := func(b *browser) (int, string, string, string) {
		req := httptest.NewRequest("GET", "/api/orders/"+o.ID.String()+"/invoice", nil)
		req.Host = "alpha.localhost"
		var cs []string
		for k, v := range b.cookies {
			cs = append(cs, k+"="+v)
		}
		req.Header.Set("Cookie", strings.Join(cs, "; "))
		res := w.h.send(t, req, -1)
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), string(body)
	}
	st, ctype, disp, pdf := download(ann)
	if st != 200 || ctype != "application/pdf" || disp != `attachment; filename="invoice-INV-000001.pdf"` {
		t.Fatalf("invoice download = %d %s %q", st, ctype, disp)
	}
	text, err := billingtest.PDFText([]byte(pdf))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Alpha Cloud", "INV-000001", "Alpha Cloud B.V.", "Keizersgracht 1", "1015 CJ Amsterdam", "Tax ID: NL123456789B01",
		"ann@alpha.test", "Service period", "Visa •••• 4242", "Backup: standby VM", "USD 6.08", "Total charged to the card", "USD 12.16"} {
		if !strings.Contains(text, want) {
			t.Errorf("the downloaded invoice does not say %q; it reads:\n%s", want, text)
		}
	}
	if !bytes.HasPrefix([]byte(pdf), []byte("%PDF-")) {
		t.Error("the download is not a PDF")
	}

	st, receipt := w.h.raw(t, "GET", "alpha.localhost", "/api/orders/"+o.ID.String()+"/receipt", nil, "", ann)
	for _, want := range []string{"INV-000001", "Tax ID: NL123456789B01", "1015 CJ Amsterdam", "ann@alpha.test", `href="/api/orders/` + o.ID.String() + `/invoice"`, `data-kind="standby"`} {
		if st != 200 || !strings.Contains(receipt, want) {
			t.Errorf("receipt = %d; it does not say %q:\n%s", st, want, receipt)
		}
	}

	// Another customer of the same storefront: not found, no trace of ann.
	if _, err := rbac.NewStore(w.h.db.App).EnsureAccount(ctx, w.alpha.ID, "cat@alpha.test", pw, rbac.RoleCustomer); err != nil {
		t.Fatal(err)
	}
	cat := w.h.browser(t, "alpha.localhost")
	cat.login("cat@alpha.test", pw)
	if st, _, _, body := download(cat); st != 404 || strings.Contains(body, "ann@alpha.test") {
		t.Errorf("another customer's download = %d %s; want 404", st, body)
	}
	// The owner (staff) downloads any of the storefront's invoices.
	if st, ctype, _, _ := download(owner); st != 200 || ctype != "application/pdf" {
		t.Errorf("the owner's download = %d %s", st, ctype)
	}

	// The owner refunds part of it: a credit note, listed on the order and
	// downloadable by ann and staff, not by cat.
	owner.must(200, "POST", "/api/admin/billing/orders/"+o.ID.String()+"/refund", map[string]any{"amount_cents": 500, "reason": "goodwill"})
	got = ann.must(200, "GET", "/api/orders/"+o.ID.String(), nil)
	notes, _ := got.body["credit_notes"].([]any)
	if len(notes) != 1 {
		t.Fatalf("the refunded order's credit_notes = %v; want one", got.body["credit_notes"])
	}
	note := notes[0].(map[string]any)
	if !strings.HasPrefix(fmt.Sprint(note["label"]), "CN-") || note["amount_cents"] != float64(500) {
		t.Errorf("credit note ref = %v; want CN-<year>-0001 of 500", note)
	}
	notePath := "/api/orders/" + o.ID.String() + "/credit-notes/" + fmt.Sprint(note["id"])
	fetch := func(b *browser) (int, string, string) {
		req := httptest.NewRequest("GET", notePath, nil)
		req.Host = "alpha.localhost"
		var cs []string
		for k, v := range b.cookies {
			cs = append(cs, k+"="+v)
		}
		req.Header.Set("Cookie", strings.Join(cs, "; "))
		res := w.h.send(t, req, -1)
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Disposition"), string(body)
	}
	st, disp, cnPDF := fetch(ann)
	if st != 200 || disp != `attachment; filename="credit-note-`+fmt.Sprint(note["label"])+`.pdf"` {
		t.Fatalf("credit note download = %d %q %s", st, disp, cnPDF)
	}
	if text, err := billingtest.PDFText([]byte(cnPDF)); err != nil {
		t.Fatal(err)
	} else {
		for _, want := range []string{"CREDIT NOTE", fmt.Sprint(note["label"]), "INV-000001", "Alpha Cloud B.V.", "ann@alpha.test", "-USD 5.00", "Total credited"} {
			if !strings.Contains(text, want) {
				t.Errorf("the downloaded credit note does not say %q; it reads:\n%s", want, text)
			}
		}
	}
	if st, _, body := fetch(cat); st != 404 || strings.Contains(body, "ann@alpha.test") {
		t.Errorf("another customer's credit note download = %d %s; want 404", st, body)
	}
	if st, _, _ := fetch(owner); st != 200 {
		t.Errorf("the owner's credit note download = %d", st)
	}
	// The payments export names both documents.
	st, export := w.h.raw(t, "GET", "alpha.localhost", "/api/admin/billing/payments.csv", nil, "", owner)
	rows, err := csv.NewReader(strings.NewReader(export)).ReadAll()
	if st != 200 || err != nil || len(rows) < 2 {
		t.Fatalf("payments.csv = %d %v %s", st, err, export)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	ci, ok1 := col["invoice_number"]
	cc, ok2 := col["credit_note_numbers"]
	if !ok1 || !ok2 {
		t.Fatalf("payments.csv header %v; want invoice_number and credit_note_numbers", rows[0])
	}
	found := false
	for _, r := range rows[1:] {
		if r[col["order_id"]] == o.ID.String() {
			found = true
			if r[ci] != "INV-000001" || r[cc] != fmt.Sprint(note["label"]) {
				t.Errorf("payments.csv row %v; want INV-000001 and %v", r, note["label"])
			}
		}
	}
	if !found {
		t.Errorf("payments.csv has no row for the order: %s", export)
	}
	pays := owner.must(200, "GET", "/api/admin/billing/payments", nil)
	if items, _ := pays.body["items"].([]any); len(items) == 0 || len(items[0].(map[string]any)["credit_notes"].([]any)) != 1 {
		t.Errorf("the admin payments list does not carry the credit note: %s", pays.raw)
	}
}
