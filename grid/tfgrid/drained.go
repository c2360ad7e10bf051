package tfgrid

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	substrate "github.com/threefoldtech/tfchain/clients/tfchain-client-go"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/calculator"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/deployer"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/graphql"
	client "github.com/threefoldtech/tfgrid-sdk-go/grid-client/node"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/state"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/subi"
	proxy "github.com/threefoldtech/tfgrid-sdk-go/grid-proxy/pkg/client"
	"github.com/threefoldtech/tfgrid-sdk-go/rmb-sdk-go/peer"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// A drained wallet still reads and cancels its contracts.
//
// grid-client v0.16 refuses to act for a wallet with less than 2 TFT free
// (deployer/validation.go validateAccountBalanceForExtrinsics): in
// NewTFPluginClient, so no client starts at all, and in every deployer's
// Deploy and Cancel (DeploymentDeployer.Validate, NetworkDeployer.Cancel).
// The chain itself does not: cancelling is an ordinary extrinsic whose fee
// is a fraction of a TFT, and reading needs no balance. So the adapter
// reads through the client's State (node RMB calls, TFChain, GraphQL) and
// cancels through TFPluginClient.BatchCancelContract, which calls
// SubstrateExt.BatchCancelContract directly, without the 2 TFT check; and
// when NewTFPluginClient refuses to start for want of funds, openDrained
// builds the same client pieces NewTFPluginClient builds, minus the
// balance check (and the KYC check, which only guards deploying), and the
// Client refuses to deploy with ReasonInsufficientFunds.

// Drained reports whether the client was opened for a wallet below the 2
// TFT free grid-client needs: it reads and cancels, and refuses to deploy.
// A caller that caches clients should open a new one once the wallet is
// topped up (billing's treasury keeps a drained one only briefly).
func (c *Client) Drained() bool { return c.drained }

// refuseDrained refuses doing on a drained client.
func (c *Client) refuseDrained(doing string) error {
	if !c.drained {
		return nil
	}
	return grid.Fail(grid.ReasonInsufficientFunds,
		"the wallet holds less than the 2 TFT the grid client needs free to %s; top it up (it can still read and cancel its contracts)", doing)
}

// openDrained opens a read-and-cancel client for cfg's wallet, as
// deployer.NewTFPluginClient would without its balance and KYC checks. The
// deployers are left out: nothing may deploy through this client.
func openDrained(cfg Config) (*Client, error) {
	keyType := cfg.KeyType
	if keyType == "" {
		keyType = peer.KeyTypeSr25519
	}
	var identity substrate.Identity
	var err error
	switch keyType {
	case peer.KeyTypeEd25519:
		identity, err = substrate.NewIdentityFromEd25519Phrase(cfg.Mnemonic)
	case peer.KeyTypeSr25519:
		identity, err = substrate.NewIdentityFromSr25519Phrase(cfg.Mnemonic)
	default:
		err = fmt.Errorf("key type must be %s or %s", peer.KeyTypeEd25519, peer.KeyTypeSr25519)
	}
	if err != nil {
		return nil, fmt.Errorf("the wallet's mnemonic: %w", err)
	}
	keyPair, err := identity.KeyPair()
	if err != nil {
		return nil, fmt.Errorf("the wallet's key pair: %w", err)
	}
	manager := subi.NewManager(deployer.SubstrateURLs[cfg.Network]...)
	sub, err := manager.SubstrateExt()
	if err != nil {
		return nil, fmt.Errorf("could not get substrate client: %w", err)
	}
	twinID, err := sub.GetTwinByPubKey(keyPair.Public())
	if err != nil {
		sub.Close()
		if errors.Is(err, substrate.ErrNotFound) {
			return nil, errors.New("no twin associated with the account with the given mnemonic/seed")
		}
		return nil, fmt.Errorf("failed to get the wallet's twin: %w", err)
	}
	timeout := cfg.RMBTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	rmb, err := peer.NewRpcClient(ctx, cfg.Mnemonic, manager,
		peer.WithRelay(deployer.RelayURLs[cfg.Network]...),
		peer.WithSession(fmt.Sprintf("tf-%d", os.Getpid())), // the SDK's own session name
		peer.WithKeyType(keyType),
		peer.WithTwinCache(10*60*60))
	if err != nil {
		cancel()
		sub.Close()
		return nil, fmt.Errorf("could not create rmb client: %w", err)
	}
	gql, err := graphql.NewGraphQl(deployer.GraphQlURLs[cfg.Network]...)
	if err != nil {
		cancel()
		sub.Close()
		return nil, fmt.Errorf("could not create the graphql client: %w", err)
	}
	nodes := client.NewNodeClientPool(rmb, timeout)
	tf := deployer.TFPluginClient{
		TwinID:          twinID,
		Identity:        identity,
		Network:         cfg.Network,
		RMBTimeout:      timeout,
		GridProxyClient: proxy.NewRetryingClient(proxy.NewClient(deployer.ProxyURLs[cfg.Network]...)),
		RMB:             rmb,
		SubstrateConn:   sub,
		NcPool:          nodes,
		ContractsGetter: graphql.NewContractsGetter(twinID, gql, sub, nodes),
		State:           state.NewState(nodes, sub),
		Calculator:      calculator.NewCalculator(sub, identity),
	}
	return &Client{tf: tf, network: cfg.Network, farmTwins: map[uint32]uint32{}, drained: true,
		close: func() { sub.Close(); cancel() }}, nil
}
