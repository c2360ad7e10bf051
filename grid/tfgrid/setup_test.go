package tfgrid

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// fakeVM is an SSH server standing for a VM: it lets in one key, takes
// one exec per session, keeps the command and what came on stdin, and
// answers exit status rc.
type fakeVM struct {
	port string
	mu   sync.Mutex
	cmds []string
	ins  []string
	rc   uint32
}

func newFakeVM(t *testing.T, allowed ssh.PublicKey) *fakeVM {
	t.Helper()
	hostKey, err := parseSSHKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(k.Marshal(), allowed.Marshal()) {
			return nil, nil
		}
		return nil, io.EOF
	}}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	vm := &fakeVM{port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go vm.serve(conn, cfg)
		}
	}()
	return vm
}

func (vm *fakeVM) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		for req := range reqs {
			if req.Type != "exec" {
				req.Reply(false, nil)
				continue
			}
			cmd := string(req.Payload[4:])
			req.Reply(true, nil)
			in, _ := io.ReadAll(ch)
			vm.mu.Lock()
			vm.cmds, vm.ins = append(vm.cmds, cmd), append(vm.ins, string(in))
			rc := vm.rc
			if strings.HasPrefix(cmd, "test -f") {
				rc = 1 // no marker on this fake VM
			}
			vm.mu.Unlock()
			ch.Write([]byte("output that may hold " + testSetupSecret + "\n"))
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, rc)
			ch.SendRequest("exit-status", false, status)
			ch.Close()
			break
		}
	}
}

const testSetupSecret = "TfgridSetupSecret0123456789abcdefgh"

func TestSetupRunsOverSSHWithTheAdaptersKey(t *testing.T) {
	signer, err := parseSSHKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	vm := newFakeVM(t, signer.PublicKey())
	c := &Client{sshSigner: signer, sshPort: vm.port}
	setup := grid.LiveKitSetup("APIkey", testSetupSecret, "lk.ghent01.grid.tf")
	spec := grid.VMSpec{Name: "app", Setup: setup}
	p := grid.Project{VMs: []grid.VM{{Name: "app", ContractID: 77, MyceliumIP: "127.0.0.1"}}}

	p, err = c.runSetup(context.Background(), p, spec)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if vm.cmds[0] != "bash -s" || vm.ins[0] != grid.SetupCommand(setup) {
		t.Errorf("the adapter ran %q with %d bytes of stdin; want bash -s reading grid.SetupCommand", vm.cmds[0], len(vm.ins[0]))
	}
	if st := p.VMs[0].Setup; st == nil || st.Status != grid.SetupDone || st.Service != grid.LiveKitService {
		t.Errorf("after the setup the VM reports %+v; want done", st)
	}
	if st := c.setupState(context.Background(), 77, setup, "127.0.0.1"); st.Status != grid.SetupDone {
		t.Errorf("Project would report %+v; want done, remembered", st)
	}

	vm.rc = 3
	p.VMs[0].ContractID = 78
	p, err = c.runSetup(context.Background(), p, spec)
	if grid.FailureReason(err) != grid.ReasonDeployFailed || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("a failing setup: %v; want a deploy_failed failure with its exit status", err)
	}
	if err != nil && strings.Contains(err.Error(), testSetupSecret) {
		t.Error("the failure shows the script's secret or output")
	}
	if st := p.VMs[0].Setup; st == nil || st.Status != grid.SetupFailed {
		t.Errorf("after a failed setup the VM reports %+v; want failed", st)
	}
	if st := c.setupState(context.Background(), 78, setup, "127.0.0.1"); st.Status != grid.SetupFailed {
		t.Errorf("Project would report %+v; want failed (no marker on the VM)", st)
	}

	// A key the VM does not know: the adapter waits for cloud-init until
	// the call is abandoned, and says the setup has not run.
	other, _ := parseSSHKey(testKey(t))
	stranger := &Client{sshSigner: other, sshPort: vm.port}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err = stranger.runSetup(ctx, p, spec)
	if grid.FailureReason(err) != grid.ReasonTimeout || p.VMs[0].Setup.Status != grid.SetupPending {
		t.Errorf("a VM refusing the key: %v, %+v; want a timeout and the setup pending", err, p.VMs[0].Setup)
	}

	if err := (&Client{}).requireKey(spec); fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
		t.Errorf("a setup without an adapter key: %v; want EUNAVAILABLE before any contract", err)
	}
}

func TestSetupRecordHoldsNoScriptAndJoinsTheAdaptersKey(t *testing.T) {
	setup := grid.LiveKitSetup("APIkey", testSetupSecret, "lk.ghent01.grid.tf")
	rec := setupEnvValue(setup)
	if strings.Contains(rec, testSetupSecret) || strings.Contains(rec, "livekit-server") {
		t.Errorf("the VM's setup record holds the script: %s", rec)
	}
	back := setupOfEnv(map[string]string{setupEnv: rec})
	if back == nil || back.Name != "livekit" || back.Service != grid.LiveKitService || len(back.Ports) != 4 {
		t.Errorf("setup record read back as %+v", back)
	}
	if setupOfEnv(map[string]string{}) != nil || setupEnvValue(nil) != "" {
		t.Error("a VM without a setup reports one")
	}

	signer, err := parseSSHKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	own := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	c := &Client{sshSigner: signer}
	tenant := "ssh-ed25519 AAAA tenant"
	env := c.vmEnv(grid.VMSpec{SSHKeys: []string{tenant}, Setup: setup})
	if env["SSH_KEY"] != tenant+"\n"+own || env[setupEnv] != rec {
		t.Errorf("a VM with a setup gets SSH_KEY %q and record %q; want the tenant's key and the adapter's, and the record", env["SSH_KEY"], env[setupEnv])
	}
	env = c.vmEnv(grid.VMSpec{Env: map[string]string{"SSH_KEY": tenant}})
	if env["SSH_KEY"] != tenant || env[setupEnv] != "" {
		t.Errorf("a VM without a setup gets SSH_KEY %q: the adapter's key joins only VMs it must log in to", env["SSH_KEY"])
	}
}
