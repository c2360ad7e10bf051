package gridsim

import (
	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// FaultSetupFails makes a VM's first-boot setup fail (its script exits
// non-zero): the VM and its contracts exist, the setup is "failed" and
// no marker is written, so a retried DeployVM runs it again.
const FaultSetupFails FaultKind = "setup_fails"

// WithoutSSHKey returns the same simulated grid seen through an adapter
// that holds no SSH key of its own (tfgrid without Config.SSHKey): a VM
// with a setup is refused before any contract, and kubeconfigs cannot be
// read, both EUNAVAILABLE.
func (s *Sim) WithoutSSHKey() *Sim {
	return &Sim{w: s.w, twin: s.twin, noKey: true}
}

// FailSetups makes the next times setups fail (FaultSetupFails).
func (s *Sim) FailSetups(times int) {
	s.InjectFault(Fault{Kind: FaultSetupFails, Times: max(times, 1)})
}

// errNoSSHKey is the adapter's answer without a key.
func errNoSSHKey(what string) error {
	return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the grid adapter has no SSH key to %s with (tfgrid Config.SSHKey)", what)
}

// runSetup runs vm's setup once its VM is up, as the adapter does over
// SSH: nothing when its marker is there (done), otherwise the script,
// which an injected FaultSetupFails makes fail. The node must be up (the
// adapter reaches the VM's public IPv4 or Mycelium address; both are
// checked by VMSpec.Validate).
func (w *world) runSetup(vm *vmState) error {
	if vm.spec.Setup == nil || vm.setup == grid.SetupDone {
		return nil
	}
	n := w.nodes[vm.spec.NodeID-1]
	if n.status != grid.NodeUp {
		vm.setup = grid.SetupPending
		return grid.Fail(grid.ReasonNodeDown, "the VM's node %d is %s: its setup cannot run", n.ID, n.status)
	}
	if w.takeFault(FaultSetupFails, n.ID) {
		vm.setup = grid.SetupFailed
		// The real adapter says no more: the script's output stays on
		// the VM (grid.SetupLog), since it may hold secrets.
		return grid.Fail(grid.ReasonDeployFailed, "the VM's setup %s failed (exit status 1); its contracts exist", vm.spec.Setup.Name)
	}
	vm.setup = grid.SetupDone
	return nil
}
