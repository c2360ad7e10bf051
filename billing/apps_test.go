package billing_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// clusterPlan is a plan with one part of each kind: a small control plane
// (1 vCPU, 2 GB, 25 GB), n small workers, a 100 GB data disk, a public
// IPv4 and a gateway name.
func clusterPlan(n int) *billing.Plan {
	return &billing.Plan{App: "kubernetes", Parts: []billing.PlanPart{
		{Kind: billing.LineVM, Label: "Control plane", CPU: 1, RAMGB: 2, DiskGB: 25},
		{Kind: billing.LineWorker, Label: "Workers", Count: n, CPU: 1, RAMGB: 2, DiskGB: 25},
		{Kind: billing.LineDisk, Label: "Data disk", DiskGB: 100},
		{Kind: billing.LineIPv4, Label: "IPv4"},
		{Kind: billing.LineGateway, Label: "Gateway name"},
	}}
}

// TestAppPlanIsPricedPartByPart: each part of an app's plan is its own
// line at grid list cost × the margin, worked by hand from the chain's
// policy; the lines sum to the price; the app's own margin replaces the
// rule's; the order charges the quote and the subscription renews the
// stored plan; a plan change lowers the renewal at once, or charges the
// prorated rest of the period and raises the renewal once paid.
func TestAppPlanIsPricedPartByPart(t *testing.T) {
	f := newFixture(t)
	f.connectStripe()
	f.fundWallet(100_000 * grid.UnitsPerTFT)
	f.addCard("pm_card_visa")
	q, err := f.svc.Quote(f.customer, billing.QuoteInput{Plan: clusterPlan(3)})
	if err != nil {
		t.Fatal(err)
	}
	// Policy 1: CU 0.01 USD/h, SU 0.005, IPv4 0.004, unique name 0.00025; a
	// month is 720 h; the rule's margin is +50 %, rounded up.
	// small VM: 0.5 CU + 0.125 SU = 0.005625 USD/h = 405 ¢ → 608
	// 3 workers: 1215 ¢ → 1822.5 → 1823
	// disk: 0.5 SU = 0.0025 USD/h = 180 ¢ → 270
	// IPv4: 288 ¢ → 432; gateway name: 18 ¢ → 27
	want := []billing.Cents{608, 1823, 270, 432, 27}
	if len(q.Lines) != len(want) {
		t.Fatalf("lines = %+v", q.Lines)
	}
	var sum billing.Cents
	for i, l := range q.Lines {
		if l.Cents != want[i] {
			t.Errorf("line %s = %d, want %d", l.Kind, l.Cents, want[i])
		}
		sum += l.Cents
	}
	if sum != 3160 || q.MonthlyCents != 3160 || q.Total != 3160 {
		t.Errorf("monthly %d total %d, lines %d; want 3160", q.MonthlyCents, q.Total, sum)
	}
	// The app's own margin: +100 %.
	double := int64(10000)
	if _, err := f.svc.SaveAppSetting(f.customer, billing.AppSetting{App: "kubernetes", Enabled: true, MarginBPS: &double}); fiatdashboard.ErrorCode(err) == "" {
		t.Error("a customer set an app's margin")
	}
	if _, err := f.svc.SaveAppSetting(f.owner, billing.AppSetting{App: "kubernetes", Enabled: true, MarginBPS: &double}); err != nil {
		t.Fatal(err)
	}
	q2, err := f.svc.Quote(f.customer, billing.QuoteInput{Plan: clusterPlan(3)})
	if err != nil || q2.MonthlyCents != 810+2430+360+576+36 {
		t.Errorf("at +100 %% = %+v, %v; want 4212", q2, err)
	}
	if _, err := f.svc.SaveAppSetting(f.owner, billing.AppSetting{App: "kubernetes", Enabled: true}); err != nil {
		t.Fatal(err)
	}

	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Plan: clusterPlan(3)}, ClientKey: "cluster-1"})
	if err != nil || o.Status != billing.OrderPaid || o.Amount != 3160 {
		t.Fatalf("order = %+v, %v; want paid 3160", o, err)
	}
	subs, err := f.svc.Subscriptions(f.customer)
	if err != nil || len(subs) != 1 || subs[0].RenewalCents != 3160 {
		t.Fatalf("subscription = %+v, %v; want renewal 3160", subs, err)
	}
	var spec billing.Spec
	json.Unmarshal(subs[0].Spec, &spec)
	if spec.Plan == nil || len(spec.Plan.Parts) != 5 {
		t.Fatalf("stored spec = %s; want the plan", subs[0].Spec)
	}

	// Down to one worker: 608 + 608 + 270 + 432 + 27 = 1945 from the next
	// renewal; nothing charged now.
	spec.Plan = clusterPlan(1)
	ch, err := f.svc.ChangePlan(f.customer, billing.PlanChange{Subscription: subs[0].ID, Spec: spec, ClientKey: "cluster-down"})
	if err != nil || ch.Order != nil || ch.RenewalCents != 1945 {
		t.Fatalf("down = %+v, %v; want renewal 1945 and no order", ch, err)
	}
	// Back to three with half the period left: (3160 − 1945) / 2 = 607.5 → 607.
	through := subs[0].PaidThrough
	start := through.AddDate(0, -subs[0].Months, 0)
	f.svc.SetClock(func() time.Time { return start.Add(subs[0].PaidThrough.Sub(start) / 2) })
	defer f.svc.SetClock(time.Now)
	spec.Plan = clusterPlan(3)
	ch, err = f.svc.ChangePlan(f.customer, billing.PlanChange{Subscription: subs[0].ID, Spec: spec, ClientKey: "cluster-up"})
	if err != nil || ch.Order == nil || ch.Order.Amount != 607 || ch.Order.Status != billing.OrderPaid {
		t.Fatalf("up = %+v, %v; want a paid order of 607", ch, err)
	}
	var lines []billing.Line
	json.Unmarshal(ch.Order.Lines, &lines)
	if len(lines) != 1 || lines[0].Cents != 607 {
		t.Errorf("change lines = %+v", lines)
	}
	again, err := f.svc.ChangePlan(f.customer, billing.PlanChange{Subscription: subs[0].ID, Spec: spec, ClientKey: "cluster-up"})
	if err != nil || again.Order == nil || again.Order.ID != ch.Order.ID {
		t.Errorf("a retried change = %+v, %v; want the same order", again, err)
	}
	subs, _ = f.svc.Subscriptions(f.customer)
	if subs[0].RenewalCents != 3160 || !subs[0].PaidThrough.Equal(through) {
		t.Errorf("after the paid change: renewal %d through %v; want 3160 and the period unchanged", subs[0].RenewalCents, subs[0].PaidThrough)
	}
}
