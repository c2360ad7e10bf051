// Package deploy owns the deployments domain: where machines may run (node
// operators' linked twins and registered nodes, each tenant's node pool and
// its exposure), what node operators earn, and — from a paid order to a
// running VM — the lifecycle, backups and reconciliation.
package deploy

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TwinKeys reads a twin's account key from the chain (gridsim and the
// tfgrid adapter implement it).
type TwinKeys interface {
	TwinAccountKey(ctx context.Context, twinID uint32) ([32]byte, error)
}

// Service is the deployments domain.
type Service struct {
	db      *sqlx.DB
	authz   tenant.Authorizer
	grid    grid.Grid
	catalog *grid.Catalog
	keys    TwinKeys
	billing *billing.Service
	enqueue Enqueuer
	log     *slog.Logger
	now     func() time.Time

	// wallets gives each tenant's wallet as a grid: deployments run on the
	// tenant's twin (tenantgrid.go).
	wallets TenantGrids
	// mailer tells customers of failovers; storefront links to their page.
	mailer     billing.Mailer
	storefront func(slug string) string
	// sealer seals QSFS secrets (secrets.go).
	sealer Sealer
}

// NewService wires the deployments domain. Node reads for pages go through
// catalog (a cache), never to the grid per view.
func NewService(db *sqlx.DB, authz tenant.Authorizer, g grid.Grid, catalog *grid.Catalog, keys TwinKeys, log *slog.Logger) *Service {
	return &Service{db: db, authz: authz, grid: g, catalog: catalog, keys: keys, log: log, now: time.Now}
}

// SetClock replaces the platform clock the service reads (tests; nil
// restores the wall clock).
func (s *Service) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.now = now
}

func pqArray(v []string) any { return pq.Array(v) }
