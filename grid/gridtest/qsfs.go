package gridtest

import (
	"slices"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// replaceBackend deploys a QSFS, moves one data backend (which also holds
// metadata) to a node outside the swarm, and checks the swarm's lists, the
// contracts (the lost node's cancelled, one new), idempotency and refusals.
func (s *suite) replaceBackend() {
	t := s.t
	vmNodes := s.nodes(vmNeed.Add(grid.Resources{SRU: 2 * grid.GB}), 1, nil)
	if len(vmNodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("qsfs-replace")

	shard := grid.GB
	want := int(s.fx.QSFSExpected) + 1
	nodes := s.nodes(grid.Resources{SRU: 2 * shard}, want, func(f *grid.NodeFilter) { f.ExcludeNode = append(f.ExcludeNode, vmNodes[0].ID) })
	if len(nodes) < want {
		t.Skipf("only %d nodes for %d shards and a spare", len(nodes), want)
	}
	data, spare := nodes[:want-1], nodes[want-1]
	spec := s.qsfsSpec(shard, data, 2)
	vm := s.vm("web", vmNodes[0].ID)
	vm.QSFS = []grid.QSFSSpec{spec}
	before := s.deploy(name, vm)
	lost := spec.DataNodes[0] // holds a data shard and metadata
	zdbOn := func(p grid.Project, node uint32) (uint64, bool) {
		for _, c := range p.Contracts {
			if c.NodeID == node && slices.Contains(p.QSFS[0].ContractIDs, c.ID) {
				return c.ID, true
			}
		}
		return 0, false
	}
	old, ok := zdbOn(before, lost)
	if !ok {
		t.Fatalf("no zdb contract on node %d in %+v", lost, before.Contracts)
	}

	after, err := s.g.ReplaceQSFSBackend(s.ctx(), name, "data", lost, spare.ID)
	if err != nil {
		t.Fatalf("replace the backend on node %d: %v", lost, err)
	}
	if len(after.QSFS) != 1 {
		t.Fatalf("project has %d QSFS after the replacement, want 1", len(after.QSFS))
	}
	q := after.QSFS[0]
	if q.DataNodes[0] != spare.ID || slices.Contains(q.DataNodes, lost) || len(q.DataNodes) != len(spec.DataNodes) {
		t.Errorf("data nodes after replacing %d with %d = %v", lost, spare.ID, q.DataNodes)
	}
	if q.MetaNodes[0] != spare.ID || slices.Contains(q.MetaNodes, lost) {
		t.Errorf("metadata nodes after replacing %d with %d = %v", lost, spare.ID, q.MetaNodes)
	}
	if slices.Contains(after.ContractIDs(), old) {
		t.Errorf("the zdb contract %d on the lost node is still active", old)
	}
	if _, ok := zdbOn(after, spare.ID); !ok {
		t.Errorf("no zdb contract on the replacement node %d: %+v", spare.ID, after.Contracts)
	}
	if len(after.Contracts) != len(before.Contracts) {
		t.Errorf("contracts %d → %d; a replacement swaps one for one", len(before.Contracts), len(after.Contracts))
	}
	if q.Health != grid.Healthy {
		t.Errorf("QSFS health after the replacement = %s, want healthy", q.Health)
	}

	again, err := s.g.ReplaceQSFSBackend(s.ctx(), name, "data", lost, spare.ID)
	if err != nil || !slices.Equal(again.ContractIDs(), after.ContractIDs()) {
		t.Errorf("repeating the replacement: %v, contracts %v want %v", err, again.ContractIDs(), after.ContractIDs())
	}
	_, err = s.g.ReplaceQSFSBackend(s.ctx(), name, "data", spec.DataNodes[1], spec.DataNodes[2])
	wantCode(t, err, fiatdashboard.EINVALID, "replacing a backend with another backend of the swarm")
	_, err = s.g.ReplaceQSFSBackend(s.ctx(), name, "data", vmNodes[0].ID, lost)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "replacing a node that holds no backend")
	_, err = s.g.ReplaceQSFSBackend(s.ctx(), name, "nope", spec.DataNodes[1], vmNodes[0].ID)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "replacing a backend of a missing QSFS")
	_, err = s.g.ReplaceQSFSBackend(s.ctx(), s.project("qsfs-missing"), "data", spec.DataNodes[1], spare.ID)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "replacing a backend in a missing project")
}
