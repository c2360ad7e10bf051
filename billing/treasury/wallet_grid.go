package treasury

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ErrNoWallet says a tenant has no TFChain wallet, so nothing can be
// deployed (or cancelled) for it on the grid.
var ErrNoWallet = &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT,
	Message: "this storefront has no TFChain wallet to pay the grid yet; its operator must add one under Admin → Wallet"}

// GridFactory builds a grid.Grid that acts as the twin of a wallet: the
// simulator's view as that twin, or a tfgrid client signing with the
// mnemonic. It must never log or return the mnemonic in an error.
type GridFactory func(ctx context.Context, twinID uint32, mnemonic string) (grid.Grid, error)

// walletGrids caches one Grid per tenant and sealed wallet: a wallet saved
// anew, or re-sealed by a key rotation, gets a Grid of its own.
type walletGrids struct {
	mu      sync.Mutex
	factory GridFactory
	byKey   map[uuid.UUID]walletGrid
}

type walletGrid struct {
	key [32]byte // SHA-256 of the twin id and the sealed mnemonic
	g   grid.Grid
	// until, when set, is when the cached Grid stops being used: a wallet
	// opened drained (below the 2 TFT grid-client needs to start) reads
	// and cancels only, so it is opened anew soon, to deploy again once
	// topped up.
	until time.Time
}

// drainedRetry is how long a drained wallet's Grid is kept.
const drainedRetry = time.Minute

// drained is what a Grid opened for a drained wallet reports (tfgrid's
// Client).
type drained interface{ Drained() bool }

// TenantGrid returns the grid acting as the tenant's wallet twin, which
// signs and pays for the tenant's deployments. The mnemonic is opened only
// here, to build the Grid, and never leaves it. Returns ErrNoWallet
// (ECONFLICT) when the tenant has no wallet. Callers are the platform's own
// services (deployments, reconcile); no authorization is checked.
func (t *Treasury) TenantGrid(ctx context.Context, tenantID uuid.UUID) (grid.Grid, error) {
	var w struct {
		TwinID uint32 `db:"twin_id"`
		Sealed string `db:"mnemonic_enc"`
	}
	err := tenant.InTx(tenant.WithID(ctx, tenantID), t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &w, `SELECT twin_id, mnemonic_enc FROM tenant_wallets`)
	})
	if tenant.IsNoRows(err) {
		return nil, ErrNoWallet
	}
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", w.TwinID, w.Sealed)))
	t.grids.mu.Lock()
	defer t.grids.mu.Unlock()
	if t.grids.factory == nil {
		return nil, fmt.Errorf("tenant grid: no grid factory wired")
	}
	if c, ok := t.grids.byKey[tenantID]; ok && c.key == key && (c.until.IsZero() || t.now().Before(c.until)) {
		return c.g, nil
	}
	mnemonic, err := t.keys.OpenFor("treasury", tenantID, w.Sealed)
	if err != nil {
		return nil, fmt.Errorf("tenant grid: open the wallet of %s: %w", tenantID, err)
	}
	g, err := t.grids.factory(ctx, w.TwinID, string(mnemonic))
	clear(mnemonic)
	if err != nil {
		return nil, fmt.Errorf("tenant grid of %s: %w", tenantID, err)
	}
	if old, ok := t.grids.byKey[tenantID]; ok {
		if c, ok := old.g.(interface{ Close() }); ok {
			// Calls in flight on the old wallet's client may still finish.
			time.AfterFunc(time.Minute, c.Close)
		}
	}
	wg := walletGrid{key: key, g: g}
	if d, ok := g.(drained); ok && d.Drained() {
		wg.until = t.now().Add(drainedRetry)
	}
	t.grids.byKey[tenantID] = wg
	return g, nil
}

// HasWallet reports whether the tenant has a TFChain wallet (deploy's
// health page). No authorization is checked: callers are the platform's
// own services.
func (t *Treasury) HasWallet(ctx context.Context, tenantID uuid.UUID) (bool, error) {
	var ok bool
	err := tenant.InTx(tenant.WithID(ctx, tenantID), t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM tenant_wallets)`)
	})
	return ok, err
}
