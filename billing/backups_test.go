package billing_test

import (
	"encoding/json"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

func lineOf(lines []billing.Line, kind string) (billing.Line, bool) {
	for _, l := range lines {
		if l.Kind == kind {
			return l, true
		}
	}
	return billing.Line{}, false
}

// TestBackupsArePricedOnTheirOwnLine: a standby VM and a QSFS swarm cost
// grid money, so the quote prices each from its grid cost under the
// tenant's rule, on its own line, the staff margin stays positive, the
// order and its renewal keep the lines, and a fixed add-on replaces the
// grid-cost price.
func TestBackupsArePricedOnTheirOwnLine(t *testing.T) {
	f := newFixture(t)
	// Worked by hand (grid.MainnetPricingPolicy, margin 50 %):
	// Small (1 vCPU, 2 GB, 25 GB): CU 0.5 × 100000 + SU 0.125 × 50000 = 56250
	// unit-USD/h × 720 = $4.05 → 608 ¢. The standby is the same VM without an
	// IPv4: 608 ¢. The swarm: 20 zdbs of 10 GB HDD at ceil(416.67) = 417
	// unit-USD/h, 4 of 1 GB at 42, the 2 GB SSD cache adds 500 to the VM's
	// contract: (20 × 417 + 4 × 42 + 500) × 720 = $0.648576 → 65 ¢ × 1.5 → 98 ¢.
	for _, c := range []struct {
		backup         string
		kind           string
		line, monthly  billing.Cents
		grid, backGrid billing.Cents
	}{
		{"none", "", 0, 608, 405, 0},
		{"vm", billing.LineStandby, 608, 1216, 810, 405},
		{"qsfs", billing.LineQSFS, 98, 706, 470, 65},
	} {
		q, err := f.svc.Quote(f.owner, billing.QuoteInput{Size: "small", Backup: c.backup})
		if err != nil {
			t.Fatalf("quote %s: %v", c.backup, err)
		}
		if q.MonthlyCents != c.monthly {
			t.Errorf("%s: monthly = %d, want %d (lines %+v)", c.backup, q.MonthlyCents, c.monthly, q.Lines)
		}
		var sum billing.Cents
		for _, l := range q.Lines {
			sum += l.Cents
		}
		if sum != q.MonthlyCents {
			t.Errorf("%s: lines sum to %d, monthly is %d", c.backup, sum, q.MonthlyCents)
		}
		if vm, ok := lineOf(q.Lines, billing.LineVM); !ok || vm.Cents != 608 {
			t.Errorf("%s: VM line = %+v, want 608", c.backup, vm)
		}
		if c.kind != "" {
			if l, ok := lineOf(q.Lines, c.kind); !ok || l.Cents != c.line {
				t.Errorf("%s: backup line = %+v, %v; want its own line of %d", c.backup, l, ok, c.line)
			}
		}
		b := q.Breakdown
		if b == nil || b.GridUSDMonthCents != c.grid || b.BackupGridUSDMonthCents != c.backGrid {
			t.Fatalf("%s: breakdown = %+v, want grid %d of which backup %d", c.backup, b, c.grid, c.backGrid)
		}
		if b.MarginCents <= 0 || b.MarginCents != q.Total-b.GridUSDMonthCents-b.StripeFeeCents-b.PlatformFeeCents {
			t.Errorf("%s: margin = %d, want positive and total − grid − fees (%+v)", c.backup, b.MarginCents, b)
		}
	}
	if _, err := f.svc.Quote(f.customer, billing.QuoteInput{Size: "small", Backup: "tape"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("backup tape = %v, want EINVALID", err)
	}

	// The order keeps its lines; its subscription renews with the backup.
	f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small", Backup: "vm", Months: 2}, ClientKey: "backup-order-1"})
	if err != nil || o.Status != billing.OrderPaid || o.Amount != 2432 {
		t.Fatalf("order = %+v, %v; want paid 2432 (1216 × 2)", o, err)
	}
	var lines []billing.Line
	json.Unmarshal(o.Lines, &lines)
	if l, ok := lineOf(lines, billing.LineStandby); !ok || l.Cents != 1216 {
		t.Errorf("order lines = %+v, want the standby at 608 × 2", lines)
	}
	subs, err := f.svc.Subscriptions(f.customer)
	if err != nil || len(subs) != 1 || subs[0].RenewalCents != 2432 {
		t.Fatalf("subscriptions = %+v, %v; want one renewing at 2432", subs, err)
	}
	json.Unmarshal(subs[0].Lines, &lines)
	if l, ok := lineOf(lines, billing.LineStandby); !ok || l.Cents != 1216 {
		t.Errorf("renewal lines = %+v, want the standby on its own line", lines)
	}

	// A fixed add-on replaces the grid-cost price; fixed mode needs one for QSFS.
	p, err := f.svc.Pricing(f.owner)
	if err != nil {
		t.Fatal(err)
	}
	p.Rule.StandbyCents = 500
	if _, err := f.svc.SavePricing(f.owner, *p); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.Quote(f.customer, billing.QuoteInput{Size: "small", Backup: "vm"})
	if l, _ := lineOf(q.Lines, billing.LineStandby); err != nil || l.Cents != 500 || q.MonthlyCents != 1108 {
		t.Errorf("standby with a 500 add-on = %+v, %v", q, err)
	}
	p.Rule.Mode = "fixed"
	if _, err := f.svc.SavePricing(f.owner, *p); err == nil {
		t.Errorf("fixed mode without a QSFS price saved")
	} else if e, ok := err.(*fiatdashboard.Error); !ok || e.Field != "rule.qsfs_cents" {
		t.Errorf("fixed mode without a QSFS price = %v, want EINVALID on rule.qsfs_cents", err)
	}
}
