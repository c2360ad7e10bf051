package rbac

import (
	"context"
	"log/slog"

	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// policyChannel carries "a policy changed" between server and worker instances.
const policyChannel = "fd:casbin:changed"

// Watcher tells other instances to reload the Casbin policy when this one
// changes it, over Redis pub/sub. (The public Redis watcher is not available
// to us; the contract is small.)
type Watcher struct {
	rdb    redis.UniversalClient
	id     string
	sub    *redis.PubSub
	cancel context.CancelFunc
	cb     func(string)
	log    *slog.Logger
}

var _ persist.Watcher = (*Watcher)(nil)

// NewWatcher subscribes to policy changes.
func NewWatcher(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger) (*Watcher, error) {
	sub := rdb.Subscribe(ctx, policyChannel)
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		sub.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &Watcher{rdb: rdb, id: uuid.NewString(), sub: sub, cancel: cancel, log: log}
	go w.listen(ctx)
	return w, nil
}

func (w *Watcher) listen(ctx context.Context) {
	ch := w.sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if msg.Payload == w.id || w.cb == nil {
				continue // our own change is already in memory
			}
			w.cb(msg.Payload)
		}
	}
}

// SetUpdateCallback sets what runs when another instance changed the policy
// (the enforcer sets it to reload).
func (w *Watcher) SetUpdateCallback(cb func(string)) error {
	w.cb = cb
	return nil
}

// Update tells the other instances that the policy changed.
func (w *Watcher) Update() error {
	if err := w.rdb.Publish(context.Background(), policyChannel, w.id).Err(); err != nil {
		w.log.Error("casbin watcher: publish", "err", err)
		return err
	}
	return nil
}

// Close stops listening.
func (w *Watcher) Close() {
	w.cancel()
	w.sub.Close()
}
