package billing_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// machines records what billing asks of the deployments domain.
type machines struct {
	mu     sync.Mutex
	events []string
}

func (m *machines) rec(what string) error {
	m.mu.Lock()
	m.events = append(m.events, what)
	m.mu.Unlock()
	return nil
}
func (m *machines) OrderPaid(context.Context, uuid.UUID) error             { return nil }
func (m *machines) SubscriptionSuspended(context.Context, uuid.UUID) error { return m.rec("suspended") }
func (m *machines) SubscriptionResumed(context.Context, uuid.UUID) error   { return m.rec("resumed") }
func (m *machines) SubscriptionTerminated(context.Context, uuid.UUID) error {
	return m.rec("terminated")
}

// TestRenewalsDunningAndCredit walks a subscription through a renewal, a
// failing card with the dunning schedule (days 1, 3, 5), suspension, paying
// the overdue amount (resume), cancellation into credit, credit paying a
// renewal, and termination after the grace period — keeping the ledger
// balanced all along.
func TestRenewalsDunningAndCredit(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.svc.SetClock(func() time.Time { return now })
	m := &machines{}
	f.events = m
	f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "subscription-1"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("first order = %v, %v", o, err)
	}
	subs, _ := f.svc.Subscriptions(f.customer)
	if len(subs) != 1 || !subs[0].PaidThrough.Equal(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)) || subs[0].RenewalCents != 608 {
		t.Fatalf("subscription = %+v", subs)
	}
	sub := subs[0].ID
	get := func() billing.Subscription {
		subs, _ := f.svc.Subscriptions(f.customer)
		for _, s := range subs {
			if s.ID == sub {
				return s
			}
		}
		t.Fatal("subscription gone")
		return billing.Subscription{}
	}
	run := func(at time.Time) {
		now = at
		if _, err := f.svc.RenewDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	run(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)) // not due
	if s := get(); !s.PaidThrough.Equal(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("renewed too early: %+v", s)
	}
	run(time.Date(2026, 3, 31, 13, 0, 0, 0, time.UTC)) // a day before the period ends
	if s := get(); s.Status != billing.SubActive || !s.PaidThrough.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("after renewal = %+v", s)
	}
	run(time.Date(2026, 3, 31, 14, 0, 0, 0, time.UTC)) // running again charges nothing more
	var payments int
	if err := f.d.Owner(t).Get(&payments, `SELECT count(*) FROM ledger_entries WHERE kind = 'payment'`); err != nil {
		t.Fatal(err)
	}
	if payments != 2 {
		t.Errorf("%d payments after one renewal, want 2", payments)
	}

	// The card starts declining.
	f.addCard("pm_card_chargeDeclined")
	if err := f.svc.SetDefaultCard(f.customer, "pm_card_chargeDeclined"); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	run(due.Add(-12 * time.Hour))
	if s := get(); s.Status != billing.SubPastDue || s.FailedAttempts != 1 || !s.NextAttemptAt.Equal(due.AddDate(0, 0, 1)) {
		t.Fatalf("after first failure = %+v, want past_due retrying on day 1", s)
	}
	for i, day := range []int{1, 3} {
		run(due.AddDate(0, 0, day))
		next := []int{3, 5}[i]
		if s := get(); s.Status != billing.SubPastDue || s.FailedAttempts != i+2 || !s.NextAttemptAt.Equal(due.AddDate(0, 0, next)) {
			t.Fatalf("after retry on day %d = %+v", day, s)
		}
	}
	run(due.AddDate(0, 0, 5))
	if s := get(); s.Status != billing.SubSuspended || !s.NextAttemptAt.Equal(due.AddDate(0, 0, 14)) {
		t.Fatalf("after the last retry = %+v, want suspended until the grace period ends", s)
	}
	var mails int
	if err := f.d.Owner(t).Get(&mails, `SELECT count(*) FROM outbox_emails WHERE to_addr = 'ann@alpha.test' AND body_text LIKE '%/billing%'`); err != nil {
		t.Fatal(err)
	}
	if mails != 4 {
		t.Errorf("%d dunning mails with a billing link, want 4", mails)
	}

	// Paying the overdue amount with a good card resumes it.
	if err := f.svc.SetDefaultCard(f.customer, "pm_card_visa"); err != nil {
		t.Fatal(err)
	}
	now = due.AddDate(0, 0, 6)
	if _, err := f.svc.PayNow(f.customer, sub); err != nil {
		t.Fatal(err)
	}
	if s := get(); s.Status != billing.SubActive || s.FailedAttempts != 0 || !s.PaidThrough.Equal(due.AddDate(0, 1, 0)) {
		t.Fatalf("after paying = %+v", s)
	}

	// Cancelling half-way turns the unused half into credit.
	now = due.AddDate(0, 0, 15)
	credit, err := f.svc.Cancel(f.customer, sub)
	if err != nil || credit <= 0 || credit >= 608 {
		t.Fatalf("cancel credit = %d, %v; want part of 608", credit, err)
	}
	if c, _ := f.svc.Credit(f.customer); c != credit {
		t.Errorf("credit balance = %d, want %d", c, credit)
	}

	// A second subscription's renewal is paid from the credit first.
	now = due.AddDate(0, 0, 16)
	o2, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "subscription-2"})
	if err != nil || o2.Status != billing.OrderPaid {
		t.Fatalf("second order = %v, %v", o2, err)
	}
	run(now.AddDate(0, 1, 0).Add(-time.Hour))
	var charged, fromCredit billing.Cents
	if err := f.d.Owner(t).QueryRow(`SELECT amount_cents, credit_cents FROM orders WHERE description LIKE 'Renewal:%' AND status = 'paid' ORDER BY created_at DESC LIMIT 1`).Scan(&charged, &fromCredit); err != nil {
		t.Fatal(err)
	}
	if fromCredit != credit || charged != 608-credit {
		t.Errorf("renewal paid %d by card and %d from credit, want %d and %d", charged, fromCredit, 608-credit, credit)
	}
	if c, _ := f.svc.Credit(f.customer); c != 0 {
		t.Errorf("credit left = %d, want 0", c)
	}

	// Suspended past the grace period: terminated.
	if err := f.svc.SetDefaultCard(f.customer, "pm_card_chargeDeclined"); err != nil {
		t.Fatal(err)
	}
	subs, _ = f.svc.Subscriptions(f.customer)
	for _, s := range subs {
		if s.Status == billing.SubActive {
			sub = s.ID
		}
	}
	s2 := get()
	for i := 0; i < 4; i++ {
		run(get().NextAttemptAt)
	}
	if s := get(); s.Status != billing.SubSuspended {
		t.Fatalf("second subscription = %+v, want suspended", s)
	}
	run(s2.PaidThrough.AddDate(0, 0, 14).Add(time.Hour))
	if s := get(); s.Status != billing.SubTerminated {
		t.Fatalf("after the grace period = %+v, want terminated", s)
	}
	if got := strings.Join(m.events, ","); got != "suspended,resumed,terminated,suspended,terminated" {
		t.Errorf("machine events = %s", got)
	}
	if bad, _ := f.svc.Unbalanced(f.owner); len(bad) != 0 {
		t.Errorf("unbalanced entries: %v", bad)
	}
	var total int64
	if err := f.d.Owner(t).Get(&total, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings`); err != nil {
		t.Fatal(err)
	}
	if total != 0 {
		t.Errorf("ledger sums to %d, want 0", total)
	}
}

// TestRenewalNeedingAuthenticationEndsPaidOnSession: an off-session renewal
// with a card whose bank wants authentication (pm_card_authenticationRequired)
// does not fail into dunning: the customer is mailed a link to the payment
// page, confirms there on-session, and the renewal ends paid with the
// subscription never past due. Left unconfirmed until the next dunning day,
// the attempt fails and dunning continues; "Pay now" then takes the same
// on-session path.
func TestRenewalNeedingAuthenticationEndsPaidOnSession(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.svc.SetClock(func() time.Time { return now })
	m := &machines{}
	f.events = m
	f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "sca-subscription"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("first order = %v, %v", o, err)
	}
	subs, _ := f.svc.Subscriptions(f.customer)
	sub := subs[0]
	get := func() billing.Subscription {
		subs, _ := f.svc.Subscriptions(f.customer)
		for _, s := range subs {
			if s.ID == sub.ID {
				return s
			}
		}
		t.Fatal("subscription gone")
		return billing.Subscription{}
	}
	run := func(at time.Time) {
		now = at
		if _, err := f.svc.RenewDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	f.addCard("pm_card_authenticationRequired")
	if err := f.svc.SetDefaultCard(f.customer, "pm_card_authenticationRequired"); err != nil {
		t.Fatal(err)
	}
	waiting := func() billing.Order {
		t.Helper()
		var id uuid.UUID
		if err := f.d.Owner(t).Get(&id, `SELECT id FROM orders WHERE subscription_id = $1 AND status = 'requires_action'`, sub.ID); err != nil {
			t.Fatalf("no renewal waiting for authentication: %v", err)
		}
		o, err := f.svc.Order(f.customer, id)
		if err != nil {
			t.Fatal(err)
		}
		return *o
	}

	// The renewal, off-session: the bank wants the customer.
	run(sub.PaidThrough.Add(-12 * time.Hour))
	r := waiting()
	if s := get(); s.Status != billing.SubActive || s.FailedAttempts != 0 {
		t.Fatalf("after the renewal needing authentication = %+v, want still active, no failed attempt", s)
	}
	var mail string
	if err := f.d.Owner(t).Get(&mail, `SELECT body_text FROM outbox_emails WHERE to_addr = 'ann@alpha.test' AND subject = 'Please confirm your payment'`); err != nil {
		t.Fatalf("no confirm-your-payment mail: %v", err)
	}
	if !strings.Contains(mail, "/pay/"+r.ID.String()) {
		t.Errorf("mail %q does not link the payment page of order %s", mail, r.ID)
	}
	// Running again before the deadline changes nothing.
	run(sub.PaidThrough.Add(-6 * time.Hour))
	if s := get(); s.Status != billing.SubActive || s.FailedAttempts != 0 {
		t.Fatalf("a second run before the deadline = %+v", s)
	}
	// Only the customer can confirm it, on-session.
	other, err := rbac.NewStore(f.d.App).EnsureAccount(context.Background(), f.tenantID, "bob@alpha.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	f.authz.Reload()
	bob := tenant.WithActor(tenant.WithID(context.Background(), f.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: other, Name: "bob@alpha.test"})
	if _, err := f.svc.ConfirmPayment(bob, r.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer confirming = %v, want ENOTFOUND", err)
	}
	c, err := f.svc.ConfirmPayment(f.customer, r.ID)
	if err != nil || c.ClientSecret == "" || c.Status != billing.OrderRequiresAction {
		t.Fatalf("confirm on-session = %+v, %v; want requires_action with a client secret", c, err)
	}
	paid, err := f.svc.MockAuthenticate(f.customer, r.ID)
	if err != nil || paid.Status != billing.OrderPaid {
		t.Fatalf("after authenticating = %+v, %v; want paid", paid, err)
	}
	if s := get(); s.Status != billing.SubActive || s.FailedAttempts != 0 || !s.PaidThrough.Equal(sub.PaidThrough.AddDate(0, 1, 0)) {
		t.Fatalf("after the on-session confirmation = %+v, want active and renewed", s)
	}
	if _, err := f.svc.ConfirmPayment(f.customer, r.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("confirming a paid order = %v, want ECONFLICT", err)
	}

	// The next renewal is not confirmed: on the first dunning day the
	// attempt has failed, and dunning goes on.
	sub = get()
	run(sub.PaidThrough.Add(-12 * time.Hour))
	r2 := waiting()
	s := get()
	if !s.NextAttemptAt.Equal(sub.PaidThrough.AddDate(0, 0, 1)) {
		t.Errorf("confirm-by = %s, want the first dunning day %s", s.NextAttemptAt, sub.PaidThrough.AddDate(0, 0, 1))
	}
	run(s.NextAttemptAt)
	if o, _ := f.svc.Order(f.customer, r2.ID); o.Status != billing.OrderFailed {
		t.Errorf("unconfirmed renewal after its deadline = %s, want failed", o.Status)
	}
	if s := get(); s.Status != billing.SubPastDue || s.FailedAttempts != 1 {
		t.Fatalf("after the unconfirmed deadline = %+v, want past_due, one failed attempt", s)
	}
	// "Pay now" takes the same path: charged on-session, the payment waits
	// for the customer's authentication on the payment page.
	due, err := f.svc.PayNow(f.customer, sub.ID)
	if err != nil || due.Status != billing.OrderRequiresAction {
		t.Fatalf("pay now = %+v, %v; want a payment waiting for authentication", due, err)
	}
	if c, err := f.svc.ConfirmPayment(f.customer, due.ID); err != nil || c.ClientSecret == "" {
		t.Fatalf("confirm = %+v, %v", c, err)
	}
	if o, err := f.svc.MockAuthenticate(f.customer, due.ID); err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("pay now authenticated = %+v, %v; want paid", o, err)
	}
	if s := get(); s.Status != billing.SubActive || s.FailedAttempts != 0 {
		t.Errorf("after pay now = %+v, want active", s)
	}
	if bad, _ := f.svc.Unbalanced(f.owner); len(bad) != 0 {
		t.Errorf("unbalanced entries: %v", bad)
	}
}
