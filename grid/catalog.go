package grid

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
)

// NodeLister lists nodes page by page: what a Catalog needs from a Grid.
type NodeLister interface {
	ListNodes(ctx context.Context, f NodeFilter) (NodePage, error)
}

// Catalog holds the grid's node list in memory, refreshed in the background,
// so storefront and pool pages filter and page nodes without a grid call per
// view. Reads see an immutable snapshot swapped in atomically; a failed
// refresh keeps the last good one. It is safe for concurrent use.
type Catalog struct {
	source NodeLister
	every  time.Duration
	snap   atomic.Pointer[catalogSnapshot]

	mu      sync.Mutex
	lastErr error
}

// NewCatalog returns an empty catalog of source's nodes that Run refreshes
// every interval (a minute when interval is not positive).
func NewCatalog(source NodeLister, interval time.Duration) *Catalog {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Catalog{source: source, every: interval}
}

// Run refreshes the catalog now and then every interval until ctx ends.
// Refresh errors are kept for LastError; the previous snapshot stays.
func (c *Catalog) Run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		_ = c.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads every node from the source and swaps in a new snapshot.
func (c *Catalog) Refresh(ctx context.Context) error {
	var nodes []Node
	for page := 1; ; page++ {
		p, err := c.source.ListNodes(ctx, NodeFilter{Page: Page{Number: page, Size: MaxPageSize}})
		if err != nil {
			err = fmt.Errorf("refresh node catalog: %w", err)
			c.setErr(err)
			return err
		}
		nodes = append(nodes, p.Nodes...)
		if len(p.Nodes) == 0 || len(nodes) >= p.Total {
			break
		}
	}
	c.snap.Store(newCatalogSnapshot(nodes, time.Now()))
	c.setErr(nil)
	return nil
}

func (c *Catalog) setErr(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.mu.Unlock()
}

// LastError returns the error of the last refresh, or nil if it worked.
func (c *Catalog) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// UpdatedAt returns when the snapshot was taken; zero before the first.
func (c *Catalog) UpdatedAt() time.Time {
	if s := c.snap.Load(); s != nil {
		return s.at
	}
	return time.Time{}
}

var errCatalogEmpty = fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the node catalog is not loaded yet")

// ListNodes answers like Grid.ListNodes from the snapshot. Returns
// EUNAVAILABLE before the first refresh and EINVALID for a bad page.
func (c *Catalog) ListNodes(ctx context.Context, f NodeFilter) (NodePage, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return NodePage{}, err
	}
	s := c.snap.Load()
	if s == nil {
		return NodePage{}, errCatalogEmpty
	}
	return s.list(f, page), nil
}

// Node returns one node from the snapshot. Returns ENOTFOUND if the
// catalog has no such node and EUNAVAILABLE before the first refresh.
func (c *Catalog) Node(ctx context.Context, id uint32) (Node, error) {
	s := c.snap.Load()
	if s == nil {
		return Node{}, errCatalogEmpty
	}
	i, ok := s.byID[id]
	if !ok {
		return Node{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d does not exist", id)
	}
	return s.nodes[i].clone(), nil
}

func (n Node) clone() Node {
	n.GPUs = slices.Clone(n.GPUs)
	return n
}

// bitset marks node positions in a snapshot.
type bitset []uint64

func newBitset(n int) bitset   { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int)   { b[i/64] &^= 1 << (i % 64) }
func (b bitset) clone() bitset { return slices.Clone(b) }
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// catalogSnapshot is an immutable node list with indexes on every
// condition a NodeFilter can name except free capacity.
type catalogSnapshot struct {
	at    time.Time
	nodes []Node // ordered by id
	byID  map[uint32]int
	all   bitset

	farm    map[uint32]bitset
	country map[string]bitset
	region  map[string]bitset
	status  map[NodeStatus]bitset

	ipv4, ipv6, gpu, certified, rentable, dedicated, light bitset
}

func newCatalogSnapshot(nodes []Node, at time.Time) *catalogSnapshot {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b Node) int { return int(a.ID) - int(b.ID) })
	n := len(nodes)
	s := &catalogSnapshot{
		at: at, nodes: nodes, byID: make(map[uint32]int, n), all: newBitset(n),
		farm: map[uint32]bitset{}, country: map[string]bitset{}, region: map[string]bitset{}, status: map[NodeStatus]bitset{},
		ipv4: newBitset(n), ipv6: newBitset(n), gpu: newBitset(n), certified: newBitset(n),
		rentable: newBitset(n), dedicated: newBitset(n), light: newBitset(n),
	}
	index := func(m map[string]bitset, k string, i int) {
		if m[k] == nil {
			m[k] = newBitset(n)
		}
		m[k].set(i)
	}
	for i, node := range nodes {
		s.byID[node.ID] = i
		s.all.set(i)
		if s.farm[node.FarmID] == nil {
			s.farm[node.FarmID] = newBitset(n)
		}
		s.farm[node.FarmID].set(i)
		if s.status[node.Status] == nil {
			s.status[node.Status] = newBitset(n)
		}
		s.status[node.Status].set(i)
		index(s.country, node.Country, i)
		index(s.region, node.Region, i)
		for _, flag := range []struct {
			set bitset
			on  bool
		}{
			{s.ipv4, node.PublicIPv4 > 0}, {s.ipv6, node.IPv6}, {s.gpu, len(node.GPUs) > 0},
			{s.certified, node.Certified}, {s.rentable, node.Rentable},
			{s.dedicated, node.Dedicated}, {s.light, node.Light},
		} {
			if flag.on {
				flag.set.set(i)
			}
		}
	}
	return s
}

// candidates returns the positions passing every indexed condition of f.
func (s *catalogSnapshot) candidates(f NodeFilter) bitset {
	set := s.all.clone()
	empty := newBitset(len(s.nodes))
	union := func(get func(int) bitset, n int) {
		u := newBitset(len(s.nodes))
		for i := range n {
			if b := get(i); b != nil {
				u.or(b)
			}
		}
		set.and(u)
	}
	if len(f.FarmIDs) > 0 {
		union(func(i int) bitset { return s.farm[f.FarmIDs[i]] }, len(f.FarmIDs))
	}
	if len(f.Countries) > 0 {
		union(func(i int) bitset { return s.country[f.Countries[i]] }, len(f.Countries))
	}
	if len(f.Status) > 0 {
		union(func(i int) bitset { return s.status[f.Status[i]] }, len(f.Status))
	}
	if f.Region != "" {
		if b := s.region[f.Region]; b != nil {
			set.and(b)
		} else {
			set.and(empty)
		}
	}
	if len(f.NodeIDs) > 0 {
		only := newBitset(len(s.nodes))
		for _, id := range f.NodeIDs {
			if i, ok := s.byID[id]; ok {
				only.set(i)
			}
		}
		set.and(only)
	}
	for _, flag := range []struct {
		want bool
		set  bitset
	}{{f.PublicIPv4, s.ipv4}, {f.IPv6, s.ipv6}, {f.GPU, s.gpu}, {f.Certified, s.certified}, {f.Rentable, s.rentable}} {
		if flag.want {
			set.and(flag.set)
		}
	}
	for _, tri := range []struct {
		want *bool
		set  bitset
	}{{f.Dedicated, s.dedicated}, {f.Light, s.light}} {
		switch {
		case tri.want == nil:
		case *tri.want:
			set.and(tri.set)
		default:
			set.andNot(tri.set)
		}
	}
	for _, id := range f.ExcludeFarm {
		if b := s.farm[id]; b != nil {
			set.andNot(b)
		}
	}
	for _, id := range f.ExcludeNode {
		if i, ok := s.byID[id]; ok {
			set.clear(i)
		}
	}
	return set
}

// list returns the page of nodes matching f, in id order.
func (s *catalogSnapshot) list(f NodeFilter, page Page) NodePage {
	from := (page.Number - 1) * page.Size
	out := NodePage{Page: page}
	checkFree := f.MinFree != Resources{}
	for w, word := range s.candidates(f) {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if checkFree && !s.nodes[i].Free().Covers(f.MinFree) {
				continue
			}
			if out.Total >= from && len(out.Nodes) < page.Size {
				out.Nodes = append(out.Nodes, s.nodes[i].clone())
			}
			out.Total++
		}
	}
	return out
}
