package tfgrid

import (
	"context"
	"strings"

	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/deployer"
	proxyclient "github.com/threefoldtech/tfgrid-sdk-go/grid-proxy/pkg/client"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// NodeReader reads nodes from a network's grid proxy, which anyone may
// read: it needs no twin, no mnemonic and no funds, so the platform's node
// catalog keeps working while its wallet is empty or unverified
// (grid-client itself refuses to start below 2 TFT free).
type NodeReader struct{ c *Client }

var _ grid.NodeLister = (*NodeReader)(nil)

// NewNodeReader returns a NodeReader on network (main, test, qa or dev).
func NewNodeReader(network string) (*NodeReader, error) {
	if !validNetwork(network) {
		return nil, fiatdashboard.Invalid("network", "the grid network must be one of %s", strings.Join(Networks, ", "))
	}
	urls := deployer.ProxyURLs[network]
	if len(urls) == 0 {
		return nil, fiatdashboard.Invalid("network", "no grid proxy is known for network %s", network)
	}
	proxy := proxyclient.NewRetryingClient(proxyclient.NewClient(urls...))
	return &NodeReader{c: &Client{tf: deployer.TFPluginClient{GridProxyClient: proxy}, network: network, farmTwins: map[uint32]uint32{}}}, nil
}

// ListNodes implements grid.NodeLister.
func (r *NodeReader) ListNodes(ctx context.Context, f grid.NodeFilter) (grid.NodePage, error) {
	return r.c.ListNodes(ctx, f)
}

// Node implements grid.NodeLister.
func (r *NodeReader) Node(ctx context.Context, id uint32) (grid.Node, error) {
	return r.c.Node(ctx, id)
}
