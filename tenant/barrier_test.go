package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestSyncReceivesEverythingCommittedBefore proves the barrier: after Sync
// returns, every notification committed (on another connection, as another
// instance would) before it was called has reached the subscribers —
// without any wait in between. Without notifications running, Sync says so.
func TestSyncReceivesEverythingCommittedBefore(t *testing.T) {
	d := dbtest.New(t)
	notes := tenant.NewNotifications(d.AppURL, slog.New(slog.NewTextHandler(io.Discard, nil)), tenant.ChannelTenantData)
	if err := notes.Sync(context.Background()); !errors.Is(err, tenant.ErrNoSync) {
		t.Fatalf("Sync before Run = %v, want ErrNoSync", err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	notes.Subscribe(tenant.ChannelTenantData, func(p string) {
		mu.Lock()
		seen[p] = true
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); notes.Run(ctx) }()
	for i := 0; !notes.Live(); i++ {
		if i > 500 {
			t.Fatal("notifications did not go live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Concurrent callers share barriers; each still sees what it committed.
	var wg sync.WaitGroup
	errs := make(chan error, 8*25)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				p := fmt.Sprintf("w%d-%d", w, i)
				if _, err := d.App.Exec(`SELECT pg_notify($1, $2)`, tenant.ChannelTenantData, p); err != nil {
					errs <- err
					return
				}
				if err := notes.Sync(context.Background()); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				ok := seen[p]
				mu.Unlock()
				if !ok {
					errs <- fmt.Errorf("Sync returned before %s, committed before it, arrived", p)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cancel()
	<-done
	if err := notes.Sync(context.Background()); !errors.Is(err, tenant.ErrNoSync) {
		t.Errorf("Sync after Run ended = %v, want ErrNoSync", err)
	}
}
