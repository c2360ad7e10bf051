package tenant

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// PostgreSQL notification channels (migration 00040): triggers send them at
// commit, whoever wrote the row, with an id as the payload.
const (
	// ChannelCatalog carries a tenant id whose priced catalog changed.
	ChannelCatalog = "fd_catalog"
	// ChannelAuth carries an account id whose account or API tokens changed.
	ChannelAuth = "fd_auth"
	// ChannelDeployment carries a deployment id that has a new event.
	ChannelDeployment = "fd_deployment"
	// ChannelTenantData carries a tenant id whose deployment pages changed
	// (migration 00145: deployments, their orders, invoices, GPUs, swarm,
	// contracts, the tenant's cancel terms, a customer's e-mail).
	ChannelTenantData = "fd_tenant_data"
	// ChannelSync carries an instance's own barriers (Sync); every
	// Notifications listens to it.
	ChannelSync = "fd_sync"
)

// Notifications delivers PostgreSQL notifications (LISTEN/NOTIFY) to
// subscribers in this process over one connection, so caches stay in step
// with every instance's writes and progress streams wake on a transition
// instead of polling. While it is not connected nothing may be cached:
// Live reports false, and after every (re)connect the OnReset callbacks run,
// because notifications sent in between were missed.
type Notifications struct {
	dsn      string
	channels []string
	log      *slog.Logger
	live     atomic.Bool

	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{}
	resets []func()

	barrier barrier
}

type subscriber struct{ fn func(payload string) }

// NewNotifications returns Notifications for the channels, listening on a
// connection of its own opened from dsn (the application role: LISTEN needs
// no privilege). Run starts it.
func NewNotifications(dsn string, log *slog.Logger, channels ...string) *Notifications {
	n := &Notifications{dsn: dsn, channels: append(channels[:len(channels):len(channels)], ChannelSync), log: log, subs: map[string]map[*subscriber]struct{}{}}
	n.barrier.init()
	n.Subscribe(ChannelSync, n.barrier.received)
	n.OnReset(n.barrier.fail)
	return n
}

// Live reports whether notifications are being received now. A nil
// Notifications is never live, so callers cache nothing without one.
func (n *Notifications) Live() bool { return n != nil && n.live.Load() }

// Subscribe calls fn with each payload on channel until cancel is called.
// fn runs on the listener's goroutine: it must not block.
func (n *Notifications) Subscribe(channel string, fn func(payload string)) (cancel func()) {
	s := &subscriber{fn: fn}
	n.mu.Lock()
	if n.subs[channel] == nil {
		n.subs[channel] = map[*subscriber]struct{}{}
	}
	n.subs[channel][s] = struct{}{}
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		delete(n.subs[channel], s)
		n.mu.Unlock()
	}
}

// OnReset registers fn to run whenever notifications may have been missed
// (the listener connected, reconnected or lost its connection): a cache
// drops everything, a stream reads its state again.
func (n *Notifications) OnReset(fn func()) {
	n.mu.Lock()
	n.resets = append(n.resets, fn)
	n.mu.Unlock()
}

func (n *Notifications) reset() {
	n.mu.Lock()
	fns := append([]func(){}, n.resets...)
	n.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Run listens until ctx is done, reconnecting after a lost connection.
func (n *Notifications) Run(ctx context.Context) error {
	l := pq.NewListener(n.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			n.live.Store(false)
			n.reset()
			if err != nil {
				n.log.Warn("notification listener disconnected", "err", err)
			}
		}
	})
	defer l.Close()
	db, err := sql.Open("postgres", n.dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	n.barrier.mu.Lock()
	n.barrier.db = db
	n.barrier.mu.Unlock()
	defer func() {
		n.barrier.mu.Lock()
		n.barrier.db = nil
		n.barrier.mu.Unlock()
		n.barrier.fail()
	}()
	for _, ch := range n.channels {
		if err := l.Listen(ch); err != nil {
			return err
		}
	}
	// Connected and listening: what was cached before this point may be stale.
	n.reset()
	n.live.Store(true)
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			n.live.Store(false)
			return nil
		case m := <-l.Notify:
			if m == nil { // reconnected: anything may have been missed
				n.reset()
				n.live.Store(true)
				continue
			}
			n.mu.Lock()
			var fns []func(string)
			for s := range n.subs[m.Channel] {
				fns = append(fns, s.fn)
			}
			n.mu.Unlock()
			for _, fn := range fns {
				fn(m.Extra)
			}
		case <-ping.C:
			if err := l.Ping(); err != nil {
				n.live.Store(false)
				n.reset()
			}
		}
	}
}
