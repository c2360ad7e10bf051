package grid_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
)

// countingLister counts the grid calls a catalog makes and can fail them.
type countingLister struct {
	grid.NodeLister
	calls atomic.Int64
	fail  atomic.Bool
}

func (l *countingLister) ListNodes(ctx context.Context, f grid.NodeFilter) (grid.NodePage, error) {
	l.calls.Add(1)
	if l.fail.Load() {
		return grid.NodePage{}, errors.New("grid proxy unreachable")
	}
	return l.NodeLister.ListNodes(ctx, f)
}

func samePage(t *testing.T, what string, got, want grid.NodePage) {
	t.Helper()
	if got.Total != want.Total || len(got.Nodes) != len(want.Nodes) {
		t.Fatalf("%s: %d of %d nodes, want %d of %d", what, len(got.Nodes), got.Total, len(want.Nodes), want.Total)
	}
	for i := range got.Nodes {
		if !reflect.DeepEqual(got.Nodes[i], want.Nodes[i]) {
			t.Fatalf("%s: node %d is %+v, want %+v", what, i, got.Nodes[i], want.Nodes[i])
		}
	}
}

// The catalog answers every filter exactly as the grid does.
func TestCatalogFiltersLikeTheGrid(t *testing.T) {
	ctx := context.Background()
	sim := gridsim.New(gridsim.Config{Seed: 21})
	cat := grid.NewCatalog(sim, time.Hour)
	if err := cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	farms := sim.Farms()
	yes, no := true, false
	filters := []grid.NodeFilter{
		{},
		{Page: grid.Page{Number: 3, Size: 25}},
		{Page: grid.Page{Number: 100, Size: 25}},
		{FarmIDs: []uint32{farms[0].ID, farms[7].ID}},
		{Countries: []string{"Belgium", "Egypt"}, Status: []grid.NodeStatus{grid.NodeUp}},
		{Region: "Europe", PublicIPv4: true, MinFree: grid.Resources{CRU: 4, MRU: 8 * grid.GB}},
		{GPU: true}, {Certified: true, IPv6: true}, {Rentable: true},
		{Dedicated: &no, Light: &yes}, {Dedicated: &yes}, {Light: &no, Status: []grid.NodeStatus{grid.NodeDown, grid.NodeStandby}},
		{ExcludeFarm: []uint32{farms[0].ID}, ExcludeNode: []uint32{2, 3}, Page: grid.Page{Size: 500}},
		{NodeIDs: []uint32{5, 50, 500, 5000}},
		{Region: "Atlantis"}, {Countries: []string{"Nowhere"}},
		{MinFree: grid.Resources{HRU: 30_000 * grid.GB}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 { // and random mixes of conditions
		f := grid.NodeFilter{Page: grid.Page{Number: 1 + rng.IntN(3), Size: 1 + rng.IntN(60)}}
		if rng.IntN(3) == 0 {
			f.Countries = []string{[]string{"Belgium", "United States", "Tanzania", "Japan"}[rng.IntN(4)]}
		}
		if rng.IntN(4) == 0 {
			f.FarmIDs = []uint32{uint32(1 + rng.IntN(len(farms))), uint32(1 + rng.IntN(len(farms)))}
		}
		f.PublicIPv4, f.IPv6, f.Certified = rng.IntN(3) == 0, rng.IntN(3) == 0, rng.IntN(5) == 0
		if rng.IntN(2) == 0 {
			f.Status = []grid.NodeStatus{grid.NodeUp}
		}
		if rng.IntN(2) == 0 {
			f.MinFree = grid.Resources{CRU: uint64(rng.IntN(16)), MRU: uint64(rng.IntN(64)) * grid.GB, SRU: uint64(rng.IntN(1000)) * grid.GB}
		}
		if rng.IntN(4) == 0 {
			f.ExcludeFarm = []uint32{uint32(1 + rng.IntN(len(farms)))}
		}
		filters = append(filters, f)
	}
	for i, f := range filters {
		want, err := sim.ListNodes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cat.ListNodes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		samePage(t, fmt.Sprintf("filter %d %+v", i, f), got, want)
	}

	n, err := cat.Node(ctx, 42)
	if want, _ := sim.Node(ctx, 42); err != nil || !reflect.DeepEqual(n, want) {
		t.Errorf("Node(42) = %+v, %v", n, err)
	}
	if _, err := cat.Node(ctx, 1<<31); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("unknown node: %v", err)
	}
	if _, err := cat.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Size: grid.MaxPageSize + 1}}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("oversized page: %v", err)
	}
}

func TestCatalogServesPagesWithoutGridCalls(t *testing.T) {
	ctx := context.Background()
	src := &countingLister{NodeLister: gridsim.New(gridsim.Config{Seed: 2})}
	cat := grid.NewCatalog(src, time.Hour)
	if _, err := cat.ListNodes(ctx, grid.NodeFilter{}); fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
		t.Errorf("before the first refresh: %v, want EUNAVAILABLE", err)
	}
	if err := cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	refreshCalls := src.calls.Load()
	if refreshCalls != 2 { // 600 nodes in pages of 500
		t.Errorf("refresh made %d grid calls, want 2", refreshCalls)
	}
	for range 100 {
		if _, err := cat.ListNodes(ctx, grid.NodeFilter{Countries: []string{"Belgium"}, GPU: true}); err != nil {
			t.Fatal(err)
		}
	}
	if src.calls.Load() != refreshCalls {
		t.Errorf("page views called the grid %d times", src.calls.Load()-refreshCalls)
	}

	// A failed refresh keeps the last snapshot.
	before := cat.UpdatedAt()
	src.fail.Store(true)
	if err := cat.Refresh(ctx); err == nil || cat.LastError() == nil {
		t.Error("a failed refresh reported no error")
	}
	if page, err := cat.ListNodes(ctx, grid.NodeFilter{}); err != nil || page.Total != 600 || !cat.UpdatedAt().Equal(before) {
		t.Errorf("after a failed refresh: %d nodes, %v", page.Total, err)
	}
}

func TestCatalogRefreshesInTheBackground(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim := gridsim.New(gridsim.Config{Seed: 4})
	cat := grid.NewCatalog(sim, 5*time.Millisecond)
	go cat.Run(ctx)

	up := []grid.NodeStatus{grid.NodeUp}
	deadline := time.Now().Add(5 * time.Second)
	for cat.UpdatedAt().IsZero() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	page, err := cat.ListNodes(ctx, grid.NodeFilter{Status: up, Page: grid.Page{Size: 1}})
	if err != nil || len(page.Nodes) != 1 {
		t.Fatalf("first snapshot: %v", err)
	}
	node := page.Nodes[0]
	if err := sim.SetNodeStatus(node.ID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		if n, _ := cat.Node(ctx, node.ID); n.Status == grid.NodeDown {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("the catalog never saw the node go down")
}

// BenchmarkCatalogFilteredPage reads the second page of a typical storefront
// filter from a 10 000-node catalog.
func BenchmarkCatalogFilteredPage(b *testing.B) {
	ctx := context.Background()
	sim := gridsim.New(gridsim.Config{Seed: 1, Nodes: 10_000, Farms: 800})
	cat := grid.NewCatalog(sim, time.Hour)
	if err := cat.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	no := false
	f := grid.NodeFilter{
		Region: "Europe", Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: &no, PublicIPv4: true,
		MinFree: grid.Resources{CRU: 2, MRU: 4 * grid.GB, SRU: 50 * grid.GB},
		Page:    grid.Page{Number: 2, Size: 20},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cat.ListNodes(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}
