package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The server's in-memory caches. Each is filled only while PostgreSQL
// notifications are live (Deps.Notifications), is dropped entry by entry by
// the triggers of migration 00040 (whichever instance or process wrote the
// row), is dropped whole whenever notifications may have been missed, and
// keeps an entry at most its TTL as a last resort. Without notifications
// nothing is cached and every request reads the database, as before.

// catalogCache holds each tenant's public catalog response, encoded, so
// `GET /api/catalog` costs no query. It is generic over the response: it
// stores whatever billing.Service.Catalog returns, so lines added to the
// catalog are cached (and invalidated) with it.
type catalogCache struct {
	notes *tenant.Notifications
	ttl   time.Duration

	mu   sync.Mutex
	m    map[uuid.UUID]catalogEntry
	gen  map[uuid.UUID]uint64 // bumped by each invalidation: a load started before it is not stored
	all  uint64               // bumped by each reset
	load map[uuid.UUID]*sync.Mutex
}

type catalogEntry struct {
	body    []byte
	expires time.Time
}

func newCatalogCache(notes *tenant.Notifications) *catalogCache {
	c := &catalogCache{notes: notes, ttl: 5 * time.Minute, m: map[uuid.UUID]catalogEntry{}, gen: map[uuid.UUID]uint64{}, load: map[uuid.UUID]*sync.Mutex{}}
	if notes != nil {
		notes.Subscribe(tenant.ChannelCatalog, func(payload string) {
			if id, err := uuid.Parse(payload); err == nil {
				c.invalidate(id)
			}
		})
		notes.OnReset(c.reset)
	}
	return c
}

func (c *catalogCache) invalidate(id uuid.UUID) {
	c.mu.Lock()
	delete(c.m, id)
	c.gen[id]++
	c.mu.Unlock()
}

func (c *catalogCache) reset() {
	c.mu.Lock()
	c.m = map[uuid.UUID]catalogEntry{}
	c.all++
	c.mu.Unlock()
}

// get returns the tenant's encoded catalog, from the cache or built by
// build (one build at a time per tenant: a burst of requests after an
// invalidation costs one build, not one per request).
func (c *catalogCache) get(ctx context.Context, id uuid.UUID, build func(context.Context) (any, error)) ([]byte, error) {
	if !c.notes.Live() {
		return encode(build(ctx))
	}
	if b, ok := c.lookup(id); ok {
		return b, nil
	}
	c.mu.Lock()
	l := c.load[id]
	if l == nil {
		l = &sync.Mutex{}
		c.load[id] = l
	}
	c.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	if b, ok := c.lookup(id); ok {
		return b, nil
	}
	c.mu.Lock()
	gen, all := c.gen[id], c.all
	c.mu.Unlock()
	b, err := encode(build(ctx))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[id] == gen && c.all == all && c.notes.Live() {
		c.m[id] = catalogEntry{body: b, expires: time.Now().Add(c.ttl)}
	}
	c.mu.Unlock()
	return b, nil
}

func (c *catalogCache) lookup(id uuid.UUID) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.body, true
}

func encode(v any, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// bearerCache remembers which actor a personal API token authenticates as in
// a realm, so an API client's requests skip the token query. A token's
// revocation, or any change to its account (disabled, password, e-mail),
// drops the account's entries on every instance at commit (fd_auth). An
// entry lives a minute, so the token's last-used time (written at most once
// a minute by the query) stays as fresh as before.
type bearerCache struct {
	notes *tenant.Notifications
	ttl   time.Duration

	mu        sync.Mutex
	m         map[bearerKey]bearerEntry
	byAccount map[uuid.UUID][]bearerKey
	gen       uint64
}

type bearerKey struct {
	realm uuid.UUID // uuid.Nil: the platform realm
	hash  [32]byte
}

type bearerEntry struct {
	actor   tenant.Actor
	expires time.Time
}

func newBearerCache(notes *tenant.Notifications) *bearerCache {
	c := &bearerCache{notes: notes, ttl: time.Minute, m: map[bearerKey]bearerEntry{}, byAccount: map[uuid.UUID][]bearerKey{}}
	if notes != nil {
		notes.Subscribe(tenant.ChannelAuth, func(payload string) {
			if id, err := uuid.Parse(payload); err == nil {
				c.dropAccount(id)
			}
		})
		notes.OnReset(c.reset)
	}
	return c
}

func (c *bearerCache) dropAccount(id uuid.UUID) {
	c.mu.Lock()
	for _, k := range c.byAccount[id] {
		delete(c.m, k)
	}
	delete(c.byAccount, id)
	c.gen++
	c.mu.Unlock()
}

func (c *bearerCache) reset() {
	c.mu.Lock()
	c.m, c.byAccount = map[bearerKey]bearerEntry{}, map[uuid.UUID][]bearerKey{}
	c.gen++
	c.mu.Unlock()
}

// authenticate returns the token's actor (with this request's IP) from the
// cache, or from verify, caching a success.
func (c *bearerCache) authenticate(ctx context.Context, token, ip string, verify func(context.Context, string, string) (tenant.Actor, error)) (tenant.Actor, error) {
	if !c.notes.Live() {
		return verify(ctx, token, ip)
	}
	realm, _ := tenant.IDFromContext(ctx)
	k := bearerKey{realm: realm, hash: sha256.Sum256([]byte(token))}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[k]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		a := e.actor
		a.IP = ip
		return a, nil
	}
	a, err := verify(ctx, token, ip)
	if err != nil {
		return a, err
	}
	c.mu.Lock()
	if c.gen == gen && c.notes.Live() {
		if len(c.m) > 100_000 { // bounded: many distinct tokens start over
			c.m, c.byAccount = map[bearerKey]bearerEntry{}, map[uuid.UUID][]bearerKey{}
		}
		if _, had := c.m[k]; !had {
			c.byAccount[a.ID] = append(c.byAccount[a.ID], k)
		}
		c.m[k] = bearerEntry{actor: a, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return a, nil
}
