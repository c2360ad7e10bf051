// Package tfchainbridge is the TFChain side of the TFChain–Stellar bridge
// (exchange.Bridge on a real network, through tfchain-client-go), and the
// table of which Stellar network, TFT issuer, bridge vault and TFChain each
// grid network uses.
package tfchainbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"

	substrate "github.com/threefoldtech/tfchain/clients/tfchain-client-go"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/stellar"
)

// Network is one grid network's bridge: the Stellar network the bridge
// watches (Horizon, passphrase, TFT issuer; USDC is Circle's on that
// network), the vault deposits go to, and TFChain's nodes.
type Network struct {
	Name    string
	Stellar stellar.Config
	Vault   string   // the bridge's Stellar account: deposits with memo twin_<ID>
	TFChain []string // TFChain's websocket endpoints
}

// Networks is the grid's own published configuration, not a guess: the
// dashboard's build-env.sh (threefoldtech/tfgrid-sdk-ts,
// packages/playground/scripts/build-env.sh) gives, per MODE, the
// BRIDGE_TFT_ADDRESS, SUBSTRATE_URL and STELLAR_NETWORK, and per
// STELLAR_NETWORK the Horizon URL and TFT_ASSET_ISSUER:
//
//	dev   bridge GDHJP6TF…BCFG, Stellar test, wss://tfchain.dev.grid.tf/ws
//	qa    bridge GAQH7XXF…YVKM, Stellar test, wss://tfchain.qa.grid.tf/ws
//	test  bridge GA2CWNBU…LUA4, Stellar main, wss://tfchain.test.grid.tf/ws
//	main  bridge GBNOTAYU…LWSC, Stellar main, wss://tfchain.grid.tf/ws
//	test Stellar: horizon-testnet.stellar.org, TFT issuer GA47YZA3…IMB3
//	main Stellar: horizon.stellar.org, TFT issuer GBOVQKJY…AC47
//
// Note the grid's testnet bridges from Stellar's public network (real TFT),
// not from Stellar's test network. The vaults agree with tfchain's bridge
// README (mainnet, testnet) and tfgrid-sdk-go's monitoring bot
// (BridgeAddresses, all four).
var Networks = map[string]Network{
	"main": {Name: "main", Stellar: stellar.Public(), Vault: "GBNOTAYUMXVO5QDYWYO2SOCOYIJ3XFIP65GKOQN7H65ZZSO6BK4SLWSC",
		TFChain: []string{"wss://tfchain.grid.tf/ws", "wss://tfchain.grid.tf:443"}},
	"test": {Name: "test", Stellar: stellar.Public(), Vault: "GA2CWNBUHX7NZ3B5GR4I23FMU7VY5RPA77IUJTIXTTTGKYSKDSV6LUA4",
		TFChain: []string{"wss://tfchain.test.grid.tf/ws", "wss://tfchain.test.grid.tf:443"}},
	"qa": {Name: "qa", Stellar: stellar.Testnet(), Vault: "GAQH7XXFBRWXT2SBK6AHPOLXDCLXVFAKFSOJIRMRNCDINWKHGI6UYVKM",
		TFChain: []string{"wss://tfchain.qa.grid.tf/ws", "wss://tfchain.qa.grid.tf:443"}},
	"dev": {Name: "dev", Stellar: stellar.Testnet(), Vault: "GDHJP6TF3UXYXTNEZ2P36J5FH7W4BJJQ4AYYAXC66I2Q2AH5B6O6BCFG",
		TFChain: []string{"wss://tfchain.dev.grid.tf/ws", "wss://tfchain.dev.grid.tf:443"}},
}

// ForNetwork returns the bridge of a grid network (main, test, qa, dev).
func ForNetwork(name string) (Network, error) {
	n, ok := Networks[name]
	if !ok {
		return Network{}, fmt.Errorf("no TFChain bridge is known for grid network %q (main, test, qa or dev)", name)
	}
	return n, nil
}

// Bridge reads the bridge pallet's state from TFChain.
type Bridge struct {
	mgr substrate.Manager
	mu  sync.Mutex
	sub *substrate.Substrate
}

var _ exchange.Bridge = (*Bridge)(nil)

// New returns the bridge of network n; it connects on first use.
func New(n Network) *Bridge {
	return &Bridge{mgr: substrate.NewManager(n.TFChain...)}
}

func (b *Bridge) conn() (*substrate.Substrate, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sub != nil {
		return b.sub, nil
	}
	s, err := b.mgr.Substrate()
	if err != nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "TFChain is not reachable: %v", err)
	}
	b.sub = s
	return s, nil
}

// MintedAlready asks the chain whether the deposit of the Stellar
// transaction hash has been minted (ExecutedMintTransactions).
func (b *Bridge) MintedAlready(ctx context.Context, stellarTxHash string) (bool, error) {
	s, err := b.conn()
	if err != nil {
		return false, err
	}
	ok, err := s.IsMintedAlready(stellarTxHash)
	if errors.Is(err, substrate.ErrMintTransactionNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "TFChain: is %s minted: %v", stellarTxHash, err)
	}
	return ok, nil
}

// DepositFee reads the bridge's deposit fee (DepositFee).
func (b *Bridge) DepositFee(ctx context.Context) (exchange.Amount, error) {
	s, err := b.conn()
	if err != nil {
		return 0, err
	}
	fee, err := s.GetDepositFee()
	if err != nil {
		return 0, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "TFChain: the bridge's deposit fee: %v", err)
	}
	return exchange.Amount(fee), nil
}
