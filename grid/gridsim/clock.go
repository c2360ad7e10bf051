package gridsim

import (
	"cmp"
	"slices"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// Advance moves the simulated clock forward by d. On the way, every active
// contract is billed at each full hour since it was created, as the chain
// does: the twin pays the hour's cost (the same pricing as QuoteWorkload,
// its staking discount evaluated against its balance at that moment), a
// bill report is recorded, and the node's farmer is credited 50 %. A
// contract its twin cannot pay enters the grace period, its workloads stop,
// and it is deleted when the grace period ends unpaid. Nodes scheduled to
// go offline go down at their time.
func (s *Sim) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.now.Add(d)

	type event struct {
		at       time.Time
		contract uint64 // 0: a node going offline
		node     uint32
	}
	var events []event
	for id, c := range w.contracts {
		if c.State == grid.ContractDeleted {
			continue
		}
		for at := c.lastBilled.Add(time.Hour); !at.After(end); at = at.Add(time.Hour) {
			events = append(events, event{at: at, contract: id})
		}
	}
	for id, at := range w.offlineAt {
		if !at.After(end) {
			events = append(events, event{at: at, node: id})
		}
	}
	// Offline nodes first at equal times, then contracts by id: the order
	// is fixed, so a seed replays identically.
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if c := cmp.Compare(a.contract, b.contract); c != 0 {
			return c
		}
		return cmp.Compare(a.node, b.node)
	})
	for _, e := range events {
		w.now = e.at
		if e.contract == 0 {
			w.setStatus(w.nodes[e.node-1], grid.NodeDown)
			delete(w.offlineAt, e.node)
			continue
		}
		w.bill(w.contracts[e.contract], e.at)
	}
	w.now = end
}

// bill charges c for the hour ending at.
func (w *world) bill(c *contract, at time.Time) {
	if c.State == grid.ContractDeleted {
		return
	}
	c.lastBilled = at
	cost, extra, discount := w.hourlyCost(c)
	if cost == 0 {
		return // the chain skips free contracts (a network, a node contract on a rented node)
	}
	t := w.twins[c.TwinID]
	if t.Balance < cost {
		switch {
		case c.State == grid.ContractCreated:
			c.State, c.graceSince = grid.ContractGracePeriod, at
		case at.Sub(c.graceSince) >= w.gracePeriod:
			// The deployment is gone: its network and name go with it.
			if p := w.projects[c.project]; p != nil {
				for _, id := range p.contracts {
					w.deleteContract(w.contracts[id])
				}
			}
			w.deleteContract(c)
		}
		return
	}
	t.Balance -= cost
	c.State = grid.ContractCreated
	r := grid.BillReport{ContractID: c.ID, TwinID: c.TwinID, At: at, Amount: cost, Discount: discount, ExtraFee: extra}
	if c.NodeID != 0 {
		n := w.nodes[c.NodeID-1]
		r.NodeID, r.FarmID = n.ID, n.FarmID
		// The extra fee goes to the farmer whole
		// (distribute_extra_cultivation_rewards), the rest is split.
		r.FarmerShare = grid.FarmerShare(cost-extra) + extra
		w.twins[n.FarmTwinID].Balance += r.FarmerShare
	}
	w.bills = append(w.bills, r)
}

// FaultKind is a failure the simulator can be told to produce.
type FaultKind string

// Fault kinds.
const (
	FaultDeployFails       FaultKind = "deploy_fails"       // the node refuses the workload; nothing is created
	FaultDeployTimesOut    FaultKind = "deploy_times_out"   // contracts are created, then the call times out
	FaultNodeGoesOffline   FaultKind = "node_goes_offline"  // the deploy works; the node goes down After later
	FaultInsufficientFunds FaultKind = "insufficient_funds" // the deploy is refused for funds whatever the balance
	FaultKYCMissing        FaultKind = "kyc_missing"        // the deploy is refused as if the twin lacked KYC
)

// Fault is an injected failure. Times limits how many deployments it hits
// (0: every one until cleared); After is the delay of FaultNodeGoesOffline
// on the simulated clock.
type Fault struct {
	Kind  FaultKind
	Times int
	After time.Duration
}

type fault struct {
	Fault
	left int // deployments left to hit; -1 forever
}

// InjectFault makes every node produce f.
func (s *Sim) InjectFault(f Fault) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.globalFaults = append(s.w.globalFaults, newFault(f))
}

// InjectNodeFault makes one node produce f. Returns ENOTFOUND for an
// unknown node.
func (s *Sim) InjectNodeFault(nodeID uint32, f Fault) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if _, err := s.w.node(nodeID); err != nil {
		return err
	}
	if f.Kind == "" {
		return fiatdashboard.Invalid("kind", "a fault needs a kind")
	}
	s.w.nodeFaults[nodeID] = append(s.w.nodeFaults[nodeID], newFault(f))
	return nil
}

// ClearFaults removes every injected fault and scheduled outage.
func (s *Sim) ClearFaults() {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.globalFaults = nil
	s.w.nodeFaults = make(map[uint32][]*fault)
	s.w.offlineAt = make(map[uint32]time.Time)
}

func newFault(f Fault) *fault {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	return &fault{Fault: f, left: left}
}

// takeFault reports whether a fault of kind hits a deployment on node,
// using up one of its times.
func (w *world) takeFault(kind FaultKind, node uint32) bool {
	_, ok := w.faultAfter(kind, node)
	return ok
}

// faultAfter is takeFault that also returns the fault's After. Faults
// injected on the node come before global ones.
func (w *world) faultAfter(kind FaultKind, node uint32) (time.Duration, bool) {
	var f *fault
	if len(w.nodeFaults[node]) > 0 {
		if w.nodeFaults[node], f = take(w.nodeFaults[node], kind); f != nil {
			return f.After, true
		}
	}
	if w.globalFaults, f = take(w.globalFaults, kind); f != nil {
		return f.After, true
	}
	return 0, false
}

// take finds the first fault of kind in list and uses up one of its times,
// dropping it from the list when none are left.
func take(list []*fault, kind FaultKind) ([]*fault, *fault) {
	for i, f := range list {
		if f.Kind != kind {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				list = slices.Delete(list, i, i+1)
			}
		}
		return list, f
	}
	return list, nil
}
