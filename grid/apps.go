package grid

import (
	"context"
	"net"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// App images on the ThreeFold hub.
//
// Sources: grid-client v0.16 workloads/k8s.go (K8sFlist) and the TF
// dashboard's solutions in tfgrid-sdk-ts packages/playground/src/weblets
// (tf_nextcloud.vue, tf_openwebui.vue). The hub has no LiveKit image: the
// LiveKit app runs on the official Ubuntu 24.04 full VM (see LiveKitFlist).
const (
	// K3sFlist is grid-client's default k3s image (K8sFlist).
	K3sFlist = "https://hub.grid.tf/tf-official-apps/threefolddev-k3s-v1.31.0.flist"
	// NextcloudFlist is the Nextcloud All-in-One image the TF dashboard
	// deploys (entrypoint /sbin/zinit init, data disk at /mnt/data, env
	// NEXTCLOUD_DOMAIN, NEXTCLOUD_AIO_LINK, GATEWAY, IPV4).
	NextcloudFlist = "https://hub.grid.tf/tf-official-apps/threefoldtech-nextcloudaio-latest.flist"
	// OpenWebUIFlist is the Open WebUI image (Ubuntu 24.04 full VM with
	// Open WebUI and a local model server) the TF dashboard deploys, env
	// OPENWEBUI_DOMAIN; its gateway backend is the VM's port 80.
	OpenWebUIFlist = "https://hub.grid.tf/tf-official-apps/threefoldtech-ubuntu-24.04_fullvm_oi.flist"
	// UbuntuFullVMFlist is the official Ubuntu 24.04 full VM.
	UbuntuFullVMFlist = "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist"
	// LiveKitFlist is the image of the LiveKit app. ThreeFold publishes
	// no LiveKit flist (neither the dashboard nor tf-images has one), so
	// the app is the official Ubuntu 24.04 full VM on which LiveKit is
	// installed at first boot; replace it when a hub image exists.
	LiveKitFlist = UbuntuFullVMFlist
)

// ValidateFlist returns EINVALID unless u can be an flist URL: an http(s)
// URL ending in .flist or .fl (grid-client workloads/flist.go
// ValidateFlist checks the extension before it downloads the flist).
func ValidateFlist(u string) error {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return fiatdashboard.Invalid("flist", "%q is not an flist URL", u)
	}
	if ext := path.Ext(parsed.Path); ext != ".flist" && ext != ".fl" {
		return fiatdashboard.Invalid("flist", "flist %q is invalid, should have a valid flist extension", u)
	}
	return nil
}

// MinGatewayName and MaxGatewayName bound a gateway name. tfchain takes
// 3 to 64 characters (pallet-smart-contract name_contract.rs
// MIN_NAME_LENGTH, runtime MaxNameContractNameLength), but grid-client's
// GatewayNameDeployer validates the name as a workload name first
// (workloads/deployment.go validateName: at most 36 of [a-zA-Z0-9_]), so
// a name the adapter can deploy is the intersection of both rules.
const (
	MinGatewayName = 3
	MaxGatewayName = 36
)

var gatewayNamePattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// ValidateGatewayName returns EINVALID unless name can name a gateway: 3
// to 36 characters among a-z, 0-9 and '_' (tfchain
// is_valid_name_contract_name allows a-z, 0-9, '-' and '_'; grid-client
// validateName refuses '-' and upper case is not the chain's).
func ValidateGatewayName(name string) error {
	switch {
	case len(name) < MinGatewayName:
		return fiatdashboard.Invalid("name", "a gateway name has at least %d characters (tfchain NameContractNameTooShort)", MinGatewayName)
	case len(name) > MaxGatewayName:
		return fiatdashboard.Invalid("name", "a gateway name has at most %d characters (grid-client workload names)", MaxGatewayName)
	case !gatewayNamePattern.MatchString(name):
		return fiatdashboard.Invalid("name", "a gateway name is lowercase letters, digits and '_'")
	}
	return nil
}

// fqdnPattern is ZOS's rule for an FQDN gateway's domain
// (pkg/gridtypes/zos/gw_fqdn.go fqdnRegex).
var fqdnPattern = regexp.MustCompile(`^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$`)

// ValidDomain reports whether domain follows ZOS's rule for an FQDN
// gateway's domain (fqdnPattern).
func ValidDomain(domain string) bool { return fqdnPattern.MatchString(domain) && len(domain) <= 253 }

// DNSChecker is implemented by grids that can tell whether a domain's DNS
// points at a gateway node, as ZOS checks before it accepts an FQDN
// gateway (pkg/gateway/gateway.go verifyDomainDestination). CheckDNS is
// nil when it does, EINVALID on field fqdn when it does not.
type DNSChecker interface {
	CheckDNS(ctx context.Context, fqdn string, nodeID uint32) error
}

// GatewaySpec is a gateway on a gateway node that proxies HTTPS to a
// backend: a name gateway (a name contract, at https://<Name>.<domain of
// the node>) or an FQDN gateway (a domain the tenant points at the
// gateway node).
type GatewaySpec struct {
	NodeID uint32 // a gateway node (Node.GatewayDomain != "")
	Name   string // name gateway: the name contract's name
	FQDN   string // FQDN gateway instead of Name
	// Backends is where the gateway sends traffic. ZOS takes exactly one
	// (pkg/gateway/gateway.go "only one backend is supported"):
	// "http://<ip>[:port]" (the IP of a VM: Mycelium, Yggdrasil or
	// public), or "<ip>:<port>" with TLSPassthrough.
	Backends       []string
	TLSPassthrough bool // pass TLS through to the backend (which holds the certificate)
}

// Key returns what the gateway is known by in its project: its name or
// its FQDN.
func (s GatewaySpec) Key() string {
	if s.Name != "" {
		return s.Name
	}
	return s.FQDN
}

// Validate returns EINVALID naming the first bad field of s, by the rules
// of tfchain (the name) and ZOS (the FQDN and the backend).
func (s GatewaySpec) Validate() error {
	switch {
	case s.NodeID == 0:
		return fiatdashboard.Invalid("node_id", "the gateway needs a gateway node")
	case s.Name == "" && s.FQDN == "":
		return fiatdashboard.Invalid("name", "the gateway needs a name or an FQDN")
	case s.Name != "" && s.FQDN != "":
		return fiatdashboard.Invalid("fqdn", "a gateway has a name or an FQDN, not both")
	}
	if s.Name != "" {
		if err := ValidateGatewayName(s.Name); err != nil {
			return err
		}
	} else if !fqdnPattern.MatchString(s.FQDN) || len(s.FQDN) > 253 {
		return fiatdashboard.Invalid("fqdn", "fqdn %s is invalid", s.FQDN)
	}
	if len(s.Backends) != 1 {
		return fiatdashboard.Invalid("backends", "a gateway takes exactly one backend, got %d", len(s.Backends))
	}
	return ValidateBackend(s.Backends[0], s.TLSPassthrough)
}

// ValidateBackend applies ZOS's backend rule (pkg/gridtypes/zos/gw.go
// Backend.Valid): with TLS passthrough an "ip:port"; otherwise an http
// URL whose host is an IP address, not a loopback one.
func ValidateBackend(b string, tlsPassthrough bool) error {
	if tlsPassthrough {
		host, port, err := net.SplitHostPort(b)
		if err != nil || net.ParseIP(host) == nil {
			return fiatdashboard.Invalid("backends", "backend %q must be ip:port with TLS passthrough", b)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fiatdashboard.Invalid("backends", "backend %q has no valid port", b)
		}
		return nil
	}
	u, err := url.Parse(b)
	if err != nil {
		return fiatdashboard.Invalid("backends", "backend %q is not a URL", b)
	}
	if u.Scheme != "http" {
		return fiatdashboard.Invalid("backends", "backend %q: scheme expected to be http", b)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || ip.IsLoopback() {
		return fiatdashboard.Invalid("backends", "invalid ip address in backend: %s", u.Hostname())
	}
	return nil
}

// GatewayState is a deployed gateway.
type GatewayState struct {
	Name, FQDN, URL string // URL is "https://" + FQDN
	NodeID          uint32
	ContractID      uint64 // the gateway's node contract
	NameContractID  uint64 // the name contract (name gateways only)
	Backends        []string
	TLSPassthrough  bool
}

// K8sNode is one VM of a k3s cluster.
type K8sNode struct {
	Name       string
	NodeID     uint32
	CPU        uint64
	Memory     uint64 // bytes
	DiskSize   uint64 // bytes (root + k3s data)
	PublicIPv4 bool   // control plane only
}

// Resources returns what the node's VM uses.
func (k K8sNode) Resources() Resources {
	return Resources{CRU: k.CPU, MRU: k.Memory, SRU: k.DiskSize}
}

// k8sNamePattern is grid-client's workload name rule
// (workloads/deployment.go validateName: ^[a-zA-Z0-9_]+$, at most 36
// characters, the virtio-fs tag limit of cloud-hypervisor).
var k8sNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_]{1,36}$`)

// k3sTokenPattern is grid-client's cluster token rule (workloads/k8s.go
// ValidateToken: 6 to 15 alphanumeric characters).
var k3sTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9]{6,15}$`)

// Validate returns EINVALID naming the first bad field of k, field being
// where k sits ("master", "workers[2]").
func (k K8sNode) validate(field string) error {
	switch {
	case !k8sNamePattern.MatchString(k.Name):
		return fiatdashboard.Invalid(field+".name", "a cluster node's name is 1 to 36 letters, digits or '_'")
	case k.NodeID == 0:
		return fiatdashboard.Invalid(field+".node_id", "the cluster node needs a node")
	case k.CPU == 0 || k.CPU > 32:
		return fiatdashboard.Invalid(field+".cpu", "a cluster node has 1 to 32 virtual cores")
	case k.Memory < 250<<20:
		return fiatdashboard.Invalid(field+".memory", "a cluster node needs at least 250 MB of memory")
	case k.DiskSize < GB:
		return fiatdashboard.Invalid(field+".disk_size", "a cluster node needs at least 1 GB of disk")
	}
	return nil
}

// ValidateWorkers returns EINVALID unless workers can join a cluster
// whose master is named master: valid nodes, unique names, no public IPv4.
func ValidateWorkers(master string, workers []K8sNode) error {
	names := map[string]bool{master: true}
	for i, w := range workers {
		field := "workers[" + strconv.Itoa(i) + "]"
		if err := w.validate(field); err != nil {
			return err
		}
		if names[w.Name] {
			// grid-client K8sCluster.Validate: "k8s workers and master
			// must have unique names".
			return fiatdashboard.Invalid(field+".name", "cluster nodes need unique names: %s occurs more than once", w.Name)
		}
		names[w.Name] = true
		if w.PublicIPv4 {
			return fiatdashboard.Invalid(field+".public_ipv4", "only the control plane takes a public IPv4")
		}
	}
	return nil
}

// K8sSpec describes a k3s cluster: one master (the control plane) and its
// workers.
type K8sSpec struct {
	Master  K8sNode
	Workers []K8sNode
	Token   string // cluster secret: 6 to 15 letters or digits; never logged
	SSHKeys []string
	Flist   string // the k3s image; default K3sFlist
}

// WithDefaults returns s with the default flist.
func (s K8sSpec) WithDefaults() K8sSpec {
	if s.Flist == "" {
		s.Flist = K3sFlist
	}
	return s
}

// Validate returns EINVALID naming the first bad field of s.
func (s K8sSpec) Validate() error {
	if err := s.Master.validate("master"); err != nil {
		return err
	}
	if err := ValidateWorkers(s.Master.Name, s.Workers); err != nil {
		return err
	}
	if !k3sTokenPattern.MatchString(s.Token) {
		return fiatdashboard.Invalid("token", "the cluster token is 6 to 15 letters or digits")
	}
	if s.Flist != "" {
		return ValidateFlist(s.Flist)
	}
	return nil
}

// K8sState is a deployed cluster: its master and workers as VMs (Role
// Primary for the master, "worker" for the workers).
type K8sState struct {
	Master  VM
	Workers []VM
}

// Worker is the role of a cluster's worker VM.
const Worker VMRole = "worker"

// GatewayURL returns the URL of a name gateway on a node with domain.
func GatewayURL(name, domain string) string {
	return "https://" + strings.ToLower(name) + "." + domain
}
