package tfgrid

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// setupEnv is the VM environment variable that records a VM's setup
// (name, service, ports; never the script) so that Project can report it
// and a retry can tell a changed setup. ZOS writes the environment to the
// VM's /zosrc only (zos pkg/vm/cloudinit/image.go): it is not user-data
// and runs nothing.
const setupEnv = "FIATDASHBOARD_SETUP"

// setupRecord is what setupEnv holds.
type setupRecord struct {
	Name    string      `json:"name"`
	Service string      `json:"service,omitempty"`
	Ports   []grid.Port `json:"ports,omitempty"`
}

func setupEnvValue(s *grid.Setup) string {
	if s == nil {
		return ""
	}
	raw, _ := json.Marshal(setupRecord{Name: s.Name, Service: s.Service, Ports: s.Ports})
	return string(raw)
}

// setupOfEnv reads a VM's setup record; nil without one.
func setupOfEnv(env map[string]string) *grid.Setup {
	var rec setupRecord
	if env[setupEnv] == "" || json.Unmarshal([]byte(env[setupEnv]), &rec) != nil {
		return nil
	}
	return &grid.Setup{Name: rec.Name, Service: rec.Service, Ports: rec.Ports}
}

// setupBoot bounds how long the adapter waits for a new VM to answer on
// SSH (a full VM boots its kernel, then cloud-init installs the keys).
const setupBoot = 5 * time.Minute

// setupStates remembers what the adapter saw of setups, by VM contract:
// done is final for a contract (the marker never goes away), failed holds
// until a run succeeds.
type setupStates struct {
	mu     sync.Mutex
	status map[uint64]grid.SetupStatus
}

func (s *setupStates) get(id uint64) grid.SetupStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[id]
}

func (s *setupStates) set(id uint64, st grid.SetupStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == nil {
		s.status = map[uint64]grid.SetupStatus{}
	}
	s.status[id] = st
}

// vmHost is where the adapter reaches a VM: its public IPv4, or its
// Mycelium address.
func vmHost(ipv4, mycelium string) string {
	if h := strings.SplitN(ipv4, "/", 2)[0]; h != "" {
		return h
	}
	return mycelium
}

// dialSSH logs in to host as root with the adapter's key. A dial failure
// is ReasonNodeDown, a refused login ReasonDeployFailed; what names the
// machine in errors ("the cluster's master", "the VM").
func (c *Client) dialSSH(ctx context.Context, host, what string, timeout time.Duration) (*ssh.Client, error) {
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(c.sshSigner)}, Timeout: timeout,
		// The VM is fresh and its host key was never published; the
		// adapter sends it nothing but what it would send anyone it
		// deployed, and checks what comes back.
		HostKeyCallback: ssh.InsecureIgnoreHostKey()}
	d := net.Dialer{Timeout: timeout}
	port := c.sshPort
	if port == "" {
		port = "22"
	}
	addr := net.JoinHostPort(host, port)
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, grid.Fail(grid.ReasonNodeDown, "%s does not answer on SSH: %v", what, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, grid.Fail(grid.ReasonDeployFailed, "could not log in to %s: %v", what, err)
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// runSetup runs the VM's setup over SSH (grid.SetupCommand: once, by
// its marker) and records the outcome on p's VM. It waits up to
// setupBoot for the VM to answer. Output is discarded (it stays on the
// VM in grid.SetupLog); errors carry the exit status, never the script.
func (c *Client) runSetup(ctx context.Context, p grid.Project, spec grid.VMSpec) (grid.Project, error) {
	i := -1
	for j, vm := range p.VMs {
		if vm.Name == spec.Name {
			i = j
		}
	}
	if i < 0 {
		return p, grid.Fail(grid.ReasonDeployFailed, "the deployed VM %s is not readable: its setup cannot run", spec.Name)
	}
	vm := &p.VMs[i]
	host := vmHost(vm.PublicIPv4, vm.MyceliumIP)
	if host == "" {
		return p, grid.Fail(grid.ReasonDeployFailed, "the VM has no address the adapter can reach for its setup")
	}
	status, err := c.execSetup(ctx, host, spec.Setup)
	c.setups.set(vm.ContractID, status)
	vm.Setup = spec.Setup.State(status)
	return p, err
}

func (c *Client) execSetup(ctx context.Context, host string, s *grid.Setup) (grid.SetupStatus, error) {
	boot, cancel := context.WithTimeout(ctx, setupBoot)
	defer cancel()
	var client *ssh.Client
	for {
		var err error
		client, err = c.dialSSH(boot, host, "the VM", 30*time.Second)
		if err == nil {
			break
		}
		// Not answering yet, or refusing the key: the VM may still be
		// booting, or cloud-init not have installed the keys. Retry.
		select {
		case <-boot.Done():
			if ctx.Err() != nil {
				return grid.SetupPending, grid.Fail(grid.ReasonTimeout, "the VM did not answer on SSH before the call was abandoned; its setup has not run")
			}
			return grid.SetupPending, grid.Fail(grid.ReasonTimeout, "the VM did not answer on SSH within %s; its setup has not run", setupBoot)
		case <-time.After(10 * time.Second):
		}
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return grid.SetupPending, grid.Fail(grid.ReasonDeployFailed, "could not open a session on the VM for its setup")
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(grid.SetupCommand(s))
	sess.Stdout, sess.Stderr = io.Discard, io.Discard // may show secrets: never kept
	done := make(chan error, 1)
	go func() { done <- sess.Run("bash -s") }()
	select {
	case err = <-done:
	case <-ctx.Done():
		client.Close()
		return grid.SetupPending, grid.Fail(grid.ReasonTimeout, "the VM's setup %s did not finish before the call was abandoned; a retry resumes it", s.Name)
	}
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return grid.SetupDone, nil
	case errors.As(err, &exit):
		return grid.SetupFailed, grid.Fail(grid.ReasonDeployFailed, "the VM's setup %s failed (exit status %d); its output is in %s on the VM",
			s.Name, exit.ExitStatus(), grid.SetupLog(s.Name))
	default:
		return grid.SetupFailed, grid.Fail(grid.ReasonDeployFailed, "the VM's setup %s was cut off (the SSH session ended without an exit status)", s.Name)
	}
}

// noMarkerCheck marks a context whose snapshot is followed by the setup
// itself (DeployVM): checking the marker first would only wait on a VM
// that is still booting.
type noMarkerCheck struct{}

// setupState reports a VM's setup for Project: done once the adapter saw
// it done (or finds its marker: one SSH login, at most 10 s, until it is
// seen done), failed after a failed run, else pending.
func (c *Client) setupState(ctx context.Context, contract uint64, s *grid.Setup, host string) *grid.SetupState {
	status := c.setups.get(contract)
	if status != grid.SetupDone && c.sshSigner != nil && host != "" && ctx.Value(noMarkerCheck{}) == nil {
		check, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if client, err := c.dialSSH(check, host, "the VM", 10*time.Second); err == nil {
			if sess, err := client.NewSession(); err == nil {
				if sess.Run("test -f "+grid.SetupMarker(s.Name)) == nil {
					status = grid.SetupDone
					c.setups.set(contract, status)
				}
				sess.Close()
			}
			client.Close()
		}
	}
	if status == "" {
		status = grid.SetupPending
	}
	return s.State(status)
}

// requireKey refuses a setup when the adapter has no SSH key.
func (c *Client) requireKey(spec grid.VMSpec) error {
	if spec.Setup != nil && c.sshSigner == nil {
		return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the grid adapter has no SSH key to run the VM's setup with (tfgrid Config.SSHKey)")
	}
	return nil
}
