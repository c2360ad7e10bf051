package billing_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestInvoiceOfAPayment: a paid order has an invoice with the tenant's
// legal name, address and tax id, the customer, the service period it
// paid, the card, and every price line (VM, standby VM, IPv4); the PDF read back says all of it. A renewal's invoice takes
// the next number and covers the next period. Another customer cannot
// read it; staff can.
func TestInvoiceOfAPayment(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.svc.SetClock(func() time.Time { return now })
	f.connect()
	f.addCard("pm_card_visa")
	if _, err := f.d.Owner(t).Exec(`UPDATE tenants SET legal_name = 'Alpha Cloud B.V.', legal_address = E'Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands',
		tax_id = 'NL123456789B01', support_email = 'billing@alpha.test' WHERE id = $1`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small", Backup: "vm", IPv4: true, Months: 3}, ClientKey: "invoice-order-1"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	inv, err := f.svc.Invoice(f.customer, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	from, to := now, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if inv.Number != 1 || inv.Label() != "INV-000001" || !inv.PeriodFrom.Equal(from) || !inv.PeriodTo.Equal(to) || !inv.IssuedAt.Equal(now) {
		t.Errorf("invoice = %+v; want number 1 for 1 March to 1 June 2026", inv)
	}
	if inv.SellerName != "Alpha Cloud B.V." || inv.SellerTaxID != "NL123456789B01" || !strings.Contains(inv.SellerAddress, "1015 CJ Amsterdam") ||
		inv.CustomerEmail != "ann@alpha.test" || inv.CardBrand != "visa" || inv.CardLast4 != "4242" || inv.Total != o.Amount {
		t.Errorf("invoice = %+v; want the seller's details, ann, the Visa 4242 and the order's amount", inv)
	}
	lines := inv.PriceLines()
	var sum billing.Cents
	for _, l := range lines {
		sum += l.Cents
	}
	for _, kind := range []string{billing.LineVM, billing.LineStandby, billing.LineIPv4} {
		if _, ok := lineOf(lines, kind); !ok {
			t.Errorf("invoice lines %+v: no %s line", lines, kind)
		}
	}
	if sum != inv.Total {
		t.Errorf("invoice lines sum to %d, total %d", sum, inv.Total)
	}
	if list, err := f.svc.Orders(f.customer, time.Now().Add(time.Hour), 10); err != nil || len(list) != 1 || list[0].InvoiceNumber == nil || *list[0].InvoiceNumber != 1 {
		t.Errorf("orders list = %+v, %v; want the invoice number on the paid order", list, err)
	}

	pdf, err := inv.PDF("Alpha Cloud")
	if err != nil {
		t.Fatal(err)
	}
	text, err := billingtest.PDFText(pdf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Alpha Cloud", "INVOICE", "INV-000001", "Alpha Cloud B.V.", "Keizersgracht 1", "1015 CJ Amsterdam", "Netherlands",
		"Tax ID: NL123456789B01", "billing@alpha.test", "ann@alpha.test", "1 March 2026 - 1 June 2026", "Visa •••• 4242",
		"Total charged to the card", "USD " + inv.Total.String()}
	for _, l := range lines {
		want = append(want, l.Label)
		if l.Cents < 0 {
			want = append(want, "-USD "+(-l.Cents).String())
		} else {
			want = append(want, "USD "+l.Cents.String())
		}
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the invoice PDF does not say %q; it reads:\n%s", w, text)
		}
	}
	if again, _ := inv.PDF("Alpha Cloud"); string(again) != string(pdf) {
		t.Error("the same invoice renders to different PDFs")
	}

	// Someone else's invoice is not found; staff read any.
	bob, err := rbac.NewStore(f.d.App).EnsureAccount(context.Background(), f.tenantID, "bob@alpha.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	f.authz.Reload()
	bobCtx := tenant.WithActor(tenant.WithID(context.Background(), f.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: bob, Name: "bob@alpha.test"})
	if _, err := f.svc.Invoice(bobCtx, o.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer reads the invoice: %v", err)
	}
	if staff, err := f.svc.Invoice(f.owner, o.ID); err != nil || staff.Number != 1 {
		t.Errorf("the owner reads invoice %+v, %v", staff, err)
	}

	// The renewal, due a day before 1 June: invoice 2, 1 June to 1 September.
	now = time.Date(2026, 5, 31, 13, 0, 0, 0, time.UTC)
	if _, err := f.svc.RenewDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var renewal []billing.Order
	list, _ := f.svc.Orders(f.customer, time.Now().Add(time.Hour), 10)
	for _, o := range list {
		if o.SubscriptionID != nil && o.Status == billing.OrderPaid {
			renewal = append(renewal, o)
		}
	}
	if len(renewal) != 1 {
		t.Fatalf("orders after the renewal = %+v; want one paid renewal", list)
	}
	r, err := f.svc.Invoice(f.customer, renewal[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Number != 2 || !r.PeriodFrom.Equal(to) || !r.PeriodTo.Equal(time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("renewal invoice = %d for %s to %s; want 2 for 1 June to 1 September", r.Number, r.PeriodFrom, r.PeriodTo)
	}
}

// TestInvoiceNumbersHaveNoGapsOrDuplicates: payments recorded at the same
// time take consecutive numbers (each transaction holds the tenant's
// counter until it ends), and a payment whose transaction rolls back gives
// its number back: the committed invoices are numbered 1..n exactly.
// Another tenant counts from 1 on its own.
func TestInvoiceNumbersHaveNoGapsOrDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A rolled-back payment first: the next one still gets number 1.
	if n, err := billing.PayAndInvoice(ctx, f.d.App, f.tenantID, f.custID, true, 0); !errors.Is(err, billing.ErrRolledBack) || n != 1 {
		t.Fatalf("rolled back payment took %d, %v", n, err)
	}
	if n, err := billing.PayAndInvoice(ctx, f.d.App, f.tenantID, f.custID, false, 0); err != nil || n != 1 {
		t.Fatalf("first committed payment = %d, %v; want 1 (the rolled-back number given back)", n, err)
	}
	const payments = 12
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, payments)
	for i := range payments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := billing.PayAndInvoice(ctx, f.d.App, f.tenantID, f.custID, i%3 == 0, 20*time.Millisecond)
			if err != nil && !errors.Is(err, billing.ErrRolledBack) {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var numbers []int64
	if err := f.d.Owner(t).Select(&numbers, `SELECT number FROM invoices WHERE tenant_id = $1 ORDER BY number`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	committed := 1 + payments - payments/3
	want := make([]int64, committed)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(numbers, want) {
		t.Errorf("invoice numbers = %v; want exactly 1..%d", numbers, committed)
	}
	var orphans int
	if err := f.d.Owner(t).Get(&orphans, `SELECT count(*) FROM orders o WHERE tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id)`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d paid orders without an invoice", orphans)
	}

	// Another tenant's numbers are its own.
	other, err := tenant.NewStore(f.d.App).Create(ctx, tenant.NewTenant{Slug: "bravo", Name: "Bravo Cloud", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := rbac.NewStore(f.d.App).EnsureAccount(ctx, other.ID, "bob@bravo.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := billing.PayAndInvoice(ctx, f.d.App, other.ID, cust, false, 0); err != nil || n != 1 {
		t.Errorf("bravo's first invoice = %d, %v; want 1", n, err)
	}
}

// TestDocumentsPrintAnyName: the invoice and the credit note are set in an
// embedded UTF-8 font, so names outside Windows-1252 print as written. The
// text read back says them, and the embedded font subset has a glyph of its
// own for each of their characters (none is drawn as .notdef); fpdf's core
// Helvetica printed them as '.'.
func TestDocumentsPrintAnyName(t *testing.T) {
	names := []string{"Zoë Łukasiewicz", "Ἀθῆναι Κλάουντ", "ООО «Облако»", "Dvořák & Søn → €"}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	inv := &billing.Invoice{Number: 7, IssuedAt: at, PeriodFrom: at, PeriodTo: at.AddDate(0, 1, 0), SellerName: names[0],
		SellerAddress: names[1], CustomerEmail: "zoë@example.test", Description: names[2], Currency: "eur",
		Lines: []byte(`[{"kind":"vm","label":"` + names[3] + `","cents":1200}]`), Total: 1200}
	cn := &billing.CreditNote{Year: 2026, Number: 3, InvoiceNumber: 7, Source: billing.CreditRefund, IssuedAt: at, SellerName: names[0],
		SellerAddress: names[1], CustomerEmail: "zoë@example.test", Description: names[2], Currency: "eur",
		Lines: []byte(`[{"kind":"refund","label":"` + names[3] + `","cents":-1200}]`), Amount: 1200}
	for doc, render := range map[string]func(string) ([]byte, error){"invoice": inv.PDF, "credit note": cn.PDF} {
		pdf, err := render("Ωmega Store")
		if err != nil {
			t.Fatal(err)
		}
		text, err := billingtest.PDFText(pdf)
		if err != nil {
			t.Fatal(err)
		}
		glyphs, err := billingtest.PDFGlyphs(pdf)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range append(names, "Ωmega Store", "zoë@example.test") {
			if !strings.Contains(text, name) {
				t.Errorf("the %s does not say %q; it reads:\n%s", doc, name, text)
			}
			for _, r := range name {
				if r != ' ' && !glyphs[r] {
					t.Errorf("the %s's font has no glyph for %q (in %q): it prints as .notdef", doc, r, name)
				}
			}
		}
	}
}
