package tfchainbridge_test

import (
	"testing"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/tfchainbridge"
)

// TestBridgeTablePinsTheGridsConfiguration pins, per grid network, the
// Stellar network, TFT issuer, bridge vault and TFChain endpoint the grid
// publishes (tfgrid-sdk-ts build-env.sh). Notably test bridges from
// Stellar's public network, qa and dev from its test network.
func TestBridgeTablePinsTheGridsConfiguration(t *testing.T) {
	const (
		mainTFT = "GBOVQKJYHXRR3DX6NOX2RRYFRCUMSADGDESTDNBDS6CDVLGVESRTAC47"
		testTFT = "GA47YZA3PKFUZMPLQ3B5F2E3CJIB57TGGU7SPCQT2WAEYKN766PWIMB3"
	)
	want := []struct {
		grid, horizon, passphrase, issuer, vault, tfchain string
	}{
		{"main", "https://horizon.stellar.org", network.PublicNetworkPassphrase, mainTFT, "GBNOTAYUMXVO5QDYWYO2SOCOYIJ3XFIP65GKOQN7H65ZZSO6BK4SLWSC", "wss://tfchain.grid.tf/ws"},
		{"test", "https://horizon.stellar.org", network.PublicNetworkPassphrase, mainTFT, "GA2CWNBUHX7NZ3B5GR4I23FMU7VY5RPA77IUJTIXTTTGKYSKDSV6LUA4", "wss://tfchain.test.grid.tf/ws"},
		{"qa", "https://horizon-testnet.stellar.org", network.TestNetworkPassphrase, testTFT, "GAQH7XXFBRWXT2SBK6AHPOLXDCLXVFAKFSOJIRMRNCDINWKHGI6UYVKM", "wss://tfchain.qa.grid.tf/ws"},
		{"dev", "https://horizon-testnet.stellar.org", network.TestNetworkPassphrase, testTFT, "GDHJP6TF3UXYXTNEZ2P36J5FH7W4BJJQ4AYYAXC66I2Q2AH5B6O6BCFG", "wss://tfchain.dev.grid.tf/ws"},
	}
	if len(tfchainbridge.Networks) != len(want) {
		t.Errorf("%d networks in the table, want %d", len(tfchainbridge.Networks), len(want))
	}
	for _, w := range want {
		n, err := tfchainbridge.ForNetwork(w.grid)
		if err != nil {
			t.Fatal(err)
		}
		if n.Stellar.HorizonURL != w.horizon || n.Stellar.NetworkPassphrase != w.passphrase || n.Stellar.TFT.Issuer != w.issuer || n.Stellar.TFT.Code != "TFT" ||
			n.Vault != w.vault || len(n.TFChain) == 0 || n.TFChain[0] != w.tfchain {
			t.Errorf("%s = horizon %s, passphrase %q, TFT issuer %s, vault %s, tfchain %v; want %s, %q, %s, %s, %s",
				w.grid, n.Stellar.HorizonURL, n.Stellar.NetworkPassphrase, n.Stellar.TFT.Issuer, n.Vault, n.TFChain, w.horizon, w.passphrase, w.issuer, w.vault, w.tfchain)
		}
	}
	if _, err := tfchainbridge.ForNetwork("sim"); err == nil {
		t.Error("a bridge for the simulator's network")
	}
}
