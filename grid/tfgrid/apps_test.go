package tfgrid

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

func TestAppObjectNamesFitTheSDK(t *testing.T) {
	sdkName := regexp.MustCompile(`^[a-zA-Z0-9_]{1,36}$`)
	long := strings.Repeat("a", 64)
	for _, name := range []string{k8sNet("dep-1"), k8sNet(long),
		gatewayDl("dep-1", grid.GatewaySpec{FQDN: "shop.example.com"}), gatewayDl(long, grid.GatewaySpec{FQDN: strings.Repeat("x", 60) + ".example.com"}),
		gatewayDl("dep-1", grid.GatewaySpec{Name: strings.Repeat("n", grid.MaxGatewayName)})} {
		if !sdkName.MatchString(name) {
			t.Errorf("%q is not an SDK name", name)
		}
	}
	if gatewayDl("a", grid.GatewaySpec{FQDN: "Shop.Example.com"}) != gatewayDl("a", grid.GatewaySpec{FQDN: "shop.example.com"}) {
		t.Error("an FQDN gateway's name depends on the domain's case")
	}
	if gatewayDl("a", grid.GatewaySpec{FQDN: "x.example.com"}) == gatewayDl("b", grid.GatewaySpec{FQDN: "x.example.com"}) {
		t.Error("two projects' FQDN gateways share a name")
	}
	if gatewayDl("a", grid.GatewaySpec{Name: "shop"}) != "shop" {
		t.Error("a name gateway's workload is not named after its name contract (LoadGatewayNameFromGrid needs it)")
	}
}

func TestProxyFilterSelectsGatewayNodesByDomain(t *testing.T) {
	pf, local := proxyFilter(grid.NodeFilter{Gateway: true})
	if local || pf.Domain == nil || !*pf.Domain {
		t.Errorf("gateway filter → %+v (local %v); want the proxy's domain filter", pf, local)
	}
	if pf, _ := proxyFilter(grid.NodeFilter{}); pf.Domain != nil {
		t.Error("no gateway filter asked the proxy for domains")
	}
}

func TestK8sDiskLeavesRoomForTheRoot(t *testing.T) {
	for _, tc := range []struct {
		k    grid.K8sNode
		want uint64
	}{
		{grid.K8sNode{CPU: 2, Memory: 4 * grid.GB, DiskSize: 25 * grid.GB}, 23}, // 2 × 4 GB ≥ 8: 2 GB root
		{grid.K8sNode{CPU: 1, Memory: 2 * grid.GB, DiskSize: 10 * grid.GB}, 9},  // 500 MB root
		{grid.K8sNode{CPU: 1, Memory: 2 * grid.GB, DiskSize: grid.GB}, 1},
	} {
		if got := k8sDiskGB(tc.k); got != tc.want {
			t.Errorf("k8sDiskGB(%+v) = %d, want %d", tc.k, got, tc.want)
		}
		if got := k8sDiskGB(tc.k)*grid.GB + k8sRoot(tc.k); tc.want > 1 && got > tc.k.DiskSize {
			t.Errorf("%+v uses %d bytes, more than its %d", tc.k, got, tc.k.DiskSize)
		}
	}
}

func testKey(t *testing.T) string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func TestSSHKeyJoinsEveryClusterAndBadKeysAreRefused(t *testing.T) {
	if _, err := New(Config{Network: "dev", Mnemonic: "x", SSHKey: "not a key"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID ||
		strings.Contains(fiatdashboard.ErrorMessage(err), "not a key") {
		t.Errorf("bad SSH key: %v; want EINVALID without the key's text", err)
	}
	signer, err := parseSSHKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{sshSigner: signer}
	own := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	got := c.clusterSSHKeys([]string{"ssh-ed25519 AAAA tenant", "", "ssh-ed25519 AAAA tenant", own})
	if got != "ssh-ed25519 AAAA tenant\n"+own {
		t.Errorf("cluster SSH_KEY = %q; want the tenant's key once, then the adapter's", got)
	}
	if _, err := (&Client{}).Kubeconfig(t.Context(), "p"); fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
		t.Errorf("kubeconfig without an SSH key: %v; want EUNAVAILABLE before asking the grid", err)
	}
}
