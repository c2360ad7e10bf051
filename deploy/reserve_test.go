package deploy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
)

// TestNothingChargedForWhatTheGridCannotTake: an order with public IPv4 on
// a node whose farm has no free IPv4 is refused naming ipv4 before any
// charge; the last free IPv4 of a farm is reserved by the first order, so
// a second one is refused too; the picker shows what is free.
func TestNothingChargedForWhatTheGridCannotTake(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 100 << 30}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	var noIPv4, oneIPv4 *grid.Node
	for i, n := range page.Nodes {
		if n.PublicIPv4 == 0 && noIPv4 == nil {
			noIPv4 = &page.Nodes[i]
		}
		if n.PublicIPv4 > 0 && (oneIPv4 == nil || n.PublicIPv4 < oneIPv4.PublicIPv4) {
			oneIPv4 = &page.Nodes[i]
		}
	}
	if noIPv4 == nil || oneIPv4 == nil {
		t.Fatalf("the simulated grid has no node without IPv4 (%v) or with some (%v)", noIPv4, oneIPv4)
	}
	if err := s.svc.AddToPool(s.owner, []uint32{noIPv4.ID, oneIPv4.ID}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint32{noIPv4.ID, oneIPv4.ID} {
		if err := s.svc.SetPickable(s.owner, id, true); err != nil {
			t.Fatal(err)
		}
	}
	orders := func() int {
		var n int
		if err := s.d.Owner(t).Get(&n, `SELECT count(*) FROM orders`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := orders()
	in := func(name string, node uint32) deploy.CreateInput {
		return deploy.CreateInput{Name: name, Image: "ubuntu-24.04", SSHKey: testKey, Placement: "advanced", NodeID: node,
			ClientKey: "reserve-" + name, QuoteInput: billing.QuoteInput{Size: "small", IPv4: true}}
	}
	_, err = s.svc.Create(s.customer, in("no-ip", noIPv4.ID))
	if e, ok := err.(*fiatdashboard.Error); !ok || e.Code != fiatdashboard.EINVALID || e.Field != "ipv4" {
		t.Fatalf("IPv4 on a node without free IPv4 = %v, want EINVALID on ipv4", err)
	}
	if n := orders(); n != before {
		t.Errorf("a refused order created %d orders (a charge); want none", n-before)
	}
	// The farm's free IPv4 addresses, one order each (each reserves one).
	for i := uint32(0); i < oneIPv4.PublicIPv4; i++ {
		first, err := s.svc.Create(s.customer, in(fmt.Sprintf("ip-%d", i), oneIPv4.ID))
		if err != nil || first.NodeID == nil || *first.NodeID != oneIPv4.ID {
			t.Fatalf("order %d of %d free IPv4 = %+v, %v", i+1, oneIPv4.PublicIPv4, first, err)
		}
	}
	before = orders()
	_, err = s.svc.Create(s.customer, in("second-ip", oneIPv4.ID))
	if e, ok := err.(*fiatdashboard.Error); !ok || e.Field != "ipv4" {
		t.Errorf("second order on a reserved IPv4 = %v, want EINVALID on ipv4", err)
	}
	if n := orders(); n != before {
		t.Errorf("the refused second order charged")
	}
	picks, err := s.svc.PickableNodes(s.customer, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range picks {
		if (p.ID == oneIPv4.ID || p.ID == noIPv4.ID) && p.FreeIPv4 != 0 {
			t.Errorf("picker: node %d shows %d free IPv4, want 0 (none, or reserved)", p.ID, p.FreeIPv4)
		}
		if p.FreeCPU == 0 || p.GPUs == nil {
			t.Errorf("picker: node %d = %+v, want free capacity and a GPU list", p.ID, p)
		}
	}
	// Default placement reserves a node too: the deployment stores it.
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "auto", Image: "ubuntu-24.04", SSHKey: testKey, ClientKey: "reserve-auto", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil || d.NodeID == nil {
		t.Errorf("default placement = %+v, %v; want a reserved node", d, err)
	}
}

// TestNoGhostServers: a deployment whose payment was declined and that the
// customer then cancels is not in the customer's list; one that failed
// after payment is refunded and its subscription never renews.
func TestNoGhostServers(t *testing.T) {
	s := newShop(t)
	si, err := s.bill.NewSetupIntent(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.bill.MockConfirmSetup(s.customer, si.ID, "pm_card_chargeDeclined"); err != nil {
		t.Fatal(err)
	}
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "declined", Image: "ubuntu-24.04", SSHKey: testKey, PaymentMethod: "pm_card_chargeDeclined",
		ClientKey: "ghost-declined", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Order == nil || d.Order.Status != billing.OrderFailed || d.Status != deploy.AwaitingPayment {
		t.Fatalf("declined deployment = %s, order %+v; want awaiting payment with a failed order", d.Status, d.Order)
	}
	if _, err := s.svc.Cancel(s.customer, d.ID); err != nil {
		t.Fatal(err)
	}
	list, err := s.svc.List(s.customer, false, time.Now().Add(time.Hour), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.ID == d.ID {
			t.Errorf("the customer's list shows %s (%s), a server that never existed", x.Name, x.Status)
		}
	}

	doomed := s.order(t, "doomed", "none")
	s.sim.InjectFault(gridsim.Fault{Kind: gridsim.FaultInsufficientFunds, Times: 1})
	if err := s.svc.Provision(s.system(), doomed.ID); err == nil {
		t.Fatal("the refused deploy succeeded")
	}
	subs, err := s.bill.Subscriptions(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if sub.FirstOrderID == doomed.OrderID && sub.Status != billing.SubTerminated {
			t.Errorf("the refunded deployment's subscription is %s, want terminated (no renewal)", sub.Status)
		}
	}
}
