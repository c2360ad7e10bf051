package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

type seen struct {
	tenant uuid.UUID
	actor  tenant.Actor
	data   string
}

// TestEnvelopeRestoresTenantAndActor enqueues a task from a tenant-scoped
// context and proves the worker's handler runs in that tenant, as that actor,
// and that a task without an envelope is archived without retry.
func TestEnvelopeRestoresTenantAndActor(t *testing.T) {
	r := jobstest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := jobs.NewWorker(r.Opt, r.Client, jobs.WorkerConfig{Concurrency: 2, ShutdownTimeout: 5 * time.Second}, log)
	got := make(chan seen, 1)
	w.Handle("test:echo", asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		var data struct{ Word string }
		if err := jobs.Decode(task, &data); err != nil {
			return err
		}
		id, _ := tenant.IDFromContext(ctx)
		a, _ := tenant.ActorFromContext(ctx)
		got <- seen{id, a, data.Word}
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	client := asynq.NewClient(r.Opt)
	defer client.Close()
	tid := uuid.New()
	actor := tenant.Actor{Kind: tenant.ActorUser, ID: uuid.New(), Name: "ada@example.com"}
	if _, err := jobs.NewTask(context.Background(), "test:echo", nil); err == nil {
		t.Error("NewTask without an actor succeeded, want it to fail closed")
	}
	task, err := jobs.NewTask(tenant.WithActor(tenant.WithID(context.Background(), tid), actor), "test:echo", map[string]string{"Word": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(task, asynq.Queue(jobs.QueueCritical)); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s.tenant != tid || s.actor != actor || s.data != "hello" {
			t.Errorf("handler saw tenant %s actor %+v data %q; want %s %+v hello", s.tenant, s.actor, s.data, tid, actor)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("task not processed within 10s")
	}

	// A payload without an envelope is never retried: it goes straight to archived.
	info, err := client.Enqueue(asynq.NewTask("test:echo", []byte(`not json`)), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(5))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(r.Opt)
	defer insp.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ti, err := insp.GetTaskInfo(jobs.QueueLow, info.ID)
		if err == nil && ti.State == asynq.TaskStateArchived {
			if ti.Retried != 0 {
				t.Errorf("bad payload retried %d times, want 0", ti.Retried)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bad payload not archived within 10s (info %+v, err %v)", ti, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case s := <-got:
		t.Errorf("handler ran for a task without envelope: %+v", s)
	default:
	}
}

// TestHeartbeatIsRecorded proves the scheduler's heartbeat task writes its time.
func TestHeartbeatIsRecorded(t *testing.T) {
	r := jobstest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := jobs.NewWorker(r.Opt, r.Client, jobs.WorkerConfig{Concurrency: 1, ShutdownTimeout: 5 * time.Second, Scheduler: true}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	client := asynq.NewClient(r.Opt)
	defer client.Close()
	hb, err := jobs.NewTask(tenant.WithActor(context.Background(), tenant.System("test")), jobs.TypeHeartbeat, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	if _, err := client.Enqueue(hb, asynq.Queue(jobs.QueueLow)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := r.Client.Get(context.Background(), jobs.HeartbeatKey).Int64()
		if err == nil && v >= before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat not recorded within 10s (value %d, err %v)", v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestShutdownFinishesTasksInFlight proves that stopping the worker (SIGTERM
// cancels Run's context) lets a running task finish instead of killing it.
func TestShutdownFinishesTasksInFlight(t *testing.T) {
	r := jobstest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := jobs.NewWorker(r.Opt, r.Client, jobs.WorkerConfig{Concurrency: 1, ShutdownTimeout: 10 * time.Second}, log)
	started, finished := make(chan struct{}), make(chan error, 1)
	w.Handle("test:slow", asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		close(started)
		select {
		case <-time.After(700 * time.Millisecond):
			finished <- nil
		case <-ctx.Done():
			finished <- ctx.Err()
		}
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	client := asynq.NewClient(r.Opt)
	defer client.Close()
	task, _ := jobs.NewTask(tenant.WithActor(context.Background(), tenant.System("test")), "test:slow", nil)
	if _, err := client.Enqueue(task, asynq.Queue(jobs.QueueCritical)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("task did not start")
	}
	cancel()
	if err := <-finished; err != nil {
		t.Errorf("task in flight was cancelled by shutdown: %v", err)
	}
	<-done
}
