package gridtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// SetupFaults is the capability of a Grid whose VM setups a test may make
// fail (the simulator, which runs no script); on the real grid the suite
// fails a setup with a script that exits non-zero.
type SetupFaults interface {
	FailSetups(times int)
}

// setupTests are the cases for first-boot setups (VMSpec.Setup).
var setupTests = []struct {
	name string
	run  func(*suite)
}{
	{"SetupRunsOnceAndIsReported", (*suite).setupRuns},
	{"SetupRefusedWithoutAReachableFullVMOrKey", (*suite).setupRefusals},
	{"FailedSetupLeavesTheContractsAndRetries", (*suite).setupFails},
}

// setupSecret stands for a secret a setup script holds; it must never
// come back in a Project or an error.
const setupSecret = "GridtestSetupSecret0123456789abcdef"

func (s *suite) setupSpec(node uint32) grid.VMSpec {
	spec := s.vm("app", node)
	spec.Flist, spec.Entrypoint = grid.UbuntuFullVMFlist, ""
	spec.Setup = &grid.Setup{
		Name:    "gridtest",
		Script:  "install -d -m 700 /etc/gridtest\necho '" + setupSecret + "' > /etc/gridtest/secret\n",
		Service: "ssh.service",
		Ports:   []grid.Port{{Proto: "tcp", From: 22, To: 22, Label: "ssh"}},
	}
	return spec
}

func noSecret(s *suite, what string, v any) {
	if strings.Contains(fmt.Sprintf("%+v %#v", v, v), setupSecret) {
		s.t.Errorf("%s shows the setup's secret", what)
	}
}

func (s *suite) setupRuns() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a VM")
	}
	name := s.project("setup")
	spec := s.setupSpec(nodes[0].ID)
	noSecret(s, "a spec printed with fmt", spec)
	p := s.deploy(name, spec)
	vm, ok := p.VM("app")
	if !ok || vm.Setup == nil {
		t.Fatalf("deployed VM %+v reports no setup", vm)
	}
	want := grid.SetupState{Name: "gridtest", Status: grid.SetupDone, Service: "ssh.service", Ports: spec.Setup.Ports}
	if !reflect.DeepEqual(*vm.Setup, want) {
		t.Errorf("setup reported as %+v; want %+v", *vm.Setup, want)
	}
	noSecret(s, "the deployed project", p)

	// A retry returns the same contracts; the marker keeps the script
	// from running again.
	again, err := s.g.DeployVM(s.ctx(), name, spec)
	if err != nil {
		t.Fatalf("retried deploy: %v", err)
	}
	if !reflect.DeepEqual(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("retry changed the contracts: %v, then %v", p.ContractIDs(), again.ContractIDs())
	}
	read, err := s.g.Project(s.ctx(), name)
	if err != nil {
		t.Fatal(err)
	}
	if vm, _ := read.VM("app"); vm.Setup == nil || vm.Setup.Status != grid.SetupDone {
		t.Errorf("Project reports the setup as %+v; want done", vm.Setup)
	}
	noSecret(s, "the project read back", read)

	// A changed setup is a changed VM: refused, as ZOS never updates one.
	changed := spec
	changed.Setup = &grid.Setup{Name: "gridtest", Script: "true\n"}
	_, err = s.g.DeployVM(s.ctx(), name, changed)
	wantCode(t, err, fiatdashboard.ECONFLICT, "a changed setup on a running VM")
}

func (s *suite) setupRefusals() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a VM")
	}
	name := s.project("setup-bad")
	refused := func(what, code, field string, g grid.Grid, spec grid.VMSpec) {
		t.Helper()
		_, err := g.DeployVM(s.ctx(), name, spec)
		wantCode(t, err, code, what)
		if field != "" {
			var fe *fiatdashboard.Error
			if !errors.As(err, &fe) || fe.Field != field {
				t.Errorf("%s: error %v; want it to name field %q", what, err, field)
			}
		}
		if err != nil && strings.Contains(err.Error(), setupSecret) {
			t.Errorf("%s: the error shows the setup's secret", what)
		}
		if _, err := s.g.Project(s.ctx(), name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			t.Errorf("%s left project %s: %v", what, name, err)
		}
	}
	base := s.setupSpec(nodes[0].ID)

	spec := base
	spec.Mycelium, spec.PublicIPv4 = false, false
	refused("a setup on a VM the adapter cannot reach", fiatdashboard.EINVALID, "setup", s.g, spec)

	spec = base
	spec.Flist, spec.Entrypoint = "https://hub.grid.tf/tf-official-apps/base:latest.flist", "/sbin/zinit init"
	refused("a setup on a container flist", fiatdashboard.EINVALID, "setup", s.g, spec)

	spec = base
	spec.Setup = &grid.Setup{Name: "gridtest", Script: "  \n"}
	refused("an empty setup script", fiatdashboard.EINVALID, "setup.script", s.g, spec)

	spec = base
	spec.Setup = grid.LiveKitSetup("APIgridtest", "short"+setupSecret[:10], "lk.example.com")
	refused("a LiveKit secret under 32 characters", fiatdashboard.EINVALID, "setup.api_secret", s.g, spec)

	spec = base
	spec.Setup = grid.LiveKitSetup("APIgridtest", setupSecret, "not a domain")
	refused("a LiveKit setup without a domain", fiatdashboard.EINVALID, "setup.domain", s.g, spec)

	if s.fx.NoSSHKey != nil {
		refused("a setup through an adapter without an SSH key", fiatdashboard.EUNAVAILABLE, "", s.fx.NoSSHKey, base)
	}
}

func (s *suite) setupFails() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a VM")
	}
	name := s.project("setup-fails")
	spec := s.setupSpec(nodes[0].ID)
	faults, sim := s.g.(SetupFaults)
	if sim {
		faults.FailSetups(1)
	} else {
		spec.Setup.Script = "echo '" + setupSecret + "'\nexit 3\n"
	}
	p, err := s.g.DeployVM(s.ctx(), name, spec)
	t.Cleanup(func() {
		if err := s.g.CancelProject(context.Background(), name); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			t.Errorf("cancel %s: %v", name, err)
		}
	})
	if grid.FailureReason(err) != grid.ReasonDeployFailed {
		t.Fatalf("a failing setup: %v; want a %s failure", err, grid.ReasonDeployFailed)
	}
	if strings.Contains(err.Error(), setupSecret) {
		t.Error("the setup's failure shows its secret or output")
	}
	if len(p.Contracts) == 0 {
		t.Fatal("a failed setup returned no contracts: the caller cannot cancel them")
	}
	read, err := s.g.Project(s.ctx(), name)
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := read.VM("app")
	if vm.Setup == nil || vm.Setup.Status != grid.SetupFailed {
		t.Errorf("after a failed setup Project reports %+v; want failed", vm.Setup)
	}
	if !sim {
		return
	}
	// The retry runs the script again (no marker was written) on the
	// same contracts.
	again, err := s.g.DeployVM(s.ctx(), name, spec)
	if err != nil {
		t.Fatalf("retry after a failed setup: %v", err)
	}
	if vm, _ := again.VM("app"); vm.Setup == nil || vm.Setup.Status != grid.SetupDone ||
		!reflect.DeepEqual(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("retry: setup %+v, contracts %v (were %v); want done on the same contracts", vm.Setup, again.ContractIDs(), p.ContractIDs())
	}
	// Cancelling what the failure returned ends the project.
	if err := s.g.CancelContracts(s.ctx(), p.ContractIDs()); err != nil {
		t.Fatal(err)
	}
}
