package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The outbox (ARCHITECTURE.md §5a, migrations/sql/00020_outbox.sql) is the
// record of owed work; Redis only carries it. Domain code writes a row with
// tenant.Owe in the transaction that owes the work, then asks the Enqueuer to
// hand it over at once (the fast path). The Relay hands over what the fast
// path missed (a crash between commit and enqueue) and, while a row is not
// done, hands it over again every lease: a task still in Redis answers
// "task id conflict" and nothing changes; a task Redis lost is queued anew.
// The task's handler marks the row done (Worker's outbox middleware).

// lazyCommit, in a statement's WHERE, commits its transaction without
// waiting for the WAL to reach the disk (SET LOCAL synchronous_commit = off,
// as a condition, so the one statement stays one round trip). Only for the
// outbox's own bookkeeping, whose loss in a crash is harmless: a lost done
// mark or relay stamp makes the relay hand the task over again, and every
// owed task is idempotent (a task still in Redis answers "task id
// conflict"). Any later ordinary commit flushes it anyway. On this 2-core
// machine a commit's flush costs about 3 ms (`make bench`'s pipeline).
const lazyCommit = `set_config('synchronous_commit', 'off', true) = 'off'`

// owedOptions are the Asynq options of every task type the outbox relays.
// No task is retained after it completes: the outbox row, not Redis, says
// whether the work was done, so the same id can be owed again later (a
// failover provisions deploy:<id> again within hours of the first time).
var owedOptions = map[string][]asynq.Option{
	TypeStripeEvent: {asynq.Queue(QueueCritical), asynq.MaxRetry(20)},
	TypeDeployVM:    {asynq.Queue(QueueCritical), asynq.MaxRetry(12), asynq.Timeout(10 * time.Minute)},
	TypeTopupStep:   {asynq.Queue(QueueDefault), asynq.MaxRetry(30)},
	TypeRefund:      {asynq.Queue(QueueCritical), asynq.MaxRetry(20)},
	TypeMockEvent:   {asynq.Queue(QueueCritical), asynq.MaxRetry(20)},
	// Billing's service events (the deployments domain handles them).
	TypeOrderPaid:           {asynq.Queue(QueueCritical), asynq.MaxRetry(20)},
	TypeSubscriptionChanged: {asynq.Queue(QueueCritical), asynq.MaxRetry(20)},
}

// maxRelays bounds how often a task whose retries ran out (archived) is
// handed over again; after that the row stays owed with its last error for
// an operator to see.
const maxRelays = 50

type owedRow struct {
	Key      string     `db:"key"`
	TenantID *uuid.UUID `db:"tenant_id"`
	Type     string     `db:"type"`
	Actor    []byte     `db:"actor"`
	Data     []byte     `db:"data"`
	OwedAt   time.Time  `db:"owed_at"`
	Relays   int        `db:"relays"`
}

const owedColumns = `key, tenant_id, type, actor, data, owed_at, relays`

// task rebuilds the Asynq task of an outbox row: the envelope from the row's
// tenant and actor, and the owed time, which the done-marking matches so a
// task finishing an older debt never marks a newer one done.
func (r owedRow) task() (*asynq.Task, error) {
	var env Envelope
	if err := json.Unmarshal(r.Actor, &env.Actor); err != nil {
		return nil, fmt.Errorf("outbox %s: actor: %w", r.Key, err)
	}
	if r.TenantID != nil {
		env.TenantID = *r.TenantID
	}
	b, err := json.Marshal(payload{Envelope: env, Data: r.Data, Owed: r.OwedAt.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return nil, err
	}
	opts, ok := owedOptions[r.Type]
	if !ok {
		return nil, fmt.Errorf("outbox %s: no task type %q", r.Key, r.Type)
	}
	return asynq.NewTask(r.Type, b, append([]asynq.Option{asynq.TaskID(r.Key)}, opts...)...), nil
}

// relayNow hands the owed row key to Asynq at once and stamps it relayed.
// It reports false when no such row is owed (done, or never written).
func (e *Enqueuer) relayNow(ctx context.Context, key string) (bool, error) {
	if e.db == nil {
		return false, nil
	}
	var row owedRow
	// One statement, one round trip.
	err := tenant.SystemGet(ctx, e.db, "outbox: relay", &row, `UPDATE outbox SET relayed_at = now(), relays = relays + 1 WHERE key = $1 AND done_at IS NULL AND `+lazyCommit+`
			RETURNING `+owedColumns, key)
	if tenant.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	t, err := row.task()
	if err != nil {
		return true, err
	}
	// A failure here is the sweeper's: the row stays owed.
	return true, e.once(ctx, t)
}

// Relay hands owed work to Asynq: rows never handed over, at once; rows not
// done, again every Lease. Any number of processes may run it: each sweep
// claims its rows with FOR UPDATE SKIP LOCKED.
type Relay struct {
	db        *sqlx.DB
	client    *asynq.Client
	inspector *asynq.Inspector
	log       *slog.Logger
	// Lease is how long a handed-over task may go without being done before
	// the sweeper checks that Redis still holds it.
	Lease time.Duration
	// Every is the pause between sweeps.
	Every time.Duration
}

// NewRelay returns a relay on db and Redis (client, inspector).
func NewRelay(db *sqlx.DB, client *asynq.Client, inspector *asynq.Inspector, log *slog.Logger) *Relay {
	return &Relay{db: db, client: client, inspector: inspector, log: log, Lease: 15 * time.Second, Every: time.Second}
}

// Run sweeps until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := r.Sweep(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			r.log.Warn("outbox relay: Redis or PostgreSQL unavailable; owed work waits in PostgreSQL", "err", err)
			failing = true
		case err == nil && failing:
			r.log.Info("outbox relay: handing owed work over again")
			failing = false
		}
		if n > 0 {
			r.log.Debug("outbox relayed", "count", n)
		}
	}
}

// Sweep hands over every row due (never handed over, or not done within the
// lease) and returns how many it queued anew.
func (r *Relay) Sweep(ctx context.Context) (int, error) {
	queued := 0
	err := tenant.SystemTx(ctx, r.db, "outbox: sweep", func(tx *tenant.Tx) error {
		var rows []owedRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+owedColumns+` FROM outbox
			WHERE done_at IS NULL AND (relayed_at IS NULL OR relayed_at < now() - make_interval(secs => $1))
			ORDER BY relayed_at NULLS FIRST, owed_at LIMIT 500 FOR UPDATE SKIP LOCKED`, r.Lease.Seconds()); err != nil {
			return err
		}
		var handed, dead []string
		var firstErr error
		for _, row := range rows {
			ok, err := r.handOver(ctx, row)
			if err != nil {
				firstErr = err
				break // Redis is likely down: the rest wait for the next sweep
			}
			if ok {
				queued++
			}
			if row.Relays >= maxRelays {
				dead = append(dead, row.Key)
			}
			handed = append(handed, row.Key)
		}
		if len(handed) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET relayed_at = now(), relays = relays + 1 WHERE key = ANY($1)`, pq.Array(handed)); err != nil {
				return err
			}
		}
		if len(dead) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET last_error = 'handed over too often; retries exhausted' WHERE key = ANY($1) AND last_error = ''`, pq.Array(dead)); err != nil {
				return err
			}
		}
		return firstErr
	})
	return queued, err
}

// handOver queues a row's task; it reports whether it queued it anew. A task
// Redis still holds (pending, scheduled, retrying or running) is left alone;
// one that completed under an older debt, or ran out of retries, is replaced.
func (r *Relay) handOver(ctx context.Context, row owedRow) (bool, error) {
	t, err := row.task()
	if err != nil {
		r.log.Error("outbox row cannot be queued", "key", row.Key, "err", err)
		return false, nil
	}
	_, err = r.client.EnqueueContext(ctx, t)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, err
	}
	queue := QueueDefault
	for _, o := range owedOptions[row.Type] {
		if o.Type() == asynq.QueueOpt {
			queue = o.Value().(string)
		}
	}
	info, err := r.inspector.GetTaskInfo(queue, row.Key)
	if err != nil {
		return false, nil // gone between the two calls: the next sweep queues it
	}
	switch info.State {
	case asynq.TaskStateCompleted:
	case asynq.TaskStateArchived:
		if row.Relays >= maxRelays {
			return false, nil
		}
	default:
		return false, nil
	}
	if err := r.inspector.DeleteTask(queue, row.Key); err != nil {
		return false, nil
	}
	if _, err := r.client.EnqueueContext(ctx, t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, err
	}
	return true, nil
}

// outboxDone marks a task's outbox row done when its handler succeeds, or
// fails for good (asynq.SkipRetry: the handler settled the failure itself,
// e.g. a refunded deployment). Only the debt the task was queued for is
// marked: a row owed again since then stays owed. A task that ran out of
// retries records its error and stays owed for the sweeper.
func outboxDone(db *sqlx.DB, log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if _, owed := owedOptions[t.Type()]; !owed {
				return err
			}
			key, _ := asynq.GetTaskID(ctx)
			var p payload
			json.Unmarshal(t.Payload(), &p)
			done := err == nil || errors.Is(err, asynq.SkipRetry)
			msg := ""
			if err != nil {
				msg = err.Error()
				if len(msg) > 500 {
					msg = msg[:500]
				}
			}
			var owedAt *time.Time
			if at, perr := time.Parse(time.RFC3339Nano, p.Owed); perr == nil {
				owedAt = &at
			}
			q := `UPDATE outbox SET last_error = $3 WHERE key = $1 AND ($2::timestamptz IS NULL OR owed_at = $2) AND done_at IS NULL AND ` + lazyCommit
			if done {
				q = `UPDATE outbox SET done_at = now(), last_error = $3 WHERE key = $1 AND ($2::timestamptz IS NULL OR owed_at = $2) AND done_at IS NULL AND ` + lazyCommit
			}
			// One statement, one round trip (SystemTx would cost three).
			if _, uerr := tenant.SystemExec(context.WithoutCancel(ctx), db, "outbox: task finished", q, key, owedAt, msg); uerr != nil {
				log.Warn("outbox row not marked", "key", key, "err", uerr)
				if err == nil {
					return fmt.Errorf("outbox %s: mark done: %w", key, uerr) // retried; the handler is idempotent
				}
			}
			return err
		})
	}
}
