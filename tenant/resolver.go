package tenant

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
)

// Realm is who a host serves: the platform console or one tenant's storefront.
type Realm string

const (
	RealmPlatform Realm = "platform"
	RealmTenant   Realm = "tenant"
)

// Site is what a request's host resolves to.
type Site struct {
	Realm  Realm
	Tenant *Tenant // nil for the platform realm
}

// Resolver maps a request's host to its Site. Answers are cached in memory so
// that host resolution costs no database query per request; Invalidate drops
// a tenant's entries when it changes.
type Resolver struct {
	store       *Store
	consoleHost string
	baseDomain  string
	ttl         time.Duration
	missTTL     time.Duration
	now         func() time.Time

	mu    sync.RWMutex
	cache map[string]cacheEntry // by slug
}

type cacheEntry struct {
	tenant  *Tenant // nil: known not to exist
	expires time.Time
}

// NewResolver returns a Resolver for the console host (e.g. console.localhost)
// and the base domain whose subdomains are tenant slugs (e.g. localhost).
func NewResolver(store *Store, consoleHost, baseDomain string) *Resolver {
	return &Resolver{
		store:       store,
		consoleHost: strings.ToLower(consoleHost),
		baseDomain:  strings.ToLower(baseDomain),
		ttl:         5 * time.Minute,
		missTTL:     15 * time.Second,
		now:         time.Now,
		cache:       map[string]cacheEntry{},
	}
}

// Resolve returns the Site for host (port and case ignored). It returns
// ENOTFOUND for a host that names no known tenant; the caller shows a neutral
// page that names no tenant.
func (r *Resolver) Resolve(ctx context.Context, host string) (Site, error) {
	host = strings.ToLower(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == r.consoleHost {
		return Site{Realm: RealmPlatform}, nil
	}
	slug, ok := strings.CutSuffix(host, "."+r.baseDomain)
	if !ok || slug == "" || strings.Contains(slug, ".") {
		return Site{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "unknown host")
	}
	t, err := r.bySlug(ctx, slug)
	if err != nil {
		return Site{}, err
	}
	return Site{Realm: RealmTenant, Tenant: t}, nil
}

func (r *Resolver) bySlug(ctx context.Context, slug string) (*Tenant, error) {
	now := r.now()
	r.mu.RLock()
	e, ok := r.cache[slug]
	r.mu.RUnlock()
	if !ok || now.After(e.expires) {
		t, err := r.store.BySlug(ctx, slug)
		switch fiatdashboard.ErrorCode(err) {
		case "":
			e = cacheEntry{tenant: t, expires: now.Add(r.ttl)}
		case fiatdashboard.ENOTFOUND:
			e = cacheEntry{expires: now.Add(r.missTTL)}
		default:
			return nil, err
		}
		r.mu.Lock()
		r.cache[slug] = e
		r.mu.Unlock()
	}
	if e.tenant == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "unknown host")
	}
	return e.tenant, nil
}

// Invalidate forgets what is cached for the slug, so the next request reads it anew.
func (r *Resolver) Invalidate(slug string) {
	r.mu.Lock()
	delete(r.cache, slug)
	r.mu.Unlock()
}
