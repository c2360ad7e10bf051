package coop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing"
)

// TestCoopLostDisputeReversesTheMembersInProportion: a co-op's lost dispute
// takes back the members' transfers as a full refund would; a member's
// failed payout is shown on its payout account and mailed to it.
func TestCoopLostDisputeReversesTheMembersInProportion(t *testing.T) {
	c := newCoopFixture(t)
	c.addCard("pm_card_visa")
	bobAccount := c.onboard(c.bobCtx)
	o, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-disputed"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	before := c.transfers(o.ID)
	em := billing.NewEmitter(secret, 0, func(ctx context.Context, p []byte, sig string) error {
		return c.svc.ReceiveWebhook(ctx, p, sig)
	}, c.log).Connect(connectSecret, func(ctx context.Context, p []byte, sig string) error {
		return c.svc.ReceiveConnectWebhook(ctx, p, sig)
	})
	em.Dispute("created", "", *o, "dp_coop_1", "needs_response", 1500, time.Now().Add(48*time.Hour))
	if n := len(c.rec.Posts("/v1/transfers/", "/reversals")); n != 0 {
		t.Fatalf("%d reversals while the dispute is open, want 0", n)
	}
	em.Dispute("closed", "", *o, "dp_coop_1", "lost", 1500, time.Now().Add(48*time.Hour))
	after := c.transfers(o.ID)
	for _, m := range []uuid.UUID{c.alice, c.bob} {
		if after[m].Reversed != before[m].Amount {
			t.Errorf("member %s: reversed %d of %d after the lost dispute, want all of it", m, after[m].Reversed, before[m].Amount)
		}
	}
	if n := len(c.rec.Posts("/v1/transfers/", "/reversals")); n != 2 {
		t.Errorf("transfer reversals sent = %d, want 2", n)
	}

	// Bob's bank refuses a payout of his connected account.
	em.PayoutFailed(bobAccount, "po_test_1", 164, "account_closed", "The bank account has been closed")
	acct, err := c.coops.MyPayoutAccount(c.bobCtx)
	if err != nil || !strings.Contains(acct.PayoutFailure, "The bank account has been closed") {
		t.Errorf("Bob's payout account = %+v, %v; want the failure shown", acct, err)
	}
	var mails int
	if err := c.d.Owner(t).Get(&mails, `SELECT count(*) FROM outbox_emails WHERE to_addr = 'bob@console.test' AND subject = 'A payout to your bank failed'`); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d payout-failed mails to Bob, want 1", mails)
	}
}
