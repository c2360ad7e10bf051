package tenant

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

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

// Resolver maps a request's host to its Site: the console host, a tenant's
// <slug>.<base domain>, or a verified custom domain. Answers are cached in
// memory, so a warm host costs no database query; Invalidate (on this
// instance, and through Redis on the others) drops a tenant's entries when
// it changes.
type Resolver struct {
	db          *sqlx.DB
	consoleHost string
	baseDomain  string
	ttl         time.Duration
	missTTL     time.Duration
	now         func() time.Time

	mu       sync.RWMutex
	bySlug   map[string]cacheEntry
	byDomain map[string]cacheEntry
}

type cacheEntry struct {
	tenant  *Tenant // nil: known not to exist
	expires time.Time
}

// NewResolver returns a Resolver for the console host (e.g. console.localhost)
// and the base domain whose subdomains are tenant slugs (e.g. localhost).
func NewResolver(db *sqlx.DB, consoleHost, baseDomain string) *Resolver {
	return &Resolver{
		db:          db,
		consoleHost: strings.ToLower(consoleHost),
		baseDomain:  strings.ToLower(baseDomain),
		ttl:         5 * time.Minute,
		missTTL:     15 * time.Second,
		now:         time.Now,
		bySlug:      map[string]cacheEntry{},
		byDomain:    map[string]cacheEntry{},
	}
}

// BaseDomain is the domain under which tenant slugs are hosts.
func (r *Resolver) BaseDomain() string { return r.baseDomain }

// ConsoleHost is the console's host name.
func (r *Resolver) ConsoleHost() string { return r.consoleHost }

// Resolve returns the Site for host (port and case ignored). It returns
// ENOTFOUND for a host that names no known tenant or verified domain; the
// caller shows a neutral page that names no tenant.
func (r *Resolver) Resolve(ctx context.Context, host string) (Site, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == r.consoleHost {
		return Site{Realm: RealmPlatform}, nil
	}
	var t *Tenant
	var err error
	if slug, ok := strings.CutSuffix(host, "."+r.baseDomain); ok {
		if slug == "" || strings.Contains(slug, ".") {
			return Site{}, errUnknownHost
		}
		t, err = r.cached(ctx, r.bySlug, slug, r.loadSlug)
	} else {
		t, err = r.cached(ctx, r.byDomain, host, r.loadDomain)
	}
	if err != nil {
		return Site{}, err
	}
	return Site{Realm: RealmTenant, Tenant: t}, nil
}

var errUnknownHost = fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "unknown host")

func (r *Resolver) cached(ctx context.Context, m map[string]cacheEntry, key string, load func(context.Context, string) (*Tenant, error)) (*Tenant, error) {
	now := r.now()
	r.mu.RLock()
	e, ok := m[key]
	r.mu.RUnlock()
	if !ok || now.After(e.expires) {
		t, err := load(ctx, key)
		switch fiatdashboard.ErrorCode(err) {
		case "":
			e = cacheEntry{tenant: t, expires: now.Add(r.ttl)}
		case fiatdashboard.ENOTFOUND:
			e = cacheEntry{expires: now.Add(r.missTTL)}
		default:
			return nil, err
		}
		r.mu.Lock()
		// Cloned: a caller's string may share a buffer that is reused later
		// (Fiber's zero-copy strings), which would corrupt the map key.
		m[strings.Clone(key)] = e
		r.mu.Unlock()
	}
	if e.tenant == nil {
		return nil, errUnknownHost
	}
	return e.tenant, nil
}

func (r *Resolver) loadSlug(ctx context.Context, slug string) (*Tenant, error) {
	return NewStore(r.db).BySlug(ctx, slug)
}

// loadDomain finds the tenant a verified custom domain belongs to; domains
// are tenant data, read here on the system path for host resolution.
func (r *Resolver) loadDomain(ctx context.Context, domain string) (*Tenant, error) {
	if !validDomain(domain) {
		return nil, errUnknownHost
	}
	var t Tenant
	err := SystemTx(ctx, r.db, "host resolution: custom domain", func(tx *Tx) error {
		return tx.GetContext(ctx, &t, `SELECT `+prefixed("t.", tenantColumns)+` FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
			WHERE d.domain = $1 AND d.status = 'verified'`, domain)
	})
	if IsNoRows(err) {
		return nil, errUnknownHost
	}
	if err != nil {
		return nil, fmt.Errorf("resolve domain: %w", err)
	}
	return &t, nil
}

// Invalidate forgets what is cached for the tenant with the slug (its
// subdomain and its custom domains), so the next request reads it anew.
func (r *Resolver) Invalidate(slug string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.bySlug, slug)
	for k, e := range r.byDomain {
		if e.tenant == nil || e.tenant.Slug == slug {
			delete(r.byDomain, k)
		}
	}
}

// InvalidateDomain forgets a custom domain (added, verified or removed).
func (r *Resolver) InvalidateDomain(domain string) {
	r.mu.Lock()
	delete(r.byDomain, domain)
	r.mu.Unlock()
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
