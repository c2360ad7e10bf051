package tenant

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoSync is Sync's answer when it cannot prove this instance has
// received every notification committed before the call: the caller must
// read the database instead of a cache.
var ErrNoSync = errors.New("notifications: no barrier")

// syncTimeout bounds a barrier's round trip; past it Sync gives up (the
// caller reads the database).
const syncTimeout = 2 * time.Second

// Sync returns once this process has received every notification committed
// (by any instance) before Sync was called, so a cache dropped by
// notifications can answer with read-your-writes: a change committed before
// the request arrived has already dropped what it made stale. It sends a
// barrier, NOTIFY fd_sync with a payload of this process's own, and waits
// for it on the listener's connection: PostgreSQL delivers notifications
// in the order their transactions committed ("Notifications from different
// transactions ... are delivered in the order in which the transactions
// committed", sql-notify.html), so everything committed before the barrier
// arrives before it, and the listener runs its subscribers in order.
// Concurrent callers share barriers: one is in flight at a time, and a
// caller waits for the first one sent after it arrived (at most two round
// trips). ErrNoSync when notifications are not live or the barrier did not
// come back in time.
func (n *Notifications) Sync(ctx context.Context) error {
	if !n.Live() {
		return ErrNoSync
	}
	return n.barrier.wait(ctx)
}

type barrier struct {
	nonce string

	mu      sync.Mutex
	db      *sql.DB // set while Run runs
	sent    uint64  // the last barrier sent
	sending bool
	waits   map[uint64]*syncWait // by the barrier each waits for
}

type syncWait struct {
	done chan struct{}
	ok   bool
}

func (b *barrier) init() {
	var r [8]byte
	_, _ = rand.Read(r[:])
	b.nonce = hex.EncodeToString(r[:])
	b.waits = map[uint64]*syncWait{}
}

func (b *barrier) wait(ctx context.Context) error {
	b.mu.Lock()
	if b.db == nil {
		b.mu.Unlock()
		return ErrNoSync
	}
	want := b.sent + 1 // the next barrier, sent after this call
	w := b.waits[want]
	if w == nil {
		w = &syncWait{done: make(chan struct{})}
		b.waits[want] = w
	}
	if !b.sending {
		b.sending = true
		go b.send(b.db)
	}
	b.mu.Unlock()
	t := time.NewTimer(syncTimeout)
	defer t.Stop()
	select {
	case <-w.done:
		if w.ok {
			return nil
		}
		return ErrNoSync
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrNoSync
	}
}

// send sends barriers one at a time while callers wait for one.
func (b *barrier) send(db *sql.DB) {
	for {
		b.mu.Lock()
		if len(b.waits) == 0 || b.db != db {
			b.sending = false
			b.mu.Unlock()
			return
		}
		b.sent++
		k := b.sent
		w := b.waits[k]
		if w == nil { // every caller waits for k; a failure dropped them
			w = &syncWait{done: make(chan struct{})}
			b.waits[k] = w
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
		_, err := db.ExecContext(ctx, `SELECT pg_notify('`+ChannelSync+`', $1)`, b.nonce+":"+strconv.FormatUint(k, 10))
		if err == nil {
			select {
			case <-w.done:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		cancel()
		if err != nil {
			b.fail()
		}
	}
}

// received wakes the callers of this process's barriers up to the one
// that came back.
func (b *barrier) received(payload string) {
	nonce, num, ok := strings.Cut(payload, ":")
	if !ok || nonce != b.nonce {
		return // another instance's
	}
	k, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return
	}
	b.mu.Lock()
	for want, w := range b.waits {
		if want <= k {
			w.ok = true
			close(w.done)
			delete(b.waits, want)
		}
	}
	b.mu.Unlock()
}

// fail releases every caller without a barrier (notifications may have
// been missed, or the barrier could not be sent).
func (b *barrier) fail() {
	b.mu.Lock()
	for want, w := range b.waits {
		close(w.done)
		delete(b.waits, want)
	}
	b.mu.Unlock()
}
