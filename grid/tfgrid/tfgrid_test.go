package tfgrid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridtest"
)

// TestContract runs the shared grid suite against a real network. It needs
// a funded (at least 2 TFT free), KYC-verified twin: FD_GRID_MNEMONIC, and
// FD_GRID_NETWORK (main, test, qa or dev; default test).
func TestContract(t *testing.T) {
	mnemonic, network := os.Getenv("FD_GRID_MNEMONIC"), os.Getenv("FD_GRID_NETWORK")
	if mnemonic == "" {
		t.Skip("skipped: set FD_GRID_MNEMONIC (a funded, KYC-verified twin with at least 2 TFT free) and optionally FD_GRID_NETWORK (main|test|qa|dev, default test) to run the grid contract suite against a real network")
	}
	if network == "" || network == "sim" {
		network = "test"
	}
	// The adapter's own SSH key, so the suite's clusters give their
	// kubeconfig.
	c, err := New(Config{Network: network, Mnemonic: mnemonic, SSHKey: testKey(t)})
	if err != nil {
		t.Fatalf("connect to %s: %v", network, err)
	}
	t.Cleanup(c.Close)
	// The same wallet through an adapter without an SSH key: setups are
	// refused before any contract.
	keyless, err := New(Config{Network: network, Mnemonic: mnemonic})
	if err != nil {
		t.Fatalf("connect to %s: %v", network, err)
	}
	t.Cleanup(keyless.Close)
	run := time.Now().UTC().Format("0102150405")
	gridtest.Run(t, func(t *testing.T) (grid.Grid, gridtest.Fixture) {
		return c, gridtest.Fixture{Prefix: "fdtest" + run, Timeout: 10 * time.Minute, NoSSHKey: keyless,
			// The client New opens for this wallet when it holds less
			// than 2 TFT: the real wallet is never drained.
			OpenDrained: func(t *testing.T) grid.Grid {
				d, err := openDrained(Config{Network: network, Mnemonic: mnemonic})
				if err != nil {
					t.Fatalf("open the read-and-cancel client: %v", err)
				}
				t.Cleanup(d.Close)
				return d
			}}
	})
}

func TestNewRefusesBadConfigWithoutCallingTheGrid(t *testing.T) {
	if _, err := New(Config{Network: "moon", Mnemonic: "x"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("unknown network: %v", err)
	}
	if _, err := New(Config{Network: "dev"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("no mnemonic: %v", err)
	}
}

// The SDK swaps the standard logger's output and zerolog's global logger
// when a client starts (before it even checks the mnemonic): New puts them
// back, and keeps the mnemonic out of its error.
func TestNewRestoresLoggersAndHidesTheMnemonic(t *testing.T) {
	var std bytes.Buffer
	stdlog.SetOutput(&std)
	t.Cleanup(func() { stdlog.SetOutput(os.Stderr) })
	var zbuf bytes.Buffer
	before := zlog.Logger
	zlog.Logger = zerolog.New(&zbuf)
	t.Cleanup(func() { zlog.Logger = before })
	level := zerolog.GlobalLevel()
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
	t.Cleanup(func() { zerolog.SetGlobalLevel(level) })

	secret := "not a valid mnemonic but secret words"
	_, err := New(Config{Network: "dev", Mnemonic: secret})
	if err == nil {
		t.Fatal("an invalid mnemonic was accepted")
	}
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("invalid mnemonic: %v, want EINVALID", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error shows the mnemonic: %v", err)
	}
	stdlog.Print("std still here")
	zlog.Warn().Msg("zerolog still here")
	if !strings.Contains(std.String(), "std still here") {
		t.Error("the standard logger's output was not restored")
	}
	if !strings.Contains(zbuf.String(), "zerolog still here") || zerolog.GlobalLevel() != zerolog.WarnLevel {
		t.Errorf("the zerolog logger or level was not restored (level %s)", zerolog.GlobalLevel())
	}
}

func TestObjectNamesFitTheSDK(t *testing.T) {
	sdkName := regexp.MustCompile(`^[a-zA-Z0-9_]{1,36}$`)
	long := strings.Repeat("a", 64)
	seen := map[string]string{}
	for _, project := range []string{"dep-1", "dep-2", long, "x"} {
		for _, name := range []string{primaryNet(project), primaryDl(project), standbyNet(project), standbyDl(project), zdbDl(project, "data", 4_000_000_000)} {
			if !sdkName.MatchString(name) {
				t.Errorf("%q (project %q) is not an SDK name", name, project)
			}
			if other, dup := seen[name]; dup {
				t.Errorf("%q names objects of %q and %q", name, other, project)
			}
			seen[name] = project
		}
	}
	if primaryDl("dep-1") != primaryDl("dep-1") {
		t.Error("names are not stable")
	}
	if got := workloadName("web-standby.1"); got != "web_standby_1" {
		t.Errorf("workloadName = %q", got)
	}
	if got := workloadName(long); len(got) != 36 {
		t.Errorf("workloadName of 64 characters has %d", len(got))
	}
}

func TestProxyFilter(t *testing.T) {
	yes, no := true, false
	pf, local := proxyFilter(grid.NodeFilter{
		Status: []grid.NodeStatus{grid.NodeUp}, Countries: []string{"Belgium"}, FarmIDs: []uint32{1, 2},
		MinFree: grid.Resources{MRU: 4 * grid.GB, SRU: 50 * grid.GB}, PublicIPv4: true, IPv6: true, GPU: true,
		Certified: true, Dedicated: &no, Light: &yes, ExcludeNode: []uint32{9},
	})
	if local {
		t.Error("a filter the proxy can express was marked for local filtering")
	}
	if *pf.Country != "Belgium" || len(pf.FarmIDs) != 2 || *pf.FreeMRU != 4*grid.GB || *pf.FreeSRU != 50*grid.GB ||
		*pf.FreeIPs != 1 || !*pf.IPv6 || !*pf.HasGPU || *pf.CertificationType != "Certified" || *pf.InDedicatedFarm ||
		pf.Features[0] != "zmachine-light" || pf.Excluded[0] != 9 || pf.Status[0] != "up" {
		t.Errorf("proxy filter %+v", pf)
	}
	for name, f := range map[string]grid.NodeFilter{
		"countries":    {Countries: []string{"Belgium", "Egypt"}},
		"exclude farm": {ExcludeFarm: []uint32{3}},
		"free cores":   {MinFree: grid.Resources{CRU: 2}},
		"not light":    {Light: &no},
	} {
		if _, local := proxyFilter(f); !local {
			t.Errorf("%s: not marked for local filtering", name)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		reason grid.Reason
		code   string
	}{
		{errors.New("only verified users can deploy, please visit the dashboard"), grid.ReasonKYCMissing, fiatdashboard.EFORBIDDEN},
		{errors.New("failed to create contract: Inability to pay some fees"), grid.ReasonInsufficientFunds, fiatdashboard.ECONFLICT},
		{errors.New("node 12: not enough resources"), grid.ReasonNodeCapacity, fiatdashboard.ECONFLICT},
		{errors.New("could not get node client: node 12 not reachable"), grid.ReasonNodeDown, fiatdashboard.EUNAVAILABLE},
		{fmt.Errorf("deploy: %w", context.DeadlineExceeded), grid.ReasonTimeout, fiatdashboard.EUNAVAILABLE},
		{errors.New("workload error: flist download failed"), grid.ReasonDeployFailed, fiatdashboard.EUNAVAILABLE},
		{errors.New("account contains 1.500000 tft, min fee is 2 tft"), grid.ReasonInsufficientFunds, fiatdashboard.ECONFLICT},
	} {
		err := translate(tc.err, "deploy the VM")
		if grid.FailureReason(err) != tc.reason || fiatdashboard.ErrorCode(err) != tc.code {
			t.Errorf("%q → %v (reason %q, code %q), want %s", tc.err, err, grid.FailureReason(err), fiatdashboard.ErrorCode(err), tc.reason)
		}
		if msg := fiatdashboard.ErrorMessage(err); strings.Contains(msg, tc.err.Error()) {
			t.Errorf("the user message %q repeats the SDK's words", msg)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%v does not keep its cause for the log", err)
		}
	}
	if err := translate(errors.New("could not validate: no twin associated with the account with the given mnemonic/seed"), "start"); !strings.Contains(fiatdashboard.ErrorMessage(err), "no twin") {
		t.Errorf("no twin → %q, want it named", fiatdashboard.ErrorMessage(err))
	}
	if err := translate(errors.New("contract 5 not found"), "read"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("not found → %v", err)
	}
	coded := fiatdashboard.Invalid("x", "bad")
	if err := translate(coded, "read"); err != coded {
		t.Errorf("a coded error was rewritten: %v", err)
	}
}

func TestNodeReaderNeedsNoTwin(t *testing.T) {
	if _, err := NewNodeReader("moon"); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("unknown network: %v", err)
	}
	for _, n := range Networks {
		if _, err := NewNodeReader(n); err != nil {
			t.Errorf("a node reader on %s without any twin: %v", n, err)
		}
	}
}

// A client opened for a wallet below grid-client's 2 TFT reads and cancels
// (BatchCancelContract has no balance check) but refuses to deploy, with
// insufficient funds, before it asks the grid anything; its Close ends its
// own connections rather than the SDK's (which it never started).
func TestDrainedClientRefusesToDeployBeforeAskingTheGrid(t *testing.T) {
	closed := false
	c := &Client{drained: true, close: func() { closed = true }}
	if !c.Drained() {
		t.Error("a drained client says it is not")
	}
	err := c.checkFunds(context.Background(), grid.Workload{CRU: 1, MRU: grid.GB, SRU: 10 * grid.GB})
	if grid.FailureReason(err) != grid.ReasonInsufficientFunds || fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("deploying on a drained client = %v, want insufficient funds (ECONFLICT)", err)
	}
	if msg := fiatdashboard.ErrorMessage(err); !strings.Contains(msg, "2 TFT") || !strings.Contains(msg, "cancel") {
		t.Errorf("the refusal %q does not say what is wrong and what still works", msg)
	}
	if err := (&Client{}).refuseDrained("deploy"); err != nil {
		t.Errorf("a funded client refused: %v", err)
	}
	c.Close()
	if !closed {
		t.Error("Close did not end the drained client's connections")
	}
}
