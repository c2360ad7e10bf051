package tenant

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
)

// OwedTask is background work the platform owes (ARCHITECTURE.md §5a): it
// is written to the outbox in the same transaction as the state change that
// owes it, and a relay (package jobs) hands it to the queue until its
// handler marks it done.
type OwedTask struct {
	// Key names the work and is the queue's task id: the same key is the
	// same work (deploy:<id>, stripe:<event id>, refund:<order id>…).
	Key string
	// Type is the task type (deploy:vm, billing:stripe-event…).
	Type string
	// Data is the task's payload data (JSON-encoded).
	Data any
	// Again owes the work anew when the key was owed and done before (a
	// deployment provisioned again after a failover). Without it a key
	// already owed, done or not, is left as it is.
	Again bool
	// Inline: the caller does the work itself right after the commit and
	// marks it done (OwedDone); the relay hands it over only if that has
	// not happened within its lease (the caller crashed).
	Inline bool
	// TenantID is the tenant whose work it is; empty: the context's tenant
	// (none for platform work).
	TenantID *uuid.UUID
}

// Owe writes t to the outbox inside tx. The actor is the context's (it
// travels in the task's envelope); work without one fails closed.
func Owe(ctx context.Context, tx *Tx, t OwedTask) error {
	actor, ok := ActorFromContext(ctx)
	if !ok {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "owe %s: no actor in the context", t.Key)
	}
	tid := t.TenantID
	if tid == nil {
		if id, ok := IDFromContext(ctx); ok {
			tid = &id
		}
	}
	a, err := json.Marshal(actor)
	if err != nil {
		return fmt.Errorf("owe %s: %w", t.Key, err)
	}
	data := []byte("{}")
	if t.Data != nil {
		if data, err = json.Marshal(t.Data); err != nil {
			return fmt.Errorf("owe %s: %w", t.Key, err)
		}
	}
	conflict := `DO NOTHING`
	if t.Again {
		conflict = `DO UPDATE SET data = excluded.data, actor = excluded.actor, owed_at = clock_timestamp(), relayed_at = excluded.relayed_at,
			relays = 0, done_at = NULL, last_error = ''`
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (key, tenant_id, type, actor, data, relayed_at)
		VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, CASE WHEN $6 THEN now() END)
		ON CONFLICT (key) `+conflict, t.Key, tid, t.Type, string(a), string(data), t.Inline)
	if err != nil {
		return fmt.Errorf("owe %s: %w", t.Key, err)
	}
	return nil
}

// OwedDone marks owed work done by its key (work done inline, see
// OwedTask.Inline); work owed again since is marked too, which is right
// only for callers that did the work as it stands now.
func OwedDone(ctx context.Context, tx *Tx, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET done_at = now() WHERE key = $1 AND done_at IS NULL`, key)
	if err != nil {
		return fmt.Errorf("owed %s done: %w", key, err)
	}
	return nil
}
