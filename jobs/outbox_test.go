package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// countingProvisioner records each deploy:vm it runs.
type countingProvisioner struct {
	mu   sync.Mutex
	runs map[uuid.UUID]int
	ran  chan uuid.UUID
}

func (p *countingProvisioner) Provision(_ context.Context, id uuid.UUID) error {
	p.mu.Lock()
	p.runs[id]++
	p.mu.Unlock()
	p.ran <- id
	return nil
}

type outboxWorld struct {
	db    *sqlx.DB
	redis *jobstest.Redis
	enq   *jobs.Enqueuer
	relay *jobs.Relay
	prov  *countingProvisioner
	sys   context.Context
}

func newOutboxWorld(t *testing.T) *outboxWorld {
	d := dbtest.New(t)
	r := jobstest.New(t)
	client := asynq.NewClient(r.Opt)
	t.Cleanup(func() { client.Close() })
	insp := asynq.NewInspector(r.Opt)
	t.Cleanup(func() { insp.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &outboxWorld{db: d.App, redis: r, enq: jobs.NewEnqueuer(client, d.App), relay: jobs.NewRelay(d.App, client, insp, log),
		prov: &countingProvisioner{runs: map[uuid.UUID]int{}, ran: make(chan uuid.UUID, 10)},
		sys:  tenant.WithActor(context.Background(), tenant.System("test"))}
}

// startWorker runs a worker whose deploy:vm handler counts runs.
func (o *outboxWorld) startWorker(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := jobs.NewWorker(o.redis.Opt, o.redis.Client, jobs.WorkerConfig{Concurrency: 2, ShutdownTimeout: 5 * time.Second, DB: o.db}, log)
	w.RegisterDeploy(o.prov)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (o *outboxWorld) owe(t *testing.T, id uuid.UUID, again bool) {
	t.Helper()
	if err := tenant.SystemTx(o.sys, o.db, "test: owe", func(tx *tenant.Tx) error {
		return tenant.Owe(o.sys, tx, tenant.OwedTask{Key: deploy.DeployKey(id), Type: deploy.TaskDeploy, Data: map[string]string{"id": id.String()}, Again: again})
	}); err != nil {
		t.Fatal(err)
	}
}

func (o *outboxWorld) waitRun(t *testing.T, id uuid.UUID) {
	t.Helper()
	select {
	case got := <-o.prov.ran:
		if got != id {
			t.Fatalf("ran deploy %s; want %s", got, id)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("deploy %s did not run within 15s", id)
	}
}

func (o *outboxWorld) waitDone(t *testing.T, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var done bool
		if err := tenant.SystemTx(o.sys, o.db, "test: read", func(tx *tenant.Tx) error {
			return tx.GetContext(o.sys, &done, `SELECT done_at IS NOT NULL FROM outbox WHERE key = $1`, key)
		}); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox %s not marked done within 10s", key)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOwedWorkSurvivesRedisLoss: work owed in PostgreSQL and handed to
// Redis is handed over again after Redis loses everything, runs once, and
// is then marked done and never handed over again.
func TestOwedWorkSurvivesRedisLoss(t *testing.T) {
	o := newOutboxWorld(t)
	id := uuid.New()
	o.owe(t, id, false)
	if n, err := o.relay.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("first sweep queued %d (%v); want 1", n, err)
	}
	// Redis restarts without persistence: the queued task is gone.
	if err := o.redis.Client.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	// Within its lease the row is not handed over again...
	if n, err := o.relay.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep within the lease queued %d (%v); want 0", n, err)
	}
	// ...after it, it is.
	o.relay.Lease = 0
	if n, err := o.relay.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep after the Redis loss queued %d (%v); want 1", n, err)
	}
	// A task still in Redis is not queued twice.
	if n, err := o.relay.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep while Redis holds the task queued %d (%v); want 0", n, err)
	}
	o.startWorker(t)
	o.waitRun(t, id)
	o.waitDone(t, deploy.DeployKey(id))
	if n, err := o.relay.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep after the work was done queued %d (%v); want 0", n, err)
	}
	time.Sleep(500 * time.Millisecond)
	o.prov.mu.Lock()
	defer o.prov.mu.Unlock()
	if o.prov.runs[id] != 1 {
		t.Fatalf("deploy ran %d times; want 1", o.prov.runs[id])
	}
}

// TestDeployOwedAgainRunsAgain settles issue 17's item 7. With Asynq, a task
// id is held for the task's retention after it completes; a re-enqueue under
// it within that time is refused as a conflict, which the enqueuer counted as
// success: the 24-hour retention deploy:vm had would have made a failover or
// a standby replacement within a day of provisioning a silent no-op (the
// first half proves that hazard with Asynq itself). Deploy tasks are now not
// retained, and a deployment owed provisioning again runs it again.
func TestDeployOwedAgainRunsAgain(t *testing.T) {
	o := newOutboxWorld(t)
	o.startWorker(t)

	// The hazard, as the old options had it.
	client := asynq.NewClient(o.redis.Opt)
	defer client.Close()
	insp := asynq.NewInspector(o.redis.Opt)
	defer insp.Close()
	old := uuid.New()
	task, err := jobs.NewTask(o.sys, jobs.TypeDeployVM, map[string]string{"id": old.String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(task, asynq.Queue(jobs.QueueCritical), asynq.TaskID("deploy:"+old.String()), asynq.Retention(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	o.waitRun(t, old)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ti, err := insp.GetTaskInfo(jobs.QueueCritical, "deploy:"+old.String()); err == nil && ti.State == asynq.TaskStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("retained task not completed within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := client.Enqueue(task, asynq.Queue(jobs.QueueCritical), asynq.TaskID("deploy:"+old.String()), asynq.Retention(24*time.Hour)); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("re-enqueue of a retained, completed deploy task: %v; want Asynq's task id conflict (the hazard)", err)
	}

	// Now: provisioning, then a failover owing it again an instant later.
	id := uuid.New()
	o.owe(t, id, false)
	if err := o.enq.EnqueueDeploy(o.sys, id); err != nil {
		t.Fatal(err)
	}
	o.waitRun(t, id)
	o.waitDone(t, deploy.DeployKey(id))
	o.owe(t, id, true)
	if err := o.enq.EnqueueDeploy(o.sys, id); err != nil {
		t.Fatal(err)
	}
	o.waitRun(t, id)
	o.waitDone(t, deploy.DeployKey(id))
	o.prov.mu.Lock()
	defer o.prov.mu.Unlock()
	if o.prov.runs[id] != 2 {
		t.Fatalf("deploy ran %d times; want 2 (provisioning, then the failover)", o.prov.runs[id])
	}
}
