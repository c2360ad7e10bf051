package web

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// pageCache holds the encoded answers of authenticated tenant-scoped reads
// (the deployments pages and detail), keyed by tenant and by a key the
// handler builds from everything else the answer depends on: the caller's
// account, the outcome of the permission checks the read makes, the
// route and its parameters. Serving one copies bytes instead of querying,
// scanning 27 columns per row and encoding them.
//
// Coherence, on every instance:
//   - a tenant's entries are dropped whenever a row its pages show is
//     written, by anyone, at commit (fd_tenant_data, migration 00145); a
//     load that started before such a drop is not stored;
//   - read-your-writes: before answering from memory, the request waits for
//     a notification barrier (tenant.Notifications.Sync), so every change
//     committed before the request arrived, on any instance, has dropped
//     what it made stale; without a barrier (not live, timed out) the
//     request reads the database and stores nothing;
//   - nothing is cached while notifications are not live, everything is
//     dropped when they may have been missed, and an entry lives at most its
//     TTL as a last resort.
type pageCache struct {
	notes *tenant.Notifications
	ttl   time.Duration
	max   int // bytes of answers over all tenants; past it the cache starts over

	mu  sync.Mutex
	m   map[uuid.UUID]map[string]pageEntry
	n   int                  // bytes held
	gen map[uuid.UUID]uint64 // bumped by each tenant's drop
	all uint64               // bumped by each reset
}

type pageEntry struct {
	body    []byte
	expires time.Time
}

func newPageCache(notes *tenant.Notifications) *pageCache {
	c := &pageCache{notes: notes, ttl: time.Minute, max: 32 << 20, m: map[uuid.UUID]map[string]pageEntry{}, gen: map[uuid.UUID]uint64{}}
	if notes != nil {
		notes.Subscribe(tenant.ChannelTenantData, func(payload string) {
			if id, err := uuid.Parse(payload); err == nil {
				c.drop(id)
			}
		})
		notes.OnReset(c.reset)
	}
	return c
}

func (c *pageCache) drop(id uuid.UUID) {
	c.mu.Lock()
	for _, e := range c.m[id] {
		c.n -= len(e.body)
	}
	delete(c.m, id)
	c.gen[id]++
	c.mu.Unlock()
}

func (c *pageCache) reset() {
	c.mu.Lock()
	c.m, c.n = map[uuid.UUID]map[string]pageEntry{}, 0
	c.all++
	c.mu.Unlock()
}

// get returns the tenant's encoded answer for key, from memory or built by
// build (and stored when nothing changed meanwhile).
func (c *pageCache) get(ctx context.Context, tid uuid.UUID, key string, build func(context.Context) (any, error)) ([]byte, error) {
	if !c.notes.Live() || c.notes.Sync(ctx) != nil {
		return encode(build(ctx))
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[tid][key]
	gen, all := c.gen[tid], c.all
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.body, nil
	}
	b, err := encode(build(ctx))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[tid] == gen && c.all == all && c.notes.Live() {
		if c.n+len(b) > c.max { // bounded: start over
			c.m, c.n = map[uuid.UUID]map[string]pageEntry{}, 0
		}
		t := c.m[tid]
		if t == nil {
			t = map[string]pageEntry{}
			c.m[tid] = t
		}
		c.n += len(b) - len(t[key].body)
		t[key] = pageEntry{body: b, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return b, nil
}
