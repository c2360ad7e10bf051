package gridtest

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// DNS is the capability of a Grid whose DNS a test may point at a gateway
// node (the simulator); on the real grid a tenant sets a record at its
// registrar.
type DNS interface {
	PointDNS(fqdn string, nodeID uint32) error
}

// appTests are the cases for apps: gateways, k3s clusters, app images.
var appTests = []struct {
	name string
	run  func(*suite)
}{
	{"GatewayNameIsUniqueAndGivesAURL", (*suite).gatewayName},
	{"GatewayNameFollowsTheChainsRules", (*suite).gatewayRules},
	{"GatewayNeedsAGatewayNodeThatIsUp", (*suite).gatewayNode},
	{"GatewayFQDNNeedsItsDNS", (*suite).gatewayFQDN},
	{"GatewayContractsBeforeTheIndexerAndCancel", (*suite).gatewayCancel},
	{"GatewayPricedAtTheUniqueNamePrice", (*suite).gatewayPrice},
	{"K8sClusterDeploysInOneNetwork", (*suite).k8sCluster},
	{"K8sWorkersAddAndRemove", (*suite).k8sWorkers},
	{"K8sRefusesBadSpecsAndDownNodes", (*suite).k8sRefusals},
	{"AppFlistsDeployAndUnknownOnesAreRefused", (*suite).appFlists},
	{"GPUVMWithAnAppFlistOnARentedNode", (*suite).gpuApp},
}

// gatewayNodes returns up to count up gateway nodes matching the
// fixture's filter.
func (s *suite) gatewayNodes(count int) []grid.Node {
	s.t.Helper()
	f := s.fx.Nodes
	f.Status = []grid.NodeStatus{grid.NodeUp}
	f.Gateway = true
	f.Dedicated = ptr(false)
	f.Page = grid.Page{Size: grid.MaxPageSize}
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		s.t.Fatalf("list gateway nodes: %v", err)
	}
	for _, n := range page.Nodes {
		if n.GatewayDomain == "" {
			s.t.Fatalf("the gateway filter let node %d without a domain through", n.ID)
		}
	}
	if len(page.Nodes) > count {
		return page.Nodes[:count]
	}
	return page.Nodes
}

// gwName returns a gateway name unique to this run and test.
func (s *suite) gwName(suffix string) string {
	name := strings.ToLower(notGatewayName.ReplaceAllString(s.fx.Prefix+"_"+suffix, ""))
	if len(name) > grid.MaxGatewayName {
		name = name[len(name)-grid.MaxGatewayName:]
	}
	return name
}

var notGatewayName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// backendOf returns an http backend reaching the project's first VM over
// Mycelium.
func backendOf(t interface{ Fatalf(string, ...any) }, p grid.Project) string {
	if len(p.VMs) == 0 || p.VMs[0].MyceliumIP == "" {
		t.Fatalf("project %s has no VM with a Mycelium address", p.Name)
	}
	return "http://" + net.JoinHostPort(p.VMs[0].MyceliumIP, "80")
}

// gateway deploys a gateway in project and cancels the project when the
// test ends.
func (s *suite) gateway(project string, spec grid.GatewaySpec) grid.Project {
	s.t.Helper()
	p, err := s.g.DeployGateway(s.ctx(), project, spec)
	if err != nil {
		s.t.Fatalf("deploy gateway %s: %v", spec.Key(), err)
	}
	s.t.Cleanup(func() {
		err := s.g.CancelProject(context.Background(), project)
		if err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			s.t.Errorf("cancel %s: %v", project, err)
		}
	})
	return p
}

func contractOf(p grid.Project, id uint64) (grid.Contract, bool) {
	i := slices.IndexFunc(p.Contracts, func(c grid.Contract) bool { return c.ID == id })
	if i < 0 {
		return grid.Contract{}, false
	}
	return p.Contracts[i], true
}

// gatewayName: a name gateway in a VM's project answers at
// https://<name>.<domain>, holds a name contract and a node contract on
// the gateway node, is idempotent, and its name is unique chain-wide
// until the project is cancelled.
func (s *suite) gatewayName() {
	t := s.t
	gws := s.gatewayNodes(2)
	nodes := s.nodes(vmNeed, 1, nil)
	if len(gws) == 0 || len(nodes) == 0 {
		t.Skip("no up gateway node, or no node for the VM")
	}
	gw := gws[0]
	name := s.project("gw")
	vmp := s.deploy(name, s.vm("web", nodes[0].ID))
	spec := grid.GatewaySpec{NodeID: gw.ID, Name: s.gwName("web"), Backends: []string{backendOf(t, vmp)}}
	p := s.gateway(name, spec)
	if len(p.Gateways) != 1 {
		t.Fatalf("project has gateways %+v, want one", p.Gateways)
	}
	g := p.Gateways[0]
	if g.Name != spec.Name || g.FQDN != spec.Name+"."+gw.GatewayDomain || g.URL != "https://"+g.FQDN || g.NodeID != gw.ID {
		t.Errorf("gateway %+v, want %s.%s at https://", g, spec.Name, gw.GatewayDomain)
	}
	nc, ok := contractOf(p, g.NameContractID)
	if !ok || nc.Kind != grid.NameContract || nc.Name != spec.Name || nc.NodeID != 0 {
		t.Errorf("name contract %d: %+v (listed %v); want a name contract for %s", g.NameContractID, nc, ok, spec.Name)
	}
	node, ok := contractOf(p, g.ContractID)
	if !ok || node.Kind != grid.NodeContract || node.NodeID != gw.ID {
		t.Errorf("gateway contract %d: %+v (listed %v); want a node contract on node %d", g.ContractID, node, ok, gw.ID)
	}
	if vm, ok := p.VM("web"); !ok || !slices.Contains(p.ContractIDs(), vm.ContractID) {
		t.Errorf("the VM left the project when its gateway came: %+v", p.VMs)
	}
	again, err := s.g.DeployGateway(s.ctx(), name, spec)
	if err != nil || !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("re-deploy of the gateway: %v, contracts %v; want the same %v", err, again.ContractIDs(), p.ContractIDs())
	}
	other := spec
	other.TLSPassthrough, other.Backends = true, []string{net.JoinHostPort(vmp.VMs[0].MyceliumIP, "443")}
	_, err = s.g.DeployGateway(s.ctx(), name, other)
	wantCode(t, err, fiatdashboard.ECONFLICT, "the same gateway with another spec")

	// The name is the chain's, not the project's nor the node's: another
	// gateway node refuses it too.
	taken := s.project("gw-taken")
	elsewhere := spec
	if len(gws) > 1 {
		elsewhere.NodeID = gws[1].ID
	}
	_, err = s.g.DeployGateway(s.ctx(), taken, elsewhere)
	wantCode(t, err, fiatdashboard.ECONFLICT, "a gateway name another project holds")
	if _, err := s.g.Project(s.ctx(), taken); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a refused gateway left project %s: %v", taken, err)
	}

	if err := s.g.CancelProject(s.ctx(), name); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.Project(s.ctx(), name, p.ContractIDs()...)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "the project after its cancel (VM, gateway and name)")
	// Cancelled, the name is free again.
	s.gateway(taken, elsewhere)
}

// gatewayRules: tfchain's name rules and ZOS's backend rules.
func (s *suite) gatewayRules() {
	t := s.t
	gws := s.gatewayNodes(1)
	if len(gws) == 0 {
		t.Skip("no up gateway node")
	}
	ok := grid.GatewaySpec{NodeID: gws[0].ID, Name: s.gwName("rules"), Backends: []string{"http://185.69.166.10:8080"}}
	for what, mutate := range map[string]func(*grid.GatewaySpec){
		"a name of 2 characters":   func(g *grid.GatewaySpec) { g.Name = "ab" },
		"a name of 37 characters":  func(g *grid.GatewaySpec) { g.Name = strings.Repeat("a", 37) },
		"a name with a dash":       func(g *grid.GatewaySpec) { g.Name = "shop-one" },
		"an uppercase name":        func(g *grid.GatewaySpec) { g.Name = "Shop" },
		"a name with a dot":        func(g *grid.GatewaySpec) { g.Name = "shop.one" },
		"a name and an FQDN":       func(g *grid.GatewaySpec) { g.FQDN = "shop.example.com" },
		"neither name nor FQDN":    func(g *grid.GatewaySpec) { g.Name = "" },
		"two backends":             func(g *grid.GatewaySpec) { g.Backends = append(g.Backends, "http://185.69.166.11:80") },
		"no backend":               func(g *grid.GatewaySpec) { g.Backends = nil },
		"an https backend":         func(g *grid.GatewaySpec) { g.Backends = []string{"https://185.69.166.10"} },
		"a host name backend":      func(g *grid.GatewaySpec) { g.Backends = []string{"http://example.com"} },
		"a loopback backend":       func(g *grid.GatewaySpec) { g.Backends = []string{"http://127.0.0.1:80"} },
		"a URL with passthrough":   func(g *grid.GatewaySpec) { g.TLSPassthrough = true },
		"no node":                  func(g *grid.GatewaySpec) { g.NodeID = 0 },
		"an FQDN without a domain": func(g *grid.GatewaySpec) { g.Name, g.FQDN = "", "localhost" },
	} {
		spec := ok
		spec.Backends = slices.Clone(ok.Backends)
		mutate(&spec)
		_, err := s.g.DeployGateway(s.ctx(), s.project("gw-rules"), spec)
		wantCode(t, err, fiatdashboard.EINVALID, what)
	}
	_, err := s.g.Project(s.ctx(), s.project("gw-rules"))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "the project after refused gateways")
	// The boundaries of tfchain's rule are accepted.
	for _, name := range []string{"abc", strings.Repeat("z", 36), "a_b_c9"} {
		if err := grid.ValidateGatewayName(name); err != nil {
			t.Errorf("ValidateGatewayName(%q): %v", name, err)
		}
	}
	pass := grid.GatewaySpec{NodeID: 1, Name: "abc", TLSPassthrough: true, Backends: []string{"[2a10::1]:443"}}
	if err := pass.Validate(); err != nil {
		t.Errorf("a passthrough backend ip:port: %v", err)
	}
}

// gatewayNode: a node without a domain takes no gateway; a down gateway
// node refuses it, and no name contract stays behind.
func (s *suite) gatewayNode() {
	t := s.t
	f := s.fx.Nodes
	f.Status, f.Page = []grid.NodeStatus{grid.NodeUp}, grid.Page{Size: 100}
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		t.Fatal(err)
	}
	plain := slices.IndexFunc(page.Nodes, func(n grid.Node) bool { return n.GatewayDomain == "" })
	if plain < 0 {
		t.Skip("every listed node is a gateway")
	}
	name := s.gwName("nodomain")
	_, err = s.g.DeployGateway(s.ctx(), s.project("gw-plain"), grid.GatewaySpec{NodeID: page.Nodes[plain].ID, Name: name, Backends: []string{"http://185.69.166.10:80"}})
	wantCode(t, err, fiatdashboard.EINVALID, "a gateway on a node without a domain")
	_, err = s.g.DeployGateway(s.ctx(), s.project("gw-none"), grid.GatewaySpec{NodeID: 4_000_000_000, Name: name, Backends: []string{"http://185.69.166.10:80"}})
	wantCode(t, err, fiatdashboard.ENOTFOUND, "a gateway on an unknown node")

	power, ok := s.g.(NodePower)
	if !ok {
		return
	}
	gws := s.gatewayNodes(1)
	if len(gws) == 0 {
		t.Skip("no up gateway node")
	}
	if err := power.SetNodeStatus(gws[0].ID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	spec := grid.GatewaySpec{NodeID: gws[0].ID, Name: name, Backends: []string{"http://185.69.166.10:80"}}
	_, err = s.g.DeployGateway(s.ctx(), s.project("gw-down"), spec)
	if grid.FailureReason(err) != grid.ReasonNodeDown {
		t.Errorf("a gateway on a down node: %v; want a node_down refusal", err)
	}
	if err := power.SetNodeStatus(gws[0].ID, grid.NodeUp); err != nil {
		t.Fatal(err)
	}
	// The refused deploy kept no name contract: the name is free.
	s.gateway(s.project("gw-up"), spec)
}

// gatewayFQDN: an FQDN gateway needs the domain to point at the gateway,
// never under the gateway's own domain, and holds no name contract.
func (s *suite) gatewayFQDN() {
	t := s.t
	dns, ok := s.g.(DNS)
	if !ok {
		t.Skip("this grid's DNS cannot be set by a test")
	}
	gws := s.gatewayNodes(2)
	if len(gws) == 0 {
		t.Skip("no up gateway node")
	}
	gw := gws[0]
	fqdn := s.gwName("shop") + ".example.com"
	spec := grid.GatewaySpec{NodeID: gw.ID, FQDN: fqdn, Backends: []string{"http://185.69.166.10:80"}}
	_, err := s.g.DeployGateway(s.ctx(), s.project("fqdn"), spec)
	wantCode(t, err, fiatdashboard.EINVALID, "an FQDN whose DNS does not point at the gateway")
	if len(gws) > 1 {
		if err := dns.PointDNS(fqdn, gws[1].ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.g.DeployGateway(s.ctx(), s.project("fqdn"), spec)
		wantCode(t, err, fiatdashboard.EINVALID, "an FQDN pointing at another gateway")
	}
	under := spec
	under.FQDN = "shop." + gw.GatewayDomain
	_ = dns.PointDNS(under.FQDN, gw.ID)
	_, err = s.g.DeployGateway(s.ctx(), s.project("fqdn"), under)
	wantCode(t, err, fiatdashboard.EINVALID, "an FQDN under the gateway's own domain")

	if err := dns.PointDNS(fqdn, gw.ID); err != nil {
		t.Fatal(err)
	}
	p := s.gateway(s.project("fqdn"), spec)
	if len(p.Gateways) != 1 || p.Gateways[0].URL != "https://"+fqdn || p.Gateways[0].NameContractID != 0 || p.Gateways[0].Name != "" {
		t.Fatalf("FQDN gateway %+v, want https://%s without a name contract", p.Gateways, fqdn)
	}
	for _, c := range p.Contracts {
		if c.Kind == grid.NameContract {
			t.Errorf("an FQDN gateway holds name contract %+v", c)
		}
	}
	// One node serves a domain once.
	_, err = s.g.DeployGateway(s.ctx(), s.project("fqdn-again"), spec)
	wantCode(t, err, fiatdashboard.ECONFLICT, "a domain the gateway serves already")

	// A wildcard record answers any single label under it (a storefront's
	// apps domain), not the domain itself nor two labels down.
	apps := s.gwName("apps") + ".example.org"
	if err := dns.PointDNS("*."+apps, gw.ID); err != nil {
		t.Fatal(err)
	}
	wild := spec
	wild.FQDN = "cloud." + apps
	if p := s.gateway(s.project("fqdn-wild"), wild); len(p.Gateways) != 1 || p.Gateways[0].URL != "https://"+wild.FQDN {
		t.Fatalf("wildcard FQDN gateway %+v", p.Gateways)
	}
	for _, fq := range []string{apps, "a.b." + apps} {
		off := spec
		off.FQDN = fq
		_, err = s.g.DeployGateway(s.ctx(), s.project("fqdn-off"), off)
		wantCode(t, err, fiatdashboard.EINVALID, fq+" is not covered by *."+apps)
	}
	if c, ok := s.g.(grid.DNSChecker); ok {
		if err := c.CheckDNS(s.ctx(), "x."+apps, gw.ID); err != nil {
			t.Errorf("CheckDNS under the wildcard = %v", err)
		}
		wantCode(t, c.CheckDNS(s.ctx(), "x.nowhere.example.org", gw.ID), fiatdashboard.EINVALID, "CheckDNS of an unpointed domain")
	}
}

// gatewayCancel: the contracts DeployGateway returns are read and
// cancelled before the indexers list them; CancelContracts frees the name.
func (s *suite) gatewayCancel() {
	t := s.t
	if l, ok := s.g.(IndexerLag); ok {
		l.SetIndexerLag(time.Minute)
	}
	gws := s.gatewayNodes(1)
	if len(gws) == 0 {
		t.Skip("no up gateway node")
	}
	name := s.project("gw-lag")
	spec := grid.GatewaySpec{NodeID: gws[0].ID, Name: s.gwName("lag"), Backends: []string{"http://185.69.166.10:80"}}
	p := s.gateway(name, spec)
	if len(p.Contracts) != 2 || len(p.Gateways) != 1 {
		t.Fatalf("DeployGateway returned %+v; want the name and node contracts at once", p)
	}
	if _, ok := s.g.(IndexerLag); ok {
		_, err := s.g.Project(s.ctx(), name)
		wantCode(t, err, fiatdashboard.ENOTFOUND, "a listing by name inside the indexer lag")
	}
	got, err := s.g.Project(s.ctx(), name, p.ContractIDs()...)
	if err != nil || !slices.Equal(got.ContractIDs(), p.ContractIDs()) || len(got.Gateways) != 1 {
		t.Fatalf("Project by the returned ids: %v, %+v", err, got)
	}
	if err := s.g.CancelProject(s.ctx(), name, p.ContractIDs()...); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.Project(s.ctx(), name, p.ContractIDs()...)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "the gateway after cancelling its known contracts")
	// The name is free again, and CancelContracts of exactly a gateway's
	// contracts ends it.
	p = s.gateway(name, spec)
	if err := s.g.CancelContracts(s.ctx(), p.ContractIDs()); err != nil {
		t.Fatal(err)
	}
	p = s.gateway(s.project("gw-lag2"), spec)
	if len(p.Gateways) != 1 {
		t.Errorf("the name was not free after CancelContracts: %+v", p)
	}
}

// gatewayPrice: a name contract bills the policy's unique-name price
// (with the twin's staking discount), the gateway's node contract
// nothing; Quote prices it as Workload{NameContracts: 1}.
func (s *suite) gatewayPrice() {
	t := s.t
	gws := s.gatewayNodes(1)
	if len(gws) == 0 {
		t.Skip("no up gateway node")
	}
	p := s.gateway(s.project("gw-price"), grid.GatewaySpec{NodeID: gws[0].ID, Name: s.gwName("price"), Backends: []string{"http://185.69.166.10:80"}})
	q, err := s.g.Quote(s.ctx(), grid.Workload{NameContracts: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := grid.NameContractQuote(q.Policy, q.TFTPrice, q.Balance)
	if err != nil {
		t.Fatal(err)
	}
	if q.TFTHour != want || q.ListUSDHour.Cmp(grid.USDPerHour(q.Policy.UniqueName)) != 0 {
		t.Errorf("a name contract quotes %s TFT (list %s USD) an hour; want %s TFT, %s USD", q.TFTHour, q.ListUSDHour.FloatString(7),
			want, grid.USDPerHour(q.Policy.UniqueName).FloatString(7))
	}
	for _, c := range p.Contracts {
		switch c.Kind {
		case grid.NameContract:
			if c.HourlyCost != q.TFTHour {
				t.Errorf("the name contract bills %s an hour; Quote says %s", c.HourlyCost, q.TFTHour)
			}
		case grid.NodeContract:
			if c.HourlyCost != 0 || c.Resources != (grid.Resources{}) {
				t.Errorf("the gateway's node contract holds %+v and bills %s; want nothing", c.Resources, c.HourlyCost)
			}
		}
	}
}

func (s *suite) k8sNode(name string, node uint32) grid.K8sNode {
	return grid.K8sNode{Name: name, NodeID: node, CPU: 1, Memory: 2 * grid.GB, DiskSize: 10 * grid.GB}
}

var k8sNeed = grid.Resources{CRU: 1, MRU: 2 * grid.GB, SRU: 10 * grid.GB}

// k8sSpec returns a cluster with a master on master and a worker on each
// of workers.
func (s *suite) k8sSpec(master uint32, workers ...uint32) grid.K8sSpec {
	spec := grid.K8sSpec{Master: s.k8sNode("master", master), Token: "gridtest123",
		SSHKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGridTestKeyOnly gridtest"}}
	for i, n := range workers {
		spec.Workers = append(spec.Workers, s.k8sNode(fmt.Sprintf("worker%d", i+1), n))
	}
	return spec
}

// cluster deploys a cluster as project and cancels it when the test ends.
func (s *suite) cluster(project string, spec grid.K8sSpec) grid.Project {
	s.t.Helper()
	p, err := s.g.DeployKubernetes(s.ctx(), project, spec)
	if err != nil {
		s.t.Fatalf("deploy cluster %s: %v", project, err)
	}
	s.t.Cleanup(func() {
		err := s.g.CancelProject(context.Background(), project)
		if err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			s.t.Errorf("cancel %s: %v", project, err)
		}
	})
	return p
}

// sameNetwork reports whether the private IPs share the cluster network's
// /16 (grid-client gives each node a /24 of one network).
func sameNetwork(ips ...string) bool {
	var prefix string
	for _, ip := range ips {
		parsed := net.ParseIP(strings.SplitN(ip, "/", 2)[0]).To4()
		if parsed == nil {
			return false
		}
		p := fmt.Sprintf("%d.%d", parsed[0], parsed[1])
		if prefix != "" && p != prefix {
			return false
		}
		prefix = p
	}
	return true
}

// k8sCluster: master and worker on two nodes in one network, a network
// and a deployment contract on each node, the master's public IPv4, the
// kubeconfig, idempotency and cancel.
func (s *suite) k8sCluster() {
	t := s.t
	masters := s.nodes(k8sNeed, 1, func(f *grid.NodeFilter) { f.PublicIPv4 = true })
	if len(masters) == 0 {
		t.Skip("no up node with a free public IPv4")
	}
	others := s.nodes(k8sNeed, 1, func(f *grid.NodeFilter) { f.ExcludeNode = []uint32{masters[0].ID} })
	if len(others) == 0 {
		t.Skip("no second node")
	}
	name := s.project("k8s")
	spec := s.k8sSpec(masters[0].ID, others[0].ID)
	spec.Master.PublicIPv4 = true
	p := s.cluster(name, spec)
	if p.K8s == nil {
		t.Fatalf("project %+v holds no cluster", p)
	}
	m, ws := p.K8s.Master, p.K8s.Workers
	if m.Name != "master" || m.Role != grid.Primary || m.NodeID != masters[0].ID || m.PublicIPv4 == "" || m.Health != grid.Healthy {
		t.Errorf("master %+v, want a healthy primary with a public IPv4 on node %d", m, masters[0].ID)
	}
	if len(ws) != 1 || ws[0].Name != "worker1" || ws[0].Role != grid.Worker || ws[0].NodeID != others[0].ID {
		t.Fatalf("workers %+v, want worker1 on node %d", ws, others[0].ID)
	}
	if !sameNetwork(m.PrivateIP, ws[0].PrivateIP) || m.PrivateIP == ws[0].PrivateIP {
		t.Errorf("master %s and worker %s are not in one network", m.PrivateIP, ws[0].PrivateIP)
	}
	perNode := map[uint32]int{}
	for _, c := range p.Contracts {
		if c.Kind != grid.NodeContract {
			t.Errorf("a cluster holds a %s contract", c.Kind)
		}
		perNode[c.NodeID]++
	}
	if perNode[masters[0].ID] != 2 || perNode[others[0].ID] != 2 {
		t.Errorf("contracts per node %v; want a network and a deployment on each of the two nodes", perNode)
	}
	mc, _ := contractOf(p, m.ContractID)
	if !slices.Contains(mc.PublicIPs, m.PublicIPv4) || mc.Resources != spec.Master.Resources() {
		t.Errorf("the master's contract %+v does not hold its IPv4 %s and resources %+v", mc, m.PublicIPv4, spec.Master.Resources())
	}
	again, err := s.g.DeployKubernetes(s.ctx(), name, spec)
	if err != nil || !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("re-deploy: %v, contracts %v, want the same %v", err, again.ContractIDs(), p.ContractIDs())
	}
	bigger := spec
	bigger.Master.CPU = 2
	_, err = s.g.DeployKubernetes(s.ctx(), name, bigger)
	wantCode(t, err, fiatdashboard.ECONFLICT, "re-deploy with another master")
	_, err = s.g.DeployVM(s.ctx(), name, s.vm("web", others[0].ID))
	wantCode(t, err, fiatdashboard.ECONFLICT, "a VM in a cluster's project")

	kc, err := s.kubeconfig(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"apiVersion: v1", "kind: Config", "server: https://", ":6443", "client-key-data:"} {
		if !strings.Contains(kc, want) {
			t.Errorf("kubeconfig lacks %q", want)
		}
	}
	if !strings.Contains(kc, strings.SplitN(m.PublicIPv4, "/", 2)[0]) {
		t.Errorf("kubeconfig does not point at the master's public IPv4 %s", m.PublicIPv4)
	}
	if strings.Contains(kc, spec.Token) {
		t.Error("the kubeconfig holds the cluster token")
	}

	// A gateway in the cluster's project goes with it.
	if gws := s.gatewayNodes(1); len(gws) > 0 {
		gp, err := s.g.DeployGateway(s.ctx(), name, grid.GatewaySpec{NodeID: gws[0].ID, Name: s.gwName("k8s"),
			Backends: []string{"http://" + net.JoinHostPort(m.MyceliumIP, "80")}})
		if err != nil {
			t.Fatal(err)
		}
		p = gp
		if p.K8s == nil || len(p.Gateways) != 1 {
			t.Errorf("cluster project with a gateway: %+v", p)
		}
	}
	if err := s.g.CancelProject(s.ctx(), name); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.Project(s.ctx(), name, p.ContractIDs()...)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "the cluster after its cancel")
	_, err = s.g.Kubeconfig(s.ctx(), name)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "the kubeconfig of a cancelled cluster")
	if n, err := s.g.Node(s.ctx(), masters[0].ID); err == nil && n.PublicIPv4 < masters[0].PublicIPv4 {
		t.Errorf("farm of node %d has %d free IPv4 after the cancel, had %d", n.ID, n.PublicIPv4, masters[0].PublicIPv4)
	}
}

// kubeconfig fetches the project's kubeconfig, waiting while the cluster
// comes up (a real k3s writes it once its server started; the adapter
// answers ReasonTimeout until then).
func (s *suite) kubeconfig(project string) (string, error) {
	ctx := s.ctx()
	for {
		kc, err := s.g.Kubeconfig(ctx, project)
		if grid.FailureReason(err) != grid.ReasonTimeout || ctx.Err() != nil {
			return kc, err
		}
		select {
		case <-ctx.Done():
			return kc, err
		case <-time.After(15 * time.Second):
		}
	}
}

// k8sWorkers: workers are added on new or existing nodes and removed,
// the master stays untouched, a kept worker keeps its spec.
func (s *suite) k8sWorkers() {
	t := s.t
	nodes := s.nodes(grid.Resources{CRU: 2, MRU: 4 * grid.GB, SRU: 20 * grid.GB}, 3, nil)
	if len(nodes) < 3 {
		t.Skip("no three up nodes")
	}
	name := s.project("k8s-workers")
	spec := s.k8sSpec(nodes[0].ID, nodes[1].ID)
	p := s.cluster(name, spec)
	master := p.K8s.Master
	masterContracts := []uint64{}
	for _, c := range p.Contracts {
		if c.NodeID == nodes[0].ID {
			masterContracts = append(masterContracts, c.ID)
		}
	}
	w1 := spec.Workers[0]
	w2 := s.k8sNode("worker2", nodes[2].ID)
	w3 := s.k8sNode("worker3", nodes[1].ID) // beside worker1: its node's deployment grows
	p, err := s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{w1, w2, w3})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.K8s.Workers) != 3 || !reflect.DeepEqual(p.K8s.Master, master) {
		t.Fatalf("after adding: master %+v (was %+v), workers %+v", p.K8s.Master, master, p.K8s.Workers)
	}
	ips := []string{master.PrivateIP}
	byName := map[string]grid.VM{}
	for _, w := range p.K8s.Workers {
		ips = append(ips, w.PrivateIP)
		byName[w.Name] = w
	}
	if !sameNetwork(ips...) {
		t.Errorf("added workers left the cluster network: %v", ips)
	}
	if byName["worker3"].ContractID != byName["worker1"].ContractID {
		t.Errorf("worker3 on worker1's node got contract %d, not the node's deployment %d", byName["worker3"].ContractID, byName["worker1"].ContractID)
	}
	if c, _ := contractOf(p, byName["worker1"].ContractID); c.Resources != w1.Resources().Add(w3.Resources()) {
		t.Errorf("node %d's deployment holds %+v, want worker1 and worker3", nodes[1].ID, c.Resources)
	}
	for _, id := range masterContracts {
		if _, ok := contractOf(p, id); !ok {
			t.Errorf("master contract %d is gone after adding workers", id)
		}
	}
	again, err := s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{w1, w2, w3})
	if err != nil || !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("setting the same workers: %v, contracts %v, want %v", err, again.ContractIDs(), p.ContractIDs())
	}
	changed := w2
	changed.CPU = 2
	_, err = s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{w1, changed, w3})
	wantCode(t, err, fiatdashboard.ECONFLICT, "a kept worker with another spec")
	clash := w2
	clash.Name = "master"
	_, err = s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{w1, clash})
	wantCode(t, err, fiatdashboard.EINVALID, "a worker named like the master")

	// Removing worker2 cancels its node's network and deployment; removing
	// worker1 shrinks its node's deployment to worker3.
	p, err = s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{w3})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.K8s.Workers) != 1 || p.K8s.Workers[0].Name != "worker3" {
		t.Fatalf("after removing: workers %+v", p.K8s.Workers)
	}
	for _, c := range p.Contracts {
		if c.NodeID == nodes[2].ID {
			t.Errorf("contract %d stays on node %d after its only worker left", c.ID, nodes[2].ID)
		}
		if c.ID == p.K8s.Workers[0].ContractID && c.Resources != w3.Resources() {
			t.Errorf("worker3's deployment holds %+v, want %+v", c.Resources, w3.Resources())
		}
	}
	if n, err := s.g.Node(s.ctx(), nodes[2].ID); err == nil && n.Used != nodes[2].Used {
		t.Errorf("node %d uses %+v after its worker left, want %+v", n.ID, n.Used, nodes[2].Used)
	}
	p, err = s.g.SetK8sWorkers(s.ctx(), name, nil)
	if err != nil || len(p.K8s.Workers) != 0 || p.K8s.Master.Name != "master" {
		t.Fatalf("removing every worker: %v, %+v", err, p.K8s)
	}
	_, err = s.g.SetK8sWorkers(s.ctx(), s.project("k8s-none"), []grid.K8sNode{w1})
	wantCode(t, err, fiatdashboard.ENOTFOUND, "workers for a project without a cluster")
}

// k8sRefusals: grid-client's cluster rules, a down node, an unknown flist.
func (s *suite) k8sRefusals() {
	t := s.t
	nodes := s.nodes(k8sNeed, 2, nil)
	if len(nodes) < 2 {
		t.Skip("no two up nodes")
	}
	name := s.project("k8s-bad")
	for what, mutate := range map[string]func(*grid.K8sSpec){
		"a short token":            func(k *grid.K8sSpec) { k.Token = "abc12" },
		"a long token":             func(k *grid.K8sSpec) { k.Token = "abcdefghij123456" },
		"a token with a dash":      func(k *grid.K8sSpec) { k.Token = "abc-def-123" },
		"a name with a dash":       func(k *grid.K8sSpec) { k.Workers[0].Name = "worker-1" },
		"two nodes of one name":    func(k *grid.K8sSpec) { k.Workers[0].Name = "master" },
		"a master without cores":   func(k *grid.K8sSpec) { k.Master.CPU = 0 },
		"a worker without disk":    func(k *grid.K8sSpec) { k.Workers[0].DiskSize = 0 },
		"a worker with IPv4":       func(k *grid.K8sSpec) { k.Workers[0].PublicIPv4 = true },
		"an flist of no extension": func(k *grid.K8sSpec) { k.Flist = "https://hub.grid.tf/tf-official-apps/k3s" },
		"an unknown flist":         func(k *grid.K8sSpec) { k.Flist = "https://hub.grid.tf/gridtest/no-such-k3s.flist" },
	} {
		spec := s.k8sSpec(nodes[0].ID, nodes[1].ID)
		mutate(&spec)
		_, err := s.g.DeployKubernetes(s.ctx(), name, spec)
		wantCode(t, err, fiatdashboard.EINVALID, what)
		if _, err := s.g.Project(s.ctx(), name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			t.Errorf("a refused cluster (%s) left project %s: %v", what, name, err)
		}
	}
	_, err := s.g.DeployKubernetes(s.ctx(), name, s.k8sSpec(nodes[0].ID, 4_000_000_000))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "a worker on an unknown node")

	power, ok := s.g.(NodePower)
	if !ok {
		return
	}
	if err := power.SetNodeStatus(nodes[1].ID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.DeployKubernetes(s.ctx(), name, s.k8sSpec(nodes[0].ID, nodes[1].ID))
	if grid.FailureReason(err) != grid.ReasonNodeDown {
		t.Errorf("a cluster with a worker on a down node: %v; want node_down", err)
	}
	if _, err := s.g.Project(s.ctx(), name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a refused cluster left project %s: %v", name, err)
	}
	_ = power.SetNodeStatus(nodes[1].ID, grid.NodeUp)
	p := s.cluster(name, s.k8sSpec(nodes[0].ID))
	_, err = s.g.SetK8sWorkers(s.ctx(), name, []grid.K8sNode{s.k8sNode("worker1", nodes[1].ID)})
	if err != nil {
		t.Fatal(err)
	}
	// The master's node going down: the cluster is down, its kubeconfig
	// cannot be fetched; a worker's node down degrades it.
	_ = power.SetNodeStatus(nodes[1].ID, grid.NodeDown)
	if got, err := s.g.Project(s.ctx(), name, p.ContractIDs()...); err != nil || got.Health != grid.Degraded {
		t.Errorf("a cluster with a worker down: %v, %s; want degraded", err, got.Health)
	}
	_ = power.SetNodeStatus(nodes[1].ID, grid.NodeUp)
	_ = power.SetNodeStatus(nodes[0].ID, grid.NodeDown)
	if got, err := s.g.Project(s.ctx(), name, p.ContractIDs()...); err != nil || got.Health != grid.Down || got.K8s.Master.Health != grid.Down {
		t.Errorf("a cluster with its master down: %v, %+v; want down", err, got.K8s)
	}
	if _, err := s.g.Kubeconfig(s.ctx(), name); grid.FailureReason(err) != grid.ReasonNodeDown {
		t.Errorf("the kubeconfig of a cluster whose master is down: %v; want node_down", err)
	}
	_ = power.SetNodeStatus(nodes[0].ID, grid.NodeUp)
}

// appFlists: the app images deploy; an flist the hub does not serve is
// refused before any contract exists.
func (s *suite) appFlists() {
	t := s.t
	for _, f := range []string{grid.K3sFlist, grid.NextcloudFlist, grid.OpenWebUIFlist, grid.LiveKitFlist} {
		if err := grid.ValidateFlist(f); err != nil {
			t.Errorf("app flist %s: %v", f, err)
		}
	}
	nodes := s.nodes(grid.Resources{CRU: 2, MRU: 4 * grid.GB, SRU: 80 * grid.GB}, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a Nextcloud VM")
	}
	for what, flist := range map[string]string{
		"an flist the hub does not serve": "https://hub.grid.tf/gridtest/no-such-image.flist",
		"a URL that is no flist":          "https://hub.grid.tf/tf-official-apps/nextcloud.tar.gz",
	} {
		spec := s.vm("web", nodes[0].ID)
		spec.Flist = flist
		name := s.project("flist-bad")
		_, err := s.g.DeployVM(s.ctx(), name, spec)
		wantCode(t, err, fiatdashboard.EINVALID, what)
		if _, err := s.g.Project(s.ctx(), name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			t.Errorf("a refused flist (%s) left project %s: %v", what, name, err)
		}
	}
	// Nextcloud as the TF dashboard deploys it: a data disk at /mnt/data.
	spec := s.vm("nextcloud", nodes[0].ID)
	spec.Flist, spec.Entrypoint = grid.NextcloudFlist, "/sbin/zinit init"
	spec.CPU, spec.Memory, spec.RootFS = 2, 4*grid.GB, 15*grid.GB
	spec.Disks = []grid.Disk{{Name: "data", Size: 50 * grid.GB, MountPoint: "/mnt/data"}}
	spec.Env = map[string]string{"NEXTCLOUD_DOMAIN": "nc.example.com", "GATEWAY": "true", "IPV4": "false"}
	p := s.deploy(s.project("nextcloud"), spec)
	vm, ok := p.VM("nextcloud")
	c, _ := contractOf(p, vm.ContractID)
	if !ok || c.Resources.SRU != 65*grid.GB {
		t.Errorf("Nextcloud VM %+v holds %+v; want its 15 GB root and 50 GB data disk", vm, c.Resources)
	}
}

// gpuApp: Open WebUI on a rented GPU node, the GPU attached, behind a
// gateway name.
func (s *suite) gpuApp() {
	t := s.t
	f := s.fx.Nodes
	f.Status, f.GPU, f.Rentable = []grid.NodeStatus{grid.NodeUp}, true, true
	f.MinFree = grid.Resources{CRU: 4, MRU: 16 * grid.GB, SRU: 60 * grid.GB}
	f.Page = grid.Page{Size: 10}
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Nodes) == 0 {
		t.Skip("no rentable up node with a GPU")
	}
	n := page.Nodes[0]
	spec := s.vm("openwebui", n.ID)
	spec.Flist, spec.CPU, spec.Memory, spec.RootFS = grid.OpenWebUIFlist, 4, 16*grid.GB, 50*grid.GB
	spec.GPUs, spec.Rent = []string{n.GPUs[0].ID}, true
	name := s.project("openwebui")
	p := s.deploy(name, spec)
	vm, _ := p.VM("openwebui")
	if !slices.Equal(vm.GPUs, spec.GPUs) || vm.Health != grid.Healthy {
		t.Errorf("Open WebUI VM %+v, want GPU %v attached", vm, spec.GPUs)
	}
	kinds := map[grid.ContractKind]int{}
	for _, c := range p.Contracts {
		kinds[c.Kind]++
	}
	if kinds[grid.RentContract] != 1 {
		t.Errorf("contracts %+v; want one rent", p.Contracts)
	}
	unknown := spec
	unknown.Name, unknown.Flist = "other", "https://hub.grid.tf/gridtest/no-such-openwebui.flist"
	_, err = s.g.DeployVM(s.ctx(), s.project("openwebui-bad"), unknown)
	wantCode(t, err, fiatdashboard.EINVALID, "a GPU VM with an flist the hub does not serve")

	gws := s.gatewayNodes(1)
	if len(gws) == 0 {
		return
	}
	p, err = s.g.DeployGateway(s.ctx(), name, grid.GatewaySpec{NodeID: gws[0].ID, Name: s.gwName("ai"), Backends: []string{backendOf(t, p)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Contracts {
		kinds[c.Kind]++
	}
	if len(p.Gateways) != 1 || kinds[grid.NameContract] != 1 || len(p.VMs) != 1 {
		t.Errorf("Open WebUI with its gateway: %+v", p)
	}
}
