package grid

import (
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// Setup is a first-boot setup of a full VM: a shell script the adapter
// runs as root over SSH once the VM answers, because ZOS gives a full VM
// no cloud-init user-data of its own: the cloud-init image ZOS writes for
// a zmachine holds only the root user's SSH keys (from env SSH_KEY) and
// the mounts (zos pkg/vm/cloudinit/image.go CreateImage writes /user-data
// as {users, mounts}; pkg/vm/manager.go takes the keys from
// vm.Environment["SSH_KEY"]), so there is no runcmd to install software
// with.
//
// The adapter adds its own SSH key to the VM's keys, runs the script
// once and writes a marker file (SetupMarker) when it succeeds: a retried
// DeployVM finds the marker and never runs the script again. The script
// may hold secrets (API keys): it is never logged, never returned in a
// Project, and an error about it never echoes its text or its output.
// Script is never marshalled to JSON.
type Setup struct {
	// Name is what the setup installs, e.g. "livekit": 1 to 32 of a-z,
	// 0-9, '-' and '_'. It names the marker file.
	Name string
	// Script is a bash script run as root with `bash -e`, from a file
	// only root can read; its output goes to SetupLog on the VM (mode
	// 600), never to the platform. It is left out of JSON, so a spec
	// stored or queued as JSON never carries it: rebuild the Setup from
	// the sealed secrets where it is needed (simstore journals it apart,
	// sealed).
	Script string `json:"-"`
	// Service is the systemd unit the setup leaves running; reported.
	Service string
	// Ports are what the service listens on; reported (the access panel
	// lists them).
	Ports []Port
	// Invalid, when set, says why the setup cannot be built (a bad
	// argument to LiveKitSetup); Validate reports it under "setup.<field>".
	// It names the field, never a secret value.
	Invalid string `json:",omitempty"`
}

// Port is a port range a setup's service listens on.
type Port struct {
	Proto string // "tcp" or "udp"
	From  uint16
	To    uint16 // == From for a single port
	Label string // what it is for: "signalling", "WebRTC over TCP"
}

// String is "7880/tcp" or "50000-60000/udp".
func (p Port) String() string {
	if p.To > p.From {
		return strconv.Itoa(int(p.From)) + "-" + strconv.Itoa(int(p.To)) + "/" + p.Proto
	}
	return strconv.Itoa(int(p.From)) + "/" + p.Proto
}

// SetupStatus is where a VM's setup is.
type SetupStatus string

// Setup statuses.
const (
	// SetupDone: the script ran to its end; its marker is on the VM.
	SetupDone SetupStatus = "done"
	// SetupFailed: the last run failed (the VM and its contracts exist;
	// a retried DeployVM runs the script again, since no marker was
	// written).
	SetupFailed SetupStatus = "failed"
	// SetupPending: the VM holds a setup that has not run yet (or the
	// adapter could not tell: the VM did not answer).
	SetupPending SetupStatus = "pending"
)

// SetupState is the setup of a deployed VM as Project reports it: never
// the script.
type SetupState struct {
	Name    string
	Status  SetupStatus
	Service string
	Ports   []Port
}

// SetupDir holds the setups' markers on the VM.
const SetupDir = "/var/lib/fiatdashboard"

// SetupMarker returns the marker file of the setup named name.
func SetupMarker(name string) string { return path.Join(SetupDir, "setup-"+name+".done") }

// SetupLog returns the file on the VM that keeps the setup's output.
func SetupLog(name string) string { return "/var/log/fiatdashboard-setup-" + name + ".log" }

// setupEOF ends the here-document that carries the script to the VM.
const setupEOF = "FD_SETUP_SCRIPT_EOF"

var (
	setupNamePattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	servicePattern   = regexp.MustCompile(`^[a-zA-Z0-9@_.-]{1,64}$`)
)

// MaxSetupScript bounds a setup script (bytes).
const MaxSetupScript = 64 << 10

// String never shows the script (it may hold secrets).
func (s *Setup) String() string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("setup %s (service %s, script redacted)", s.Name, s.Service)
}

// GoString is String, so %#v redacts too.
func (s *Setup) GoString() string { return s.String() }

// LogValue keeps the script out of structured logs.
func (s *Setup) LogValue() slog.Value { return slog.StringValue(s.String()) }

// State returns the setup as Project reports it.
func (s *Setup) State(status SetupStatus) *SetupState {
	return &SetupState{Name: s.Name, Status: status, Service: s.Service, Ports: slices.Clone(s.Ports)}
}

// Validate returns EINVALID naming the first bad field of s, under
// "setup.". Messages never quote the script.
func (s *Setup) Validate() error {
	switch {
	case s.Invalid != "":
		field, msg, _ := strings.Cut(s.Invalid, ": ")
		return fiatdashboard.Invalid("setup."+field, "%s", msg)
	case !setupNamePattern.MatchString(s.Name):
		return fiatdashboard.Invalid("setup.name", "a setup's name is 1 to 32 of a-z, 0-9, '-' and '_'")
	case strings.TrimSpace(s.Script) == "":
		return fiatdashboard.Invalid("setup.script", "the setup needs a script")
	case len(s.Script) > MaxSetupScript:
		return fiatdashboard.Invalid("setup.script", "a setup script has at most %d bytes", MaxSetupScript)
	case strings.ContainsRune(s.Script, 0):
		return fiatdashboard.Invalid("setup.script", "a setup script is text")
	case slices.Contains(strings.Split(s.Script, "\n"), setupEOF):
		return fiatdashboard.Invalid("setup.script", "a setup script may not contain a line %s", setupEOF)
	case s.Service != "" && !servicePattern.MatchString(s.Service):
		return fiatdashboard.Invalid("setup.service", "a service is a systemd unit name")
	}
	for _, p := range s.Ports {
		if (p.Proto != "tcp" && p.Proto != "udp") || p.From == 0 || p.To < p.From {
			return fiatdashboard.Invalid("setup.ports", "a port is tcp or udp with 0 < from <= to")
		}
	}
	return nil
}

// IsFullVMFlist reports whether flist is a full VM image (a disk image
// with its own kernel, systemd and cloud-init) rather than a container
// flist run under ZOS's zinit. ZOS tells them apart by the image's
// content (a full VM flist holds /image.raw, zos docs/manual/zmachine);
// the platform cannot look inside, so it goes by ThreeFold's naming of
// its full VM images: tf-official-vms/ubuntu-24.04-full.flist,
// ubuntu-22.04-full.flist, tf-official-apps/…_fullvm_oi.flist.
func IsFullVMFlist(flist string) bool {
	base := strings.ToLower(path.Base(flist))
	return strings.Contains(base, "-full.") || strings.Contains(base, "fullvm")
}

// validateSetup checks a VM spec's setup: a valid setup on a full VM the
// adapter can reach (a public IPv4 or a Mycelium address: it logs in over
// SSH from outside the VM's private network).
func (s VMSpec) validateSetup() error {
	if s.Setup == nil {
		return nil
	}
	if err := s.Setup.Validate(); err != nil {
		return err
	}
	if !IsFullVMFlist(s.Flist) {
		return fiatdashboard.Invalid("setup", "a setup runs only on a full VM image (systemd, cloud-init), not on %s", s.Flist)
	}
	if !s.PublicIPv4 && !s.Mycelium {
		return fiatdashboard.Invalid("setup", "a VM with a setup needs an address the adapter reaches over SSH: a public IPv4 or Mycelium")
	}
	return nil
}

// SetupCommand returns what the adapter sends to `bash -s` on the VM to
// run setup once: when the marker exists it exits 0 at once; otherwise
// it writes the script to a root-only file, runs it with bash -e (its
// output to SetupLog, mode 600), removes the file, and writes the marker
// only when the script succeeded. The exit status is the script's.
func SetupCommand(s *Setup) string {
	return setupCommand(s, SetupDir, SetupLog(s.Name), "/root")
}

// setupCommand is SetupCommand with the marker directory, the log file
// and the directory of the script's temporary file given.
func setupCommand(s *Setup, dir, logFile, tmpDir string) string {
	marker := path.Join(dir, "setup-"+s.Name+".done")
	script := s.Script
	if !strings.HasSuffix(script, "\n") {
		script += "\n"
	}
	return "set -u\n" +
		"if [ -f '" + marker + "' ]; then exit 0; fi\n" +
		"umask 077\n" +
		"mkdir -p '" + dir + "'\n" +
		"f=$(mktemp '" + tmpDir + "/.fd-setup-" + s.Name + ".XXXXXX')\n" +
		"trap 'rm -f \"$f\"' EXIT\n" +
		"cat > \"$f\" <<'" + setupEOF + "'\n" +
		script +
		setupEOF + "\n" +
		"bash -e \"$f\" </dev/null >'" + logFile + "' 2>&1\n" +
		"rc=$?\n" +
		"if [ \"$rc\" -eq 0 ]; then date -u +%FT%TZ > '" + marker + "'; fi\n" +
		"exit \"$rc\"\n"
}
