package billing_test

import (
	"context"
	"fmt"
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

// TestCreditNotesDocumentEveryRefund: every refund to the card — an
// admin's full one, two partial ones, a cancellation's prorated one — and a
// lost dispute each issue one credit note in the tenant's own CN-<year>
// sequence (1, 2, 3... without gaps, apart from the invoices' numbers),
// referencing the invoice it corrects, with its seller and customer, and
// the amount as negative lines. A webhook delivered twice makes no second
// one; account credit instead of a refund makes none. The customer reads
// their own (in the orders list and as a PDF), staff any, another customer
// none.
func TestCreditNotesDocumentEveryRefund(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.svc.SetClock(func() time.Time { return now })
	acct := f.connect()
	f.addCard("pm_card_visa")
	if _, err := f.d.Owner(t).Exec(`UPDATE tenants SET legal_name = 'Alpha Cloud B.V.', legal_address = E'Keizersgracht 1\n1015 CJ Amsterdam',
		tax_id = 'NL123456789B01' WHERE id = $1`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	checkout := func(key, backup string) *billing.Order {
		t.Helper()
		o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small", Backup: backup}, ClientKey: key})
		if err != nil || o.Status != billing.OrderPaid {
			t.Fatalf("order = %+v, %v", o, err)
		}
		return o
	}
	notes := func(o *billing.Order) []billing.CreditNote {
		t.Helper()
		cns, err := f.svc.CreditNotes(f.customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cns
	}
	sum := func(lines []billing.Line) (s billing.Cents) {
		for _, l := range lines {
			if l.Cents >= 0 {
				t.Errorf("credit note line %+v is not negative", l)
			}
			s += l.Cents
		}
		return s
	}

	// A full refund by staff: the invoice's own lines, negated.
	full := checkout("credit-note-full", "vm")
	if err := f.svc.Refund(f.owner, full.ID, 0, "customer asked"); err != nil {
		t.Fatal(err)
	}
	inv, _ := f.svc.Invoice(f.customer, full.ID)
	cns := notes(full)
	if len(cns) != 1 {
		t.Fatalf("credit notes of the refunded order = %+v; want 1", cns)
	}
	cn := cns[0]
	if cn.Label() != "CN-2026-0001" || cn.InvoiceNumber != inv.Number || cn.Amount != full.Amount || cn.Source != billing.CreditRefund ||
		cn.SellerName != "Alpha Cloud B.V." || cn.SellerTaxID != "NL123456789B01" || cn.SellerAddress != inv.SellerAddress ||
		cn.CustomerEmail != "ann@alpha.test" || cn.CardLast4 != "4242" || !cn.IssuedAt.Equal(now) {
		t.Errorf("credit note = %+v; want CN-2026-0001 for invoice %d, %d cents, the invoice's seller and customer", cn, inv.Number, full.Amount)
	}
	if lines := cn.PriceLines(); len(lines) != len(inv.PriceLines()) || sum(lines) != -full.Amount {
		t.Errorf("credit note lines %+v; want the invoice's %d lines negated, summing to -%d", lines, len(inv.PriceLines()), full.Amount)
	}
	// Stripe delivers charge.refunded again: still one credit note.
	got, _ := f.svc.Order(f.owner, full.ID)
	em := billing.NewEmitter(secret, 0, nil, f.log).Connect(connectSecret, func(ctx context.Context, p []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, p, sig)
	})
	em.Refunded(f.tenantID, acct, *got, got.Amount)
	if cns := notes(full); len(cns) != 1 {
		t.Errorf("after a redelivered charge.refunded: %d credit notes, want 1", len(cns))
	}
	if got.CreditNotes == nil || len(got.CreditNotes) != 1 || got.CreditNotes[0].Label != "CN-2026-0001" || got.CreditNotes[0].ID != cn.ID {
		t.Errorf("the order's credit_notes = %+v; want CN-2026-0001", got.CreditNotes)
	}

	// Two partial refunds: one credit note each, one line naming the invoice.
	part := checkout("credit-note-part", "")
	for _, amount := range []billing.Cents{300, 200} {
		if err := f.svc.Refund(f.owner, part.ID, amount, "goodwill"); err != nil {
			t.Fatal(err)
		}
	}
	pinv, _ := f.svc.Invoice(f.customer, part.ID)
	cns = notes(part)
	if len(cns) != 2 || cns[0].Label() != "CN-2026-0002" || cns[1].Label() != "CN-2026-0003" || cns[0].Amount != 300 || cns[1].Amount != 200 {
		t.Fatalf("partial refunds' credit notes = %+v; want CN-2026-0002 (300) and CN-2026-0003 (200)", cns)
	}
	for _, c := range cns {
		lines := c.PriceLines()
		if len(lines) != 1 || sum(lines) != -c.Amount || !strings.Contains(lines[0].Label, pinv.Label()) || c.InvoiceNumber != pinv.Number {
			t.Errorf("partial credit note %s lines %+v; want one line of -%d naming %s", c.Label(), lines, c.Amount, pinv.Label())
		}
	}

	// A lost dispute, delivered twice.
	disputed := checkout("credit-note-dispute", "")
	em.Dispute("created", acct, *disputed, "dp_cn_1", "needs_response", 1500, now.Add(7*24*time.Hour))
	if cns := notes(disputed); len(cns) != 0 {
		t.Errorf("an open dispute issued credit notes %+v; only a lost one gives the money back", cns)
	}
	em.Dispute("closed", acct, *disputed, "dp_cn_1", "lost", 1500, now.Add(7*24*time.Hour))
	em.Dispute("closed", acct, *disputed, "dp_cn_1", "lost", 1500, now.Add(7*24*time.Hour))
	cns = notes(disputed)
	if len(cns) != 1 || cns[0].Label() != "CN-2026-0004" || cns[0].Source != billing.CreditDisputeLost || cns[0].Amount != disputed.Amount {
		t.Errorf("lost dispute's credit notes = %+v; want CN-2026-0004 of %d", cns, disputed.Amount)
	}

	// Cancellation: account credit is no refund; a refund to the card is.
	for _, mode := range []string{billing.OnCancelCredit, billing.OnCancelRefund} {
		if _, err := f.d.Owner(t).Exec(`UPDATE tenants SET on_cancel = $2 WHERE id = $1`, f.tenantID, mode); err != nil {
			t.Fatal(err)
		}
		o := checkout("credit-note-cancel-"+mode, "")
		subs, _ := f.svc.Subscriptions(f.customer)
		for _, s := range subs {
			if s.FirstOrderID == o.ID {
				now = now.Add(24 * time.Hour)
				if _, err := f.svc.Cancel(f.customer, s.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, _ := f.svc.Order(f.owner, o.ID)
		cns := notes(o)
		switch mode {
		case billing.OnCancelCredit:
			if len(cns) != 0 || got.Refunded != 0 {
				t.Errorf("cancelled into account credit: credit notes %+v, refunded %d; want none", cns, got.Refunded)
			}
		case billing.OnCancelRefund:
			if got.Refunded == 0 || len(cns) != 1 || cns[0].Label() != "CN-2026-0005" || cns[0].Amount != got.Refunded {
				t.Errorf("cancelled with a refund of %d: credit notes %+v; want CN-2026-0005 of it", got.Refunded, cns)
			}
		}
	}

	// The numbers are the tenant's own, 1..5, beside invoices 1..6.
	var numbers []int64
	if err := f.d.Owner(t).Select(&numbers, `SELECT number FROM credit_notes WHERE tenant_id = $1 ORDER BY number`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != 5 || numbers[0] != 1 || numbers[4] != 5 {
		t.Errorf("credit note numbers = %v; want 1..5", numbers)
	}

	// The PDF says what it is, what it corrects, and the negative amount.
	pdf, err := cn.PDF("Alpha Cloud")
	if err != nil {
		t.Fatal(err)
	}
	text, err := billingtest.PDFText(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CREDIT NOTE", "CN-2026-0001", inv.Label(), "Alpha Cloud B.V.", "Tax ID: NL123456789B01", "ann@alpha.test",
		"Total credited", "-USD " + full.Amount.String(), "Visa •••• 4242"} {
		if !strings.Contains(text, w) {
			t.Errorf("the credit note PDF does not say %q; it reads:\n%s", w, text)
		}
	}

	// Another customer sees none of them; staff read any.
	bob, err := rbac.NewStore(f.d.App).EnsureAccount(context.Background(), f.tenantID, "bob@alpha.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	f.authz.Reload()
	bobCtx := tenant.WithActor(tenant.WithID(context.Background(), f.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: bob, Name: "bob@alpha.test"})
	if _, err := f.svc.CreditNote(bobCtx, full.ID, cn.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer reads the credit note: %v", err)
	}
	if list, err := f.svc.CreditNotes(bobCtx, full.ID); err != nil || len(list) != 0 {
		t.Errorf("another customer lists %+v, %v", list, err)
	}
	if staff, err := f.svc.CreditNote(f.owner, full.ID, cn.ID); err != nil || staff.Number != 1 {
		t.Errorf("the owner reads credit note %+v, %v", staff, err)
	}
	if _, err := f.svc.CreditNote(f.customer, part.ID, cn.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a credit note read under another order: %v", err)
	}
	if pays, err := f.svc.Payments(f.owner, time.Now().Add(time.Hour), 50); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range pays {
			if p.ID == part.ID && (len(p.CreditNotes) != 2 || p.CreditNotes[1].Label != "CN-2026-0003" || p.CreditNotes[1].Amount != 200) {
				t.Errorf("the admin payments list's credit notes of the partly refunded order = %+v", p.CreditNotes)
			}
		}
	}
}

// TestCreditNoteNumbersHaveNoGaps: refunds recorded at the same time take
// consecutive credit note numbers (each refund's transaction holds the
// tenant's counter for the year until it ends): the credit notes are
// numbered 1..n exactly, whatever the order the webhooks arrive in.
func TestCreditNoteNumbersHaveNoGaps(t *testing.T) {
	f := newFixture(t)
	acct := f.connect()
	f.addCard("pm_card_visa")
	const n = 6
	var orders []billing.Order
	for i := range n {
		o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: fmt.Sprintf("gapless-credit-%d", i)})
		if err != nil || o.Status != billing.OrderPaid {
			t.Fatalf("order = %+v, %v", o, err)
		}
		orders = append(orders, *o)
	}
	em := billing.NewEmitter(secret, 0, nil, f.log).Connect(connectSecret, func(ctx context.Context, p []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, p, sig)
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, o := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			em.Refunded(f.tenantID, acct, o, 100)
		}()
	}
	close(start)
	wg.Wait()
	var numbers []int64
	if err := f.d.Owner(t).Select(&numbers, `SELECT number FROM credit_notes WHERE tenant_id = $1 ORDER BY number`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != n {
		t.Fatalf("credit notes = %v; want %d", numbers, n)
	}
	for i, got := range numbers {
		if got != int64(i+1) {
			t.Errorf("credit note numbers = %v; want exactly 1..%d", numbers, n)
			break
		}
	}
}
