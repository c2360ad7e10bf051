package grid

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
)

const testSecret = "S3cretS3cretS3cretS3cretS3cretS3cret"

// runSetupCommand runs the setup command with bash as the adapter's
// `bash -s` does, in dir, and returns its exit status.
func runSetupCommand(t *testing.T, s *Setup, dir string) int {
	t.Helper()
	cmd := exec.Command("bash", "-s")
	cmd.Stdin = strings.NewReader(setupCommand(s, filepath.Join(dir, "state"), filepath.Join(dir, "setup.log"), dir))
	cmd.Dir = dir
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("bash: %v", err)
	return -1
}

func TestSetupCommandRunsOnceAndOnlyMarksSuccess(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// The script counts its runs, reads nothing from stdin (the command
	// came on bash's stdin) and fails while the file "broken" exists.
	s := &Setup{Name: "demo", Script: "echo run >> " + runs + "\nif read -r line; then echo stdin-leak >> " + runs + "; fi\n" +
		"test ! -e " + filepath.Join(dir, "broken") + "\necho 'it is " + testSecret + "'"}
	if err := os.WriteFile(filepath.Join(dir, "broken"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if rc := runSetupCommand(t, s, dir); rc == 0 {
		t.Fatal("a failing script exited 0")
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "setup-demo.done")); err == nil {
		t.Fatal("a failed setup wrote its marker: a retry would never run it")
	}
	os.Remove(filepath.Join(dir, "broken"))
	for i := 0; i < 2; i++ {
		if rc := runSetupCommand(t, s, dir); rc != 0 {
			t.Fatalf("run %d exited %d", i+2, rc)
		}
	}
	got, _ := os.ReadFile(runs)
	if string(got) != "run\nrun\n" {
		t.Errorf("the script's runs: %q; want a failed run, one successful run, and none once marked", got)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "setup.log"))
	if !strings.Contains(string(log), testSecret) {
		t.Errorf("the output stays in the VM's log: %q", log)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".fd-setup-*"))
	if len(leftovers) != 0 {
		t.Errorf("the script's file was left behind: %v", leftovers)
	}
	if info, err := os.Stat(filepath.Join(dir, "setup.log")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the setup's log: %v, %v; want mode 600", info, err)
	}
}

func TestSetupValidation(t *testing.T) {
	spec := VMSpec{Name: "app", NodeID: 1, Flist: LiveKitFlist, CPU: 1, Memory: GB, Mycelium: true,
		Setup: LiveKitSetup("APIkey", testSecret, "lk.ghent01.grid.tf")}
	if err := spec.Validate(); err != nil {
		t.Fatalf("a LiveKit VM: %v", err)
	}
	for name, tc := range map[string]struct {
		edit  func(*VMSpec)
		field string
	}{
		"no address":   {func(s *VMSpec) { s.Mycelium = false }, "setup"},
		"container":    {func(s *VMSpec) { s.Flist = K3sFlist }, "setup"},
		"empty script": {func(s *VMSpec) { s.Setup = &Setup{Name: "x", Script: " \n"} }, "setup.script"},
		"bad name":     {func(s *VMSpec) { s.Setup = &Setup{Name: "../x", Script: "true"} }, "setup.name"},
		"eof line":     {func(s *VMSpec) { s.Setup = &Setup{Name: "x", Script: "true\n" + setupEOF + "\nrm -rf /"} }, "setup.script"},
		"bad port": {func(s *VMSpec) {
			s.Setup = &Setup{Name: "x", Script: "true", Ports: []Port{{Proto: "sctp", From: 1, To: 1}}}
		}, "setup.ports"},
		"bad service":    {func(s *VMSpec) { s.Setup = &Setup{Name: "x", Script: "true", Service: "a b"} }, "setup.service"},
		"short secret":   {func(s *VMSpec) { s.Setup = LiveKitSetup("APIkey", testSecret[:31], "lk.example.com") }, "setup.api_secret"},
		"secret quoting": {func(s *VMSpec) { s.Setup = LiveKitSetup("APIkey", testSecret+"'", "lk.example.com") }, "setup.api_secret"},
		"bad key":        {func(s *VMSpec) { s.Setup = LiveKitSetup("a:b", testSecret, "lk.example.com") }, "setup.api_key"},
		"bad domain":     {func(s *VMSpec) { s.Setup = LiveKitSetup("APIkey", testSecret, "lk example") }, "setup.domain"},
	} {
		s := spec
		tc.edit(&s)
		err := s.Validate()
		var fe *fiatdashboard.Error
		if !errors.As(err, &fe) || fe.Code != fiatdashboard.EINVALID || fe.Field != tc.field {
			t.Errorf("%s: %v; want EINVALID naming %s", name, err, tc.field)
		}
		if err != nil && strings.Contains(err.Error(), testSecret[:20]) {
			t.Errorf("%s: the error shows the secret", name)
		}
	}
}

func TestLiveKitSetupConfiguresTheServer(t *testing.T) {
	s := LiveKitSetup("APIkey", testSecret, "LK.ghent01.grid.tf")
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"curl -sSL https://get.livekit.io | bash", // LiveKit's documented Linux install
		"port: 7880\n", "tcp_port: 7881\n", "port_range_start: 50000\n", "port_range_end: 60000\n",
		"use_external_ip: true\n", "udp_port: 3478\n", "tls_port: 0\n", "domain: \"lk.ghent01.grid.tf\"\n",
		"  \"APIkey\": \"" + testSecret + "\"\n", // quoted: an all-digit secret stays a string
		"chmod 600 " + LiveKitConfigFile, "systemctl enable livekit.service", "http://127.0.0.1:7880/",
	} {
		if !strings.Contains(s.Script, want) {
			t.Errorf("the LiveKit script lacks %q", want)
		}
	}
	if s.Service != "livekit.service" || len(s.Ports) != 4 || s.Ports[0].String() != "7880/tcp" || s.Ports[3].String() != "50000-60000/udp" {
		t.Errorf("LiveKit setup reports service %q, ports %v", s.Service, s.Ports)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		for what, text := range map[string]string{"the script": s.Script, "the command": SetupCommand(s)} {
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(text)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s is not valid bash: %v %s", what, err, out)
			}
		}
	}
	// The script holds the secret; no way of printing the setup does.
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("deploy", "setup", s)
	spec := VMSpec{Setup: s}
	for _, text := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), fmt.Sprintf("%+v", spec), buf.String()} {
		if strings.Contains(text, testSecret) {
			t.Errorf("printing the setup shows its secret: %s", text)
		}
	}
}

func TestSetupScriptStaysOutOfJSON(t *testing.T) {
	spec := VMSpec{Name: "app", Setup: LiveKitSetup("APIkey", testSecret, "lk.example.com")}
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), testSecret) || strings.Contains(string(raw), "livekit-server") {
		t.Errorf("a spec marshalled to JSON carries the setup's script: %s", raw)
	}
	var back VMSpec
	if err := json.Unmarshal(raw, &back); err != nil || back.Setup == nil || back.Setup.Name != "livekit" || back.Setup.Script != "" {
		t.Fatalf("read back: %+v, %v", back.Setup, err)
	}
	var fe *fiatdashboard.Error
	back.Flist, back.NodeID, back.CPU, back.Memory, back.Mycelium = LiveKitFlist, 1, 1, GB, true
	if err := back.Validate(); !errors.As(err, &fe) || fe.Field != "setup.script" {
		t.Errorf("a spec read back from JSON: %v; want it refused for its missing script, not deployed without it", err)
	}
}
